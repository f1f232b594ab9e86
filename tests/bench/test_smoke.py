"""The benchmark's smallest size runs end to end (its own database) and prints every figure,
and the figures agree with an independent answer. How fast is the benchmark's to report, not a
test's: nothing here depends on the machine's speed (the server is polled for readiness)."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_bench_small_prints_every_figure_with_agreement():
    env = {**os.environ, "GEOGRID_BENCH_DB": f"geogrid_bench_smoke_{os.environ.get('TEST_DB_SUFFIX', 'x')}"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run([sys.executable, "-m", "bench.run", "--size", "small", "--seconds", "1"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = {d["name"]: d for d in (json.loads(x) for x in out.stdout.splitlines() if x.startswith("{"))}
    for name in ("assign_bulk", "locate_http_single", "locate_http_batch", "ogc_items_1000_grids", "tile_z14_grids",
                 "tile_city_grids", "assign_bulk_dask", "assign_bulk_dask_1_worker", "assign_bulk_analyst",
                 "hotspots_gi_star_dask"):
        line = lines[name]
        assert set(line) >= {"name", "value", "unit", "reference", "ratio"}
        assert math.isfinite(line["value"]) and line["value"] >= 0, line
        assert math.isfinite(line["reference"]) and line["reference"] >= 0, line
        if line["reference"]:
            # value and reference are printed rounded to 3 decimals: compare within that rounding.
            assert line["ratio"] == pytest.approx(line["value"] / line["reference"], rel=0.005, abs=0.01), line
    assert lines["assign_bulk_mismatches"]["value"] == 0
    assert lines["assign_bulk"]["mismatches"] == 0 and lines["assign_bulk"]["points"] == 20_000
    # Answers over HTTP, counted: every point of the batch checked against PostGIS.
    assert lines["locate_http_mismatches"]["checked"] == 2000
    assert lines["locate_http_mismatches"]["value"] == 0
    # The Dask figures carry their references and agree with sjoin on every point.
    dask = lines["assign_bulk_dask"]
    assert dask["workers"] == 2 and dask["analyst_reference"] > 0 and dask["one_worker"] > 0
    assert dask["mismatches"] == 0 and dask["points"] == 20_000 and dask["rows_written"] == dask["changed"] > 0
    assert lines["assign_bulk_dask_mismatches"]["value"] == 0 and lines["assign_bulk_analyst"]["mismatches"] == 0
    assert lines["hotspots_gi_star_dask"]["max_abs_dz"] < 1e-9
