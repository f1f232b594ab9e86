"""Writes of the other grid networks: a matter discovered or discussed in the party-building grid
is handed to the administrative grid that holds its point (the one locate, in the incidents
intake) and enters the normal workflow with source party_grid and its origin grid."""
from django.conf import settings
from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _

from layers.core.crs import normalise_crs, to_storage
from layers.core.errors import RuleViolation
from layers.grids.models import Grid
from layers.incidents.models import Incident, Source
from layers.incidents.services import incident_intake


def party_matter_raise(*, user, grid: Grid, lon, lat, crs: str | None = "wgs84", description: str,
                       type, incident_class: str = "general", idempotency_key: str | None = None,
                       body_hash: str = "", note: str = "") -> tuple[Incident, bool]:
    """Hand a matter raised in party grid `grid` (one the user holds a party role on: the caller
    gets it from `party_grid_get`) to the administrative grid holding its point: (incident,
    created). The point must lie in the party grid's territory (edges included). `note`: what the
    party group discussed, kept with the description."""
    if lon in (None, "") or lat in (None, ""):
        raise RuleViolation("location_required", _("Place the matter on the map (lon and lat)"))
    crs = normalise_crs(crs)
    x, y = to_storage(lon, lat, crs)
    point = Point(x, y, srid=settings.GEOGRID_SRID)
    if not grid.geometry.covers(point):
        raise RuleViolation("outside_party_grid", _("The point lies outside the party grid %(grid)s; a matter is "
                                                    "raised in the party grid where it was found")
                            % {"grid": grid}, grids=[grid.code])
    text = (description or "").strip()
    if text and (note or "").strip():
        text = _("%(text)s\n[Discussed in the party group] %(note)s") % {"text": text, "note": note.strip()}
    return incident_intake(user=user, idempotency_key=idempotency_key, body_hash=body_hash,
                           lon=lon, lat=lat, crs=crs, description=text,
                           type=type, incident_class=incident_class or "general", source=Source.PARTY_GRID,
                           origin_grid=grid)
