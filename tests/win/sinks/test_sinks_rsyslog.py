#!/usr/bin/env python3
"""rastap's syslog sink against a real rsyslog (rsyslog_harness.py), with
rastap.dll loaded under Wine by drive_sinks.exe.

Each run configures a JSON Lines file sink next to the syslog sinks: the
file is what rastap made of each record, and the test computes from it,
by the rules of docs/sinks.md, the exact message each transport must have
delivered, then compares with what rsyslog parsed (header fields, raw
structured data, mmpstrucdata's reading of it, MSG). Scenarios:

  exact     UDP, TCP (IPv4 by name and IPv6), RELP and RFC 3164 over TCP:
            every record arrives once and is what rastap sent, hostile
            user names included (UDP also with its 2048-byte cut).
  outage    rsyslog is stopped for 3 s under load and started again: TCP
            and RELP with their spools lose nothing; duplicates only among
            the records in flight at the break (docs/sinks.md).
  restart   records spooled while rsyslog is down, the DLL stopped, one
            spool's last record torn and the other's corrupted: at the next
            start the damage is reported and skipped, and the old records
            arrive before any new one.
  full      a 1 MiB spool overflows while rsyslog is down: the oldest
            segments go, events.dropped (spool_full) counts exactly what
            was lost, the rest arrives.

  --bench N runs bench_sinks.exe against a bench rsyslog instead and prints
  records/s (no assertions).
Exit 0 when every check holds, 1 with the problems, 77 without rsyslogd.
"""
import argparse
import faulthandler
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rsyslog_harness import Rsyslog  # noqa: E402

SUMMARY = ("user", "domain", "connection", "port", "client_ipv4", "client_ipv6", "ipv4", "ipv6",
           "tunnel", "auth", "decision", "reason", "quarantine", "duration_s", "bytes_in",
           "bytes_out", "result", "count", "key", "value", "generation", "version")
BOM = "\ufeff"
problems = []


def problem(msg):
    if len(problems) < 40:
        problems.append(msg)


# ------------------------------------------------------------ the spec

def json_escape(v):
    """A JSON string body as rastap writes it (event-schema.md)."""
    out = []
    for c in v:
        o = ord(c)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[c])
        elif o < 0x20 or o == 0x7F or o in (0x2028, 0x2029):
            out.append("\\u%04x" % o)
        else:
            out.append(c)
    return "".join(out)


def sd_raw(v):
    """PARAM-VALUE: the JSON body, with `]` escaped as well."""
    return json_escape(v).replace("]", "\\]")


def sd_parsed(v):
    """What an RFC 5424 reader makes of sd_raw(v): \\" \\\\ \\] undone."""
    return re.sub(r'\\(["\\\]])', r"\1", sd_raw(v))


def flat(rec):
    for k, v in rec.items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                yield f"{k}.{k2}", v2
        else:
            yield k, v


