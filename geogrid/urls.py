"""Each layer brings its own routes: `layers/<app>/urls.py` (pages) and
`layers/<app>/api/urls.py` (mounted under /api/). A layer without them is skipped."""
from pathlib import Path

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from geogrid.health import healthz
from layers.core import views as core_views

LAYERS = ["core", "grids", "staff", "addresses", "subjects", "incidents", "overview", "plans", "open311", "ogc"]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
]
_ROOT = Path(__file__).resolve().parent.parent
for layer in LAYERS:
    if (_ROOT / "layers" / layer / "api" / "urls.py").exists():
        urlpatterns.append(path("api/", include(f"layers.{layer}.api.urls")))
    if (_ROOT / "layers" / layer / "urls.py").exists():
        urlpatterns.append(path("", include(f"layers.{layer}.urls")))
if (_ROOT / "maps" / "urls.py").exists():
    urlpatterns.append(path("", include("maps.urls")))
