#!/usr/bin/env python3
"""check_ip.py - address assignment through rrashost, one case per ctest test.

    check_ip.py --case NAME --rrashost EXE --rastap DLL --work-dir DIR [--emulator ARG ...]

Each case imports rastap's configuration into the Wine registry with a .reg
file (as an administrator would), runs rrashost against rastap.dll and
checks what RAS got back (rrashost --addresses) and what rastap recorded
(its JSON Lines, which rrashost's --audit also pairs with every call):

  mode_ex_off, mode_ex_observe, mode_ex_assign, mode_legacy_off,
  mode_legacy_observe, mode_legacy_assign, mode_ex_mixed
        Ipv4Mode / Ipv6Mode through the Ex and the legacy path: whether
        rastap registers each address pair in the Ex block (off: no, so
        RAS's proposal stands and no ip.* record is written; legacy: the
        exports exist, off acts as observe); observe: RAS's proposal
        unchanged, ip.assign / ip.release with source ras; assign: static
        entries (matched across name forms), the pool, both StaticConflict
        policies, stable IPv6 identifiers.
  storm  10 000 users, a /22 pool, 2 000 static entries; every user connects
         twice at once, three rounds: no address held by two live sessions,
         every release frees its lease, every round hands out the whole
         pool again, exhaustion is a clean refusal with `result`.
  churn  the same configuration with sessions interleaved (window mode)
         and RRAS's serialization dropped, so address callouts race.
  reload pools, an exclusion and static entries changed while sessions are
         live (--hold-at): live leases stay valid until released and
         config.applied counts them; removed addresses are never handed out
         again; the new pool is whole afterwards.

--list prints the cases.
"""
import argparse
import random
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from iphost import (ERROR_NO_SYSTEM_RESOURCES, GET4, GET6, Ctx, Failure, expect,  # noqa: E402
                    iid, iid_reserved, leases, live_at, pair_records, pool_set, record_leases,
                    show, v4, v4_text)

CASES = {}
IID_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"  # stable identifiers: a fixed secret


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def expect_clean_run(rc, out, recs):
    """rrashost ran, and its audit found every call in rastap's records."""
    expect(rc == 0, "rrashost exited %d" % rc)
    expect("\nlost: 0\n" in "\n" + out, "rrashost's audit did not end with 'lost: 0'")
    dropped = [r for r in recs if r["event"] == "events.dropped"]
    expect(not dropped, "rastap dropped records (%s): these checks need all of them"
           % show(r.get("reason") for r in dropped))


def expect_none(problems, what):
    expect(not problems, "%s: %d problem(s): %s" % (what, len(problems), show(problems)))


def dll_of(js):
    return js["runs"][0]["dlls"][0]


# ------------------------------------------------------------------ the mode matrix

# Sessions of the mode cases: 40 users, m0..m9 with static entries written in
# other name forms than the users log on with; m0..m4 (static) and m20..m24
# (not) connect twice at once (a storm keeps every session of a round live).
MODE_USERS = ["CORP\\m0", "m1@corp.example", "m2", "M3", "m4"] + ["m%d" % i for i in range(5, 40)]
MODE_STATIC4 = ["corp\\M0=10.51.0.10", "m1=10.51.0.11", "CORP\\m2=10.51.0.12",
                "m3=10.51.0.13", "m4=10.51.0.14", "m5=10.51.0.15", "m6=10.51.0.16",
                "m7=10.51.0.17", "m8=10.51.0.18", "M9=10.51.0.19"]
MODE_STATIC6 = ["corp\\M0=::a0", "m1=0000:0000:0000:00a1", "CORP\\m2=::a2", "m3=::a3",
                "m4=::a4", "m5=::a5", "m6=::a6", "m7=::a7", "m8=::a8", "m9=::a9"]
MODE_POOL, MODE_EXCLUDE = ["10.50.0.0/26"], ["10.50.0.1-10.50.0.9"]


def mode_static(i):
    """User index -> (IPv4 static, IPv6 static identifier) or None."""
    return (v4("10.51.0.%d" % (10 + i)), 0xA0 + i) if i < 10 else None


def mode_rows():
    users = MODE_USERS + MODE_USERS[0:5] + MODE_USERS[20:25]
    return [{"user": u, "ipv6": "yes", "abort": "no"} for u in users]


def mode_index(user):
    return int(user.split("\\")[-1].split("@")[0][1:])


