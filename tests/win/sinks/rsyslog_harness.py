"""A private rsyslogd for the sink tests: its own config file, ports, work
directory and pid file on loopback, started and stopped by the test; the
system's rsyslog (if any) is never touched.

Every message any input receives is written by one list template, JSON
escaped (option.jsonf), to <work>/out.jsonl: the input, PRI, HOSTNAME,
APP-NAME, PROCID, MSGID, TIMESTAMP, the raw STRUCTURED-DATA, MSG, and the
structured data as rsyslog's mmpstrucdata parsed it ($!rfc5424-sd).
"""
import os
import shutil
import signal
import socket
import subprocess
import time

CONFIG = """
global(workDirectory="{work}/state" maxMessageSize="256k")
module(load="imudp")
module(load="imtcp")
module(load="imrelp")
module(load="mmpstrucdata")
main_queue(queue.workerThreads="1" queue.timeoutShutdown="10000" queue.size="500000")
input(type="imudp" address="127.0.0.1" port="{udp}" ruleset="dump" rcvbufSize="8m")
input(type="imtcp" address="127.0.0.1" port="{tcp}" ruleset="dump")
input(type="imtcp" address="::1" port="{tcp6}" ruleset="dump")
input(type="imrelp" address="127.0.0.1" port="{relp}" ruleset="dump" maxDataSize="256k")
template(name="dump" type="list" option.jsonf="on") {{
  property(outname="input" name="inputname" format="jsonf")
  property(outname="pri" name="pri" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="app" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="time" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="sd" name="structured-data" format="jsonf")
  property(outname="parsed" name="$!rfc5424-sd" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}}
ruleset(name="dump") {{
  action(type="mmpstrucdata")
  action(type="omfile" file="{work}/out.jsonl" template="dump")
}}
"""

BENCH_CONFIG = """
global(workDirectory="{work}/state" maxMessageSize="256k")
module(load="imudp" threads="1")
module(load="imtcp")
module(load="imrelp")
main_queue(queue.workerThreads="2" queue.size="2000000" queue.dequeueBatchSize="4096")
template(name="line" type="string" string="%procid%\\n")
input(type="imudp" address="127.0.0.1" port="{udp}" ruleset="udp" rcvbufSize="32m")
input(type="imtcp" address="127.0.0.1" port="{tcp}" ruleset="tcp")
input(type="imrelp" address="127.0.0.1" port="{relp}" ruleset="relp" maxDataSize="256k")
ruleset(name="udp") {{ action(type="omfile" file="{out}/udp.log" template="line"
    asyncWriting="on" ioBufferSize="1m" flushInterval="1") }}
ruleset(name="tcp") {{ action(type="omfile" file="{out}/tcp.log" template="line"
    asyncWriting="on" ioBufferSize="1m" flushInterval="1") }}
ruleset(name="relp") {{ action(type="omfile" file="{out}/relp.log" template="line"
    asyncWriting="on" ioBufferSize="1m" flushInterval="1") }}
"""


def free_port(kind=socket.SOCK_STREAM, family=socket.AF_INET, host="127.0.0.1"):
    with socket.socket(family, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Rsyslog:
    def __init__(self, work, bench=False):
        self.work = work
        self.bench = bench
        self.proc = None
        self.rsyslogd = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
        os.makedirs(os.path.join(work, "state"), exist_ok=True)
        self.out = os.path.join(work, "out.jsonl")
        self._recs, self._off = [], 0
        self.bench_out = os.path.join(work, "bench-out")
        os.makedirs(self.bench_out, exist_ok=True)
        self.ports = {
            "udp": free_port(socket.SOCK_DGRAM),
            "tcp": free_port(),
            "tcp6": free_port(family=socket.AF_INET6, host="::1"),
            "relp": free_port(),
        }
        self.conf = os.path.join(work, "rsyslog.conf")
        text = (BENCH_CONFIG if bench else CONFIG).format(work=work, out=self.bench_out,
                                                          **self.ports)
        with open(self.conf, "w") as fh:
            fh.write(text)
        self.pidfile = os.path.join(work, "rsyslogd.pid")

    @staticmethod
    def available():
        return bool(shutil.which("rsyslogd") or os.path.exists("/usr/sbin/rsyslogd"))

    def clear_stale(self):
        """A run that was killed (a ctest timeout) leaves its rsyslogd and
        pid file behind; rsyslogd refuses to start while the file names a
        live process. Ours (its command line names our config) is stopped;
        the file goes either way."""
        try:
            with open(self.pidfile) as fh:
                pid = int(fh.read().strip() or 0)
        except (OSError, ValueError):
            pid = 0
        if pid > 0:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    mine = self.conf.encode() in fh.read()
            except OSError:
                mine = False
            if mine:
                os.kill(pid, signal.SIGKILL)
                for _ in range(100):
                    if not os.path.exists(f"/proc/{pid}"):
                        break
                    time.sleep(0.05)
        try:
            os.remove(self.pidfile)
        except OSError:
            pass

    def start(self):
        """Starts rsyslogd in the foreground (-n) and waits for its ports."""
        self.clear_stale()
        self.proc = subprocess.Popen([self.rsyslogd, "-n", "-f", self.conf, "-i", self.pidfile],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 15
        for port in (self.ports["tcp"], self.ports["relp"]):
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError("rsyslogd exited: " + self.proc.stderr.read().decode())
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.time() > deadline:
                        raise RuntimeError(f"rsyslogd does not listen on {port}")
                    time.sleep(0.05)

    def stop(self):
        """SIGTERM and wait: rsyslog drains its queue and closes its sessions."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def records(self):
        """What rsyslog wrote, in order. Read incrementally: the tests poll
        this while rastap runs, and parsing the whole file each time would
        take the CPU that Wine and rsyslog need."""
        import json
        if not os.path.exists(self.out):
            self._recs, self._off = [], 0
            return []
        if os.path.getsize(self.out) < self._off:  # a new file
            self._recs, self._off = [], 0
        with open(self.out, "rb") as fh:
            fh.seek(self._off)
            data = fh.read()
        end = data.rfind(b"\n") + 1  # a line still being written waits
        for line in data[:end].splitlines():
            if line.strip():
                self._recs.append(json.loads(line.decode("utf-8")))
        self._off += end
        return list(self._recs)
