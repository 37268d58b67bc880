#!/usr/bin/env python3
"""The parts of bench/run that are easier in Python than in bash: reading
JSON answers, turning PostgreSQL's statement log into a pgbench script,
pgbench's per-transaction latencies, and the final table.

Standard library only.  Each subcommand is called by bench/run:

  login BASE USER PASSWORD                  -> prints an access token
  pick BASE TOKEN                           -> prints PLAN_UUID TASK_UUID TASKS_IN_PLAN
  check KIND FILE                           -> validates an answer, prints a summary
  same XT_NESTED PGL_NESTED                 -> fails unless both nested answers hold the same rows
  capture LOG OFFSET DB OUT                 -> pgbench script of the statements logged
                                               after OFFSET; prints their number
  pgbench-latency PREFIX                    -> prints p50_ms p99_ms of pgbench -l logs
  table RESULTS.tsv META.json OUT.md        -> prints and writes the table
"""

import glob
import json
import re
import statistics
import sys
import urllib.request


def http_json(url, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET")
    req.add_header("accept", "application/json")
    if body is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.load(resp)


def gql(base, token, query, variables=None):
    answer = http_json(base + "/graphql", {"query": query, "variables": variables or {}}, token)
    if answer.get("errors"):
        raise SystemExit("GraphQL errors: " + json.dumps(answer["errors"], ensure_ascii=False)[:2000])
    return answer["data"]


def cmd_login(base, user, password):
    answer = http_json(base + "/api/v1/auth/login", {"username": user, "password": password})
    print(answer["access_token"])


def cmd_pick(base, token):
    """The plan with the most tasks (the nested query's), and in it the first
    task (by seq) with at least two assignments and a target (the single
    task's).  Chosen through the API, so the same rows on both backends."""
    plans = gql(base, token, "{ plans(first: 200) { nodes { uuid title tasks(first: 1) { totalCount } } } }")
    nodes = plans["plans"]["nodes"]
    if not nodes:
        raise SystemExit("no plans: did the demo data load?")
    plan = max(nodes, key=lambda p: (p["tasks"]["totalCount"], p["title"]))
    tasks = gql(
        base,
        token,
        "query($p: ID!) { plan(id: $p) { tasks(first: 200) { nodes { uuid seq assignments { name } targets { uuid } } } } }",
        {"p": plan["uuid"]},
    )["plan"]["tasks"]["nodes"]
    chosen = next((t for t in tasks if len(t["assignments"]) >= 2 and t["targets"]), tasks[0])
    print(plan["uuid"], chosen["uuid"], plan["tasks"]["totalCount"])


def cmd_check(kind, path):
    """Fails unless FILE holds a good answer of KIND; prints what it holds."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        answer = json.loads(raw)
    except ValueError:
        raise SystemExit(f"{kind}: not JSON: {raw[:300]!r}")
    if isinstance(answer, dict) and answer.get("errors"):
        raise SystemExit(f"{kind}: errors: " + json.dumps(answer["errors"], ensure_ascii=False)[:2000])

    def count(node, key):
        """How many objects named KEY (lists counted by items) under NODE."""
        total = 0
        if isinstance(node, dict):
            for k, v in node.items():
                if k == key:
                    total += len(v) if isinstance(v, list) else (1 if v else 0)
                total += count(v, key)
        elif isinstance(node, list):
            for v in node:
                total += count(v, key)
        return total

    summary = {"bytes": len(raw)}
    if kind == "rest-single":
        summary.update(assignments=len(answer.get("assignments", [])), targets=len(answer.get("targets", [])))
    elif kind == "rest-page":
        summary.update(items=len(answer["items"]))
        if len(answer["items"]) != 50:
            raise SystemExit(f"{kind}: {len(answer['items'])} items, not 50")
    elif kind.startswith("gql-"):
        data = answer.get("data")
        if not data or any(v is None for v in data.values()):
            raise SystemExit(f"{kind}: no data: {raw[:300]!r}")
        tasks = (
            count(data, "nodes") + count(data, "tasksByPlanIdList")
            if kind == "gql-nested"
            else 1
        )
        reports = count(data, "reports") + count(data, "reportsByTaskIdList")
        targets = count(data, "targets") + count(data, "targetsByTaskIdList")
        assignments = count(data, "assignments") + count(data, "taskAssignmentsByTaskIdList")
        summary.update(tasks=tasks, assignments=assignments, targets=targets, reports=reports)
    print(" ".join(f"{k}={v}" for k, v in summary.items()))


def cmd_same(xt_path, pgl_path):
    """Fails unless xietong's and PostGraphile's nested answers hold the same
    tasks in the same order, with as many assignments, targets and reports."""
    with open(xt_path) as f:
        xt = json.load(f)["data"]["plan"]["tasks"]["nodes"]
    with open(pgl_path) as f:
        pgl = json.load(f)["data"]["planByRowId"]["tasksByPlanIdList"]
    a = [(t["uuid"], len(t["assignments"]), len(t["targets"]), len(t["reports"])) for t in xt]
    b = [
        (t["rowId"], len(t["taskAssignmentsByTaskIdList"]), len(t["targetsByTaskIdList"]), len(t["reportsByTaskIdList"]))
        for t in pgl
    ]
    if a != b:
        diff = next(i for i, (p, q) in enumerate(zip(a + [None] * len(b), b + [None] * len(a))) if p != q)
        raise SystemExit(f"the nested answers differ from task {diff}: xietong {a[diff:diff + 2]}, PostGraphile {b[diff:diff + 2]}")
    print(f"same {len(a)} tasks, {sum(x[1] for x in a)} assignments, {sum(x[2] for x in a)} targets, {sum(x[3] for x in a)} reports")


# A record of PostgreSQL's log starts with the log_line_prefix, which starts
# with a timestamp (%m or %t) on Debian's default '%m [%p] %q%u@%d '.
RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
PID = re.compile(r"\[(\d+)\]")
STATEMENT = re.compile(r"\bLOG:\s+(?:statement|execute [^:]+):\s(.*)$", re.S)
PARAMETERS = re.compile(r"\bDETAIL:\s+parameters:\s(.*)$", re.S)
PARAMETER = re.compile(r"\$(\d+) = ('(?:[^']|'')*'|NULL)")


def cmd_capture(log_path, offset, db, out_path):
    """The statements the server logged (log_statement = 'all') after byte
    OFFSET, on database DB, with their parameters written in as literals,
    as a pgbench script: one transaction = all of them, in order."""
    with open(log_path, "rb") as f:
        f.seek(int(offset))
        text = f.read().decode("utf-8", "replace")
    records = []
    for line in text.splitlines():
        if RECORD.match(line):
            records.append(line)
        elif records:
            records[-1] += "\n" + line
    tag = f"@{db} "
    if any(tag in r for r in records):
        records = [r for r in records if tag in r]
    statements = []  # [pid, sql]
    last_by_pid = {}
    for r in records:
        pid = (PID.search(r) or [None, None])[1]
        m = STATEMENT.search(r)
        if m:
            statements.append([pid, m.group(1).strip()])
            last_by_pid[pid] = statements[-1]
            continue
        m = PARAMETERS.search(r)
        if m and pid in last_by_pid:
            values = {int(n): v for n, v in PARAMETER.findall(m.group(1))}
            entry = last_by_pid.pop(pid)
            entry[1] = re.sub(r"\$(\d+)\b", lambda x: values.get(int(x.group(1)), x.group(0)), entry[1])
    with open(out_path, "w", encoding="utf-8") as out:
        for _, sql in statements:
            out.write(sql.rstrip().rstrip(";") + ";\n")
    print(len(statements))


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def cmd_pgbench_latency(prefix):
    """p50 and p99 in ms of the transactions pgbench -l logged under PREFIX
    (third field: the transaction's latency in µs)."""
    values = []
    for path in glob.glob(prefix + ".*"):
        with open(path) as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 3 and fields[2].isdigit():
                    values.append(int(fields[2]))
    values.sort()
    print(f"{percentile(values, 50) / 1000:.3f} {percentile(values, 99) / 1000:.3f}")


# What the table shows, in this order: (key, label).
SCENARIOS = [
    ("xt-pg.rest-single", "xietong PG · REST one task"),
    ("xt-pg.rest-page", "xietong PG · REST page of 50"),
    ("xt-pg.gql-single", "xietong PG · GraphQL one task"),
    ("xt-pg.gql-nested", "xietong PG · GraphQL nested"),
    ("xt-sqlite.rest-single", "xietong SQLite · REST one task"),
    ("xt-sqlite.rest-page", "xietong SQLite · REST page of 50"),
    ("xt-sqlite.gql-single", "xietong SQLite · GraphQL one task"),
    ("xt-sqlite.gql-nested", "xietong SQLite · GraphQL nested"),
    ("pgl.gql-single", "PostGraphile · GraphQL one task"),
    ("pgl.gql-nested", "PostGraphile · GraphQL nested"),
    ("sql.single", "SQL alone (pgbench) · one task"),
    ("sql.nested", "SQL alone (pgbench) · nested"),
    ("hello.get", "axum hello-world"),
]


def comparisons(key):
    """(PostGraphile key, SQL-alone key) a scenario is compared with."""
    if not key.startswith("xt-"):
        return None, None
    kind = key.split(".", 1)[1]
    if kind in ("rest-single", "gql-single"):
        return "pgl.gql-single", ("sql.single" if key.startswith("xt-pg.") else None)
    if kind == "gql-nested":
        return "pgl.gql-nested", ("sql.nested" if key.startswith("xt-pg.") else None)
    return None, None


def cmd_table(results_path, meta_path, out_path):
    rows = {}  # (scenario, conns) -> {"rps": [...], ...}
    with open(results_path) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            rnd, scenario, conns, rps, p50, p99, errors, non2xx = line.rstrip("\n").split("\t")
            cell = rows.setdefault((scenario, int(conns)), {"rps": [], "p50": [], "p99": [], "bad": 0})
            cell["rps"].append(float(rps))
            cell["p50"].append(float(p50))
            cell["p99"].append(float(p99))
            cell["bad"] += int(errors) + int(non2xx)
    with open(meta_path) as f:
        meta = json.load(f)

    def med(scenario, conns, what):
        cell = rows.get((scenario, conns))
        return statistics.median(cell[what]) if cell and cell[what] else None

    def ratio(a, b):
        if not (a and b):
            return "—"
        r = a / b
        return f"{r:.2f}×" if r >= 0.1 else f"{r:.2g}×"

    conns_list = sorted({c for _, c in rows})
    lines = []
    lines.append(
        f"Run {meta.get('started', '?')} · {meta.get('rounds', '?')} rounds of {meta.get('duration', '?')} s "
        f"(after {meta.get('warmup', '?')} s warm-up) per scenario and connection count · medians over rounds"
    )
    lines.append("")
    lines.append("| scenario | conns | rps | p50 ms | p99 ms | ÷ PostGraphile | ÷ hello-world | ÷ SQL alone | errors |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key, label in SCENARIOS:
        for conns in conns_list:
            rps = med(key, conns, "rps")
            if rps is None:
                continue
            pgl, sql = comparisons(key)
            xt = key.startswith("xt-")
            lines.append(
                f"| {label} | {conns} | {rps:,.0f} | {med(key, conns, 'p50'):.2f} | {med(key, conns, 'p99'):.2f} | "
                f"{ratio(rps, med(pgl, conns, 'rps')) if pgl else '—'} | "
                f"{ratio(rps, med('hello.get', conns, 'rps')) if xt else '—'} | "
                f"{ratio(rps, med(sql, conns, 'rps')) if sql else '—'} | {rows[(key, conns)]['bad']} |"
            )
    lines.append("")
    for note in meta.get("notes", []):
        lines.append(f"- {note}")
    text = "\n".join(lines) + "\n"
    with open(out_path, "w", encoding="utf-8") as out:
        out.write(text)
    print(text)


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    command, args = argv[1], argv[2:]
    commands = {
        "login": cmd_login,
        "pick": cmd_pick,
        "check": cmd_check,
        "same": cmd_same,
        "capture": cmd_capture,
        "pgbench-latency": cmd_pgbench_latency,
        "table": cmd_table,
    }
    if command not in commands:
        raise SystemExit(__doc__)
    commands[command](*args)


if __name__ == "__main__":
    main(sys.argv)
