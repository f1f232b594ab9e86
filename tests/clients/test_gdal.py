"""GDAL's OAPIF driver (Debian gdal-bin, and the GDAL 3.12 inside pyogrio for CRS by reference)
reads every collection of /ogc/ through paging, against a live server."""
import os
import subprocess
import sys

import pyogrio
import pytest
from django.contrib.gis.geos import Point

from layers.addresses.models import Address
from layers.grids.models import Grid, GridKind
from layers.incidents.models import Incident

PAGE = 7
# A busy test machine answers slowly now and then: give GDAL time and a retry, as a client would.
HTTP = {"GDAL_HTTP_TIMEOUT": "120", "GDAL_HTTP_MAX_RETRY": "3", "GDAL_HTTP_RETRY_DELAY": "1"}


def expected_counts() -> dict[str, int]:
    base = Grid.objects.filter(valid_to__isnull=True, kind=GridKind.BASE)
    out = {"grids": base.count(), "special": Grid.objects.filter(valid_to__isnull=True).exclude(kind=GridKind.BASE)
           .count(), "addresses": Address.objects.count(), "incidents": Incident.objects.count(),
           "coverage": base.count()}
    for level in range(1, 6):
        out[f"grids-level-{level}"] = base.filter(level=level).count()
    return out


def ogr(world, *args):
    env = {**os.environ, **HTTP, "GDAL_HTTP_HEADERS": f"Authorization: {world['authorization']}", "OAPIF_PAGE_SIZE": str(PAGE)}
    return subprocess.run(["ogrinfo", "-ro", *args], env=env, capture_output=True, text=True, timeout=300)


def test_ogrinfo_lists_and_pages_through_every_collection(world):
    url = f"OAPIF:{world['url']}/ogc/"
    listing = ogr(world, url)
    assert listing.returncode == 0, listing.stderr
    expected = expected_counts()
    for cid in expected:
        assert f": {cid} (title:" in listing.stdout, (cid, listing.stdout)
    assert expected["grids"] > PAGE and expected["addresses"] > PAGE and expected["coverage"] > PAGE
    for cid, n in expected.items():
        out = ogr(world, "-al", "-oo", f"PAGE_SIZE={PAGE}", url, cid)
        assert out.returncode == 0, (cid, out.stderr)
        assert out.stdout.count("OGRFeature(") == n, cid


def test_without_credentials_gdal_is_refused(world):
    out = subprocess.run(["ogrinfo", "-ro", f"OAPIF:{world['url']}/ogc/"], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "GDAL_HTTP_TIMEOUT": "120"})
    assert out.returncode != 0 and "401" in out.stderr
    bad = subprocess.run(["ogrinfo", "-ro", f"OAPIF:{world['url']}/ogc/"], capture_output=True, text=True, timeout=120,
                         env={**os.environ, **HTTP, "GDAL_HTTP_HEADERS": "Authorization: Bearer not-a-token"})
    assert bad.returncode != 0 and "401" in bad.stderr


@pytest.mark.parametrize("crs", ["EPSG:4490", "EPSG:4326", "OGC:CRS84"])
def test_gdal_reads_each_crs_in_the_right_axis_order(world, crs, tmp_path):
    # In a child process: GDAL holds this process's GIL while it reads, and the live server is a thread here.
    script = ("import sys, pyogrio; df = pyogrio.read_dataframe(sys.argv[1], layer='grids-level-4', CRS=sys.argv[2], "
              "PAGE_SIZE=10, USERPWD=sys.argv[3]); df.to_file(sys.argv[4])")
    out = tmp_path / "read.gpkg"
    r = subprocess.run([sys.executable, "-c", script, f"OAPIF:{world['url']}/ogc/", crs,
                        f"{world['user']}:{world['password']}", str(out)], capture_output=True, text=True, timeout=300,
                       env={**os.environ, **HTTP})
    assert r.returncode == 0, r.stderr
    df = pyogrio.read_dataframe(out)
    assert len(df) == Grid.objects.filter(valid_to__isnull=True, kind=GridKind.BASE, level=4).count()
    by_code = {g.code: g for g in Grid.objects.filter(level=4, valid_to__isnull=True)}
    for code, geom in zip(df["code"], df.geometry):
        p = geom.representative_point()
        # read back as lon/lat inside the grid it names
        assert 121 < p.x < 122 and 31 < p.y < 32
        assert by_code[code].geometry.contains(Point(p.x, p.y, srid=4490)), (crs, code)


def test_ogr2ogr_names_the_table_after_the_collection(world, tmp_path):
    out = tmp_path / "grids.gpkg"
    env = {**os.environ, **HTTP, "GDAL_HTTP_HEADERS": f"Authorization: {world['authorization']}"}
    r = subprocess.run(["ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{world['url']}/ogc/", "grids", "-oo", "PAGE_SIZE=20"],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert [name for name, _ in pyogrio.list_layers(out)] == ["grids"]
    df = pyogrio.read_dataframe(out)
    assert set(df["code"]) == set(Grid.objects.filter(valid_to__isnull=True, kind=GridKind.BASE)
                                  .values_list("code", flat=True))