def text_of(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else str(v)


def severity(rec):
    ev = rec.get("event")
    if ev == "config.error":
        return 3
    if ev == "events.dropped":
        return 4
    if ev in ("ip.assign", "ipv6.assign") and rec.get("result", "ok") != "ok":
        return 4
    if rec.get("decision") == "reject":
        return 5
    if ev in ("service.start", "service.stop", "config.applied"):
        return 5
    return 6


def header_text(s, limit):
    s = "".join(c if 33 <= ord(c) <= 126 else "_" * len(c.encode()) for c in s)
    return s[:limit] or "-"


def expected_5424(rec, app, facility=16):
    sd = "[rastap@32473" + "".join(
        f' {k}="{sd_raw(v) if isinstance(v, str) else text_of(v)}"' for k, v in flat(rec)) + "]"
    msg = BOM + rec["event"] + "".join(
        f" {k}=" + (f'"{json_escape(v)}"' if isinstance(v, str) else text_of(v))
        for k, v in rec.items() if k in SUMMARY)
    return {
        "pri": str(facility * 8 + severity(rec)),
        "hostname": header_text(rec["host"], 255),
        "app": app,
        "procid": str(rec["pid"]),
        "msgid": rec["event"],
        "time": rec["time"],
        "sd": sd,
        "parsed": {"rastap@32473": {k: sd_parsed(v) if isinstance(v, str) else text_of(v)
                                    for k, v in flat(rec)}},
        "msg": msg,
    }


def udp_cut(exp, limit=2048):
    """MSG cut so the datagram fits `limit` octets (never SD)."""
    head = (f"<{exp['pri']}>1 {exp['time']} {exp['hostname']} {exp['app']} {exp['procid']} "
            f"{exp['msgid']} {exp['sd']} ").encode()
    msg = exp["msg"].encode()
    if len(head) + len(msg) <= limit:
        return exp
    cut = limit - len(head)
    if cut < 4:  # not even the BOM and one character
        exp["msg"] = None
        return exp
    while cut > 3 and (msg[cut] & 0xC0) == 0x80:  # msg[cut] is the first byte left out
        cut -= 1
    exp["msg"] = msg[:cut].decode()
    return exp


# ------------------------------------------------------------ running

class Env:
    def __init__(self, a):
        self.a = a
        self.work = os.path.abspath(a.work)
        self.wine = a.wine_run

    def win(self, path):
        return "Z:" + path.replace("/", "\\")

    def drive(self, args, timeout=120):
        env = dict(os.environ, WINEDEBUG="-all,warn+debugstr")
        t0 = time.time()
        try:
            p = subprocess.run([self.wine, self.a.driver, self.a.dll, "--core", "RingSize=#65536",
                                "--core", "StopDrainMs=#5000"] + args,
                               capture_output=True, text=True, errors="replace", env=env,
                               timeout=timeout)
        except subprocess.TimeoutExpired as e:
            def text(b):
                return (b or b"").decode("utf-8", "replace") if isinstance(b, bytes) else (b or "")
            print(f"PROBLEM: driver still running after {timeout} s; its output so far: "
                  f"{text(e.stdout)[-400:]} {text(e.stderr)[-1500:]}", flush=True)
            raise
        print(f"    drive {args[args.index('--sessions') + 1]} sessions: "
              f"{time.time() - t0:.1f} s; {p.stdout.strip()}; "
              + "; ".join(ln[13:] for ln in p.stderr.splitlines() if ln.startswith("drive_sinks: ")),
              flush=True)
        if p.returncode != 0:
            problem(f"driver failed ({p.returncode}): {p.stdout[-400:]} {p.stderr[-800:]}")
        return p.stdout + p.stderr

    def file_sink(self, name):
        d = os.path.join(self.work, name)
        shutil.rmtree(d, ignore_errors=True)
        return ["--sink", name, "file", "--set", "Directory=" + self.win(d)]

    def syslog_sink(self, name, transport, port, host="127.0.0.1", spool=None, extra=()):
        args = ["--sink", name, "syslog", "--set", "Host=" + host, "--set",
                f"Port=#{port}", "--set", "Transport=" + transport, "--set", "AppName=" + name,
                "--set", "ReconnectMaxMs=#400", "--set", "TimeoutMs=#3000"]
        if spool:
            args += ["--set", "SpoolDirectory=" + self.win(spool)]
        for kv in extra:
            args += ["--set", kv]
        return args


def read_ref(env, name):
    recs = []
    for path in sorted(glob.glob(os.path.join(env.work, name, "*.jsonl"))):
        with open(path, encoding="utf-8") as fh:
            recs += [json.loads(line) for line in fh]
    return recs


def by_app(got, app):
    return [g for g in got if g["app"] == app]


def seq_of(g):
    return int(json.loads(g["parsed"])["rastap@32473"]["seq"]) if g["parsed"] else None


def compare(label, ref, got, app, transport, facility=16, allow_dups=False, udp_max=2048):
    """Every ref record exactly once (or at least once), each equal to what
    the spec says."""
    if not ref:
        problem(f"{label}: rastap's file sink holds no records to compare with")
    mine = by_app(got, app)
    seen = {}
    for g in mine:
        s = seq_of(g)
        seen.setdefault(s, []).append(g)
    missing = [r["seq"] for r in ref if r["seq"] not in seen]
    dups = [s for s, v in seen.items() if len(v) > 1]
    if missing:
        problem(f"{label}: {len(missing)} records missing, e.g. {missing[:5]}")
    if dups and not allow_dups:
        problem(f"{label}: {len(dups)} records twice, e.g. {dups[:5]}")
    extra = set(seen) - {r["seq"] for r in ref}
    if extra:
        problem(f"{label}: records rastap never made: {sorted(extra)[:5]}")
    checked = 0
    for r in ref:
        if r["seq"] not in seen:
            continue
        g = seen[r["seq"]][0]
        exp = expected_5424(r, app, facility)
        if transport == "udp":
            exp = udp_cut(exp, udp_max)
        for k in ("pri", "hostname", "app", "procid", "msgid", "time", "sd"):
            if g[k] != exp[k]:
                problem(f"{label} seq {r['seq']}: {k} is {g[k]!r}, expected {exp[k]!r}")
        if json.loads(g["parsed"]) != exp["parsed"]:
            problem(f"{label} seq {r['seq']}: rsyslog parsed SD {g['parsed'][:300]!r}, "
                    f"expected {json.dumps(exp['parsed'])[:300]!r}")
        want_msg = exp["msg"] if exp["msg"] is not None else ""
        if g["msg"] != want_msg:
            problem(f"{label} seq {r['seq']}: msg {g['msg'][:200]!r}, expected {want_msg[:200]!r}")
        checked += 1
    return checked, len(dups)


def compare_3164(label, ref, got, app):
    mine = by_app(got, app)
    by_seq = {}
    for g in mine:
        try:
            rec = json.loads(g["msg"].lstrip(" "))
        except ValueError:
            problem(f"{label}: CONTENT is not the JSON record: {g['msg'][:120]!r}")
            continue
        by_seq.setdefault(rec["seq"], []).append((g, rec))
    for r in ref:
        v = by_seq.get(r["seq"], [])
        if len(v) != 1:
            problem(f"{label}: seq {r['seq']} arrived {len(v)} times")
            continue
        g, rec = v[0]
        if rec != r:
            problem(f"{label}: seq {r['seq']}: CONTENT differs from the record")
        if g["hostname"] != header_text(r["host"], 255) or g["procid"] != str(r["pid"]):
            problem(f"{label}: seq {r['seq']}: header {g['hostname']!r} {g['procid']!r}")
        if g["pri"] != str(16 * 8 + severity(r)):
            problem(f"{label}: seq {r['seq']}: pri {g['pri']}")
    return len(by_seq)


def wait_for(pred, timeout, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return False


# ------------------------------------------------------------ scenarios

def scenario_exact(env, rs):
    rs.start()
    args = env.file_sink("ref-exact")
    args += env.syslog_sink("x-udp", "udp", rs.ports["udp"], spool=env.work + "/spool-x-udp")
    args += env.syslog_sink("x-udpcut", "udp", rs.ports["udp"], extra=["UdpMaxBytes=#900"],
                            spool=env.work + "/spool-x-udpcut")
    args += env.syslog_sink("x-tcp", "tcp", rs.ports["tcp"], host="localhost",
                            spool=env.work + "/spool-x-tcp")
    args += env.syslog_sink("x-tcp6", "tcp", rs.ports["tcp6"], host="[::1]",
                            spool=env.work + "/spool-x-tcp6")
    args += env.syslog_sink("x-relp", "relp", rs.ports["relp"])  # default spool directory
    args += env.syslog_sink("x-3164", "tcp", rs.ports["tcp"], spool=env.work + "/spool-x-3164",
                            extra=["Format=rfc3164"])
    env.drive(args + ["--sessions", "600", "--seconds", "2", "--linger-ms", "1500"])
    ref = read_ref(env, "ref-exact")
    n = len(ref)
    if n < 600 * 4:
        problem(f"exact: the file sink holds {n} records, expected at least {600 * 4}")
    wait_for(lambda: all(len(by_app(rs.records(), a)) >= n
                         for a in ("x-tcp", "x-tcp6", "x-relp", "x-3164")), 10)
    time.sleep(0.5)
    rs.stop()
    got = rs.records()
    totals = []
    for app, tp in (("x-udp", "udp"), ("x-tcp", "tcp"), ("x-tcp6", "tcp"), ("x-relp", "relp"),
                    ("x-udpcut", "udp")):
        checked, _ = compare(f"exact {app}", ref, got, app, tp,
                             udp_max=900 if app == "x-udpcut" else 2048)
        totals.append(f"{app} {checked}")
    cut = sum(1 for r in ref if len(expected_5424(r, "x-udpcut")["msg"].encode()) !=
              len((udp_cut(expected_5424(r, "x-udpcut"), 900)["msg"] or "").encode()))
    totals.append(f"({cut} cut to 900 bytes)")
    compare_3164("exact x-3164", ref, got, "x-3164")
    hostile = sum(1 for r in ref if any(ord(c) < 32 or c in '"\\]' for c in r.get("user", "")))
    default_spool = glob.glob(os.path.join(env.prefix, "drive_c", "ProgramData", "rastap",
                                           "spool", "x-relp"))
    if not default_spool:
        problem("the RELP sink did not use %ProgramData%\\rastap\\spool\\x-relp")
    print(f"exact: {n} records each, {hostile} with hostile user names; checked "
          + ", ".join(totals) + ", x-3164")


def scenario_outage(env, rs):
    for d in ("spool-o-tcp", "spool-o-relp"):
        shutil.rmtree(os.path.join(env.work, d), ignore_errors=True)
    start_count = len(rs.records())
    rs.start()
    args = env.file_sink("ref-outage")
    args += env.syslog_sink("o-tcp", "tcp", rs.ports["tcp"], spool=env.work + "/spool-o-tcp")
    args += env.syslog_sink("o-relp", "relp", rs.ports["relp"],
                            spool=env.work + "/spool-o-relp")
    events = {}

    def outage():
        # stop once both transports are flowing, start again 3 s later
        wait_for(lambda: all(len(by_app(rs.records()[start_count:], a)) >= 400
                             for a in ("o-tcp", "o-relp")), 30, 0.05)
        events["stop"] = time.time()
        rs.stop()
        time.sleep(3)
        rs.start()
        events["start"] = time.time()

    t = threading.Thread(target=outage)
    t.start()
    env.drive(args + ["--sessions", "2500", "--seconds", "7", "--linger-ms", "4000"])
    t.join()
    ref = read_ref(env, "ref-outage")
    wait_for(lambda: all(len({seq_of(g) for g in by_app(rs.records(), a)}) >= len(ref)
                         for a in ("o-tcp", "o-relp")), 10)
    rs.stop()
    got = rs.records()
    if "stop" not in events:
        problem("outage: the collector was never stopped (records did not flow)")
        return
    rate = len(ref) / 7.0
    for app, bound, what in (("o-tcp", int(rate * 1.5) + 50, "sent in the last second"),
                             ("o-relp", 1024, "RelpWindow")):
        mine = by_app(got, app)
        counts = {}
        for g in mine:
            counts[seq_of(g)] = counts.get(seq_of(g), 0) + 1
        lost = [r["seq"] for r in ref if r["seq"] not in counts]
        dups = sorted(s for s, c in counts.items() if c > 1)
        if lost:
            problem(f"outage {app}: {len(lost)} records lost, e.g. {lost[:5]}")
        if any(c > 2 for c in counts.values()):
            problem(f"outage {app}: a record arrived more than twice")
        if dups and dups[-1] - dups[0] + 1 != len(dups):
            problem(f"outage {app}: duplicates are not one run of records in flight: "
                    f"{dups[:5]}..{dups[-5:]}")
        if len(dups) > bound:
            problem(f"outage {app}: {len(dups)} duplicates, more than {what} ({bound})")
        print(f"outage {app}: {len(ref)} records, {len(lost)} lost, {len(dups)} duplicated"
              + (f" (seq {dups[0]}..{dups[-1]}, in flight at the break)" if dups else ""))
        compare(f"outage {app}", ref, got, app, "tcp", allow_dups=True)


def newest_segment(spool):
    segs = sorted(glob.glob(os.path.join(spool, "*.seg")))
    return segs[-1] if segs else None


def scenario_restart(env, rs):
    spools = {a: os.path.join(env.work, "spool-" + a) for a in ("r-tcp", "r-relp")}
    for d in spools.values():
        shutil.rmtree(d, ignore_errors=True)
    before = len(rs.records())
    common = (env.syslog_sink("r-tcp", "tcp", rs.ports["tcp"], spool=spools["r-tcp"])
              + env.syslog_sink("r-relp", "relp", rs.ports["relp"], spool=spools["r-relp"]))
    # run A: the collector is down; everything stays in the spools
    env.drive(env.file_sink("ref-restart-a") + common + ["--sessions", "150"])
    ref_a = read_ref(env, "ref-restart-a")
    # damage: the RELP spool's last record torn, the TCP spool's corrupted
    seg = newest_segment(spools["r-relp"])
    size = os.path.getsize(seg)
    with open(seg, "r+b") as fh:
        fh.truncate(size - 5)
    seg = newest_segment(spools["r-tcp"])
    with open(seg, "r+b") as fh:
        fh.seek(-10, os.SEEK_END)
        b = fh.read(1)
        fh.seek(-10, os.SEEK_END)
        fh.write(bytes([b[0] ^ 0x20]))
    # run B: the collector is back
    rs.start()
    out = env.drive(env.file_sink("ref-restart-b") + common
                    + ["--sessions", "50", "--linger-ms", "2500"])
    ref_b = read_ref(env, "ref-restart-b")
    wait_for(lambda: all(len(by_app(rs.records()[before:], a)) >= len(ref_a) + len(ref_b) - 1
                         for a in spools), 10)
    rs.stop()
    got = rs.records()[before:]
    for app, damage in (("r-relp", "torn tail"), ("r-tcp", "corrupt tail")):
        if not re.search(rf"sink {app}: spool segment [0-9a-f]+: {damage} of \d+ bytes after "
                         rf"\d+ records skipped", out):
            problem(f"restart {app}: no report of the {damage}: {out[-600:]}")
        if not re.search(rf"sink {app}: spool: {len(ref_a) - 1} records from an earlier run", out):
            problem(f"restart {app}: no report of {len(ref_a) - 1} records to replay")
        mine = by_app(got, app)
        inst = [json.loads(g["parsed"])["rastap@32473"]["instance"] for g in mine]
        a_id, b_id = ref_a[0]["instance"], ref_b[0]["instance"]
        a_seqs = [seq_of(g) for g, i in zip(mine, inst) if i == a_id]
        b_seqs = [seq_of(g) for g, i in zip(mine, inst) if i == b_id]
        want_a = [r["seq"] for r in ref_a][:-1]  # the damaged last record is skipped
        if a_seqs != want_a:
            problem(f"restart {app}: run A delivered {len(a_seqs)} records "
                    f"{a_seqs[:3]}..{a_seqs[-3:]}, expected {len(want_a)} in order")
        if sorted(set(b_seqs)) != [r["seq"] for r in ref_b]:
            problem(f"restart {app}: run B delivered {len(set(b_seqs))} of {len(ref_b)}")
        last_a = max(i for i, x in enumerate(inst) if x == a_id) if a_seqs else -1
        first_b = min(i for i, x in enumerate(inst) if x == b_id) if b_seqs else 1 << 30
        if last_a > first_b:
            problem(f"restart {app}: a record of the earlier run arrived after a new one")
        compare(f"restart {app} (run A)", ref_a[:-1], [g for g, i in zip(mine, inst) if i == a_id],
                app, "tcp")
        print(f"restart {app}: {len(a_seqs)} spooled records replayed first "
              f"(1 {damage} skipped and reported), then {len(set(b_seqs))} new")


def scenario_full(env, rs):
    spool = os.path.join(env.work, "spool-f-relp")
    shutil.rmtree(spool, ignore_errors=True)
    before = len(rs.records())
    sink = env.syslog_sink("f-relp", "relp", rs.ports["relp"], spool=spool,
                           extra=["SpoolMaxMB=#1"])
    env.drive(env.file_sink("ref-full-a") + sink + ["--sessions", "1500", "--linger-ms", "1200"])
    ref = read_ref(env, "ref-full-a")
    dropped = [r for r in ref if r["event"] == "events.dropped" and r.get("reason") == "spool_full"]
    lost = sum(r["count"] for r in dropped)
    rs.start()
    env.drive(env.file_sink("ref-full-b") + sink + ["--sessions", "0", "--linger-ms", "2500"])
    wait_for(lambda: len(by_app(rs.records()[before:], "f-relp")) >= len(ref) - lost, 10)
    rs.stop()
    inst = ref[0]["instance"]
    got = [g for g in by_app(rs.records()[before:], "f-relp")
           if json.loads(g["parsed"])["rastap@32473"]["instance"] == inst]
    seqs = [seq_of(g) for g in got]
    if not dropped:
        problem("full: no events.dropped record with reason spool_full")
    if len(seqs) + lost != len(ref):
        problem(f"full: {len(seqs)} delivered + {lost} reported lost != {len(ref)} records")
    if seqs and seqs != list(range(seqs[0], seqs[0] + len(seqs))):
        problem("full: what survived is not the newest records, in order")
    if seqs and seqs[0] != lost + 1:
        problem(f"full: the first surviving record is {seqs[0]}, expected {lost + 1}")
    print(f"full: {len(ref)} records through a 1 MiB spool, {lost} lost in whole oldest "
          f"segments and reported ({len(dropped)} events.dropped), {len(seqs)} delivered")


def bench(env, a):
    rs = Rsyslog(os.path.join(env.work, "bench"), bench=True)
    for f in glob.glob(os.path.join(rs.bench_out, "*.log")):
        os.remove(f)
    shutil.rmtree(os.path.join(env.work, "bench-sinks"), ignore_errors=True)
    rs.start()
    try:
        p = subprocess.run([env.wine, a.bench_exe, env.win(os.path.join(env.work, "bench-sinks")),
                            str(a.bench), "127.0.0.1", str(rs.ports["udp"]),
                            str(rs.ports["tcp"]), str(rs.ports["relp"]), env.win(rs.bench_out)],
                           capture_output=True, text=True,
                           env=dict(os.environ, WINEDEBUG="-all"))
        print(p.stdout, end="")
        if p.returncode:
            print(p.stderr[-2000:])
    finally:
        rs.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wine-run", required=True)
    ap.add_argument("--driver", required=True)
    ap.add_argument("--dll", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--only", default="exact,outage,restart,full")
    ap.add_argument("--bench", type=int, default=0, help="records for the benchmark")
    ap.add_argument("--bench-exe", default=None)
    a = ap.parse_args()
    if not Rsyslog.available():
        print("rsyslogd not installed (scripts/setup.sh installs rsyslog rsyslog-relp): skipped")
        return 77
    env = Env(a)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(a.wine_run)))
    env.prefix = os.environ.get("WINEPREFIX", os.path.join(repo, "build", "wineprefix"))
    os.makedirs(env.work, exist_ok=True)
    if a.bench:
        a.bench_exe = a.bench_exe or os.path.join(os.path.dirname(a.driver), "bench_sinks.exe")
        bench(env, a)
        return 0
    # Start from nothing: a run that was killed leaves spools behind, and
    # rastap rightly replays a spool it finds, which the exact scenarios
    # would then see as extra records.
    for d in glob.glob(os.path.join(env.work, "spool-*")) + glob.glob(os.path.join(env.work, "ref-*")):
        shutil.rmtree(d, ignore_errors=True)
    shutil.rmtree(os.path.join(env.prefix, "drive_c", "ProgramData", "rastap", "spool"),
                  ignore_errors=True)  # sinks on the default spool path
    rs = Rsyslog(os.path.join(env.work, "rsyslog"))
    if os.path.exists(rs.out):
        os.remove(rs.out)
    t0 = time.time()
    faulthandler.dump_traceback_later(150)  # where it is, should ctest's timeout come
    try:
        for name in a.only.split(","):
            t1 = time.time()
            globals()["scenario_" + name](env, rs)
            print(f"  ({name}: {time.time() - t1:.1f} s)", flush=True)
    finally:
        rs.stop()
    print(f"{time.time() - t0:.1f} s")
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
