#!/usr/bin/env python3
"""Checks rastap.dll's PE image: the exact export list, imports only from an
allow-list of System32 DLLs, hardened flags, and a VERSIONINFO resource.

Usage: pe_check.py --objdump OBJDUMP --exports def/rastap.def --bits 8|4 DLL
Prints what it checked; exits 1 with the reason on any mismatch.
"""
import argparse
import re
import subprocess
import sys

# DLLs that every supported Windows ships in System32.
SYSTEM32 = {
    "kernel32.dll", "advapi32.dll", "ws2_32.dll", "msvcrt.dll", "ntdll.dll",
    "user32.dll", "bcrypt.dll", "iphlpapi.dll", "secur32.dll", "crypt32.dll",
    "rpcrt4.dll", "ole32.dll", "shell32.dll", "shlwapi.dll", "wevtapi.dll",
    "dnsapi.dll", "mswsock.dll", "userenv.dll", "version.dll",
}
# Never: MinGW's runtime DLLs (not found under LOAD_LIBRARY_SEARCH_DEFAULT_DIRS)
# nor mprapi.dll (the DLL must not call the RAS admin API).
FORBIDDEN = re.compile(r"^(libgcc|libwinpthread|libstdc\+\+|libssp|mprapi)", re.I)


def def_exports(path):
    names, in_exports = [], False
    for line in open(path, encoding="utf-8"):
        line = line.split(";", 1)[0].strip()
        if not line:
            continue
        if line.upper() == "EXPORTS":
            in_exports = True
            continue
        if in_exports:
            names.append(line.split()[0])
    return sorted(names)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objdump", required=True)
    ap.add_argument("--exports", required=True)
    ap.add_argument("--bits", type=int, required=True, help="pointer size in bytes")
    ap.add_argument("dll")
    a = ap.parse_args()
    out = subprocess.run([a.objdump, "-p", a.dll], check=True, capture_output=True,
                         text=True).stdout
    failures = []

    exported = sorted(re.findall(r"^\s*\[\s*\d+\]\s+([A-Za-z_][\w@]*)\s*$", out, re.M))
    expected = def_exports(a.exports)
    if len(expected) != 19:
        failures.append(f"{a.exports} lists {len(expected)} names, expected 19")
    if exported != expected:
        failures.append(f"exports differ: extra {sorted(set(exported) - set(expected))}, "
                        f"missing {sorted(set(expected) - set(exported))}")
    decorated = [n for n in exported if "@" in n]
    if decorated:
        failures.append(f"decorated export names: {decorated}")
    print(f"exports: {len(exported)} names, equal to {a.exports}: {exported == expected}")

    imports = sorted({m.lower() for m in re.findall(r"DLL Name:\s*(\S+)", out)})
    print(f"imports: {', '.join(imports)}")
    for dll in imports:
        if FORBIDDEN.match(dll) or dll not in SYSTEM32:
            failures.append(f"import outside the System32 allow-list: {dll}")

    flags = set(re.findall(r"^\s+(HIGH_ENTROPY_VA|DYNAMIC_BASE|NX_COMPAT)\s*$", out, re.M))
    want = {"DYNAMIC_BASE", "NX_COMPAT"} | ({"HIGH_ENTROPY_VA"} if a.bits == 8 else set())
    print(f"dll characteristics: {', '.join(sorted(flags))}")
    if not want <= flags:
        failures.append(f"missing PE flags: {sorted(want - flags)}")

    image = open(a.dll, "rb").read()
    for key in ("FileVersion", "ProductVersion", "OriginalFilename"):
        if key.encode("utf-16-le") not in image:
            failures.append(f"VERSIONINFO lacks {key}")
    if "rastap.dll".encode("utf-16-le") not in image:
        failures.append("VERSIONINFO does not name rastap.dll")
    print("versioninfo: present" if not any("VERSIONINFO" in f for f in failures) else
          "versioninfo: incomplete")

    for f in failures:
        print(f"FAIL: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
