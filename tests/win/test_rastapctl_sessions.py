#!/usr/bin/env python3
"""`rastapctl sessions` against the test-double mprapi.dll
(tests/win/mprapi_double): listing through MprAdminConnectionEnumEx, the
level-3 fallback, paging with ERROR_MORE_DATA, --watch with
MprAdminRegisterConnectionNotification, and each error code at each stage
(ERROR_ACCESS_DENIED, ERROR_DDM_NOT_RUNNING, ERROR_INVALID_PARAMETER, RPC
errors): the right message and exit code, and the binding always closed
(deregistered, disconnected, every buffer freed)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_rastapctl_util import Wine, args, winpath  # noqa: E402

ERRORS = [  # code, exit code, words the message must hold
    (5, 3, "access denied"),
    (903, 4, "Routing and Remote Access service is not running"),
    (87, 5, "ERROR_INVALID_PARAMETER"),
    (1722, 4, "cannot reach"),
    (1717, 4, "does not offer the RRAS administration interface"),
    (1702, 4, "invalid RPC binding"),
    (1726, 4, "RPC to"),
    (1450, 5, "failed"),  # ERROR_NO_SYSTEM_RESOURCES: an ordinary failure
]


def main():
    a = args()
    w = Wine(a)
    log = os.path.join(a.work, "mprapi.log")
    logw = "Z:" + log.replace("/", "\\")

    def run(*extra, env=None):
        if os.path.exists(log):
            os.remove(log)
        e = {"MPRAPI_DOUBLE_LOG": logw}
        e.update(env or {})
        rc, out, err = w.ctl("sessions", "--mprapi", winpath(a.mprapi), *extra, env=e)
        calls = open(log).read().splitlines() if os.path.exists(log) else []
        return rc, out, err, calls

    rc, out, err, calls = run("--json", env={"MPRAPI_DOUBLE_SESSIONS": "3"})
    doc = json.loads(out) if rc == 0 else {}
    w.check(rc == 0 and doc.get("count") == 3 and doc.get("level") == "RAS_CONNECTION_EX",
            "three connections through MprAdminConnectionEnumEx", out + err)
    c = doc.get("connections", [{}] * 3)
    w.check(c[1] == {"connection": "0x1001", "user": "user1", "domain": "CORP",
                     "client_ipv4": "10.0.0.11", "endpoint_remote": "203.0.113.2",
                     "tunnel": "ikev2", "duration_s": 60, "bytes_in": 1000, "bytes_out": 2000},
            "every field of a connection", json.dumps(c[1]))
    w.check(calls[0] == "connect (local)" and calls[-1] == "disconnect valid=1 outstanding=0",
            "connected, disconnected, every buffer freed", "\n".join(calls))

    rc, out, err, calls = run(env={"MPRAPI_DOUBLE_SESSIONS": "0"})
    w.check(rc == 0 and "0 connections" in out, "no connection is not an error", out + err)

    rc, out, err, calls = run("--json", "--server", "vpn01",
                              env={"MPRAPI_DOUBLE_SESSIONS": "5", "MPRAPI_DOUBLE_PAGE": "2"})
    doc = json.loads(out) if rc == 0 else {}
    w.check(rc == 0 and [x["connection"] for x in doc.get("connections", [])] ==
            ["0x1000", "0x1001", "0x1002", "0x1003", "0x1004"] and doc.get("server") == "vpn01",
            "paging with ERROR_MORE_DATA returns every connection once", out + err)
    w.check(calls.count("enumex resume=0") == 1 and "enumex resume=4" in calls and
            calls[0] == "connect vpn01" and calls[-1].endswith("outstanding=0"),
            "resume handle followed, buffers freed per page", "\n".join(calls))

    rc, out, err, calls = run("--json", env={"MPRAPI_DOUBLE_NO_EX": "1"})
    doc = json.loads(out) if rc == 0 else {}
    w.check(rc == 0 and doc.get("level") == "RAS_CONNECTION_3" and doc.get("count") == 2 and
            doc["connections"][0] == {"connection": "0x1000", "user": "user0",
                                      "client_ipv4": "10.0.0.10"},
            "without the Ex call: MprAdminConnectionEnum level 3", out + err)
    w.check("enum level=3" in calls, "level 3 was asked for", "\n".join(calls))

    for code, exit_code, words in ERRORS:
        for stage, var in (("MprAdminServerConnect", "MPRAPI_DOUBLE_CONNECT"),
                           ("MprAdminConnectionEnumEx", "MPRAPI_DOUBLE_ENUM"),
                           ("MprAdminRegisterConnectionNotification", "MPRAPI_DOUBLE_REGISTER")):
            extra = ("--watch",) if "Register" in stage else ()
            rc, out, err, calls = run(*extra, env={var: str(code)})
            w.check(rc == exit_code and stage in err and words in err,
                    f"{stage} error {code}: exit {exit_code}, says \"{words}\"",
                    f"rc {rc}\n{err}")
            if stage != "MprAdminServerConnect":
                w.check(calls and calls[-1].startswith("disconnect valid=1") and
                        calls[-1].endswith("outstanding=0"),
                        f"{stage} error {code}: still disconnected, nothing leaked",
                        "\n".join(calls))
            else:
                w.check("disconnect" not in "\n".join(calls),
                        f"{stage} error {code}: no disconnect of a handle never opened")

    print("--- watch")
    # The double keeps adding a connection and signalling every 50 ms; signals
    # that come while rastapctl lists coalesce (the event is auto-reset), so
    # the counts only have to grow.
    rc, out, err, calls = run("--watch", "--count", "4", "--json",
                              env={"MPRAPI_DOUBLE_CHANGES": "40"})
    docs = [json.loads(line) for line in out.splitlines() if line.strip()] if rc == 0 else []
    counts = [d["count"] for d in docs]
    w.check(rc == 0 and len(docs) == 4 and counts[0] == 2 and
            all(a < b for a, b in zip(counts, counts[1:])) and
            [d["refresh"] for d in docs] == [1, 2, 3, 4],
            "--watch lists again on every signal (JSON Lines)", out + err)
    w.check(calls[:2] == ["connect (local)", "register"] and
            "deregister same_event=1" in calls and calls[-1] == "disconnect valid=1 outstanding=0"
            and calls.index("deregister same_event=1") < len(calls) - 1,
            "--watch registers, then deregisters the same event before disconnecting",
            "\n".join(calls))

    rc, out, err, calls = run("--watch", env={"MPRAPI_DOUBLE_CHANGES": "40",
                                              "MPRAPI_DOUBLE_ENUM": "903",
                                              "MPRAPI_DOUBLE_ENUM_AFTER": "2"})
    w.check(rc == 4 and "not running" in err and out.count("connections on") == 2,
            "RRAS stopping during --watch ends it with 903's message", f"rc {rc}\n{out}{err}")
    w.check("deregister same_event=1" in calls and calls[-1].startswith("disconnect valid=1"),
            "and still deregisters and disconnects", "\n".join(calls))

    rc, out, err, calls = run("--watch", "--count", "1",
                              env={"MPRAPI_DOUBLE_DEREGISTER": "1726"})
    w.check(rc == 4 and "MprAdminDeregisterConnectionNotification" in err and
            calls[-1].startswith("disconnect"),
            "a failing deregistration is reported, the handle still closed", f"rc {rc}\n{err}")

    print("--- usage")
    rc, out, err, _ = run("--count", "0")
    w.check(rc == 2, "--count 0 is a usage error", err)
    rc, out, err, _ = run("--help")
    w.check(rc == 0 and "MprAdminConnectionEnumEx" in out, "--help", out)
    rc, out, err = w.ctl("sessions", "--mprapi", r"Z:\no\such\mprapi.dll")
    w.check(rc == 5 and "cannot load" in err, "a missing mprapi.dll is reported", err)
    w.done()


if __name__ == "__main__":
    main()
