#!/usr/bin/env python3
"""End-to-end check of rastap's pipeline under Wine.

Runs drive_pipeline.exe (which loads rastap.dll as RRAS does, with no
configuration, and fires SESSIONS sessions from THREADS threads), then reads
every JSON Lines file rastap left in %ProgramData%\\rastap of the Wine prefix
and checks:
  - every line is one JSON object, UTF-8, per event-schema.md's encoding;
  - seq runs 1, 2, 3 ... without gaps or repeats within the instance;
  - every callout the driver fired appears exactly once, with the fields it
    passed (user as RAS's UTF-16 array decoded with U+FFFD for lone
    surrogates, connection handle, counters, addresses);
  - fired == written + the counts of events.dropped records.
Exit 0 and a one-line summary on success; the first problems otherwise.
"""
import argparse
import csv
import glob
import json
import os
import subprocess
import sys

LOSS_REASONS = {"ring_full", "not_running", "stop_timeout"}
SCHEMA_COLUMNS = ("v,seq,instance,time,host,pid,event,callout,connection,user,domain,interface,"
                  "remote_computer,duration_s,bytes_in,bytes_out,client_ipv4,client_ipv6,tunnel,"
                  "auth,port,ipv4,decision,reason").split(",")
NUMERIC = {"v", "seq", "pid", "duration_s", "bytes_in", "bytes_out", "count"}
FORMULA = tuple("=+-@\t\r")


def read_jsonl(path, records, problems):
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            try:
                text = raw.decode("utf-8")
                if not text.endswith("\n") or "\n" in text[:-1]:
                    raise ValueError("not one line")
                records.append(json.loads(text))
            except (UnicodeDecodeError, ValueError) as e:
                problems.append(f"{os.path.basename(path)}:{n}: {e}")


