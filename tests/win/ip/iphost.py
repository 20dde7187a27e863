"""iphost.py - plumbing for the address-assignment tests (check_ip.py).

Ctx writes rastap's configuration into the Wine registry the way an
administrator would (a .reg file imported with reg.exe), runs rrashost
against rastap.dll under the CMake cross-compiling emulator, and reads back
three things:

  - rrashost's --json summary (which DLL provides the address callouts);
  - rrashost's --addresses log: every address callout and what RAS got
    back, in one total order (docs/rrashost.md);
  - rastap's JSON Lines records, from a file sink of the case's own.

The checks shared by several cases (leases from RAS's side, record pairing)
are here too; what each case expects is in check_ip.py.
"""
import ipaddress
import json
import os
import pathlib
import subprocess
import time

KEY = ("HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\RemoteAccess\\Parameters\\"
       "AdminDll\\rastap")
GET4, REL4 = "MprAdminGetIpAddressForUser", "MprAdminReleaseIpAddress"
GET6, REL6 = "MprAdminGetIpv6AddressForUser", "MprAdminReleaseIpv6AddressForUser"
ERROR_NO_SYSTEM_RESOURCES = 1450


class Failure(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failure(what)


def show(items, n=5):
    items = list(items)
    more = " (and %d more)" % (len(items) - n) if len(items) > n else ""
    return "; ".join(str(i) for i in items[:n]) + more


# ------------------------------------------------------------------ addresses

def v4(text):
    return int(ipaddress.IPv4Address(text))


def v4_text(n):
    return str(ipaddress.IPv4Address(n))


def iid(text):
    """'0211:22ff:fe33:4455' -> int (first byte most significant)."""
    groups = text.split(":")
    expect(len(groups) == 4 and all(len(g) == 4 for g in groups), "bad identifier " + text)
    return int("".join(groups), 16)


def iid_text(n):
    h = "%016x" % n
    return ":".join(h[i:i + 4] for i in range(0, 16, 4))


def iid_reserved(n):
    """docs/addresses.md: never handed out."""
    return (n in (0, 1) or 0x02005EFFFE000000 <= n <= 0x02005EFFFEFFFFFF
            or 0xFDFFFFFFFFFFFF80 <= n <= 0xFDFFFFFFFFFFFFFF)


def addresses(item, in_pool):
    """One list item: an address, a range a-b or a CIDR block. In a pool,
    blocks /0-/30 leave out their network and broadcast addresses
    (docs/addresses.md, "What is accepted"); everything else is whole."""
    if "/" in item:
        net = ipaddress.IPv4Network(item)
        lo, hi = int(net.network_address), int(net.broadcast_address)
        if in_pool and net.prefixlen <= 30:
            lo, hi = lo + 1, hi - 1
        return set(range(lo, hi + 1))
    if "-" in item:
        lo, hi = item.split("-")
        return set(range(v4(lo), v4(hi) + 1))
    return {v4(item)}


def pool_set(items, exclude=(), static=()):
    """What rastap's pool may hand out: the pools minus the exclusions and
    every static address."""
    out = set()
    for item in items:
        out |= addresses(item, True)
    for item in exclude:
        out -= addresses(item, False)
    return out - set(static)


# ------------------------------------------------------------------ registry

def reg_sz(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def reg_multi(lines):
    data = "".join(line + "\0" for line in lines) + "\0"
    return "hex(7):" + ",".join("%02x" % b for b in data.encode("utf-16-le"))


def reg_value(v):
    if isinstance(v, int):
        return "dword:%08x" % v
    if isinstance(v, (list, tuple)):
        return reg_multi(v)
    return reg_sz(v)


# ------------------------------------------------------------------ records

class AddressLog:
    """rrashost --addresses: JSON Lines in one total order (seq). Every line
    gets the round it belongs to; `hold`/`resume` are the markers' seq."""

    def __init__(self, path):
        self.lines, self.hold, self.resume = [], None, None
        rnd = 0
        with open(path, encoding="utf-8") as fh:
            for raw in fh:
                e = json.loads(raw)
                mark = e.get("mark")
                if mark == "round":
                    rnd = e["round"]
                elif mark == "hold":
                    self.hold = e["seq"]
                elif mark == "resume":
                    self.resume = e["seq"]
                e["round"] = rnd
                self.lines.append(e)
        seqs = [e["seq"] for e in self.lines]
        expect(seqs == sorted(seqs) and len(set(seqs)) == len(seqs),
               "--addresses: seq not strictly increasing")
        self.calls = [e for e in self.lines if "callout" in e]

    def of(self, callout):
        return [e for e in self.calls if e["callout"] == callout]


class Lease:
    def __init__(self, get):
        self.get, self.rel = get, None

    def __repr__(self):
        g = self.get
        return "%s of session %d (%s, %s)" % (g.get("ipv4") or g.get("iid"), g["session"],
                                            g.get("user"), g["port"])


def leases(log, family):
    """RAS's side, walked in the total order: a Get that returned an address
    starts a lease, the session's Release ends it. Returns (leases,
    problems): an address handed to a second session while a first still
    holds it, a release of something the session was not given, a lease
    never released."""
    get, rel, key = (GET4, REL4, "ipv4") if family == 4 else (GET6, REL6, "iid")
    held, by_port, out, problems = {}, {}, [], []
    for e in log.calls:
        if e["callout"] == get and e["error"] == 0 and key in e:
            a = e[key]
            lease = Lease(e)
            if a in held:
                problems.append("%s handed to session %d (%s) while %r is live"
                                % (a, e["session"], e.get("user"), held[a]))
            if not e["notify"]:
                problems.append("%r: no release notification asked" % lease)
            held[a] = lease
            by_port[e["port"]] = lease
            out.append(lease)
        elif e["callout"] == rel:
            lease = by_port.pop(e["port"], None)
            if lease is None:
                problems.append("session %d released %s it was never given"
                                % (e["session"], e.get(key)))
            elif e.get(key) != lease.get[key]:
                problems.append("%r released as %s" % (lease, e.get(key)))
            else:
                lease.rel = e
                if held.get(lease.get[key]) is lease:
                    del held[lease.get[key]]
    problems += ["%r never released" % l for l in held.values()]
    return out, problems


def live_at(all_leases, seq):
    """The leases held at a point of the total order."""
    return [l for l in all_leases
            if l.get["seq"] < seq and (l.rel is None or l.rel["seq"] > seq)]


def record_leases(recs, family):
    """rastap's side: its own leases (source static or pool) walked in `seq`
    order, which is the order of the callouts when RRAS serializes the
    address pair (not with --stress). Returns problems: an address recorded
    as handed out while an earlier lease of it has no release record, a
    release that frees what its session was not given, a lease never freed."""
    ev, key = ("ip", "ipv4") if family == 4 else ("ipv6", "ipv6_iid")
    held, problems = {}, []
    mine = [r for r in recs if r["event"] in (ev + ".assign", ev + ".release")]
    for r in sorted(mine, key=lambda r: r["seq"]):
        a = r.get(key)
        if r["event"] == ev + ".assign":
            if r.get("result") != "ok" or r.get("source") == "ras":
                continue
            if a in held:
                problems.append("seq %d: %s recorded for port %s while port %s holds it"
                                % (r["seq"], a, r["port"], held[a]))
            held[a] = r["port"]
        elif r.get("result") == "ok":
            if held.get(a) != r["port"]:
                problems.append("seq %d: port %s freed %s, held by %s"
                                % (r["seq"], r["port"], a, held.get(a)))
            held.pop(a, None)
    problems += ["%s (port %s) never freed" % kv for kv in held.items()]
    return problems


def read_records(log_dir, event=None):
    """Every record (or those of one kind) of the JSON Lines in log_dir."""
    recs, tag = [], ('"event":"%s"' % event).encode() if event else b""
    for path in sorted(pathlib.Path(log_dir).glob("*.jsonl")):
        with open(path, "rb") as fh:
            for raw in fh:
                # a line still being written is read next time
                if raw.endswith(b"\n") and tag in raw:
                    recs.append(json.loads(raw))
    return [r for r in recs if event is None or r["event"] == event]


def by_port(recs, event):
    out = {}
    for r in recs:
        if r["event"] == event:
            expect(r.get("port") not in out, "two %s records for port %s" % (event, r.get("port")))
            out[r.get("port")] = r
    return out


def pair_records(log, recs, family, release_result):
    """Every address callout RAS made has its record, saying what RAS got:
    assign records carry the address handed back (or the refusal with
    `result`, and RAS's proposal), release records the lease's source and
    whether the release freed it (`release_result`, or a dict port ->
    expected result). Returns problems."""
    get, rel = (GET4, REL4) if family == 4 else (GET6, REL6)
    ev = "ip" if family == 4 else "ipv6"
    assigns, releases = by_port(recs, ev + ".assign"), by_port(recs, ev + ".release")
    problems = []
    source = {}
    for e in log.of(get):
        r = assigns.get(e["port"])
        if r is None:
            problems.append("no %s.assign record for port %s" % (ev, e["port"]))
            continue
        source[e["port"]] = r.get("source")
        want = {"notify_release": e["error"] == 0}
        if family == 4:
            want["ipv4"] = e.get("ipv4")
            want["ipv4_offered"] = e.get("offered")
        else:
            want["ipv6_iid"] = e.get("iid")
        if e["error"] == 0:
            want["result"] = "ok"
        else:
            if e["error"] != ERROR_NO_SYSTEM_RESOURCES:
                problems.append("port %s: error %d, expected 1450" % (e["port"], e["error"]))
            if r.get("result") not in ("exhausted", "busy"):
                problems.append("port %s: refused with result %r" % (e["port"], r.get("result")))
        for k, v in want.items():
            if r.get(k) != v:
                problems.append("%s.assign port %s: %s is %r, RAS saw %r"
                                % (ev, e["port"], k, r.get(k), v))
    for e in log.of(rel):
        r = releases.get(e["port"])
        if r is None:
            problems.append("no %s.release record for port %s" % (ev, e["port"]))
            continue
        want = release_result if isinstance(release_result, str) else release_result[e["port"]]
        if r.get("result") != want:
            problems.append("%s.release port %s (%s): result %r, expected %r"
                            % (ev, e["port"], e.get("ipv4") or e.get("iid"), r.get("result"),
                               want))
        if want == "ok" and r.get("source") != source.get(e["port"]):
            problems.append("%s.release port %s: source %r, assigned as %r"
                            % (ev, e["port"], r.get("source"), source.get(e["port"])))
    return problems


# ------------------------------------------------------------------ the context

class Ctx:
    def __init__(self, args):
        self.emulator = [e for e in (args.emulator or []) if e]
        self.rrashost = os.path.abspath(args.rrashost)
        self.rastap = os.path.abspath(args.rastap)
        self.name = args.case
        self.work = pathlib.Path(os.path.abspath(args.work_dir))
        self.work.mkdir(parents=True, exist_ok=True)
        self.log = []
        # rastap's file sink for this case, on the prefix's C: drive (a short
        # path: Directory allows 170 characters)
        self.log_win = "C:\\rastap-ip\\" + self.name
        self.log_dir = self.prefix() / "drive_c" / "rastap-ip" / self.name

    def prefix(self):
        if os.environ.get("WINEPREFIX"):
            return pathlib.Path(os.environ["WINEPREFIX"])
        runner = next((e for e in self.emulator if e.endswith("wine-run.sh")), None)
        if runner:  # wine-run.sh's default: <repo>/build/wineprefix
            return pathlib.Path(os.path.abspath(runner)).parent.parent / "build" / "wineprefix"
        return pathlib.Path(os.path.expanduser("~/.wine"))

    def win(self, path):
        p = os.path.abspath(str(path))
        return "Z:" + p.replace("/", "\\") if self.emulator else p

    # Output goes to a file, never a pipe: the first Wine process of a
    # prefix starts Wine's services, which inherit its stdout and outlive it
    # until the idle wineserver exits; a pipe would stay open that long.

    def run(self, argv, timeout=300):
        full = self.emulator + [str(a) for a in argv]
        out_path = self.work / "command.out"
        with open(out_path, "wb") as fh:
            rc = subprocess.run(full, stdin=subprocess.DEVNULL, stdout=fh,
                                stderr=subprocess.STDOUT, timeout=timeout, cwd=self.work).returncode
        out = out_path.read_bytes().decode("utf-8", "replace").replace("\r\n", "\n")
        self.log.append("$ %s\n%s[exit %d]\n" % (" ".join(full), out, rc))
        return rc, out

    # ---------------------------------------------------------- registry

    def configure(self, values, fresh=True, ring=None):
        """Imports rastap's configuration: `values` (name -> str, int, list)
        under rastap's key, one JSON Lines file sink in this case's
        directory. fresh: the key is deleted first (the whole configuration);
        otherwise only the given values change (a live reload)."""
        lines = ["Windows Registry Editor Version 5.00", ""]
        if fresh:
            lines += ["[-%s]" % KEY, ""]
        lines.append("[%s]" % KEY)
        if ring:
            values = dict(values, RingSize=ring)
        lines += ['"%s"=%s' % (k, reg_value(v)) for k, v in values.items()]
        if fresh:
            lines += ["", "[%s\\Sinks\\main]" % KEY, '"Type"="file"',
                      '"Directory"=%s' % reg_sz(self.log_win)]
        path = self.work / ("config-%d.reg" % len(self.log))
        path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-16")
        rc, out = self.run(["reg", "import", self.win(path), "/reg:64"])
        expect(rc == 0, "reg import %s failed: %s" % (path.name, out.strip()))

    def unconfigure(self):
        self.run(["reg", "delete", KEY.replace("HKEY_LOCAL_MACHINE", "HKLM"), "/f", "/reg:64"])

    def clean_records(self):
        if self.log_dir.exists():
            for p in self.log_dir.glob("*"):
                p.unlink()

    def records(self, event=None):
        return read_records(self.log_dir, event) if self.log_dir.exists() else []

    def generation(self, applied=None):
        applied = self.records("config.applied") if applied is None else applied
        return max([r["generation"] for r in applied] + [0])

    def reload(self, values):
        """Changes some values while rastap runs; returns the config.applied
        record of the configuration in force once the change is applied."""
        before = self.generation()
        self.configure(values, fresh=False)
        self.wait_records(lambda rs: self.generation(rs) > before,
                          "config.applied of the changed configuration", "config.applied")
        time.sleep(1.3)  # past the watcher's settle bound (1 s): nothing newer follows
        return self.records("config.applied")[-1]

    def wait_records(self, pred, what, event=None, timeout=15):
        """Records as rastap's file sink flushes them (at least once a second)."""
        t0 = time.time()
        while True:
            recs = self.records(event)
            if pred(recs):
                return recs
            expect(time.time() - t0 < timeout, "no %s in rastap's records after %d s"
                   % (what, timeout))
            time.sleep(0.2)

    # ---------------------------------------------------------- rrashost

    def scenario(self, rows, name="scenario.csv"):
        """A scenario CSV (docs/rrashost.md): rows of {column: value}."""
        cols = list(rows[0])
        path = self.work / name
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(",".join(cols) + "\n")
            for r in rows:
                cells = []
                for c in cols:
                    v = str(r[c]).replace("\\", "\\\\")
                    cells.append('"%s"' % v.replace('"', '""') if any(ch in v for ch in ',"')
                                 else v)
                fh.write(",".join(cells) + "\n")
        return path

    def host(self, *args, during_hold=None, timeout=300):
        """Runs rrashost on rastap.dll with the address log, the JSON summary
        and the audit of this case's records. during_hold: called while
        rrashost holds (--hold-at), before it is told to go on. Returns
        (exit code, output, summary, address log)."""
        jpath, apath = self.work / "summary.json", self.work / "addresses.jsonl"
        for p in (jpath, apath):
            if p.exists():
                p.unlink()
        argv = self.emulator + [self.rrashost] + [str(a) for a in args] + [
            "--hostile", "0", "--no-progress", "--json", self.win(jpath), "--addresses",
            self.win(apath), "--audit", self.log_win, self.win(self.rastap)]
        out_path = self.work / "rrashost.out"
        t0 = time.time()
        with open(out_path, "wb") as fh:
            p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=fh,
                                 stderr=subprocess.STDOUT, cwd=self.work)
        held = False
        try:
            while p.poll() is None:
                expect(time.time() - t0 < timeout, "rrashost ran longer than %d s" % timeout)
                if not held and b"rrashost: holding" in out_path.read_bytes():
                    held = True
                    if during_hold:
                        during_hold()
                    try:
                        p.stdin.write(b"\n")
                        p.stdin.flush()
                    except OSError:
                        pass  # it went on (standard input closed) or ended
                time.sleep(0.05)
        finally:
            if p.poll() is None:
                p.kill()
            p.wait()
            p.stdin.close()
        text = out_path.read_bytes().decode("utf-8", "replace").replace("\r\n", "\n")
        self.log.append("$ %s\n%s[exit %d]\n" % (" ".join(argv), text, p.returncode))
        js = json.loads(jpath.read_text()) if jpath.exists() else None
        log = AddressLog(apath) if apath.exists() else None
        return p.returncode, text, js, log
