"""Vector tiles: decoded with GDAL's MVT driver; scoped layers never reach another user's cache."""
import math

import pyogrio
import pytest
from django.test import Client

from layers.addresses.models import Address
from layers.grids.models import Grid, GridKind

GRID_A = "310106013001001"

pytestmark = pytest.mark.django_db


def tile_of(lon, lat, z):
    n = 2 ** z
    r = math.radians(lat)
    return int((lon + 180) / 360 * n), int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)


def decode(content: bytes, tmp_path, z, x, y, layer):
    """The features of one layer of an MVT tile, read by GDAL (geometry in EPSG:3857)."""
    path = tmp_path / str(z) / str(x) / f"{y}.pbf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if not content:
        return []
    return pyogrio.read_dataframe(path, layer=layer)


def login(user):
    c = Client()
    c.force_login(user)
    return c


def test_whole_city_tile_holds_every_grid_of_a_level_with_its_figures(make_user, demo_grids, tmp_path):
    c = login(make_user("gis", is_superuser=True))
    street = demo_grids["310106013000"].geometry.centroid
    x, y = tile_of(street.x, street.y, 10)
    r = c.get(f"/tiles/grids/10/{x}/{y}.mvt?level=4")
    assert r.status_code == 200 and r["Content-Type"] == "application/vnd.mapbox-vector-tile"
    df = decode(r.content, tmp_path, 10, x, y, "grids")
    micro = Grid.objects.filter(level=4, kind=GridKind.BASE, valid_to__isnull=True)
    assert sorted(df["code"]) == sorted(micro.values_list("code", flat=True))
    a = demo_grids[GRID_A]
    row = df[df["code"] == a.code].iloc[0]
    assert row["name"] == a.name and row["level"] == 4
    assert row["addresses"] == Address.objects.filter(grid=a).count()
    # a community's figures sum its micro-grids
    community = demo_grids["310106013001"]
    parent = decode(c.get(f"/tiles/grids/10/{x}/{y}.mvt?level=3").content, tmp_path / "p", 10, x, y, "grids")
    assert parent[parent["code"] == community.code].iloc[0]["addresses"] == \
        Address.objects.filter(grid__path__startswith=community.path).count()


def test_z14_tile_holds_only_the_grids_near_it(make_user, demo_grids, tmp_path):
    c = login(make_user("gis", is_superuser=True))
    p = demo_grids[GRID_A].geometry.point_on_surface
    x, y = tile_of(p.x, p.y, 16)
    df = decode(c.get(f"/tiles/grids/16/{x}/{y}.mvt?level=4").content, tmp_path, 16, x, y, "grids")
    assert GRID_A in set(df["code"]) and 0 < len(df) < 37


def test_incident_tiles_are_scoped_private_and_etagged_per_scope(cases, make_user, demo_grids, tmp_path):
    admin = login(make_user("gis", is_superuser=True))
    head = login(cases["head"])
    p = demo_grids[GRID_A].geometry.point_on_surface
    x, y = tile_of(p.x, p.y, 12)
    url = f"/tiles/incidents/12/{x}/{y}.mvt"
    mine, everything = head.get(url), admin.get(url)
    assert {int(i) for i in decode(mine.content, tmp_path / "h", 12, x, y, "incidents")["mvt_id"]} == \
        {i.pk for i in cases["mine"]}
    assert len(decode(everything.content, tmp_path / "a", 12, x, y, "incidents")) == 5
    for r in (mine, everything):
        assert "private" in r["Cache-Control"]
        assert "Authorization" in r["Vary"] and "Cookie" in r["Vary"]
    assert mine["ETag"] != everything["ETag"]
    # the ETag revalidates for the same user only
    assert head.get(url, HTTP_IF_NONE_MATCH=mine["ETag"]).status_code == 304
    assert admin.get(url, HTTP_IF_NONE_MATCH=mine["ETag"]).status_code == 200


def test_tilejson_names_the_tiles_and_bad_tiles_are_refused(make_user, demo_grids):
    c = login(make_user("gis", is_superuser=True))
    tj = c.get("/tiles/grids.json?level=4").json()
    assert tj["tiles"][0].endswith("/tiles/grids/{z}/{x}/{y}.mvt?level=4")
    assert tj["vector_layers"][0]["id"] == "grids" and "households" in tj["vector_layers"][0]["fields"]
    assert c.get("/tiles/roads/1/0/0.mvt").status_code == 404
    assert c.get("/tiles/grids/3/9/0.mvt").status_code == 400
    assert c.get("/tiles/grids/14/0/0.mvt?level=x").status_code == 400
    for layer in ("grids", "special", "addresses", "incidents"):
        assert c.get(f"/tiles/{layer}/0/0/0.mvt").status_code == 200
