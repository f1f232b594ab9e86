"""Vector tiles: decoded with GDAL's MVT driver; scoped layers never reach another user's cache."""
import pytest
from django.test import Client

from layers.addresses.models import Address
from layers.grids.models import Grid, GridKind
from tests.support import decode_tile as decode, tile_of

GRID_A = "310106013001001"

pytestmark = pytest.mark.django_db


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


def _same(tile_value, figure) -> bool:
    """A tile's value (GDAL reads a column with gaps as float) against coverage_list's."""
    if isinstance(figure, str):
        return tile_value == figure
    return float(tile_value) == float(figure)


def _grid_tile(client, tmp_path, name, level=4, z=12):
    a = Grid.objects.get(code=GRID_A).geometry.point_on_surface
    x, y = tile_of(a.x, a.y, z)
    r = client.get(f"/tiles/grids/{z}/{x}/{y}.mvt?level={level}")
    assert r.status_code == 200
    return r, decode(r.content, tmp_path / name, z, x, y, "grids").set_index("code")


def test_grid_tiles_carry_the_coverage_figures_of_the_users_scope_coarsened_as_coverage_list(figures, tmp_path):
    from layers.subjects.selectors import coverage_list

    for who in ("head", "leader"):
        user = figures[who]
        _r, df = _grid_tile(login(user), tmp_path, who)
        rows = {r["code"]: r for r in coverage_list(user=user, level=4)}
        assert rows, who
        for code, row in rows.items():
            got = df.loc[code]
            for name in ("addresses", "households", "staff", "open_incidents", "overdue_incidents"):
                assert got[name] == row[name], (who, code, name)
            assert _same(got["subjects"], row["subjects"]), (who, code, got["subjects"], row["subjects"])
        # grids outside the scope are drawn, without any figure
        outside = df[~df.index.isin(list(rows))]
        assert len(outside) > 0 and outside["subjects"].isna().all() and outside["staff"].isna().all()
    # the leader (above the grid head's level) reads 3 and 12 subjects coarsened, the head reads 3
    from layers.subjects.selectors import coarse_count

    _r, lead = _grid_tile(login(figures["leader"]), tmp_path, "l2")
    _r, head = _grid_tile(login(figures["head"]), tmp_path, "h2")
    assert lead.loc[GRID_A, "subjects"] == coarse_count(3) != "3" and int(head.loc[GRID_A, "subjects"]) == 3
    assert lead.loc["310106013001002", "subjects"] == coarse_count(12) != "12"
    assert int(head.loc[GRID_A, "open_incidents"]) == 1


def test_coverage_tiles_hold_only_the_users_grids_and_need_the_figures_right(figures, make_user, demo_grids,
                                                                              tmp_path):
    a = Grid.objects.get(code=GRID_A).geometry.point_on_surface
    x, y = tile_of(a.x, a.y, 12)
    r = login(figures["leader"]).get(f"/tiles/coverage/12/{x}/{y}.mvt?level=4")
    df = decode(r.content, tmp_path, 12, x, y, "coverage")
    community = Grid.objects.get(code="310106013001")
    assert set(df["code"]) == set(Grid.objects.filter(level=4, path__startswith=community.path,
                                                      valid_to__isnull=True).values_list("code", flat=True))
    # a user with no role reads no figures: the grid layer without them, the coverage layer not at all
    nobody = login(make_user("tile-nobody"))
    assert nobody.get(f"/tiles/coverage/12/{x}/{y}.mvt?level=4").status_code == 403
    plain = decode(nobody.get(f"/tiles/grids/12/{x}/{y}.mvt?level=4").content, tmp_path / "n", 12, x, y, "grids")
    assert GRID_A in set(plain["code"]) and "staff" not in plain.columns


def test_a_scoped_grid_tile_never_revalidates_for_another_user(figures, make_user, tmp_path):
    head, leader = login(figures["head"]), login(figures["leader"])
    mine, _df = _grid_tile(head, tmp_path, "h")
    theirs, _df = _grid_tile(leader, tmp_path, "l")
    assert mine["ETag"] != theirs["ETag"]
    for r in (mine, theirs):
        assert "private" in r["Cache-Control"] and "Authorization" in r["Vary"] and "Cookie" in r["Vary"]
    a = Grid.objects.get(code=GRID_A).geometry.point_on_surface
    x, y = tile_of(a.x, a.y, 12)
    url = f"/tiles/grids/12/{x}/{y}.mvt?level=4"
    assert head.get(url, HTTP_IF_NONE_MATCH=mine["ETag"]).status_code == 304
    # the leader holding the head's ETag gets the leader's own tile, not a 304 on the head's
    again = leader.get(url, HTTP_IF_NONE_MATCH=mine["ETag"])
    assert again.status_code == 200 and again.content == theirs.content
    # a second head of another grid, same roles: another scope, another ETag
    other = login(make_user("tile-head-b", "grid_head", Grid.objects.get(code="310106013001002")))
    assert other.get(url)["ETag"] != mine["ETag"]
