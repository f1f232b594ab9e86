"""The locator's prepared polygons are shared by the threads of a gunicorn worker. GEOS builds a
prepared polygon's indexes lazily and shapely releases the GIL inside a predicate, so two threads
asking a fresh index at once crashed the process (segmentation fault, reproduced with this script
before the lock). Run in a child process, so a crash fails this test instead of the test run."""
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = r'''
import threading
import django
import numpy as np
import shapely

django.setup()
from layers.grids.locate import _Index

rng = np.random.default_rng(1)


def ring(cx, n=20000):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = 1 + 0.3 * np.sin(7 * t) + 0.05 * rng.random(n)
    return shapely.Polygon(np.column_stack([cx + r * np.cos(t), 30 + r * np.sin(t)]))


for round_ in range(12):
    # Eight large micro-grids side by side, a fresh index each round (nothing prepared is warm).
    rows = [(i + 1, f"3101060130010{i:02d}", f"g{i}", 4, "base", f"/{i + 1}/", shapely.to_wkb(ring(100 + 3 * i)),
             True, None) for i in range(8)]
    index = _Index(f"t{round_}", rows, {})
    xs, ys = rng.uniform(99, 124, 400), rng.uniform(28.7, 31.3, 400)
    alone = [index.locate_one(x, y) for x, y in zip(xs, ys)]
    index = _Index(f"u{round_}", rows, {})
    gate = threading.Barrier(8)
    answers = {}

    def work(k):
        gate.wait()
        if k % 2:
            answers[k] = [index.locate_one(x, y) for x, y in zip(xs, ys)]
        else:
            answers[k] = index.locate(xs, ys)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(a == alone for a in answers.values()), round_
print("same answers from 8 threads")
'''


def test_lookups_from_many_threads_at_once_neither_crash_nor_differ():
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "geogrid.settings.test")}
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=root, env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, (out.returncode, out.stderr[-3000:])
    assert "same answers from 8 threads" in out.stdout
