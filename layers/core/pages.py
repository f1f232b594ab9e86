"""The main pages, listed on the home page and in the navigation. Only paths and labels: core
knows no later layer's code, so the home view itself lives in the project (geogrid/views.py)."""
from django.utils.translation import gettext_lazy as _

# The main pages, in the order the home page lists them; a layer adds its own by name here.
PAGES = [
    ("/overview/", _("grid overview")),
    ("/maps/coverage/", _("coverage map")),
    ("/maps/hotspots/", _("hotspots")),
    ("/maps/special/", _("special grids")),
    ("/maps/grid/", _("my grid")),
    ("/incidents/", _("incidents")),
    ("/meetings/", _("grid meetings")),
    ("/ledgers/", _("grid ledger")),
    ("/subjects/", _("subjects")),
    ("/planner/", _("planner")),
    ("/imports/", _("imports")),
    ("/service-card/", _("service card")),
    ("/party/", _("party-building grid")),
    ("/api/grids/", _("grids API")),
    ("/api/schema/", _("OpenAPI schema")),
    ("/admin/", _("administration")),
]

