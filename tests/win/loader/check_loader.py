#!/usr/bin/env python3
"""check_loader.py - one rrashost loader/workload/audit test case.

Runs rrashost (under the CMake cross-compiling emulator, i.e. Wine, when one
is given) against the test DLLs built next to this script and checks the
exit code, the messages and the --json summary. One case per ctest test:

    check_loader.py --case NAME --rrashost EXE --dll-dir DIR --work-dir DIR
                    [--emulator ARG ...] [--rastap DLL] [--naive DLL]

Cases are the functions decorated with @case below; --list prints them.
"""
import argparse
import pathlib
import shutil
import subprocess
import sys

from harness import Ctx, Failure, calls, expect, expect_rc, expect_text, sessions

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


# --------------------------------------------------------------- accepted DLLs

@case
def good_ex(c):
    rc, out, js = c.host(c.dll("good_ex"), "--sessions", 400, "--hostile", 20)
    expect_rc(rc, 0)
    expect_text(out, r"DLL 1: .*good_ex\.dll, Ex path")
    expect(js["runs"][0]["dlls"][0]["mode"] == "ex", "mode is not ex")
    expect(sessions(js)["started"] == 400, "not all sessions started")
    expect(calls(js, "MprAdminAcceptNewConnectionEx") > 0, "no AcceptNewConnectionEx")
    expect(calls(js, "MprAdminConnectionHangupNotificationEx") ==
           calls(js, "MprAdminAcceptNewConnectionEx"), "hangups != accepts")
    expect(calls(js, "MprAdminAcceptNewLink") == calls(js, "MprAdminLinkHangupNotification"),
           "link hangups != link accepts")
    expect(calls(js, "MprAdminGetIpv6AddressForUser") > 0, "no IPv6 callouts")
    expect(calls(js, "MprAdminTerminateDll") == 1, "TerminateDll not called once")


@case
def good_legacy(c):
    rc, out, js = c.host(c.dll("good_legacy"), "--sessions", 400)
    expect_rc(rc, 0)
    expect_text(out, r"good_legacy\.dll, legacy path")
    expect_text(out, r"calls MprAdminAcceptNewConnection2 / MprAdminConnectionHangupNotification2")
    expect(calls(js, "MprAdminInitializeDll") == 1, "InitializeDll not called once")
    expect(calls(js, "MprAdminAcceptNewConnection2") > 0, "variant 2 not used")
    expect(calls(js, "MprAdminAcceptNewConnection") == 0, "variant 1 used")
    expect(calls(js, "MprAdminAcceptReauthentication") > 0, "no reauthentication")
    expect(calls(js, "MprAdminGetIpv6AddressForUser") == 0, "IPv6 callout without export")


# --------------------------------------------------------------- refused DLLs

def refused(c, dll, *patterns, rc_want=2):
    rc, out, js = c.host(c.dll(dll), "--sessions", 20)
    expect_rc(rc, rc_want)
    for p in patterns:
        expect_text(out, p)
    if rc_want == 2 and "error 87" in out:
        expect_text(out, r"unloaded without MprAdminTerminateDll")
        expect(js is not None and calls(js, "MprAdminTerminateDll") == 0,
               "TerminateDll was called after a failed validation")
        expect(not js["runs"][0]["started"], "the workload ran")


@case
def missing_link(c):
    refused(c, "missing_link", r"refused with error 87 \(ERROR_INVALID_PARAMETER",
            r"MprAdminLinkHangupNotification is not exported")


@case
def half_ip(c):
    refused(c, "half_ip", r"error 87",
            r"MprAdminGetIpAddressForUser without MprAdminReleaseIpAddress")


@case
def mingw_layout(c):
    refused(c, "mingw_layout", r"error 87", r"Ex path",
            r"lpfnRasAdminConnectionHangupNotificationEx is NULL", r"MinGW's 10-pointer")


@case
def decorated(c):
    refused(c, "decorated", r"error 87", r"MprAdminAcceptNewLink is not exported",
            r"decorated names \(.*MprAdminAcceptNewLink@8")


