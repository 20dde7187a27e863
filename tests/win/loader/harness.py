"""harness.py - running rrashost from the loader tests (see check_loader.py).

Ctx runs rrashost under the CMake cross-compiling emulator (Wine) when one
is given, keeps a log of every command, and reads the --json summary.
"""
import json
import os
import pathlib
import re
import subprocess


class Failure(Exception):
    pass


class Ctx:
    def __init__(self, args):
        self.emulator = [e for e in (args.emulator or []) if e]
        absolute = lambda p: os.path.abspath(p) if p else p
        self.rrashost = absolute(args.rrashost)
        self.dll_dir = pathlib.Path(absolute(args.dll_dir))
        self.work = pathlib.Path(absolute(args.work_dir))
        self.rastap = absolute(args.rastap)
        self.naive = absolute(args.naive)
        self.name = args.case
        self.work.mkdir(parents=True, exist_ok=True)
        self.log = []

    def win(self, path):
        """A path as the Windows program sees it (Wine maps / to Z:)."""
        p = os.path.abspath(str(path))
        return "Z:" + p.replace("/", "\\") if self.emulator else p

    def dll(self, name):
        return self.win(self.dll_dir / (name + ".dll"))

    def run(self, argv, env=None, timeout=600):
        full = self.emulator + argv
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=e,
                           timeout=timeout, cwd=self.work)
        out = p.stdout.decode("utf-8", "replace").replace("\r\n", "\n")
        self.log.append("$ " + " ".join(full) + "\n" + out + "[exit %d]\n" % p.returncode)
        return p.returncode, out

    def host(self, *args, env=None, json_out=True):
        """Runs rrashost; returns (exit code, output, parsed --json or None)."""
        argv = [self.rrashost] + [str(a) for a in args]
        jpath = self.work / (self.name + ".json")
        if json_out:
            if jpath.exists():
                jpath.unlink()
            argv += ["--json", self.win(jpath)]
        rc, out = self.run(argv, env=env)
        js = json.loads(jpath.read_text()) if json_out and jpath.exists() else None
        return rc, out, js

    def reg_set(self, type_, value):
        key = "HKCU\\Software\\rrashost-test\\" + self.name
        self.run(["reg", "delete", key, "/f"])
        if type_ is not None:
            rc, _ = self.run(["reg", "add", key, "/v", "DllPath", "/t", type_, "/d", value, "/f"])
            expect(rc == 0, "reg add failed")
        else:
            rc, _ = self.run(["reg", "add", key, "/v", "DisplayName", "/t", "REG_SZ", "/d",
                              "test", "/f"])
            expect(rc == 0, "reg add failed")
        return key


def expect(cond, what):
    if not cond:
        raise Failure(what)


def expect_rc(rc, want):
    expect(rc == want, "exit code %d, expected %d" % (rc, want))


def expect_text(out, pattern):
    expect(re.search(pattern, out, re.M) is not None, "output lacks /%s/" % pattern)


def calls(js, callout, dll=None, run=0, what="calls"):
    return sum(c[what] for c in js["runs"][run]["callouts"]
               if c["callout"] == callout and (dll is None or c["dll"] == dll))


def sessions(js, run=0):
    return js["runs"][run]["sessions"]
