"""Every route of geogrid, listed explicitly. Each layer brings its own: `layers/<app>/urls.py`
(pages) and `layers/<app>/api/urls.py` (mounted under /api/); a new layer's routes are added
here by hand, in layer order (see ARCHITECTURE.md)."""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from geogrid.health import healthz
from geogrid.views import home

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # In layer order; the first match wins, so the order is kept as it was.
    path("api/", include("layers.grids.api.urls")),
    path("api/", include("layers.staff.api.urls")),
    path("api/", include("layers.addresses.api.urls")),
    path("api/", include("layers.subjects.api.urls")),
    path("", include("layers.subjects.urls")),
    path("api/", include("layers.incidents.api.urls")),
    path("", include("layers.incidents.urls")),
    path("api/", include("layers.overview.api.urls")),
    path("", include("layers.overview.urls")),
    path("api/", include("layers.patrols.api.urls")),
    path("", include("layers.patrols.urls")),
    path("api/", include("layers.networks.api.urls")),
    path("", include("layers.networks.urls")),
    path("api/", include("layers.plans.api.urls")),
    path("", include("layers.plans.urls")),
    path("", include("layers.field.urls")),
    path("", include("layers.offline.urls")),
    path("api/", include("layers.residents.api.urls")),
    path("", include("layers.residents.urls")),
    path("api/", include("layers.routines.api.urls")),
    path("", include("layers.routines.urls")),
    path("", include("layers.imports.urls")),
    # Machine clients: Open311 for city systems, OGC API Features and vector tiles for GIS.
    path("", include("layers.open311.urls")),
    path("", include("layers.ogc.urls")),
    path("", include("maps.urls")),
]

# geogrid's own error pages (templates/400.html ... 500.html), in Chinese by default.
handler400 = "geogrid.errors.bad_request"
handler403 = "geogrid.errors.permission_denied"
handler404 = "geogrid.errors.page_not_found"
handler500 = "geogrid.errors.server_error"