@case
def ex_revision1(c):
    refused(c, "ex_revision1", r"error 87", r"revision 1 through MprAdminInitializeDllEx")


@case
def init_fail(c):
    refused(c, "init_fail", r"MprAdminInitializeDll returned 5 \(ERROR_ACCESS_DENIED",
            r"RRAS would not start")


@case
def overrun(c):
    refused(c, "overrun", r"wrote 8 byte\(s\) past the 104-byte", rc_want=4)


@case
def not_found(c):
    refused(c, "no_such_dll", r"LoadLibraryExW failed with error 126", r"RRAS would not start")


@case
def later_dll_fails(c):
    """The list stops at the first failing DLL; earlier ones are terminated."""
    rc, out, js = c.host(c.dll("good_ex"), c.dll("missing_link"), "--sessions", 20)
    expect_rc(rc, 2)
    expect_text(out, r"missing_link\.dll: refused with error 87")
    expect(calls(js, "MprAdminTerminateDll", dll=1) == 1, "first DLL not terminated")


# --------------------------------------------------------------- RRAS semantics

@case
def reject(c):
    """A refusing first DLL: counted, connection refused, later DLLs not asked,
    hangups still notified to every DLL."""
    rc, out, js = c.host(c.dll("reject"), c.dll("good_legacy"), "--sessions", 200)
    expect_rc(rc, 0)
    s = sessions(js)
    expect(s["rejected"] > 0 and s["established"] == 0, "connections were not refused")
    expect(calls(js, "MprAdminAcceptNewConnection", dll=1) == s["rejected"], "rejections")
    expect(calls(js, "MprAdminAcceptNewConnection", dll=1, what="refused") == s["rejected"],
           "refusals not counted")
    expect(calls(js, "MprAdminAcceptNewConnection2", dll=2) == 0, "later DLL was asked")
    expect(calls(js, "MprAdminConnectionHangupNotification2", dll=2) == s["rejected"],
           "later DLL not notified of the hangup")
    expect(calls(js, "MprAdminAcceptNewLink") == 0, "links after a refused connection")


@case
def ip_first_provider(c):
    rc, out, js = c.host(c.dll("good_ex"), c.dll("good_legacy"), "--sessions", 200)
    expect_rc(rc, 0)
    expect(calls(js, "MprAdminGetIpAddressForUser", dll=1) == 200, "first DLL not asked")
    expect(calls(js, "MprAdminGetIpAddressForUser", dll=2) == 0, "second DLL asked for IPs")
    expect(calls(js, "MprAdminAcceptNewConnection2", dll=2) > 0, "second DLL not called")


@case
def serialized(c):
    """overlap.dll refuses connections once two connection callouts overlap."""
    rc, out, js = c.host(c.dll("overlap"), "--sessions", 600, "--threads", 4)
    expect_rc(rc, 0)
    expect(sessions(js)["rejected"] == 0, "connection callouts overlapped")


@case
def stress(c):
    rc, out, js = c.host(c.dll("overlap"), "--sessions", 3000, "--threads", 4, "--stress")
    expect_rc(rc, 0)
    expect_text(out, r"--stress: NOT serialized")
    expect(sessions(js)["rejected"] > 0, "no overlap seen under --stress")


@case
def storm(c):
    rc, out, js = c.host(c.dll("good_ex"), "--preset", "storm", "--users", 500, "--threads", 4)
    expect_rc(rc, 0)
    expect_text(out, r"reconnect storm")
    expect(sessions(js)["started"] == 500, "storm did not run one session per user")


@case
def deterministic(c):
    """Same seed, same sessions: every count is identical, thread count aside."""
    a = c.host(c.dll("good_ex"), "--sessions", 500, "--seed", 7, "--threads", 1)[2]
    b = c.host(c.dll("good_ex"), "--sessions", 500, "--seed", 7, "--threads", 4)[2]
    d = c.host(c.dll("good_ex"), "--sessions", 500, "--seed", 8, "--threads", 1)[2]
    key = lambda js: (sessions(js), sorted((x["callout"], x["calls"])
                                           for x in js["runs"][0]["callouts"]))
    expect(key(a) == key(b), "same seed, different workload")
    expect(key(a) != key(d), "different seed, same workload")


