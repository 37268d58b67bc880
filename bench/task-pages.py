#!/usr/bin/env python3
"""How long a page of a plan's or a unit's tasks takes in GraphQL, when the
list is long and the page short: the nested lists cut the page from the
tasks' places and build the views of that page alone.

  bench/task-pages.py XT [XT_BEFORE] [PORT]

Standard library only.  Loads `xietong demo` into a fresh SQLite file
(涪陵区's breakdown has 148 tasks, 渝中区·巫溪县's 16), serves it with XT on
127.0.0.1:PORT (18300 by default), signs in as demo-admin, and times three
queries 30 times each (after one untimed run), printing the median and the
fastest:

  plans(first: 20) → tasks(first: 5)     most of each list is not shown
  plans(first: 20) → tasks(first: 200)   every task is shown
  units(first: 100) → tasks(first: 5)    a unit's tasks over every plan

With XT_BEFORE (another build, say of the commit before), the same runs
follow on it, on the same data, and the script fails unless both answer
every query with the same JSON.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

QUERIES = {
    "plans → tasks(first: 5)": "{ plans(first: 20) { nodes { title tasks(first: 5) { totalCount nodes { seq content light deadline } } } } }",
    "plans → tasks(first: 200)": "{ plans(first: 20) { nodes { title tasks(first: 200) { totalCount nodes { seq content light deadline } } } } }",
    "units → tasks(first: 5)": "{ units(first: 100) { nodes { name tasks(first: 5) { totalCount nodes { seq content light } } } } }",
}
RUNS = 30


def measure(xt, db, port):
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite://{db}",
        XIETONG_BIND=f"127.0.0.1:{port}",
        XIETONG_JWT_SECRET="task-pages-benchmark-secret-0123456789",
        XIETONG_LOG="warn",
        XIETONG_RATE_LIMIT_PER_TOKEN="0",
        XIETONG_RATE_LIMIT_PER_ADDRESS="0",
        XIETONG_REMINDER_INTERVAL_SECS="86400",
    )
    if not os.path.exists(db):
        subprocess.run(
            [xt, "demo", "--password", "demo-pass-2025"], env=env, cwd=os.path.dirname(db), check=True, capture_output=True
        )
    server = subprocess.Popen([xt], env=env, cwd=os.path.dirname(db))
    base = f"http://127.0.0.1:{port}"

    def post(path, body, token=None):
        request = urllib.request.Request(base + path, json.dumps(body).encode(), {"content-type": "application/json"})
        if token:
            request.add_header("authorization", f"Bearer {token}")
        with urllib.request.urlopen(request) as answer:
            return json.load(answer)

    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/health").close()
                break
            except OSError:
                time.sleep(0.2)
        token = post("/api/v1/auth/login", {"username": "demo-admin", "password": "demo-pass-2025"})["access_token"]
        answers = {}
        for name, query in QUERIES.items():
            answer = post("/graphql", {"query": query}, token)
            if "errors" in answer:
                sys.exit(f"{name}: {answer['errors']}")
            answers[name] = answer
            times = []
            for _ in range(RUNS):
                start = time.perf_counter()
                post("/graphql", {"query": query}, token)
                times.append(time.perf_counter() - start)
            print(
                f"  {name}: median {statistics.median(times) * 1000:.1f} ms, "
                f"fastest {min(times) * 1000:.1f} ms ({len(json.dumps(answer))} bytes)"
            )
        return answers
    finally:
        server.terminate()
        server.wait()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    xt = sys.argv[1]
    before = sys.argv[2] if len(sys.argv) > 2 and not sys.argv[2].isdigit() else None
    port = int(sys.argv[-1]) if sys.argv[-1].isdigit() else 18300
    with tempfile.TemporaryDirectory() as work:
        db = os.path.join(work, "demo.db")
        print(xt)
        after = measure(xt, db, port)
        if before:
            print(before)
            if measure(before, db, port + 1) != after:
                sys.exit("the two builds answer differently")
            print("same answers")


main()