def read_csv(path, records, problems):
    """RFC 4180 rows -> dicts; empty cells are absent, defused cells are
    checked and restored."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh, strict=True))
    header = rows[0]
    if header[:len(SCHEMA_COLUMNS)] != SCHEMA_COLUMNS:
        problems.append(f"CSV header {header[:len(SCHEMA_COLUMNS)]} is not the schema's")
    for n, row in enumerate(rows[1:], 2):
        if len(row) != len(header):
            problems.append(f"{os.path.basename(path)}:{n}: {len(row)} cells, header has "
                            f"{len(header)}")
            continue
        rec = {}
        for name, cell in zip(header, row):
            if cell == "":
                continue
            if cell.startswith(FORMULA):
                problems.append(f"row {n}: {name} cell not defused: {cell[:20]!r}")
            if cell.startswith("'") and cell[1:].startswith(FORMULA):
                cell = cell[1:]
            rec[name] = int(cell) if name in NUMERIC else cell
        records.append(rec)


def decode_units(hexstr):
    """UTF-16 units (hex, 4 digits each) up to the first NUL -> str with
    lone surrogates replaced by U+FFFD, as rastap must do."""
    units = [int(hexstr[i:i + 4], 16) for i in range(0, len(hexstr), 4)]
    if 0 in units:
        units = units[:units.index(0)]
    out, i = [], 0
    while i < len(units):
        u = units[i]
        if 0xD800 <= u < 0xDC00 and i + 1 < len(units) and 0xDC00 <= units[i + 1] < 0xE000:
            out.append(chr(0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00)))
            i += 2
            continue
        out.append("\ufffd" if 0xD800 <= u < 0xE000 else chr(u))
        i += 1
    return "".join(out)


def dotted(v):
    return ".".join(str((v >> s) & 255) for s in (0, 8, 16, 24))


def key_of(rec):
    ev = rec["event"]
    if ev.startswith("ip"):
        return (ev, rec.get("port"))
    if ev.startswith("link"):
        return (ev, rec.get("connection"), rec.get("port"))
    return (ev, rec.get("connection"))


def expected(m):
    """Manifest entry -> (key, dict of fields the record must carry)."""
    ev = m["event"]
    f = {"callout": m["callout"]}
    if "port" in m:
        m["port"] = decode_units(m["port"]) if ev.startswith("ip") else m["port"]
    if ev in ("ip.assign", "ip.release"):
        f["ipv4"] = dotted(m["ipv4"])
        if ev == "ip.assign":
            u = decode_units(m["user"])
            f["user"] = u if u else None  # an empty string is absent
            f["ipv4_offered"] = dotted(m["ipv4"])
        return (ev, m["port"]), f
    if ev.startswith("ipv6"):
        iid = m["iid"].to_bytes(4, "little") + bytes(4)
        f["ipv6_iid"] = ":".join(iid[i:i + 2].hex() for i in range(0, 8, 2))
        return (ev, m["port"]), f
    if ev.startswith("link"):
        if ev == "link.stop":
            f.update(bytes_in=m["bytes_in"], bytes_out=m["bytes_out"])
        return (ev, m["connection"], m["port"]), f
    if "user" in m:
        u = decode_units(m["user"])
        if u:
            f["user"] = u
    for k in ("client_ipv4", "duration_s", "bytes_in", "bytes_out", "quarantine"):
        if k in m:
            f[k] = m[k]
    return (ev, m["connection"]), f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wine-run", required=True)
    ap.add_argument("--driver", required=True)
    ap.add_argument("--dll", required=True)
    ap.add_argument("--sessions", type=int, default=20000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", required=True)
    ap.add_argument("--format", choices=("default", "csv"), default="default",
                    help="default: no configuration, JSON Lines in %%ProgramData%%\\rastap; "
                         "csv: a CSV file sink in WORK/csv")
    a = ap.parse_args()

    repo = os.path.dirname(os.path.dirname(os.path.abspath(a.wine_run)))
    prefix = os.environ.get("WINEPREFIX", os.path.join(repo, "build", "wineprefix"))
    logdir = os.path.join(prefix, "drive_c", "ProgramData", "rastap")
    os.makedirs(a.work, exist_ok=True)
    extra, pattern = [], "*.jsonl"
    if a.format == "csv":
        logdir, pattern = os.path.join(a.work, "csv"), "*.csv"
        extra = ["--dir", logdir, "csv"]
    for old in glob.glob(os.path.join(logdir, pattern)):
        os.remove(old)
    manifest_path = os.path.join(a.work, "manifest.jsonl")
    r = subprocess.run([a.wine_run, a.driver, a.dll, manifest_path, str(a.sessions),
                        str(a.threads)] + extra, capture_output=True, text=True, timeout=600)
    print(r.stdout.strip())
    if r.returncode != 0:
        print(r.stderr[-2000:])
        print(f"FAIL: driver exited {r.returncode}")
        return 1

    want = {}
    for line in open(manifest_path, encoding="ascii"):
        k, f = expected(json.loads(line))
        if k in want:
            print(f"FAIL: driver produced a duplicate key {k}")
            return 1
        want[k] = f

    problems, records = [], []
    files = sorted(glob.glob(os.path.join(logdir, pattern)))
    if not files:
        print(f"FAIL: no {pattern} in {logdir}")
        return 1
    for path in files:
        (read_csv if a.format == "csv" else read_jsonl)(path, records, problems)

    instances = {r["instance"] for r in records}
    if len(instances) != 1:
        problems.append(f"expected one instance, found {len(instances)}")
    seqs = [r["seq"] for r in records]
    if seqs != list(range(1, len(records) + 1)):
        problems.append("seq is not 1..N in file order")

    header_names = set(SCHEMA_COLUMNS) | {"guid", "ipv6", "result", "count"}
    dropped, seen = 0, set()
    for rec in records:
        for field in ("v", "seq", "instance", "time", "host", "pid", "event"):
            if field not in rec:
                problems.append(f"seq {rec.get('seq')}: no {field}")
        if any(v is None or v == "" for v in rec.values()):
            problems.append(f"seq {rec['seq']}: null or empty field")
        if rec["event"] == "events.dropped" and rec.get("reason", "ring_full") in LOSS_REASONS:
            dropped += rec["count"]
        if "callout" not in rec or rec["event"].startswith("service"):
            continue
        k = key_of(rec)
        if k in seen:
            problems.append(f"duplicate record {k}")
            continue
        seen.add(k)
        f = want.get(k)
        if f is None:
            problems.append(f"record not fired by the driver: {k}")
            continue
        for name, value in f.items():
            if a.format == "csv" and name not in header_names:
                continue
            if rec.get(name) != value:
                problems.append(f"{k}: {name} is {rec.get(name)!r}, fired {value!r}")

    missing = [k for k in want if k not in seen]
    written = len(seen)
    stop = [r for r in records if r["event"] == "service.stop"]
    if not stop:
        problems.append("no service.stop record")
    if len(want) != written + dropped:
        problems.append(f"fired {len(want)} != written {written} + dropped {dropped}")
    if len(missing) != dropped:
        problems.append(f"{len(missing)} fired records missing, {dropped} reported dropped; "
                        f"first missing: {missing[:3]}")
    print(f"fired {len(want)}, written {written}, reported dropped {dropped}, "
          f"records {len(records)}, files {len(files)}")
    for p in problems[:30]:
        print(f"FAIL: {p}")
    if len(problems) > 30:
        print(f"... and {len(problems) - 30} more")
    print("lost: 0" if not problems else f"problems: {len(problems)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