@case
def scenario(c):
    """CSV replay through the fake rastap, audited: names with \\u escapes,
    multilink, reauthentication, counters past 4 GiB."""
    out_dir = c.work / "jsonl"
    shutil.rmtree(out_dir, ignore_errors=True)
    csv = pathlib.Path(__file__).with_name("scenario_sample.csv")
    rc, out, js = c.host(c.dll("fake_rastap"), "--scenario", c.win(csv), "--audit",
                         c.win(out_dir), "--audit-dll", 1,
                         env={"RRASHOST_FAKE_DIR": c.win(out_dir)})
    expect_rc(rc, 0)
    s = sessions(js)
    expect(s["started"] == 8, "expected the 8 rows of the scenario")
    expect(s["links"] == 10 and s["reauths"] == 3 and s["aborted"] == 1, "shapes: %s" % s)
    expect_text(out, r"^lost: 0$")
    text = "".join(p.read_text(encoding="utf-8") for p in out_dir.glob("*.jsonl"))
    expect('"bytes_out":705032704' in text, "the 5000000000-byte counter did not wrap")
    expect('"user":"l\\u2028s\ufffdx"' in text, "escaped scenario name not recorded")


@case
def registry_space(c):
    key = c.reg_set("REG_SZ", c.dll("good_ex") + "; " + c.dll("good_legacy"))
    rc, out, js = c.host("--regkey", key, "--sessions", 50)
    expect_rc(rc, 0)
    expect_text(out, r"starts with a space: RRAS stops reading the list there")
    expect(len(js["runs"][0]["dlls"]) == 1, "more than the first DLL loaded")


@case
def registry_list(c):
    key = c.reg_set("REG_SZ", c.dll("good_ex") + ";" + c.dll("good_legacy"))
    rc, out, js = c.host("--regkey", key, "--sessions", 50)
    expect_rc(rc, 0)
    expect(len(js["runs"][0]["dlls"]) == 2, "both DLLs should load")


@case
def registry_expand(c):
    env = {"RRASHOST_TEST_DLLDIR": c.win(c.dll_dir)}
    for type_ in ("REG_EXPAND_SZ", "REG_SZ"):  # RRAS expands both
        key = c.reg_set(type_, "%RRASHOST_TEST_DLLDIR%\\good_ex.dll")
        rc, out, js = c.host("--regkey", key, "--sessions", 20, env=env)
        expect_rc(rc, 0)
        expect_text(out, r"DLL 1: .*good_ex\.dll, Ex path")


@case
def registry_multi_sz(c):
    key = c.reg_set("REG_MULTI_SZ", c.dll("good_ex"))
    rc, out, js = c.host("--regkey", key, "--sessions", 20, json_out=False)
    expect_rc(rc, 2)
    expect_text(out, r"registry type 7; RRAS accepts only REG_SZ")
    expect_text(out, r"error 1015 \(ERROR_REGISTRY_CORRUPT")


@case
def registry_no_dllpath(c):
    key = c.reg_set(None, None)
    rc, out, js = c.host("--regkey", key, json_out=False)
    expect_rc(rc, 2)
    expect_text(out, r"has no DllPath value")


@case
def registry_absent(c):
    rc, out, js = c.host("--regkey", "HKCU\\Software\\rrashost-test\\absent", json_out=False)
    expect_rc(rc, 1)
    expect_text(out, r"no admin DLL registered")


@case
def plot(c):
    png = c.work / "latency.png"
    for f in (png, png.with_suffix(".gp"), png.with_suffix(".dat")):
        if f.exists():
            f.unlink()
    rc, out, js = c.host(c.dll("good_ex"), "--sessions", 500, "--plot", c.win(png))
    expect_rc(rc, 0)
    expect(png.with_suffix(".gp").exists() and png.with_suffix(".dat").exists(),
           "no .gp/.dat written")
    if shutil.which("gnuplot") and c.emulator:
        expect(png.exists() and png.stat().st_size > 1000, "gnuplot did not draw the PNG")


# --------------------------------------------------------------- audit

