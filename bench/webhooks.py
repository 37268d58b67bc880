#!/usr/bin/env python3
"""The change feed's and the webhook sender's throughput, and what the
outbox adds to a write (issue #23); run by bench/webhooks, which builds the
binary and installs wrk.

  webhooks.py XT BACKEND DATABASE_URL WORK OUT.md

Standard library only.  On a database the caller made fresh:

1. `xietong demo`, then the service with delivery off.
2. Writes: wrk POSTs chronicle events (`/api/v1/events`, each a change in
   the feed) for BENCH_DURATION s at 1 and at 8 connections, with 0, 1 and
   10 endpoints registered that listen to everything: each registered
   endpoint adds one outbox row to each write, in its transaction.
3. The feed: every change read as the administrator, 500 a page, from
   the start to the end, then as a district coordinator (whose scope
   filters most of them out).
4. The sender: the endpoints go, one endpoint on a receiver on 127.0.0.1
   is registered, BENCH_DELIVERIES events are written with delivery off
   (each a resource of its own), then the service restarts with delivery
   on and the time until the receiver holds all of them, each signature
   checked, gives events per second. Then BENCH_ORDERED updates of one
   event: a resource's deliveries go one at a time, in order.
5. Idle: BENCH_IDLE single writes 0.6–1.6 s apart (at random), each timed
   from the write's answer to its arrival at the receiver.
"""

import http.client
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse

PASSWORD = "bench-webhooks-pass"
PORT = int(os.environ.get("BENCH_PORT", "18095"))
RECEIVER_PORT = PORT + 1
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
DELIVERIES = int(os.environ.get("BENCH_DELIVERIES", "5000"))
ORDERED = int(os.environ.get("BENCH_ORDERED", "500"))
IDLE = int(os.environ.get("BENCH_IDLE", "20"))
HERE = os.path.dirname(os.path.abspath(__file__))


