"""Demo grids: the fictional Jing'an Temple street of fixtures/demo_grids.geojson, created
through the same services as any import, so the demo obeys every rule."""
import datetime as dt
import json
from collections import defaultdict

from django.conf import settings

from .geometry import order_west_east_north_south, to_multipolygon
from .models import Grid, GridKind, Station
from .services import GridSpec, grids_create, station_create

FIXTURE = settings.BASE_DIR / "fixtures" / "demo_grids.geojson"
DEMO_START = dt.date(2025, 1, 1)


def load(stdout=None) -> None:
    """Create the demo street once; a second run finds it and does nothing."""
    features = json.loads(FIXTURE.read_text(encoding="utf-8"))["features"]
    top = next(f for f in features if f["properties"]["parent"] is None)
    if Grid.objects.filter(code=top["properties"]["code"], valid_to__isnull=True).exists():
        return
    by_code = {}
    (street,) = grids_create(parent=None, level=top["properties"]["level"], valid_from=DEMO_START, specs=[
        GridSpec(name=top["properties"]["name"], geometry=top["geometry"], code=top["properties"]["code"])])
    by_code[street.code] = street
    communities = [f for f in features if f["properties"]["level"] == 3 and f["properties"]["kind"] == "base"]
    specs = []
    for f in communities:
        p = f["properties"]
        station = Station.objects.filter(code=p["code"]).first() or station_create(name=p["station"], code=p["code"])
        specs.append(GridSpec(name=p["name"], geometry=f["geometry"], code=p["code"], station=station))
    for g in grids_create(parent=street, level=3, valid_from=DEMO_START, specs=specs):
        by_code[g.code] = g
    micro = defaultdict(list)
    for f in features:
        if f["properties"]["level"] == 4:
            micro[f["properties"]["parent"]].append(f)
    for parent_code, feats in sorted(micro.items()):
        parent = by_code[parent_code]
        # Residential micro-grids are named by their number, which follows the code order.
        order = order_west_east_north_south([to_multipolygon(f["geometry"]) for f in feats])
        feats = [feats[i] for i in order]
        grids_create(parent=parent, level=4, valid_from=DEMO_START, specs=[
            GridSpec(name=f["properties"]["name"].replace("{n}", str(n)), geometry=f["geometry"],
                     station=parent.station, use=f["properties"].get("use", ""))
            for n, f in enumerate(feats, start=1)])
    for f in features:
        p = f["properties"]
        if p["kind"] != GridKind.BASE:
            grids_create(parent=by_code[p["parent"]], level=p["level"], kind=p["kind"], valid_from=DEMO_START,
                         specs=[GridSpec(name=p["name"], geometry=f["geometry"])])
    if stdout:
        stdout.write(f"demo grids: {Grid.objects.filter(valid_to__isnull=True).count()} current grids")