def fake(c, mode, rc_want, *patterns):
    out_dir = c.work / "jsonl"
    shutil.rmtree(out_dir, ignore_errors=True)
    rc, out, js = c.host(c.dll("fake_rastap"), "--sessions", 1500, "--hostile", 40,
                         "--audit", c.win(out_dir), "--audit-dll", 1,
                         env={"RRASHOST_FAKE_DIR": c.win(out_dir), "RRASHOST_FAKE_MODE": mode})
    expect_rc(rc, rc_want)
    for p in patterns:
        expect_text(out, p)
    return js


@case
def audit_ok(c):
    js = fake(c, "ok", 0, r"^lost: 0$", r"missing 0, duplicated 0, unexpected 0, mismatched 0")
    a = js["runs"][0]["audit"]
    expect(a["ok"] and a["fired"] == a["written"] > 0, "audit summary: %s" % a)


@case
def audit_dropped_accounted(c):
    fake(c, "drop", 0, r"^lost: 0$", r"dropped [1-9][0-9]* \(events\.dropped\)")


@case
def audit_lost(c):
    fake(c, "lose", 3, r"^lost: [1-9]", r"^  missing: ")


@case
def audit_duplicate(c):
    fake(c, "dup", 3, r"duplicated [1-9]", r"^  duplicate \(seq ")


@case
def audit_altered(c):
    fake(c, "alter", 3, r"mismatched [1-9]", r"user differs")


@case
def e2e_rastap(c):
    """The real thing: rastap.dll's worker and JSON Lines sink must deliver
    every event exactly once (disable with -DRT_E2E_AUDIT=OFF)."""
    expect(c.rastap, "--rastap not given")
    # rastap with no configuration writes to %ProgramData%\rastap: make sure
    # no earlier test left a configuration behind.
    c.run(["reg", "delete", "HKLM\\SYSTEM\\CurrentControlSet\\Services\\RemoteAccess\\"
           "Parameters\\AdminDll\\rastap", "/f", "/reg:64"])
    rc, out, js = c.host(c.win(c.rastap), "--sessions", 2000, "--threads", 2, "--audit",
                         "C:\\ProgramData\\rastap")
    expect_text(out, r"^lost: 0$")
    expect_rc(rc, 0)


# --------------------------------------------------------------- naive baseline

@case
def naive(c):
    expect(c.naive, "--naive not given")
    log_path = c.work / "naive.log"
    if log_path.exists():
        log_path.unlink()
    rc, out, js = c.host(c.win(c.naive), "--sessions", 300,
                         env={"NAIVE_ADMIN_LOG": c.win(log_path)})
    expect_rc(rc, 0)
    expect(sessions(js)["rejected"] > 0, "the sample refuses Administrator; none refused")
    log = log_path.read_text(encoding="utf-8", errors="replace")
    expect("Administrator" in log and "hangup" in log, "naive log lacks records")


@case
def compare(c):
    expect(c.naive, "--naive not given")
    rc, out, js = c.host(c.dll("good_ex"), "--compare", c.win(c.naive), "--sessions", 300,
                         env={"NAIVE_ADMIN_LOG": c.win(c.work / "naive.log")})
    expect_rc(rc, 0)
    expect_text(out, r"== comparison, same workload: A = good_ex\.dll, B = naive_admin\.dll")
    expect(len(js["runs"]) == 2 and js["comparison"], "no comparison in --json")
    expect(sessions(js, 0)["started"] == sessions(js, 1)["started"] == 300, "workloads differ")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--rrashost")
    ap.add_argument("--dll-dir")
    ap.add_argument("--work-dir")
    ap.add_argument("--emulator", action="append")
    ap.add_argument("--rastap")
    ap.add_argument("--naive")
    args = ap.parse_args()
    if args.list:
        print("\n".join(CASES))
        return 0
    c = Ctx(args)
    try:
        CASES[args.case](c)
    except (Failure, subprocess.TimeoutExpired, KeyError, ValueError) as e:
        print("".join(c.log))
        print("FAIL %s: %s" % (args.case, e))
        return 1
    print("".join(c.log[-1:]))
    print("PASS %s" % args.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