def mode_values(v4_mode, v6_mode, conflict4="pool", conflict6="pool"):
    vals = {"Ipv4Static": MODE_STATIC4, "Ipv4Pools": MODE_POOL, "Ipv4Exclude": MODE_EXCLUDE,
            "Ipv6Static": MODE_STATIC6, "Ipv6IidKey": IID_KEY,
            "Ipv4StaticConflict": conflict4, "Ipv6StaticConflict": conflict6}
    if v4_mode is not None:
        vals["Ipv4Mode"] = v4_mode
    if v6_mode is not None:
        vals["Ipv6Mode"] = v6_mode
    return vals


def run_modes(c, values, legacy):
    """The mode workload: 50 sessions, every one with IPv6, in two rounds."""
    c.configure(values)
    c.clean_records()
    c.scenario(mode_rows())
    args = ["--scenario", c.win(c.work / "scenario.csv"), "--preset", "storm", "--rounds", 2,
            "--threads", 2]
    rc, out, js, log = c.host(*(args + (["--legacy"] if legacy else [])))
    recs = c.records()
    expect_clean_run(rc, out, recs)
    dll = dll_of(js)
    expect(dll["mode"] == ("legacy" if legacy else "ex"), "took the %s path" % dll["mode"])
    start = [r for r in recs if r["event"] == "service.start"]
    expect(len(start) == 1 and start[0]["mode"] == dll["mode"], "service.start mode differs")
    expect(js["runs"][0]["sessions"]["started"] == 100, "not 2 x 50 sessions")
    return js, log, recs


def check_not_registered(js, log, recs, family):
    """Ex path, mode off: the pair is not in the callbacks block, so RAS
    never calls it, its own proposal stands and rastap records nothing."""
    key = "ipv4_provider" if family == 4 else "ipv6_provider"
    expect(not dll_of(js)[key], "IPv%d pair registered although the mode is off" % family)
    get, ev = (GET4, "ip.") if family == 4 else (GET6, "ipv6.")
    expect(not log.of(get), "RAS called the IPv%d callouts of an unregistered pair" % family)
    found = [r["event"] for r in recs if r["event"].startswith(ev)]
    expect(not found, "%d %s* records with the pair unregistered" % (len(found), ev))
    accepts = [r for r in recs if r["event"] == "connection.accept"]
    if family == 4:  # RAS's own proposals (10.8.x.y, unique per session) reached the client
        addrs = [r["client_ipv4"] for r in accepts]
        expect(all(a.startswith("10.8.") for a in addrs) and len(set(addrs)) == len(addrs),
               "client addresses are not RAS's proposals: %s" % show(sorted(set(addrs))))
    else:
        expect(all("client_ipv6" in r for r in accepts), "no client_ipv6 in connection.accept")


def check_observed(js, log, recs, family):
    """observe (or off on the legacy path): registered, RAS's proposal
    handed back unchanged, records with source ras, releases of RAS's own
    addresses recorded as ok."""
    key = "ipv4_provider" if family == 4 else "ipv6_provider"
    expect(dll_of(js)[key], "IPv%d pair not registered" % family)
    get = GET4 if family == 4 else GET6
    calls = log.of(get)
    expect(len(calls) == 100, "%d IPv%d Get calls, expected one per session" % (len(calls), family))
    changed = [e for e in calls if e["error"] != 0 or not e["notify"] or
               (e.get("ipv4") != e.get("offered") if family == 4
                else e.get("iid") != e.get("iid_offered"))]
    expect(not changed, "RAS's proposal not kept: %s" % show(changed))
    _, problems = leases(log, family)
    expect_none(problems, "IPv%d leases" % family)
    expect_none(pair_records(log, recs, family, "ok"), "IPv%d records" % family)
    kind = "ip." if family == 4 else "ipv6."
    wrong = [r for r in recs if r["event"].startswith(kind) and r.get("source") != "ras"]
    expect(not wrong, "records with a source other than ras: %s" % show(wrong))
    if family == 4:
        no_offer = [r for r in recs if r["event"] == "ip.assign" and "ipv4_offered" not in r]
        expect(not no_offer, "ip.assign without ipv4_offered: %s" % show(no_offer))