class Api:
    """One kept-alive connection to the service."""

    def __init__(self, token=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        self.token = token

    def call(self, method, path, body=None, headers=None, want=None):
        all_headers = {"accept": "application/json"}
        if body is not None:
            all_headers["content-type"] = "application/json"
        if self.token:
            all_headers["authorization"] = f"Bearer {self.token}"
        all_headers.update(headers or {})
        data = None if body is None else json.dumps(body).encode()
        self.conn.request(method, path, body=data, headers=all_headers)
        answer = self.conn.getresponse()
        raw = answer.read()
        if want is not None and answer.status != want:
            sys.exit(f"{method} {path}: {answer.status} {raw[:300]!r}")
        return answer, (json.loads(raw) if raw else None)


def login(user):
    _, body = Api().call("POST", "/api/v1/auth/login", {"username": user, "password": PASSWORD}, want=200)
    return body["access_token"]


class Service:
    def __init__(self, xt, url, work, delivery):
        env = dict(os.environ)
        env.update(
            DATABASE_URL=url,
            XIETONG_BIND=f"127.0.0.1:{PORT}",
            XIETONG_LOG="warn",
            XIETONG_RATE_LIMIT_PER_TOKEN="0",
            XIETONG_RATE_LIMIT_PER_ADDRESS="0",
            XIETONG_WEBHOOK_DELIVERY="on" if delivery else "off",
            XIETONG_WEBHOOK_ALLOW_PRIVATE="true",
            XIETONG_STORAGE=f"file://{work}/files",
            # One key across restarts: a token outlives the restart.
            XIETONG_JWT_SECRET="bench-webhooks-signing-key-0123456789abcdef",
        )
        self.log = open(os.path.join(work, "serve.log"), "ab")
        self.started = time.time()
        self.proc = subprocess.Popen([xt, "serve"], env=env, stdout=self.log, stderr=self.log)
        for _ in range(300):
            try:
                c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        sys.exit("the service did not become ready; see serve.log")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def wrk(token, path, body, connections, work):
    body_file = os.path.join(work, "body.json")
    with open(body_file, "w") as f:
        json.dump(body, f)
    env = dict(os.environ, BENCH_METHOD="POST", BENCH_BODY_FILE=body_file, BENCH_TOKEN=token)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{DURATION}s", "--timeout", "30s",
         "-s", os.path.join(HERE, "wrk.lua"), f"http://127.0.0.1:{PORT}{path}"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    line = next(l for l in out.splitlines() if l.startswith("BENCH "))
    figures = dict(kv.split("=") for kv in line.split()[1:])
    if int(figures["errors"]) or int(figures["non2xx"]):
        sys.exit(f"wrk saw failures: {line}")
    return {k: float(v) for k, v in figures.items()}


def count_deliveries(url, status):
    sql = f"SELECT count(*) FROM webhook_deliveries WHERE status = '{status}'"
    if url.startswith("sqlite://"):
        path = urllib.parse.urlparse(url).path
        with sqlite3.connect(path) as db:
            return db.execute(sql).fetchone()[0]
    return int(subprocess.run(["psql", "-X", "-At", url, "-c", sql], capture_output=True, text=True, check=True).stdout)


def receiver_stats():
    c = http.client.HTTPConnection("127.0.0.1", RECEIVER_PORT, timeout=10)
    c.request("GET", "/stats")
    return json.loads(c.getresponse().read())


def receiver_reset():
    c = http.client.HTTPConnection("127.0.0.1", RECEIVER_PORT, timeout=10)
    c.request("DELETE", "/stats")
    c.getresponse().read()


def wait_received(count, limit_s=600):
    deadline = time.time() + limit_s
    while True:
        stats = receiver_stats()
        if stats["count"] >= count:
            return stats
        if time.time() > deadline:
            sys.exit(f"the receiver holds {stats['count']} of {count} after {limit_s} s")
        time.sleep(0.05)


def register(admin, url, events=("*",)):
    _, made = admin.call("POST", "/api/v1/webhooks", {"url": url, "events": list(events)}, want=201)
    return made


def main(xt, backend, url, work, out_path):
    subprocess.run([xt, "demo", "--password", PASSWORD], env=dict(os.environ, DATABASE_URL=url, XIETONG_LOG="warn"),
                   check=True, stdout=subprocess.DEVNULL)
    rows = []
    service = Service(xt, url, work, delivery=False)
    token = login("demo-admin")
    admin = Api(token)
    _, pairings = admin.call("GET", "/api/v1/pairings?limit=1", want=200)
    pairing = pairings["items"][0]["id"]
    event = {"pairing_id": pairing, "occurred_on": "2025-06-18", "title": "渝中区向巫溪县购买森林面积指标"}

    # 2. Writes with 0, 1 and 10 endpoints.
    sink = f"http://127.0.0.1:{RECEIVER_PORT}/hook"
    endpoints = []
    writes = {}
    for n in (0, 1, 10):
        while len(endpoints) < n:
            endpoints.append(register(admin, sink))
        for conns in (1, 8):
            writes[(n, conns)] = wrk(token, "/api/v1/events", event, conns, work)
    base = writes[(0, 1)]["p50_ms"]
    write_rows = []
    for n in (0, 1, 10):
        one, eight = writes[(n, 1)], writes[(n, 8)]
        extra = "" if n == 0 else f"{one['p50_ms'] - base:+.3f} ms ({(one['p50_ms'] - base) / n:+.3f} ms an endpoint)"
        write_rows.append((str(n), f"{one['rps']:.0f}", f"{one['p50_ms']:.2f} ms", f"{eight['rps']:.0f}",
                           f"{eight['p50_ms']:.2f} ms", extra))

    # 3. The feed, whole, as the administrator and as a coordinator.
    for user in ("demo-admin", "demo-coordinator"):
        reader = Api(login(user))
        after, read, pages = None, 0, 0
        started = time.perf_counter()
        while True:
            path = "/api/v1/changes?limit=500" + (f"&after={after}" if after else "")
            _, page = reader.call("GET", path, want=200)
            pages += 1
            read += len(page["items"])
            after = page["next_cursor"]
            if not page["items"]:
                break
        seconds = time.perf_counter() - started
        rows.append((f"feed read to the end as {user}, 500 a page",
                     f"{read:,} changes in {pages} pages, {seconds:.2f} s", f"{read / seconds:,.0f} changes/s", ""))
    for made in endpoints:
        admin.call("DELETE", f"/api/v1/webhooks/{made['id']}", headers={"if-match": '"1"'}, want=204)

    # 4. The sender: DELIVERIES resources, then ORDERED updates of one.
    hook = register(admin, f"http://127.0.0.1:{RECEIVER_PORT}/hook", events=("event.created", "event.updated"))
    receiver = subprocess.Popen(["node", os.path.join(HERE, "webhook-receiver.mjs"), str(RECEIVER_PORT), hook["secret"]])
    try:
        for _ in range(100):
            try:
                receiver_stats()
                break
            except OSError:
                time.sleep(0.05)
        for _ in range(DELIVERIES):
            admin.call("POST", "/api/v1/events", event, want=201)
        _, one = admin.call("POST", "/api/v1/events", event, want=201)
        version = one["version"]
        for i in range(ORDERED):
            changed = dict(event, title=f"{event['title']}（{i + 1}）")
            _, one = admin.call("PUT", f"/api/v1/events/{one['id']}", changed, headers={"if-match": f'"{version}"'}, want=200)
            version = one["version"]
        pending = count_deliveries(url, "pending")
        expected = DELIVERIES + 1 + ORDERED
        if pending != expected:
            sys.exit(f"{pending} deliveries pending, {expected} expected")
        service.stop()

        service = Service(xt, url, work, delivery=True)
        admin = Api(token)
        stats = wait_received(expected)
        while count_deliveries(url, "pending"):
            time.sleep(0.05)
        recorded = time.time()
        if stats["verified"] != stats["count"]:
            sys.exit(f"{stats['count'] - stats['verified']} signatures did not verify")
        times = stats["seen"][one["id"]]
        if len(times) != ORDERED + 1:
            sys.exit(f"the updated event arrived {len(times)} times, {ORDERED + 1} expected")
        if times != sorted(times):
            sys.exit("the updated event's messages arrived out of order")
        others = [t[0] for k, t in stats["seen"].items() if k != one["id"]]
        spread = (max(others) - min(others)) / 1000
        total = (stats["last_ms"] - stats["first_ms"]) / 1000
        ordered_spread = (times[-1] - times[0]) / 1000
        rows.append((f"sender, {DELIVERIES:,} events of as many resources (+ {ORDERED + 1} of one), one endpoint",
                     f"all {expected:,} received in {total:.2f} s, every signature checked; {DELIVERIES:,} resources' in {spread:.2f} s",
                     f"{DELIVERIES / spread:,.0f} events/s",
                     f"all recorded delivered {recorded - service.started:.1f} s after the start"))
        rows.append((f"sender, {ORDERED + 1} events of one resource, in order",
                     f"{ordered_spread:.2f} s from the first to the last", f"{ORDERED / ordered_spread:,.0f} events/s", "one at a time"))

        # 5. Idle: a write's way to the receiver.
        receiver_reset()
        latencies = []
        rng = random.Random(23)
        for _ in range(IDLE):
            # A random pause, so that writes fall anywhere in the sender's
            # 500 ms look (a pause of whole seconds locks onto its phase).
            time.sleep(rng.uniform(0.6, 1.6))
            _, made = admin.call("POST", "/api/v1/events", event, want=201)
            answered = time.time() * 1000
            deadline = time.time() + 10
            while made["id"] not in receiver_stats()["seen"]:
                if time.time() > deadline:
                    sys.exit("an idle write did not arrive within 10 s")
                time.sleep(0.005)
            latencies.append(receiver_stats()["seen"][made["id"]][0] - answered)
        latencies.sort()
        rows.append((f"idle: {IDLE} writes 0.6–1.6 s apart, answer → received",
                     f"median {statistics.median(latencies):.0f} ms, max {latencies[-1]:.0f} ms", "", "the sender looks every 500 ms when idle"))
    finally:
        receiver.terminate()
        service.stop()

    lines = [f"### {backend}", "",
             "Writes (`POST /api/v1/events`) with endpoints registered that listen to everything (delivery off):", "",
             "| endpoints | writes/s, 1 connection | p50 | writes/s, 8 connections | p50 | the outbox's extra p50 at 1 connection |",
             "|---:|---:|---:|---:|---:|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in write_rows]
    lines += ["", "| measure | figures | rate | note |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    with open(out_path, "a") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:6])
