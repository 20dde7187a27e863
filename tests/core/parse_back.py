#!/usr/bin/env python3
"""parse_back.py - an independent reader for what src/core writes.

The C tests write what the formatters produced, together with what a
reader should get back, to a file, and run

    python3 parse_back.py MODE FILE

Python's own json / csv / codecs / ipaddress / datetime modules then parse
the output and compare it with the expectation. Exit status 0 when every
case matches; otherwise one line per mismatch on stderr and status 1.

Case files are text; byte strings in them are hex so that any content
survives. Modes and their line formats (TAB-separated):

  utf8fix  IN_HEX OUT_HEX    OUT == IN (up to its first NUL) decoded with
                             errors="replace" and encoded again.
  utf16    IN_HEX OUT_HEX    IN is UTF-16LE; same rule as utf8fix.
  json8    IN_HEX OUT_HEX    OUT is a JSON string literal made from the
                             bytes IN: valid UTF-8 with no raw DEL, U+2028,
                             U+2029, it must decode (strict json) to IN read
                             as UTF-8 with errors="replace" (all bytes, NULs
                             too).
  json16   IN_HEX OUT_HEX    the same from UTF-16LE units, up to the first
                             NUL unit.
  csv8     IN_HEX OUT_HEX D  OUT is one CSV cell made from IN (UTF-8 up to
  csv16    IN_HEX OUT_HEX D  the first NUL / UTF-16LE); csv.reader must
                             read one row of one field: IN decoded as above,
                             with D = 1 and a first character = + - @ TAB
                             CR, with a ' in front.
  ipv6     ADDR_HEX TEXT     TEXT is the RFC 5952 form of the 16 bytes.
  time     MICROS TEXT       TEXT is RFC 3339 UTC with 6 fraction digits.
  jsonvalid (one line)       the line names a JSON Lines file; every line
                             of it must be a JSON object.
  csvvalid  (one line)       the line names a CSV file: our header, then
                             rows of the header's width.
  jsonrec  (blocks)          see check_jsonrec.
  csvrec   (blocks)          see check_csvrec.
"""
import csv
import datetime
import io
import ipaddress
import json
import sys

# The CSV header: docs/event-schema.md's columns, then format.h's extras.
CSV_COLUMNS = (
    "v,seq,instance,time,host,pid,event,callout,connection,user,domain,interface,"
    "remote_computer,duration_s,bytes_in,bytes_out,client_ipv4,client_ipv6,tunnel,auth,"
    "port,ipv4,decision,reason"
).split(",") + ["guid", "ipv6", "result", "count"]

failures = []


def fail(msg):
    failures.append(msg)


