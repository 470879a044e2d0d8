"""Benchmark: what the first request of a fresh server process pays, with and without the start-up warm-up
(WARM_UP: templates compiled and process models parsed in create_app).

    python bench/first_load.py [--runs 3]

Seeds the demo province into a temporary SQLite database once, then for each run starts a fresh Python process
per mode and times the first and the second GET of the dashboard, the task list and a task page as the
coordinator. Prints medians; asserts nothing. Run it twice on a shared machine and compare the ratios
(first / second request) inside one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("/dashboard", "/tasks", "/tasks/1")

CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
from app import create_app
start = time.perf_counter()
app = create_app({{"WARM_UP": {warm}, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}})
started = time.perf_counter() - start
client = app.test_client()
client.post("/login", data={{"username": "dieuphoi", "password": "demo1234"}})
out = {{"start": started * 1000}}
for path in {pages!r}:
    for n in ("first", "second"):
        t = time.perf_counter()
        assert client.get(path).status_code == 200, path
        out[f"{{path}} {{n}}"] = (time.perf_counter() - t) * 1000
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/demo.db", "UPLOAD_FOLDER": f"{tmp}/uploads"}
        flask = [sys.executable, "-m", "flask", "--app", "app"]
        for command in ("init-db", "seed-demo"):
            subprocess.run([*flask, command], cwd=ROOT, env=env, check=True, capture_output=True)
        results: dict[bool, list[dict]] = {False: [], True: []}
        for _ in range(args.runs):
            for warm in (False, True):
                code = CHILD.format(root=str(ROOT), warm=warm, pages=PAGES)
                done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                                      capture_output=True, text=True)
                results[warm].append(json.loads(done.stdout.strip().splitlines()[-1]))
    for warm in (False, True):
        rows = results[warm]
        print(f"\n== {'with' if warm else 'without'} warm-up ({args.runs} fresh processes)")
        print(f"create_app                     : median {statistics.median(r['start'] for r in rows):7.0f} ms")
        for path in PAGES:
            first = statistics.median(r[f"{path} first"] for r in rows)
            second = statistics.median(r[f"{path} second"] for r in rows)
            print(f"{path:12s} first {first:6.0f} ms, second {second:5.0f} ms, ratio {first / second:4.1f}x")


if __name__ == "__main__":
    main()
