#!/usr/bin/env python3
"""The cluster tests' load client and its checker (python3 standard library only).

  load.py setup --url URL --admin-token T --state FILE [--records N]
      As hub_admin: a provider and a consumer agency (the demo's 市场监管 and 税务, made when
      missing), a provider system, a consumer officer and a consumer system (new principals and
      tokens), a new unconditional resource {k, v} of the provider, published, the consumer's
      application (approved at once: a grant of `read`), and N records pushed. Writes the tokens,
      the resource code and the seeded keys to FILE (JSON).

  load.py run --url URL --state FILE --log FILE --tag TAG [--duration S] [--threads N]
              [--rate R] [--push-share P] [--retry-for S]
      A steady load through URL (the load balancer) until S seconds passed (0: until SIGTERM or
      SIGINT): N threads, R logical requests per second in all, a share P of them pushes (the
      provider system's PUT of a new record) and the rest data requests (the consumer system's
      GET of a record: a seeded one, or one whose push was acknowledged). Every attempt has its
      own X-Request-Id (TAG-...); an attempt answered 503, 502 or 504, or whose connection failed,
      is retried after a short backoff (50 ms doubling up to 1 s) with a NEW request id, for at
      most --retry-for seconds (default 60); any other answer is final. Each attempt is one
      JSON line in the log (written as it ends):
        {"op","kind","rid","attempt","t0","t1","status","by","error","key","value","final"}
      status is null when no answer came (error says why); by is "hub" when the answer is the
      hub's (a 2xx, or application/problem+json), "lb" otherwise (the load balancer's page).
      On stopping, logical requests in progress finish their retries; then a summary is printed.

  load.py probe --state FILE --log FILE --tag TAG --since EPOCH [--start-at EPOCH] --timeout S URL...
      Reads one record through each URL (a node, directly) every 100 ms until each has answered
      2xx once, or S seconds passed; prints one JSON line {"url":{"first_2xx": epoch|null,
      "after_since": seconds|null}, ...}. Its attempts are logged like run's, for the checker.

  load.py check --state FILE --ledger FILE --records FILE [--allow OUTCOME[:MAX]]... LOG...
      The checker. --ledger: `request_id|status` lines of ledger_entries for the logs' request
      ids; --records: `key|v` lines of the resource's live records. Fails (exit 1) when
        - an acknowledged (2xx) data request has no ledger entry, or one whose status is not 2xx;
        - a request answered by the hub with a non-2xx status has an entry with a 2xx status, or
          an entry whose status differs from the answer;
        - a request id has more than one entry;
        - an acknowledged push's record is absent or holds another value;
        - a logical request ended without a 2xx (after its retries);
        - an attempt had an outcome not allowed: by default 503 and conn (a failed connection)
          are allowed on retried attempts, anything else is not; --allow 502:8 allows up to 8
          attempts answered 502 (e.g. the in-flight requests of a killed node);
        - with --no-unanswered-entries (no hub node was killed): a request whose client got no
          answer (a lost connection) has an entry with a 2xx status: a share the ledger claims
          and the consumer never received.
      Prints what it counted (requests, acknowledged, retries, outcomes, latencies, the longest
      time without an acknowledgment: the outage the clients saw) as JSON.
"""

import argparse
import collections
import datetime
import http.client
import json
import os
import random
import signal
import ssl
import sys
import threading
import time
import urllib.parse

