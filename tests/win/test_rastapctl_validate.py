#!/usr/bin/env python3
"""`rastapctl validate` and `show`: the shipped .reg files are valid; hostile
.reg files (wrong types, out-of-range numbers, a REG_MULTI_SZ without its
double NUL, unknown sink types, malformed lines, REGEDIT4, UTF-16 with BOM,
garbage) are refused with every problem listed; the registry itself is read
the way rastap.dll reads it; `show` fills in the defaults; every command has
--help; usage errors exit 2."""
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_rastapctl_util import CONFIG_KEY, Wine, args, winpath  # noqa: E402

K = (r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\RemoteAccess\Parameters"
     r"\AdminDll\rastap")
HEAD = "Windows Registry Editor Version 5.00\r\n\r\n"


def hexs(b):
    return ",".join("%02x" % x for x in b)


HOSTILE = [  # name, body after the header, [(key, reason words)]
    ("ring-not-pow2", f'[{K}]\r\n"RingSize"=dword:000003e8\r\n',
     [("RingSize", "not a power of two")]),
    ("ring-as-text", f'[{K}]\r\n"RingSize"="4096"\r\n',
     [("RingSize", "is REG_SZ; RingSize must be a REG_DWORD")]),
    ("ring-as-qword", f'[{K}]\r\n"RingSize"=hex(b):00,10,00,00,00,00,00,00\r\n',
     [("RingSize", "is REG_QWORD")]),
    ("drain-3-bytes", f'[{K}]\r\n"StopDrainMs"=hex(4):01,02,03\r\n',
     [("StopDrainMs", "REG_DWORD of 3 bytes")]),
    ("dword-9-digits", f'[{K}]\r\n"DiagLevel"=dword:123456789\r\n',
     [("dword-9-digits.reg:4", "1 to 8 hex digits")]),
    ("multi-sz-single-nul",
     f'[{K}]\r\n"ActiveSinks"=hex(7):{hexs("a".encode("utf-16-le") + bytes(2))}\r\n'
     f'[{K}\\Sinks\\a]\r\n"Type"="file"\r\n',
     [("ActiveSinks", "missing the final NUL")]),
    ("multi-sz-unterminated",
     f'[{K}]\r\n"ActiveSinks"=hex(7):{hexs("a".encode("utf-16-le"))}\r\n',
     [("ActiveSinks", "not NUL-terminated")]),
    ("expand-sz-odd", f'[{K}\\Sinks\\x]\r\n"Type"="file"\r\n"Directory"=hex(2):43,00,3a\r\n',
     [("Sinks\\x\\Directory", "odd size")]),
    ("sz-unterminated",
     f'[{K}\\Sinks\\x]\r\n"Type"="file"\r\n'
     f'"Directory"=hex(1):{hexs("C:".encode("utf-16-le"))}\r\n',
     [("Sinks\\x\\Directory", "not NUL-terminated")]),
    ("unknown-type", f'[{K}\\Sinks\\k]\r\n"Type"="kafka"\r\n"Brokers"="x"\r\n',
     [("Sinks\\k\\Type", "unknown sink type")]),
    ("no-type", f'[{K}\\Sinks\\k]\r\n"Directory"="C:\\\\x"\r\n',
     [("Sinks\\k", "no Type value")]),
    ("several", f'[{K}]\r\n"RingSize"=dword:00000020\r\n"Bogus"=dword:1\r\n'
     f'[{K}\\Sinks\\f]\r\n"Type"="file"\r\n"Format"="xml"\r\n"Directory"="logs"\r\n'
     f'"MaxFileMB"=dword:0\r\n"CsvDefuse"=dword:2\r\n"FilePrefix"="a/b"\r\n'
     f'"Directory2"="C:\\\\x"\r\n',
     [("RingSize", "out of range"), ("Bogus", "unknown value"),
      ("Sinks\\f\\Format", "jsonl/csv"), ("Sinks\\f\\Directory", "not an absolute path"),
      ("Sinks\\f\\MaxFileMB", "out of range"), ("Sinks\\f\\CsvDefuse", "0 (off) or 1"),
      ("Sinks\\f\\FilePrefix", "cannot hold"), ("Sinks\\f\\Directory2", "unknown value")]),
    ("unterminated-quote", f'[{K}\\Sinks\\x]\r\n"Type"="file\r\n',
     [("unterminated-quote.reg:4", "unterminated string")]),
    ("bad-hex", f'[{K}]\r\n"RingSize"=hex(4):zz,00\r\n',
     [("bad-hex.reg:4", "bad hex data")]),
    ("bad-line", f'[{K}]\r\nRingSize=4096\r\n', [("bad-line.reg:4", "expected")]),
]