def check_assigned4(log, recs, conflict):
    """IPv4 assign: static entries whatever the name form, pool otherwise,
    the StaticConflict policy for the second session of a static user."""
    pool = pool_set(MODE_POOL, MODE_EXCLUDE, [mode_static(i)[0] for i in range(10)])
    all_leases, problems = leases(log, 4)
    expect_none(problems, "IPv4 leases")
    expect_none(pair_records(log, recs, 4, "ok"), "IPv4 records")
    source = {r["port"]: r.get("source") for r in recs if r["event"] == "ip.assign"}
    result = {r["port"]: r.get("result") for r in recs if r["event"] == "ip.assign"}
    for rnd in (1, 2):
        calls = [e for e in log.of(GET4) if e["round"] == rnd]
        by_user = {}
        for e in calls:
            by_user.setdefault(mode_index(e["user"]), []).append(e)
        for i, es in sorted(by_user.items()):
            st = mode_static(i)
            got = [v4(e["ipv4"]) for e in es if e["error"] == 0]
            if st is None:
                expect(all(a in pool for a in got) and len(got) == len(es),
                       "round %d: m%d got %s, expected pool addresses"
                       % (rnd, i, [v4_text(a) for a in got]))
                expect(all(source[e["port"]] == "pool" for e in es), "m%d: source not pool" % i)
                continue
            static = [e for e in es if e["error"] == 0 and v4(e["ipv4"]) == st[0]]
            expect(len(static) == 1, "round %d: %s got its static address %d times"
                   % (rnd, es[0]["user"], len(static)))
            expect(source[static[0]["port"]] == "static", "%s: source not static" % es[0]["user"])
            for e in es:
                if e is static[0]:
                    continue
                if conflict == "refuse":  # held by the user's other session: refused
                    expect(e["error"] == ERROR_NO_SYSTEM_RESOURCES and "ipv4" not in e,
                           "round %d: %s connected twice got %s, expected a refusal"
                           % (rnd, e["user"], e.get("ipv4")))
                    expect(result[e["port"]] == "busy", "%s: result %r, expected busy"
                           % (e["user"], result[e["port"]]))
                else:
                    expect(e["error"] == 0 and v4(e["ipv4"]) in pool and
                           source[e["port"]] == "pool",
                           "round %d: %s connected twice got %s, expected a pool address"
                           % (rnd, e["user"], e.get("ipv4")))
    expect(all(l.rel is not None for l in all_leases), "a lease was never released")


def check_assigned6(log, recs, conflict):
    """IPv6 assign: static identifiers, else stable ones: never reserved or
    small, the same for a user in every round, unique among live sessions."""
    all_leases, problems = leases(log, 6)
    expect_none(problems, "IPv6 leases")
    expect_none(pair_records(log, recs, 6, "ok"), "IPv6 records")
    source = {r["port"]: r.get("source") for r in recs if r["event"] == "ipv6.assign"}
    result = {r["port"]: r.get("result") for r in recs if r["event"] == "ipv6.assign"}
    per_round = {}
    for e in log.of(GET6):
        i = mode_index(e["user"])
        got = iid(e["iid"]) if e["error"] == 0 else None
        per_round.setdefault((i, e["round"]), []).append((e, got))
    for (i, rnd), es in sorted(per_round.items()):
        st = mode_static(i)
        if st is not None:
            static = [e for e, g in es if g == st[1]]
            expect(len(static) == 1, "round %d: m%d got its static identifier %d times"
                   % (rnd, i, len(static)))
            expect(source[static[0]["port"]] == "static", "m%d: source not static" % i)
        for e, g in es:
            if st is not None and g == st[1]:
                continue
            if st is not None and conflict == "refuse":
                expect(g is None and e["error"] == ERROR_NO_SYSTEM_RESOURCES and
                       result[e["port"]] == "busy",
                       "round %d: m%d connected twice got %s, expected busy"
                       % (rnd, i, e.get("iid")))
                continue
            expect(g is not None and not iid_reserved(g) and g >> 32 != 0 and
                   source[e["port"]] == "pool",
                   "round %d: m%d got %s (%s), expected a stable identifier"
                   % (rnd, i, e.get("iid"), source[e["port"]]))
    # stable: the same identifiers for a user in both rounds
    for i in range(40):
        r1 = sorted(g for _, g in per_round.get((i, 1), []) if g is not None)
        r2 = sorted(g for _, g in per_round.get((i, 2), []) if g is not None)
        expect(r1 == r2, "m%d: identifiers differ between rounds: %s vs %s" % (i, r1, r2))
    expect(all(l.rel is not None for l in all_leases), "an identifier was never released")


