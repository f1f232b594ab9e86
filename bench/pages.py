"""What the report page costs a phone on a weak signal, against the incidents page in the same run.

    python -m bench.pages [--user head-310106013001001] [--runs 3]

Serves the demo database (`make demo` first) as production does (production settings, collected
hashed and gzip-compressed static files, gzip on pages) with gunicorn on a free local port, logs in as a
demo grid head in Debian's Chromium, then loads each page with the browser cache disabled under
Chromium's CPU 4x slowdown and DevTools' "Slow 3G" profile (2,000 ms latency, 50,000 B/s down,
50,000 B/s up). Prints one JSON line per figure, as bench.run does: transferred bytes on first load
(the sum of every response's encoded length) and the time from navigation start to the end of the
load event (deferred scripts have run by then: the page is interactive), then what comes after the
load event (the report page's map library): all bytes of the visit and the time until the network
is quiet; the median of --runs.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
CPU_SLOWDOWN = 4
PAGES = [("report_page", "/report/"), ("incidents_page", "/incidents/")]


def emit(name, value, unit, reference=None, **extra):
    ratio = round(value / reference, 3) if reference else None
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit,
                      "reference": round(reference, 3) if reference is not None else None,
                      "ratio": ratio, **extra}, ensure_ascii=False), flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(port: int) -> subprocess.Popen:
    # What production serves (`make run`): production settings, hashed and compressed static
    # files from collectstatic, gzip on pages; plain http on this machine (SECURE_COOKIES=0).
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE",
                                                                 "geogrid.settings.production"),
               SECURE_COOKIES="0", GUNICORN_WORKERS="2")
    subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--noinput", "-v", "0"],
                   cwd=ROOT, env=env, check=True)
    proc = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", "geogrid/gunicorn.conf.py", "geogrid.wsgi",
                             "-b", f"127.0.0.1:{port}"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Wait for readiness (the health route answers once the app is warm), not for a fixed time.
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not become ready")


def _measure(browser, base: str, user: str, password: str, path: str) -> tuple[int, float, float]:
    # A first visit has no service worker yet: block it, so every byte crosses the throttled network.
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, service_workers="block",
                              permissions=["geolocation"], geolocation={"latitude": 31.2235, "longitude": 121.4405})
    page = ctx.new_page()
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    sizes: dict[str, int] = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    page.goto(base + path, wait_until="load", timeout=120_000)
    timing = page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
        return [n.domContentLoadedEventEnd, n.loadEventEnd]; }""")
    page.wait_for_timeout(500)  # let the last loadingFinished events arrive
    first = sum(sizes.values())
    # What arrives after the load event too (the report page loads its map library then): the
    # time until the network is quiet and every byte of the visit.
    page.wait_for_load_state("networkidle", timeout=120_000)
    settled = page.evaluate("() => performance.now()") / 1000
    page.wait_for_timeout(500)
    ctx.close()
    return first, timing[0] / 1000, timing[1] / 1000, sum(sizes.values()), settled


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--user", default="head-310106013001001")
    parser.add_argument("--password", default="geogrid-demo")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    port = _free_port()
    server = _serve(port)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--headless", "--no-sandbox", "--disable-gpu",
                                              "--disable-background-networking"])
            results = {}
            for name, path in PAGES:
                runs = [_measure(browser, base, args.user, args.password, path) for _ in range(args.runs)]
                results[name] = tuple(statistics.median(r[i] for r in runs) for i in range(5))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    ref = results["incidents_page"]
    profile = {"network": "slow-3g (2000 ms, 50000 B/s)", "cpu_slowdown": CPU_SLOWDOWN, "runs": args.runs}
    emit("report_page_bytes_first_load", results["report_page"][0] / 1024, "KiB", ref[0] / 1024,
         reference_name="incidents_page", target="< 300 KB", **profile)
    emit("report_page_dom_ready", results["report_page"][1], "s", ref[1], reference_name="incidents_page", **profile)
    emit("report_page_load_interactive", results["report_page"][2], "s", ref[2], reference_name="incidents_page",
         target="< 3 s", **profile)
    emit("report_page_bytes_with_late_assets", results["report_page"][3] / 1024, "KiB", ref[3] / 1024,
         reference_name="incidents_page", **profile)
    emit("report_page_network_quiet", results["report_page"][4], "s", ref[4], reference_name="incidents_page",
         **profile)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