def strict_text(raw, what):
    """Decodes output bytes, which must be well-formed UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(f"{what}: output is not UTF-8: {e}")
        return None


def reject_constant(name):
    raise ValueError(f"non-JSON constant {name}")


def load_json(text, what):
    for ch in ("\x7f", "\u2028", "\u2029"):
        if ch in text:
            fail(f"{what}: raw {ascii(ch)} in output {ascii(text)}")
    try:
        return json.loads(text, parse_constant=reject_constant)
    except ValueError as e:
        fail(f"{what}: not JSON: {e}: {ascii(text)}")
        return None


def check_json(n, out, want):
    text = strict_text(out, f"case {n}")
    if text is None:
        return
    got = load_json(text, f"case {n}")
    if got != want:
        fail(f"case {n}: got {ascii(got)} want {ascii(want)}")


def check_csv(n, out, want):
    text = strict_text(out, f"case {n}")
    if text is None:
        return
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    if not rows and want == "":
        return
    if rows != [[want]]:
        fail(f"case {n}: got {ascii(rows)} want {ascii([[want]])}")


def check_jsonvalid(path):
    text = strict_text(open(path, "rb").read(), "file")
    if text is None:
        return
    for n, line in enumerate(text.split("\n")[:-1]):
        if not isinstance(load_json(line, f"line {n}"), dict):
            fail(f"line {n}: not an object")


def check_csvvalid(path):
    text = strict_text(open(path, "rb").read(), "file")
    if text is None:
        return
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    if not rows or rows[0] != CSV_COLUMNS:
        fail("bad header")
    for n, row in enumerate(rows[1:]):
        if len(row) != len(CSV_COLUMNS):
            fail(f"row {n}: {len(row)} cells")


def check_recode(n, raw, out, codec):
    want = decode_input(raw, codec).encode("utf-8")
    if out != want:
        fail(f"case {n}: in {raw.hex()} got {out.hex()} want {want.hex()}")


def decode_input(raw, codec):
    """What a reader should get back from input bytes: up to the first NUL
    (UTF-16: NUL unit) unless the codec is "utf-8-all", then replaced."""
    if codec == "utf-16-le":
        units = [raw[i:i + 2] for i in range(0, len(raw) - 1, 2)]
        if b"\0\0" in units:
            units = units[:units.index(b"\0\0")]
        return b"".join(units).decode(codec, "replace")
    if codec == "utf-8":
        raw = raw.split(b"\0")[0]
    return raw.decode("utf-8", "replace")


def defused(s):
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") and s else s


def check_ipv6(n, raw, text):
    addr = ipaddress.IPv6Address(raw)
    # Python before 3.13 prints IPv4-mapped addresses in hex; RFC 5952
    # section 5 wants the dotted form.
    want = f"::ffff:{addr.ipv4_mapped}" if addr.ipv4_mapped else addr.compressed
    if text != want:
        fail(f"case {n}: {raw.hex()} got {text} want {want}")


def check_time(n, us, text):
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=us)
    want = f"{t.year:04d}-{t:%m-%dT%H:%M:%S}.{t.microsecond:06d}Z"
    if text != want:
        fail(f"case {n}: {us} got {text} want {want}")


def flatten(obj, prefix=""):
    """[(key, type, value)] in document order; nested objects as a.b keys."""
    items = []
    for k, v in obj.items():
        if isinstance(v, dict):
            items += flatten(v, prefix + k + ".")
        elif isinstance(v, bool):
            items.append((prefix + k, "b", "true" if v else "false"))
        elif isinstance(v, int):
            items.append((prefix + k, "i", str(v)))
        elif isinstance(v, str):
            items.append((prefix + k, "s", v))
        else:
            items.append((prefix + k, "?", repr(v)))
    return items


def blocks(lines):
    """Splits expectation lines into blocks separated by '---'."""
    block = []
    for line in lines:
        if line == "---":
            yield block
            block = []
        elif line:
            block.append(line.split("\t"))
    if block:
        yield block


def check_jsonrec(lines):
    """First line: the path of a JSON Lines file. Then one block per record:
    lines KEY TYPE VALUE (type s: VALUE is hex UTF-8; i: decimal; b: true or
    false), in the order the record must have them; every key listed, no
    other key present."""
    raw = open(lines[0], "rb").read()
    text = strict_text(raw, "file")
    if text is None:
        return
    if not text.endswith("\n") or "\r" in text:
        fail("records must end in \\n and contain no CR")
    records = text.split("\n")[:-1]
    want_blocks = list(blocks(lines[1:]))
    if len(records) != len(want_blocks):
        fail(f"{len(records)} records, expected {len(want_blocks)}")
    for n, (rec, want) in enumerate(zip(records, want_blocks)):
        obj = load_json(rec, f"record {n}")
        if not isinstance(obj, dict):
            fail(f"record {n}: not an object")
            continue
        want = [(k, t, bytes.fromhex(v).decode() if t == "s" else v) for k, t, v in want]
        got = flatten(obj)
        if got != want:
            fail(f"record {n}:\n  got  {got}\n  want {want}")


def check_csvrec(lines):
    """First line: the path of a CSV file (header + rows). Then one block per
    row: lines COLUMN VALUE_HEX; unlisted columns must be empty cells."""
    raw = open(lines[0], "rb").read()
    text = strict_text(raw, "file")
    if text is None:
        return
    want_blocks = list(blocks(lines[1:]))
    if not text.endswith("\r\n"):
        fail("rows must end in CRLF")
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    if not rows or rows[0] != CSV_COLUMNS:
        fail(f"header {rows[:1]} != {CSV_COLUMNS}")
        return
    if len(rows) - 1 != len(want_blocks):
        fail(f"{len(rows) - 1} rows, expected {len(want_blocks)}")
    for n, (row, want) in enumerate(zip(rows[1:], want_blocks)):
        if len(row) != len(CSV_COLUMNS):
            fail(f"row {n}: {len(row)} cells")
            continue
        expect = {c: "" for c in CSV_COLUMNS}
        for col, val in want:
            if col not in expect:
                fail(f"row {n}: no column {col}")
            expect[col] = bytes.fromhex(val).decode()
        got = dict(zip(CSV_COLUMNS, row))
        for col in CSV_COLUMNS:
            if got[col] != expect[col]:
                fail(f"row {n} {col}: got {ascii(got[col])} want {ascii(expect[col])}")


def main():
    mode, path = sys.argv[1], sys.argv[2]
    with open(path, "r", encoding="ascii", newline="\n") as f:
        lines = f.read().split("\n")
    if mode == "jsonrec":
        check_jsonrec(lines)
    elif mode == "csvrec":
        check_csvrec(lines)
    elif mode == "jsonvalid":
        check_jsonvalid(lines[0])
    elif mode == "csvvalid":
        check_csvvalid(lines[0])
    else:
        for n, line in enumerate(l for l in lines if l):
            a, b, *rest = line.split("\t")
            if mode in ("json8", "json16"):
                codec = "utf-8-all" if mode == "json8" else "utf-16-le"
                check_json(n, bytes.fromhex(b), decode_input(bytes.fromhex(a), codec))
            elif mode in ("csv8", "csv16"):
                want = decode_input(bytes.fromhex(a), "utf-8" if mode == "csv8" else "utf-16-le")
                check_csv(n, bytes.fromhex(b), defused(want) if rest == ["1"] else want)
            elif mode == "utf8fix":
                check_recode(n, bytes.fromhex(a), bytes.fromhex(b), "utf-8")
            elif mode == "utf16":
                check_recode(n, bytes.fromhex(a), bytes.fromhex(b), "utf-16-le")
            elif mode == "ipv6":
                check_ipv6(n, bytes.fromhex(a), b)
            elif mode == "time":
                check_time(n, int(a), b)
            else:
                sys.exit(f"unknown mode {mode}")
    for msg in failures[:50]:
        print(msg, file=sys.stderr)
    if failures:
        print(f"{len(failures)} mismatches", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