@case
def mode_ex_off(c):
    js, log, recs = run_modes(c, mode_values(None, "OFF"), legacy=False)  # default, and any case
    check_not_registered(js, log, recs, 4)
    check_not_registered(js, log, recs, 6)


@case
def mode_ex_observe(c):
    js, log, recs = run_modes(c, mode_values("observe", "Observe"), legacy=False)
    check_observed(js, log, recs, 4)
    check_observed(js, log, recs, 6)


@case
def mode_ex_assign(c):
    js, log, recs = run_modes(c, mode_values("assign", "assign", "refuse", "pool"), legacy=False)
    expect(dll_of(js)["ipv4_provider"] and dll_of(js)["ipv6_provider"], "pairs not registered")
    check_assigned4(log, recs, "refuse")
    check_assigned6(log, recs, "pool")


@case
def mode_ex_mixed(c):
    """Each pair on its own: IPv4 off (not registered), IPv6 assign."""
    js, log, recs = run_modes(c, mode_values("off", "assign", "pool", "refuse"), legacy=False)
    check_not_registered(js, log, recs, 4)
    expect(dll_of(js)["ipv6_provider"], "IPv6 pair not registered")
    check_assigned6(log, recs, "refuse")


@case
def mode_legacy_off(c):
    js, log, recs = run_modes(c, mode_values(None, None), legacy=True)
    check_observed(js, log, recs, 4)  # the exports exist: off acts as observe
    check_observed(js, log, recs, 6)


@case
def mode_legacy_observe(c):
    js, log, recs = run_modes(c, mode_values("observe", "observe"), legacy=True)
    check_observed(js, log, recs, 4)
    check_observed(js, log, recs, 6)


@case
def mode_legacy_assign(c):
    js, log, recs = run_modes(c, mode_values("Assign", "assign", "pool", "refuse"), legacy=True)
    check_assigned4(log, recs, "pool")
    check_assigned6(log, recs, "refuse")


# ------------------------------------------------------------------ storm and churn

USERS, STATIC_USERS = 10000, 2000
STORM_POOL, STORM_EXCLUDE = ["10.20.0.0/22"], ["10.20.3.0-10.20.3.63"]