def main():
    a = args()
    w = Wine(a)

    def validate(path, *extra):
        rc, out, err = w.ctl("validate", "--file", winpath(path), "--json", *extra)
        try:
            return rc, json.loads(out), err
        except ValueError:
            return rc, {}, out + err

    print("--- the shipped .reg files")
    for path in sorted(glob.glob(os.path.join(a.source, "registry", "*.reg"))):
        rc, doc, err = validate(path)
        w.check(rc == 0 and doc.get("valid") is True,
                f"{os.path.basename(path)} is valid", f"rc {rc}\n{json.dumps(doc)}\n{err}")
    rc, out, err = w.ctl("show", "--file",
                         winpath(os.path.join(a.source, "registry", "example-two-sinks.reg")),
                         "--json")
    doc = json.loads(out) if rc == 0 else {}
    sinks = [s["name"] for s in doc.get("sinks", [])]
    w.check(rc == 0 and sinks == ["local", "share"] and
            doc["core"]["RingSize"] == {"value": "16384", "default": False} and
            doc["sinks"][0]["Format"] == {"value": "jsonl", "default": True} and
            doc["sinks"][0]["Directory"]["value"].endswith("\\rastap") and
            "%" not in doc["sinks"][0]["Directory"]["value"],
            "show --file: ActiveSinks order, values, defaults, %ProgramData% expanded",
            out + err)

    print("--- hostile .reg files")
    for name, body, want in HOSTILE:
        path = os.path.join(a.work, name + ".reg")
        with open(path, "wb") as f:
            f.write((HEAD + body).encode("utf-8"))
        rc, doc, err = validate(path)
        probs = doc.get("problems", [])
        missing = [(k, r) for k, r in want
                   if not any(p["key"] == k and r in p["reason"] for p in probs)]
        w.check(rc == 1 and doc.get("valid") is False and not missing,
                f"{name}: refused, every problem named", f"rc {rc} missing {missing}\n"
                + json.dumps(probs, indent=1) + err)

    print("--- file encodings and non-.reg files")
    body = HEAD + f'[{K}]\r\n"RingSize"=dword:00000400\r\n'
    path = os.path.join(a.work, "utf16.reg")
    with open(path, "wb") as f:
        f.write(b"\xff\xfe" + body.encode("utf-16-le"))
    rc, doc, err = validate(path)
    w.check(rc == 0, "a UTF-16LE file with BOM (as regedit writes) is read", err)
    rc, out, err = w.ctl("show", "--file", winpath(path))
    w.check(rc == 0 and "RingSize       1024" in out, "show prints its RingSize", out + err)
    for name, data, words in (
            ("regedit4", b"REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\X]\r\n", "REGEDIT4"),
            ("empty", b"", "empty"),
            ("garbage", bytes(range(1, 256)) * 20, "not a .reg file"),
            ("nul-inside", (HEAD + f'[{K}]\r\n"RingSize"=dword:00000040\r\n').encode()
             + b"\0" + b'"RingSize"="junk"\r\n', "NUL character")):
        path = os.path.join(a.work, name + ".reg")
        with open(path, "wb") as f:
            f.write(data)
        rc, doc, err = validate(path)
        w.check(rc == 1 and any(words in p["reason"] for p in doc.get("problems", [])),
                f"{name}: refused ({words})", json.dumps(doc) + err)
    rc, out, err = w.ctl("validate", "--file", r"Z:\no\such.reg")
    w.check(rc == 5 and "cannot read" in err, "a missing file is reported", err)

    print("--- the registry, read as rastap.dll reads it")
    w.reg("delete", CONFIG_KEY, "/f")
    rc, out, err = w.ctl("validate")
    w.check(rc == 0 and "built-in default" in out, "no key: the built-in default", out + err)
    w.reg("add", CONFIG_KEY, "/v", "RingSize", "/t", "REG_SZ", "/d", "4096", "/f")
    w.reg("add", CONFIG_KEY + r"\Sinks\main", "/v", "Type", "/t", "REG_SZ", "/d", "file", "/f")
    w.reg("add", CONFIG_KEY + r"\Sinks\main", "/v", "Format", "/t", "REG_SZ", "/d", "xml", "/f")
    rc, out, err = w.ctl("validate", "--json")
    doc = json.loads(out) if out.strip() else {}
    keys = sorted(p["key"] for p in doc.get("problems", []))
    w.check(rc == 1 and keys == ["RingSize", "Sinks\\main\\Format"],
            "registry: each refused value listed", out + err)
    rc, out, err = w.ctl("validate")
    w.check(rc == 1 and 'RingSize = "4096": is REG_SZ' in out, "registry: the text form", out)
    w.reg("add", CONFIG_KEY, "/v", "RingSize", "/t", "REG_DWORD", "/d", "8192", "/f")
    w.reg("add", CONFIG_KEY + r"\Sinks\main", "/v", "Format", "/t", "REG_SZ", "/d", "CSV", "/f")
    rc, out, err = w.ctl("show", "--json")
    doc = json.loads(out) if rc == 0 else {}
    w.check(rc == 0 and doc["core"]["RingSize"] == {"value": "8192", "default": False} and
            doc["core"]["StopDrainMs"] == {"value": "2000", "default": True} and
            doc["sinks"][0]["Format"] == {"value": "csv", "default": False} and
            doc["sinks"][0]["MaxFileMB"] == {"value": "100", "default": True},
            "show: set values canonical, defaults marked", out + err)
    w.reg("delete", CONFIG_KEY, "/f")

    print("--- help and usage")
    for cmd in ("install", "uninstall", "validate", "show", "status", "sessions"):
        rc, out, err = w.ctl(cmd, "--help")
        w.check(rc == 0 and out.startswith("usage: rastapctl " + cmd) and "Exit codes" in out,
                f"{cmd} --help", out + err)
    rc, out, err = w.ctl()
    w.check(rc == 2 and "commands:" in out, "no command: usage, exit 2", out)
    rc, out, err = w.ctl("frobnicate")
    w.check(rc == 2 and "unknown command" in err, "unknown command: exit 2", err)
    rc, out, err = w.ctl("validate", "--bogus")
    w.check(rc == 2, "unknown option: exit 2", err)
    w.done()


if __name__ == "__main__":
    main()
