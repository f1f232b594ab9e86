from django.urls import path

from . import tiles, views

# Incidents and coverage figures have routes of their own, so the access table
# (layers.staff.access) rules them apart from the map layers everyone may read.
urlpatterns = [
    path("ogc/", views.LandingView.as_view(), name="ogc-landing"),
    path("ogc/conformance", views.ConformanceView.as_view(), name="ogc-conformance"),
    path("ogc/collections", views.CollectionsView.as_view(), name="ogc-collections"),
    path("ogc/collections/incidents/items", views.ItemsView.as_view(), {"collection_id": "incidents"},
         name="ogc-incident-items"),
    path("ogc/collections/incidents/items/<int:fid>", views.ItemView.as_view(), {"collection_id": "incidents"},
         name="ogc-incident-item"),
    path("ogc/collections/coverage/items", views.ItemsView.as_view(), {"collection_id": "coverage"},
         name="ogc-coverage-items"),
    path("ogc/collections/coverage/items/<int:fid>", views.ItemView.as_view(), {"collection_id": "coverage"},
         name="ogc-coverage-item"),
    path("ogc/collections/<str:collection_id>", views.CollectionView.as_view(), name="ogc-collection"),
    path("ogc/collections/<str:collection_id>/queryables", views.QueryablesView.as_view(), name="ogc-queryables"),
    path("ogc/collections/<str:collection_id>/items", views.ItemsView.as_view(), name="ogc-items"),
    path("ogc/collections/<str:collection_id>/items/<int:fid>", views.ItemView.as_view(), name="ogc-item"),
    path("tiles/incidents.json", tiles.TileJSONView.as_view(), {"layer": "incidents"}, name="tiles-incidents-tilejson"),
    path("tiles/incidents/<int:z>/<int:x>/<int:y>.mvt", tiles.TileView.as_view(), {"layer": "incidents"},
         name="tiles-incidents"),
    path("tiles/coverage.json", tiles.TileJSONView.as_view(), {"layer": "coverage"}, name="tiles-coverage-tilejson"),
    path("tiles/coverage/<int:z>/<int:x>/<int:y>.mvt", tiles.TileView.as_view(), {"layer": "coverage"},
         name="tiles-coverage"),
    path("tiles/<str:layer>.json", tiles.TileJSONView.as_view(), name="tiles-tilejson"),
    path("tiles/<str:layer>/<int:z>/<int:x>/<int:y>.mvt", tiles.TileView.as_view(), name="tiles-tile"),
]