def storm_static(i):
    """User i's static IPv4 address: 1 900 outside the pool, 100 inside it
    (taken out of the pool automatically)."""
    if i < 1900:
        return v4("10.30.%d.%d" % (i // 250, 1 + i % 250))
    return v4("10.20.2.%d" % (i - 1900))


def storm_values():
    static4 = ["%s%d=%s" % ("USER" if i % 3 == 0 else "user", i, v4_text(storm_static(i)))
               for i in range(STATIC_USERS)]
    static6 = ["user%d=0000:0000:0001:%04x" % (i, i) for i in range(0, STATIC_USERS, 10)]
    return {"Ipv4Mode": "assign", "Ipv4Pools": STORM_POOL, "Ipv4Exclude": STORM_EXCLUDE,
            "Ipv4Static": static4, "Ipv6Mode": "assign", "Ipv6Static": static6,
            "Ipv6IidKey": IID_KEY}


def second_name(i):
    """The second session of a user logs on with a qualified name, which
    falls back to the bare entry (docs/addresses.md, rule 2)."""
    return "CORP\\user%d" % i if i % 2 == 0 else "user%d@corp.example" % i


def user_index(name):
    return int(name.split("\\")[-1].split("@")[0][4:])


def storm_pool():
    return pool_set(STORM_POOL, STORM_EXCLUDE, [storm_static(i) for i in range(STATIC_USERS)])


def check_storm_like(log, recs):
    """What both storm and churn must show, from RAS's side and rastap's."""
    v4_leases, problems = leases(log, 4)
    expect_none(problems, "IPv4 leases (RAS's side)")
    v6_leases, problems = leases(log, 6)
    expect_none(problems, "IPv6 leases (RAS's side)")
    expect_none(pair_records(log, recs, 4, "ok"), "IPv4 records")
    expect_none(pair_records(log, recs, 6, "ok"), "IPv6 records")
    pool = storm_pool()
    source = {r["port"]: r.get("source") for r in recs if r["event"] == "ip.assign"}
    wrong = []
    for l in v4_leases:
        a, i = v4(l.get["ipv4"]), user_index(l.get["user"])
        if i < STATIC_USERS and a == storm_static(i):
            ok = source[l.get["port"]] == "static"
        else:
            ok = a in pool and source[l.get["port"]] == "pool"
        if not ok:
            wrong.append(l)
    expect(not wrong, "addresses neither the user's static one nor from the pool: %s"
           % show(wrong))
    refused = [r for r in recs if r["event"] == "ip.assign" and r["result"] != "ok"]
    expect(all(r["result"] == "exhausted" and "ipv4" not in r and "ipv4_offered" in r and
               r["notify_release"] is False for r in refused),
           "a refusal is not a clean 'exhausted': %s"
           % show(r for r in refused if r["result"] != "exhausted"))
    bad6 = [l for l in v6_leases if iid_reserved(iid(l.get["iid"]))]
    expect(not bad6, "reserved identifiers handed out: %s" % show(bad6))
    return v4_leases, refused


def storm_rows(seed):
    rng = random.Random(seed)
    rows = [{"user": "user%d" % i, "ipv6": "yes" if i % 5 == 0 else "no"} for i in range(USERS)]
    rows += [{"user": second_name(i), "ipv6": "yes" if i % 5 == 0 else "no"}
             for i in range(USERS)]
    rng.shuffle(rows)
    return rows


@case
def storm(c):
    """Every user twice at once, three rounds without unloading rastap."""
    c.configure(storm_values(), ring=65536)
    c.clean_records()
    c.scenario(storm_rows(7))
    t0 = time.time()
    rc, out, js, log = c.host("--scenario", c.win(c.work / "scenario.csv"), "--preset", "storm",
                              "--rounds", 3, "--threads", 2)
    recs = c.records()
    print("rrashost and rastap: %.1f s" % (time.time() - t0))
    expect_clean_run(rc, out, recs)
    v4_leases, refused = check_storm_like(log, recs)
    expect_none(record_leases(recs, 4), "IPv4 leases (rastap's records)")
    expect_none(record_leases(recs, 6), "IPv6 leases (rastap's records)")
    pool = storm_pool()
    expect(len(pool) == 858, "pool model: %d addresses" % len(pool))
    for rnd in (1, 2, 3):
        got = [l for l in v4_leases if l.get["round"] == rnd]
        pooled = {v4(l.get["ipv4"]) for l in got} & pool
        static = [l for l in got if user_index(l.get["user"]) < STATIC_USERS and
                  v4(l.get["ipv4"]) == storm_static(user_index(l.get["user"]))]
        calls = [e for e in log.of(GET4) if e["round"] == rnd]
        no = [e for e in calls if e["error"] != 0]
        # the whole pool, every round: a lease that was not given back would be missing
        expect(pooled == pool, "round %d: %d of the %d pool addresses handed out (missing: %s)"
               % (rnd, len(pooled), len(pool), show(v4_text(a) for a in sorted(pool - pooled))))
        expect(len(static) == STATIC_USERS, "round %d: %d static users got their address"
               % (rnd, len(static)))
        expect(len(calls) == 2 * USERS and len(no) == 2 * USERS - STATIC_USERS - len(pool),
               "round %d: %d calls, %d refused; expected %d refused (exhausted)"
               % (rnd, len(calls), len(no), 2 * USERS - STATIC_USERS - len(pool)))
        expect(all(e["error"] == ERROR_NO_SYSTEM_RESOURCES and "ipv4" not in e for e in no),
               "a refusal returned something else than 1450 and no address")
    expect(len(refused) == 3 * (2 * USERS - STATIC_USERS - 858), "refusal records: %d"
           % len(refused))
    applied = [r for r in recs if r["event"] == "config.applied"]
    expect(applied and applied[0].get("ipv4_leases") == 0, "config.applied at start: %s"
           % applied[:1])


@case
def churn(c):
    """Sessions interleaved, users reconnecting, callouts racing (--stress);
    then, with every session gone, rastap must hold no lease."""
    c.configure(storm_values(), ring=65536)
    c.clean_records()
    rng = random.Random(11)
    rows = []
    for _ in range(20000):
        i = rng.randrange(USERS)
        rows.append({"user": "user%d" % i, "ipv6": "yes" if i % 5 == 0 else "no"})
        if rng.random() < 0.05:  # the same user again, soon: two live sessions
            rows.append({"user": second_name(i), "ipv6": rows[-1]["ipv6"]})
    c.scenario(rows)
    state = {}

    def during_hold():
        # Round 1 is over and round 2 has not begun: a change of a value
        # (its default, written out) makes rastap count its leases.
        state["applied"] = c.reload({"Ipv4StaticConflict": "pool"})

    t0 = time.time()
    rc, out, js, log = c.host("--scenario", c.win(c.work / "scenario.csv"), "--threads", 2,
                              "--window", 1000, "--stress", "--rounds", 2, "--hold-at",
                              len(rows), during_hold=during_hold)
    recs = c.records()
    print("rrashost and rastap: %.1f s" % (time.time() - t0))
    expect_clean_run(rc, out, recs)
    v4_leases, refused = check_storm_like(log, recs)
    expect(refused, "no refusal: the pool was never exhausted, so this run tested no pressure")
    # Every lease ended with a release that freed it (pair_records: result
    # ok), and between the rounds rastap itself holds nothing:
    expect(log.hold is not None and not live_at(v4_leases, log.hold), "RAS holds leases "
           "between the rounds")
    ap = state["applied"]
    held = {k: ap.get(k) for k in ("ipv4_leases", "ipv4_leases_outside", "ipv6_leases")}
    expect(held == {"ipv4_leases": 0, "ipv4_leases_outside": 0, "ipv6_leases": 0},
           "every session has left, yet config.applied says rastap holds %s" % held)
    fell_back = [l for l in v4_leases if user_index(l.get["user"]) < STATIC_USERS and
                 v4(l.get["ipv4"]) != storm_static(user_index(l.get["user"]))]
    print("%d leases, %d refusals (exhausted), %d static users given a pool address"
          % (len(v4_leases), len(refused), len(fell_back)))


# ------------------------------------------------------------------ hot reload

RELOAD_A = {"pools": ["10.60.0.0/24", "10.61.0.0/25"], "exclude": ["10.60.0.1-10.60.0.9"],
            "static": {"r%d" % i: "10.62.0.%d" % (1 + i) for i in range(20)}}


def reload_b(taken):
    """The new configuration: 10.61.0.0/25 and the upper half of 10.60.0.0/24
    gone, 10.63.0.0/24 new; r0 moves, r1 loses its entry, r300 gets an
    address a live pool lease holds now (`taken`)."""
    static = dict(RELOAD_A["static"])
    static["r0"] = "10.62.0.101"
    del static["r1"]
    static["r300"] = taken
    return {"pools": ["10.60.0.0/24", "10.63.0.0/24"],
            "exclude": ["10.60.0.1-10.60.0.9", "10.60.0.128/25"], "static": static}


def reload_values(cfg):
    return {"Ipv4Mode": "assign", "Ipv4Pools": cfg["pools"], "Ipv4Exclude": cfg["exclude"],
            "Ipv4Static": ["%s=%s" % kv for kv in cfg["static"].items()], "Ipv6Mode": "assign",
            "Ipv6IidKey": IID_KEY}


def allowed(cfg):
    static = {v4(a) for a in cfg["static"].values()}
    return pool_set(cfg["pools"], cfg["exclude"], static) | static


@case
def reload(c):
    """300 sessions live under configuration A, A becomes B, 200 more under
    B while the 300 stay, everyone leaves; a second round under B alone."""
    c.configure(reload_values(RELOAD_A), ring=16384)
    c.clean_records()
    rows = [{"user": "r%d" % i, "ipv6": "yes"} for i in range(300)]
    rows += [{"user": "r%d" % i, "ipv6": "yes"} for i in range(10)]
    rows += [{"user": "r%d" % i, "ipv6": "yes"} for i in range(300, 490)]
    c.scenario(rows)
    state = {}

    def during_hold():
        # Every phase-1 session holds its address now: pick a pool address in
        # the part of 10.60.0.0/24 that B keeps, and make it r300's static one.
        recs = c.wait_records(lambda rs: len(rs) >= 300,
                              "ip.assign records of the 300 live sessions", "ip.assign")
        kept = pool_set(["10.60.0.10-10.60.0.127"])
        held = sorted(v4(r["ipv4"]) for r in recs
                      if r.get("source") == "pool" and v4(r["ipv4"]) in kept)
        expect(held, "no live pool lease in 10.60.0.10-127")
        state["b"] = reload_b(v4_text(held[len(held) // 2]))
        state["applied"] = c.reload(reload_values(state["b"]))

    rc, out, js, log = c.host("--scenario", c.win(c.work / "scenario.csv"), "--preset", "storm",
                              "--threads", 2, "--hold-at", 300, "--rounds", 2,
                              during_hold=during_hold)
    recs = c.records()
    expect_clean_run(rc, out, recs)
    expect(log.hold is not None and log.resume is not None, "rrashost did not hold")
    a, b = allowed(RELOAD_A), allowed(state["b"])
    removed = a - b
    v4_leases, problems = leases(log, 4)
    expect_none(problems, "IPv4 leases across the reload")
    v6_leases, problems = leases(log, 6)
    expect_none(problems, "IPv6 leases across the reload")
    expect_none(pair_records(log, recs, 4, "ok"), "IPv4 records")  # every release freed its lease
    expect_none(pair_records(log, recs, 6, "ok"), "IPv6 records")
    expect_none(record_leases(recs, 4), "IPv4 leases (rastap's records)")
    expect_none(record_leases(recs, 6), "IPv6 leases (rastap's records)")

    live = live_at(v4_leases, log.hold)
    expect(len(live) == 300, "%d IPv4 leases live at the hold, expected 300" % len(live))
    expect(all(v4(l.get["ipv4"]) in a for l in live), "a lease outside A before the reload")
    outside = [l for l in live if v4(l.get["ipv4"]) not in b]
    expect(outside, "no live lease on a removed address: the reload tested nothing")
    # live leases stay valid until released: released after the swap, freed (ok)
    expect(all(l.rel and l.rel["seq"] > log.resume for l in live), "a live lease ended early")

    # config.applied of B counts them
    ap = state["applied"]
    want = {"ipv4_leases": len(live), "ipv4_leases_outside": len(outside),
            "ipv6_leases": len(live_at(v6_leases, log.hold))}
    got = {k: ap.get(k) for k in want}
    expect(got == want, "config.applied generation %s: %s, expected %s"
           % (ap.get("generation"), got, want))

    # after the swap: only B's addresses, never a removed one
    after = [l for l in v4_leases if l.get["seq"] > log.resume]
    bad = [l for l in after if v4(l.get["ipv4"]) not in b]
    expect(not bad, "handed out after the reload although not in B: %s" % show(bad))
    expect(not [l for l in after if v4(l.get["ipv4"]) in removed], "a removed address came back")
    by_user = {}
    for l in after:
        by_user.setdefault((l.get["round"], l.get["user"]), []).append(v4_text(v4(l.get["ipv4"])))
    taken = state["b"]["static"]["r300"]
    expect("10.62.0.101" in by_user.get((1, "r0"), []), "r0's second session did not get its "
           "new static address: %s" % by_user.get((1, "r0")))
    expect(taken not in by_user.get((1, "r300"), []) and by_user.get((1, "r300")),
           "r300 got %s while a live lease held it" % by_user.get((1, "r300")))
    expect(by_user.get((2, "r300")) == [taken], "round 2: r300 got %s, its static address is %s"
           % (by_user.get((2, "r300")), taken))
    expect("10.62.0.2" not in sum(by_user.values(), []), "r1's old static address came back")
    # the whole of B's pool is usable once the old leases are gone
    pool_b = pool_set(state["b"]["pools"], state["b"]["exclude"],
                      {v4(x) for x in state["b"]["static"].values()})
    round2 = {v4(l.get["ipv4"]) for l in v4_leases if l.get["round"] == 2}
    expect(pool_b <= round2, "round 2 handed out %d of B's %d pool addresses (missing %s)"
           % (len(pool_b & round2), len(pool_b),
              show(v4_text(x) for x in sorted(pool_b - round2))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case")
    ap.add_argument("--rrashost")
    ap.add_argument("--rastap")
    ap.add_argument("--work-dir")
    ap.add_argument("--emulator", action="append")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        print("\n".join(CASES))
        return 0
    if a.case not in CASES:
        print("unknown case %r; --list shows them" % a.case)
        return 2
    c = Ctx(a)
    t0 = time.time()
    try:
        CASES[a.case](c)
    except Failure as e:
        print("FAIL %s: %s" % (a.case, e))
        print("---- log (last commands)")
        for entry in c.log[-3:]:
            print(entry[-4000:])
        return 1
    finally:
        c.unconfigure()  # leave no configuration behind for the other tests
    print("ok %s (%.1f s)" % (a.case, time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