PROVIDER = ("114401009P0Y2GG12L", "广州市市场监督管理局")
CONSUMER = ("11440100XYDWCM5T1B", "国家税务总局广州市税务局")
PURPOSE = "cluster-test-load"
RETRIED = (502, 503, 504)


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False  # loopback only: the test's own nodes behind its own balancer
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Client:
    """One keep-alive HTTPS connection to a base URL; reconnects after any failure."""

    def __init__(self, url, timeout=30.0):
        u = urllib.parse.urlsplit(url)
        if u.scheme != "https":
            raise SystemExit(f"load.py: {url}: an https:// URL is needed")
        self.host, self.port = u.hostname, u.port or 443
        self.timeout = timeout
        self.ctx = tls_context()
        self.conn = None

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
            self.conn = None

    def request(self, method, path, body=None, headers=None):
        """(status, content_type, body bytes); raises OSError/HTTPException on a broken exchange."""
        if self.conn is None:
            self.conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                                    context=self.ctx)
        h = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            h["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=h)
            r = self.conn.getresponse()
            payload = r.read()
            ctype = r.getheader("Content-Type", "")
            if r.getheader("Connection", "").lower() == "close":
                self.close()
            return r.status, ctype, payload
        except BaseException:
            self.close()
            raise


def api(client, token, method, path, body=None, ok=(200, 201, 204)):
    status, _, payload = client.request(method, path, body,
                                        {"Authorization": f"Bearer {token}"})
    if status not in ok:
        raise SystemExit(f"load.py: {method} {path} answered {status}: {payload[:300]!r}")
    return json.loads(payload) if payload else None


# ----------------------------------------------------------------------------------------------
# setup

def setup(args):
    c = Client(args.url)
    admin = args.admin_token
    suffix = f"{int(time.time())}{random.randrange(1000, 9999)}"
    for code, name in (PROVIDER, CONSUMER):
        api(c, admin, "POST", "/api/v1/agencies", {"code": code, "name": name, "level": "city"},
            ok=(201, 409))

    def principal(agency, name, role, kind):
        p = api(c, admin, "POST", "/api/v1/principals",
                {"agency_code": agency, "name": f"{name}-{suffix}", "kind": kind,
                 "roles": [role]})
        return api(c, admin, "POST", f"/api/v1/principals/{p['id']}/tokens", {})["token"]

    provider = principal(PROVIDER[0], "load-provider", "agency_system", "system")
    officer = principal(CONSUMER[0], "load-officer", "agency_data_officer", "user")
    consumer = principal(CONSUMER[0], "load-consumer", "agency_system", "system")
    resource = api(c, admin, "POST", "/api/v1/resources", {
        "name": f"集群测试记录 {suffix}", "summary": "the cluster tests' load",
        "provider_code": PROVIDER[0], "category": "basic", "format": "数据库", "key": "k",
        "items": [{"name": "k", "title": "键", "type": "string", "required": True,
                   "sensitivity": "public"},
                  {"name": "v", "title": "值", "type": "string", "required": True,
                   "sensitivity": "public"}],
        "share_type": "unconditional", "share_methods": ["api"], "update_cycle": "realtime"})
    code = resource["code"]
    api(c, admin, "POST", f"/api/v1/resources/{code}/publish")
    until = (datetime.date.today() + datetime.timedelta(days=365)).isoformat()
    app = api(c, officer, "POST", "/api/v1/applications",
              {"resource_code": code, "items": ["k", "v"], "operations": ["read"],
               "purpose": "集群测试", "valid_until": until})
    if app.get("status") != "approved":
        raise SystemExit(f"load.py: the application was not approved at once: {app}")
    seeded = []
    for i in range(args.records):
        key = f"seed-{i:04d}"
        api(c, provider, "PUT", f"/api/v1/resources/{code}/records/{key}",
            {"v": f"seed-{i}"}, ok=(200, 201))
        seeded.append(key)
    # The grant must serve before the load starts (a node's catalog may lag: wait for one read).
    deadline = time.time() + 30
    while True:
        status, _, payload = c.request("GET", f"/api/v1/resources/{code}/records/{seeded[0]}",
                                       headers={"Authorization": f"Bearer {consumer}",
                                                "X-Purpose": PURPOSE,
                                                "X-Request-Id": f"setup-{suffix}"})
        if status == 200:
            break
        if time.time() > deadline:
            raise SystemExit(f"load.py: the consumer's read answers {status}: {payload[:300]!r}")
        time.sleep(0.2)
    state = {"resource": code, "provider_token": provider, "consumer_token": consumer,
             "officer_token": officer, "seeded": seeded, "grant_id": app.get("grant_id")}
    with open(args.state, "w", encoding="utf-8") as f:
        json.dump(state, f)
    print(f"load.py: resource {code}, {len(seeded)} records, grant {app.get('grant_id')}")


# ----------------------------------------------------------------------------------------------
# run and probe: attempts, retries, the log

class Log:
    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8")
        self.lock = threading.Lock()

    def write(self, rec):
        line = json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self.lock:
            self.f.write(line)
            self.f.flush()

    def close(self):
        self.f.close()


def attempt(client, method, path, body, token, rid):
    """One attempt: (status|None, by, error)."""
    headers = {"Authorization": f"Bearer {token}", "X-Request-Id": rid}
    if method == "GET":
        headers["X-Purpose"] = PURPOSE
    try:
        status, ctype, payload = client.request(method, path, body, headers)
    except (OSError, http.client.HTTPException) as e:
        return None, None, f"{type(e).__name__}: {e}"[:200]
    by = "hub" if (200 <= status < 300 or ctype.startswith("application/problem+json")) else "lb"
    err = None
    if status >= 300:
        err = payload[:200].decode("utf-8", "replace")
    return status, by, err


def logical(client, log, op, kind, method, path, body, token, tag, key, value, retry_for,
            stopping=None):
    """One logical request with its retries; returns the final status (None: none came)."""
    start = time.time()
    n = 0
    backoff = 0.05
    while True:
        n += 1
        rid = f"{tag}-{op}-{n}"
        t0 = time.time()
        status, by, err = attempt(client, method, path, body, token, rid)
        t1 = time.time()
        retry = (status is None or status in RETRIED) and t1 - start < retry_for
        log.write({"op": op, "kind": kind, "rid": rid, "attempt": n, "t0": round(t0, 4),
                   "t1": round(t1, 4), "status": status, "by": by, "error": err, "key": key,
                   "value": value, "final": not retry})
        if not retry:
            return status
        time.sleep(backoff * (0.5 + random.random()))
        backoff = min(backoff * 2, 1.0)


class Load:
    def __init__(self, args, state):
        self.args = args
        self.state = state
        self.code = state["resource"]
        self.stop = threading.Event()
        self.log = Log(args.log)
        self.acked_keys = []  # keys of acknowledged pushes, for reads to find
        self.keys_lock = threading.Lock()
        self.counts = collections.Counter()
        self.counts_lock = threading.Lock()

    def worker(self, i):
        a = self.args
        client = Client(a.url, timeout=a.timeout)
        rng = random.Random(f"{a.tag}-{i}")
        interval = a.threads / a.rate if a.rate > 0 else 0.0
        nxt = time.time() + rng.random() * interval
        seq = 0
        while not self.stop.is_set():
            now = time.time()
            if nxt > now:
                if self.stop.wait(nxt - now):
                    break
            nxt = max(nxt + interval, time.time() - interval)  # no burst to catch up
            seq += 1
            op = f"{i}.{seq}"
            if rng.random() < a.push_share:
                key = f"{a.tag}-{op}"
                value = f"{a.tag}-{op}-v"
                st = logical(client, self.log, op, "push", "PUT",
                             f"/api/v1/resources/{self.code}/records/{urllib.parse.quote(key)}",
                             {"v": value}, self.state["provider_token"], a.tag, key, value,
                             a.retry_for)
                if st is not None and 200 <= st < 300:
                    with self.keys_lock:
                        self.acked_keys.append(key)
            else:
                with self.keys_lock:
                    pool = self.acked_keys[-200:] if self.acked_keys and rng.random() < 0.5 \
                        else None
                key = rng.choice(pool) if pool else rng.choice(self.state["seeded"])
                st = logical(client, self.log, op, "read", "GET",
                             f"/api/v1/resources/{self.code}/records/{urllib.parse.quote(key)}",
                             None, self.state["consumer_token"], a.tag, key, None, a.retry_for)
            with self.counts_lock:
                self.counts["ops"] += 1
                self.counts["ok" if st is not None and 200 <= st < 300 else "failed"] += 1
        client.close()

    def run(self):
        threads = [threading.Thread(target=self.worker, args=(i,), daemon=True)
                   for i in range(self.args.threads)]
        for t in threads:
            t.start()
        end = time.time() + self.args.duration if self.args.duration > 0 else None
        while not self.stop.is_set():
            if end is not None and time.time() >= end:
                self.stop.set()
                break
            self.stop.wait(0.2 if end is None else min(0.2, max(0.0, end - time.time())))
        for t in threads:
            t.join()
        self.log.close()
        print(f"load.py run {self.args.tag}: {self.counts['ops']} requests, {self.counts['ok']} "
              f"acknowledged, {self.counts['failed']} failed after retries", flush=True)


def run(args):
    with open(args.state, encoding="utf-8") as f:
        state = json.load(f)
    load = Load(args, state)

    def on_signal(_signum, _frame):
        load.stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    load.run()


def probe(args):
    with open(args.state, encoding="utf-8") as f:
        state = json.load(f)
    log = Log(args.log)
    code, key = state["resource"], state["seeded"][0]
    out = {}
    lock = threading.Lock()

    def one(idx, url):
        client = Client(url, timeout=2.0)
        # Started ahead of the event it measures (--start-at): the process's own start on a
        # loaded machine (seconds, at times) is then not counted against the hub.
        if args.start_at is not None:
            time.sleep(max(0.0, args.start_at - time.time()))
        deadline = time.time() + args.timeout
        n = 0
        first = None
        while time.time() < deadline:
            n += 1
            rid = f"{args.tag}-n{idx}-{n}"
            t0 = time.time()
            status, by, err = attempt(client, "GET", f"/api/v1/resources/{code}/records/{key}",
                                      None, state["consumer_token"], rid)
            t1 = time.time()
            ok = status is not None and 200 <= status < 300
            log.write({"op": f"n{idx}.{n}", "kind": "probe", "rid": rid, "attempt": 1,
                       "t0": round(t0, 4), "t1": round(t1, 4), "status": status, "by": by,
                       "error": err, "key": key, "value": None, "final": True})
            if ok:
                first = t1
                break
            time.sleep(max(0.0, 0.1 - (time.time() - t0)))
        client.close()
        with lock:
            out[url] = {"first_2xx": round(first, 3) if first else None,
                        "after_since": round(first - args.since, 3) if first else None,
                        "attempts": n}

    threads = [threading.Thread(target=one, args=(i + 1, u)) for i, u in enumerate(args.urls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    print(json.dumps(out, sort_keys=True))
    return 0 if all(v["first_2xx"] for v in out.values()) else 1


# ----------------------------------------------------------------------------------------------
# check

def read_pairs(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                a, _, b = line.partition("|")
                rows.append((a, b))
    return rows


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return round(v[min(len(v) - 1, int(p / 100.0 * len(v)))], 4)


def check(args):
    with open(args.state, encoding="utf-8") as f:
        state = json.load(f)
    attempts = []
    for path in args.logs:
        with open(path, encoding="utf-8") as f:
            attempts.extend(json.loads(line) for line in f if line.strip())
    ledger = collections.defaultdict(list)
    for rid, status in read_pairs(args.ledger):
        ledger[rid].append(int(status))
    records = dict(read_pairs(args.records))
    allow = {"503": None, "conn": None}  # outcome -> max attempts (None: any number)
    for a in args.allow or []:
        name, _, mx = a.partition(":")
        allow[name] = int(mx) if mx else None

    problems = []  # every problem found (the first 200 are printed)

    def problem(msg):
        problems.append(msg)

    outcomes = collections.Counter()  # the load's non-2xx attempts (probes apart: they
    probe_outcomes = collections.Counter()  # knock on nodes that are down on purpose)
    ops = {}
    latencies = collections.defaultdict(list)
    in_flight_recorded = []
    # A probe's client waits 2 s, less than a request may take while the database fails over;
    # an attempt it abandoned (its own timeout, not a broken connection) and the hub answered
    # later has its entry, rightly: the answer left, to a client no longer listening.
    abandoned_recorded = []
    data_kinds = ("read", "probe")
    for a in attempts:
        ops.setdefault((a["kind"], a["op"]), []).append(a)
        st = a["status"]
        outcome = "conn" if st is None else str(st)
        is_ok = st is not None and 200 <= st < 300
        if not is_ok:
            (probe_outcomes if a["kind"] == "probe" else outcomes)[outcome] += 1
        else:
            latencies[a["kind"]].append(a["t1"] - a["t0"])
        if a["kind"] not in data_kinds:
            continue
        entries = ledger.get(a["rid"], [])
        if len(entries) > 1:
            problem(f"request {a['rid']} has {len(entries)} ledger entries: {entries}")
        if is_ok:
            if not entries:
                problem(f"acknowledged {a['kind']} {a['rid']} ({st}, at {a['t1']:.3f}) has no "
                        f"ledger entry")
            elif not any(200 <= e < 300 for e in entries):
                problem(f"acknowledged {a['kind']} {a['rid']} ({st}) has ledger status {entries}")
        elif a["by"] == "hub":
            if any(200 <= e < 300 for e in entries):
                problem(f"{a['kind']} {a['rid']} was answered {st} by the hub (at {a['t1']:.3f}) "
                        f"but its ledger entry says {entries}")
            elif entries and any(e != st for e in entries):
                problem(f"{a['kind']} {a['rid']} was answered {st} but its ledger entry says "
                        f"{entries}")
        elif any(200 <= e < 300 for e in entries) and a["kind"] == "probe" and \
                (a["error"] or "").startswith("TimeoutError"):
            abandoned_recorded.append(f"{a['rid']} ({a['error']})")
        elif any(200 <= e < 300 for e in entries):
            # No answer from the hub (a broken connection, or the balancer's own page): the
            # request was in flight when its node went; recorded, never received.
            in_flight_recorded.append(f"{a['rid']} ({outcome}: {a['error']})")

    for outcome, n in sorted(outcomes.items()):
        if outcome not in allow:
            problem(f"{n} attempt(s) answered {outcome}, not allowed here: "
                    + "; ".join(f"{a['rid']} at {a['t1']:.3f}: {a['error']}" for a in attempts
                                if a["kind"] != "probe" and
                                ("conn" if a["status"] is None else str(a["status"])) == outcome)
                    [:600])
        elif allow[outcome] is not None and n > allow[outcome]:
            problem(f"{n} attempt(s) answered {outcome}, at most {allow[outcome]} allowed here")

    counts = collections.Counter()
    retried_ops = 0
    max_attempts = 0
    for (kind, op), tries in ops.items():
        tries.sort(key=lambda a: a["attempt"])
        last = tries[-1]
        ok = last["status"] is not None and 200 <= last["status"] < 300
        if kind != "probe":
            counts[f"{kind}s"] += 1
            counts[f"{kind}s_acknowledged"] += ok
            if len(tries) > 1:
                retried_ops += 1
            max_attempts = max(max_attempts, len(tries))
            if not ok:
                problem(f"{kind} {op} failed after {len(tries)} attempt(s): last "
                        f"{last['status'] or 'no answer'} at {last['t1']:.3f}: {last['error']}")
        if kind == "push" and ok:
            got = records.get(last["key"])
            if got is None:
                problem(f"acknowledged push {last['rid']} (key {last['key']}, at "
                        f"{last['t1']:.3f}) is not in the records")
            elif got != last["value"]:
                problem(f"acknowledged push {last['rid']}: key {last['key']} holds {got!r}, "
                        f"not {last['value']!r}")

    # The longest time the load's clients went without an acknowledgment (the outage they saw).
    acks = sorted(a["t1"] for a in attempts if a["kind"] != "probe" and a["status"] is not None
                  and 200 <= a["status"] < 300)
    gap, gap_from = 0.0, None
    for x, y in zip(acks, acks[1:]):
        if y - x > gap:
            gap, gap_from = y - x, x
    if in_flight_recorded and args.no_unanswered_entries:
        problem(f"{len(in_flight_recorded)} request(s) have a 2xx ledger entry but their client "
                f"got no answer from the hub (a lost connection), though no hub node died: "
                f"{', '.join(in_flight_recorded[:20])}")
    nproblems = len(problems)
    summary = {
        "requests": counts["reads"] + counts["pushs"],
        "reads": counts["reads"], "reads_acknowledged": counts["reads_acknowledged"],
        "pushes": counts["pushs"], "pushes_acknowledged": counts["pushs_acknowledged"],
        "probes": sum(1 for a in attempts if a["kind"] == "probe"),
        "attempts": len(attempts),
        "retried_requests": retried_ops, "max_attempts": max_attempts,
        "non_2xx_attempts": dict(outcomes),
        "probe_non_2xx": dict(probe_outcomes),
        "in_flight_recorded": len(in_flight_recorded),
        "probes_abandoned_recorded": len(abandoned_recorded),
        "longest_without_ack_s": round(gap, 3),
        "longest_without_ack_from": round(gap_from, 3) if gap_from else None,
        "ledger_entries_found": sum(len(v) for v in ledger.values()),
        "latency_s": {k: {"p50": pct(v, 50), "p99": pct(v, 99), "max": pct(v, 100)}
                      for k, v in sorted(latencies.items())},
        "problems": nproblems,
    }
    if args.summary:
        with open(args.summary, "w", encoding="utf-8") as f:
            json.dump(summary, f)
    print("check: " + json.dumps(summary, sort_keys=True))
    if in_flight_recorded and not args.no_unanswered_entries:
        print(f"check: recorded but never answered by the hub (in flight when its node or "
              f"connection went): {', '.join(in_flight_recorded[:20])}")
    if abandoned_recorded:
        print(f"check: probes the client abandoned after its own timeout, answered 2xx later: "
              f"{', '.join(abandoned_recorded[:20])}")
    if nproblems:
        for p in problems[:200]:
            print(f"check: PROBLEM {p}")
        if nproblems > 200:
            print(f"check: ... and {nproblems - 200} more problems")
        return 1
    if summary["requests"] == 0:
        print("check: PROBLEM no request in the logs")
        return 1
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--url", required=True)
    s.add_argument("--admin-token", required=True)
    s.add_argument("--state", required=True)
    s.add_argument("--records", type=int, default=50)
    r = sub.add_parser("run")
    r.add_argument("--url", required=True)
    r.add_argument("--state", required=True)
    r.add_argument("--log", required=True)
    r.add_argument("--tag", required=True)
    r.add_argument("--duration", type=float, default=0)
    r.add_argument("--threads", type=int, default=6)
    r.add_argument("--rate", type=float, default=60)
    r.add_argument("--push-share", type=float, default=0.3)
    r.add_argument("--retry-for", type=float, default=60)
    r.add_argument("--timeout", type=float, default=30)
    pr = sub.add_parser("probe")
    pr.add_argument("--state", required=True)
    pr.add_argument("--log", required=True)
    pr.add_argument("--tag", required=True)
    pr.add_argument("--since", type=float, required=True)
    pr.add_argument("--start-at", type=float, default=None)
    pr.add_argument("--timeout", type=float, default=30)
    pr.add_argument("urls", nargs="+")
    c = sub.add_parser("check")
    c.add_argument("--state", required=True)
    c.add_argument("--ledger", required=True)
    c.add_argument("--records", required=True)
    c.add_argument("--allow", action="append")
    c.add_argument("--summary")
    c.add_argument("--no-unanswered-entries", action="store_true")
    c.add_argument("logs", nargs="+")
    args = p.parse_args()
    if args.cmd == "run" and not all(ch.isalnum() or ch in "._-" for ch in args.tag):
        raise SystemExit("load.py: --tag: letters, digits, '.', '_' and '-' only")
    rc = {"setup": setup, "run": run, "probe": probe, "check": check}[args.cmd](args)
    sys.exit(rc or 0)


if __name__ == "__main__":
    main()
