"""Shared helpers of the rastapctl tests (test_rastapctl_*.py): run Windows
programs under Wine through cmake/wine-run.sh, and read the registry with
Wine's reg.exe in the 64-bit view."""
import argparse
import os
import subprocess
import sys
import tempfile

ADMIN_KEY = r"HKLM\SOFTWARE\Microsoft\RAS\AdminDll"
CONFIG_KEY = (r"HKLM\SYSTEM\CurrentControlSet\Services\RemoteAccess\Parameters"
              r"\AdminDll\rastap")
EVENTLOG_KEY = r"HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\rastap"


def args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wine-run", required=True)
    ap.add_argument("--rastapctl", required=True)
    ap.add_argument("--dll", required=True)
    ap.add_argument("--mprapi", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    return a


def winpath(p):
    """A Unix path as Wine's Z: drive sees it."""
    return "Z:" + os.path.abspath(p).replace("/", "\\")


class Wine:
    def __init__(self, a):
        self.a = a
        self.failures = 0

    def run(self, argv, env=None, timeout=60):
        """(exit code, stdout, stderr). Output goes through files, not pipes:
        a wineserver started by the call inherits the handles and would keep
        a pipe open, and us waiting, until it exits."""
        e = dict(os.environ)
        e.update(env or {})
        for attempt in range(2):
            with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
                r = subprocess.run([self.a.wine_run] + argv, stdout=out, stderr=err,
                                   stdin=subprocess.DEVNULL, timeout=timeout, env=e)
                out.seek(0)
                err.seek(0)
                res = (r.returncode, out.read().decode("utf-8", "replace"),
                       err.read().decode("utf-8", "replace"))
            # Another user of the prefix killed the wineserver under us
            # (scripts/test.sh ends with `wineserver -k`): run it again once.
            if "wine client error" not in res[2]:
                break
            print(f"note: the wineserver went away during {argv[:2]}; running it again")
        return res

    def ctl(self, *argv, env=None):
        return self.run([self.a.rastapctl] + list(argv), env=env)

    def reg(self, *argv):
        rc, out, _ = self.run(["reg"] + list(argv) + ["/reg:64"])
        return rc, out

    def values(self, key):
        """{lowercase name: (type, data)} of a key's values (one reg.exe
        call), or None when the key is absent."""
        rc, out = self.reg("query", key)
        if rc != 0:
            return None
        vals = {}
        for line in out.splitlines():
            parts = line.strip().split(None, 2)
            if len(parts) >= 2 and line.startswith("    ") and parts[1].startswith("REG_"):
                raw = line.split("    " + parts[1], 1)[1]
                vals[parts[0].lower()] = (parts[1], raw[4:] if raw.startswith("    ") else "")
        return vals

    def query(self, key, name):
        """(type, data) of a value, or None when the key or value is absent."""
        v = self.values(key)
        return v.get(name.lower()) if v is not None else None

    def key_exists(self, key):
        return self.reg("query", key)[0] == 0

    def load(self, text):
        """Applies .reg text (after the header) with one `reg import`."""
        path = os.path.join(self.a.work, "setup.reg")
        with open(path, "wb") as f:
            f.write(("Windows Registry Editor Version 5.00\r\n\r\n" + text)
                    .replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-16"))
        rc, _ = self.reg("import", winpath(path))
        assert rc == 0, "reg import failed"

    def check(self, cond, what, detail=""):
        if cond:
            print(f"ok: {what}")
        else:
            self.failures += 1
            print(f"FAIL: {what}")
            if detail:
                print("  " + detail.strip().replace("\n", "\n  "))

    def done(self):
        print("passed" if not self.failures else f"{self.failures} failures")
        sys.exit(1 if self.failures else 0)
