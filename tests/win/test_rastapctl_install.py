#!/usr/bin/env python3
"""`rastapctl install` / `uninstall` against Wine's registry (64-bit view):
with zero, one and several admin DLLs already in DllPath, a REG_EXPAND_SZ
list ending with ';', an entry beginning with a space (where RRAS stops
reading), an older rastap entry, a REG_MULTI_SZ DllPath, and bad paths.
Other DLLs' entries must come out byte for byte as they went in; install is
idempotent; uninstall removes the AdminDll key only when nothing remains."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_rastapctl_util import (ADMIN_KEY, CONFIG_KEY, EVENTLOG_KEY, Wine, args,  # noqa: E402
                                 winpath)


def full(key):
    return key.replace("HKLM", "HKEY_LOCAL_MACHINE", 1)


def reg_str(v):
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def reset(w, dllpath=None, kind="REG_SZ", display=None):
    """Deletes the AdminDll and event log keys and sets DllPath / DisplayName,
    all in one `reg import`."""
    text = f"[-{full(ADMIN_KEY)}]\n[-{full(EVENTLOG_KEY)}]\n"
    if dllpath is not None or display is not None:
        text += f"[{full(ADMIN_KEY)}]\n"
    if dllpath is not None:
        if kind == "REG_EXPAND_SZ":
            data = (dllpath + "\0").encode("utf-16-le")
            text += '"DllPath"=hex(2):' + ",".join("%02x" % b for b in data) + "\n"
        else:
            text += '"DllPath"=' + reg_str(dllpath) + "\n"
    if display is not None:
        text += '"DisplayName"=' + reg_str(display) + "\n"
    w.load(text)


def dllpath(w):
    v = w.query(ADMIN_KEY, "DllPath")
    return v[1] if v else None


def scenario(w, name, before, after_install, after_uninstall, dll, kind="REG_SZ",
             display=None, install_rc=0):
    print(f"--- {name}")
    reset(w, before, kind, display)
    rc, out, err = w.ctl("install", dll)
    installed = (out, err)
    w.check(rc == install_rc, f"{name}: install exits {install_rc}", f"rc {rc}\n{out}{err}")
    admin = w.values(ADMIN_KEY) or {}
    got = admin.get("dllpath", (None, None))
    w.check(got[1] == after_install, f"{name}: DllPath after install",
            f"want {after_install!r}\ngot  {got[1]!r}")
    w.check(got[0] == kind, f"{name}: DllPath keeps its type {kind}", repr(got))
    dn = admin.get("displayname")
    w.check(dn and dn[1] == (display or "rastap"), f"{name}: DisplayName", repr(dn))
    ev = w.values(EVENTLOG_KEY) or {}
    w.check(ev.get("eventmessagefile") == ("REG_EXPAND_SZ", dll),
            f"{name}: event log source registered with EventMessageFile", repr(ev))
    w.check(ev.get("typessupported") == ("REG_DWORD", "0x7"), f"{name}: TypesSupported 7",
            repr(ev))

    rc, out, err = w.ctl("install", dll)
    w.check(rc == install_rc and "nothing changed" in out and dllpath(w) == after_install,
            f"{name}: a second install changes nothing", f"rc {rc}\n{out}{err}")

    rc, out, err = w.ctl("uninstall")
    w.check(rc == 0, f"{name}: uninstall exits 0", f"rc {rc}\n{out}{err}")
    admin = w.values(ADMIN_KEY)
    got = (admin or {}).get("dllpath", (None, None))[1]
    w.check(got == after_uninstall, f"{name}: DllPath after uninstall",
            f"want {after_uninstall!r}\ngot  {got!r}")
    if after_uninstall is None:
        w.check(admin is None, f"{name}: the AdminDll key is gone")
    else:
        w.check("displayname" in admin, f"{name}: DisplayName kept while other DLLs remain")
    w.check(not w.key_exists(EVENTLOG_KEY), f"{name}: event log source unregistered")
    return installed, (out, err)


def main():
    a = args()
    w = Wine(a)
    dll = winpath(a.dll)
    saved = w.query(ADMIN_KEY, "DllPath")

    scenario(w, "no DLL listed", None, dll, None, dll)
    scenario(w, "one DLL listed", r"C:\other\a.dll", r"C:\other\a.dll;" + dll,
             r"C:\other\a.dll", dll, display="Other admin DLL")
    scenario(w, "several, REG_EXPAND_SZ ending with ';'",
             r"C:\a.dll;C:\b.dll;%SystemRoot%\c.dll;",
             r"C:\a.dll;C:\b.dll;%SystemRoot%\c.dll;" + dll,
             r"C:\a.dll;C:\b.dll;%SystemRoot%\c.dll", dll, kind="REG_EXPAND_SZ")
    (iout, ierr), (uout, uerr) = scenario(w, "an entry beginning with a space",
                                          r"C:\a.dll; C:\b.dll", r"C:\a.dll; C:\b.dll;" + dll,
                                          r"C:\a.dll; C:\b.dll", dll, install_rc=1)
    w.check("begins with a space" in ierr and "rastap among them" in ierr,
            "install warns that RRAS stops at the space, rastap included", ierr)
    w.check("not loaded" in iout, "install marks the entries RRAS will not load", iout)
    w.check("begins with a space" in uerr and "rastap among them" not in uerr,
            "uninstall still warns about the other DLL's entry", uerr)

    print("--- rastap already listed elsewhere")
    reset(w, r"C:\old\RASTAP.DLL;C:\x.dll;C:\older\rastap.dll")
    rc, out, err = w.ctl("install", dll)
    w.check(rc == 0 and dllpath(w) == dll + r";C:\x.dll",
            "install replaces rastap's old entry in place and drops a second one",
            f"{dllpath(w)!r}\n{out}{err}")
    rc, out, err = w.ctl("uninstall")
    w.check(dllpath(w) == r"C:\x.dll", "uninstall leaves the other DLL", repr(dllpath(w)))

    print("--- DllPath of the wrong type")
    w.load(f"[-{full(ADMIN_KEY)}]\n[{full(ADMIN_KEY)}]\n"
           '"DllPath"=hex(7):41,00,00,00,42,00,00,00,00,00\n')
    rc, out, err = w.ctl("install", dll)
    w.check(rc == 1 and "1015" in err and w.query(ADMIN_KEY, "DllPath")[0] == "REG_MULTI_SZ",
            "install refuses a REG_MULTI_SZ DllPath and leaves it alone", f"rc {rc}\n{err}")
    rc, out, err = w.ctl("uninstall")
    w.check(rc == 1 and w.query(ADMIN_KEY, "DllPath")[0] == "REG_MULTI_SZ",
            "uninstall refuses it too", f"rc {rc}\n{err}")

    print("--- bad paths")
    reset(w)
    rc, out, err = w.ctl("install", r"Z:\no\such\dir\rastap.dll")
    w.check(rc == 2 and "does not exist" in err, "a missing DLL is refused", err)
    rc, out, err = w.ctl("install", winpath(a.mprapi))
    w.check(rc == 2 and "rastap.dll" in err, "a DLL not called rastap.dll is refused", err)
    rc, out, err = w.ctl("install", dll, "--bogus")
    w.check(rc == 2, "an unknown option is a usage error", err)
    w.check(not w.key_exists(ADMIN_KEY), "nothing was written by the refused installs")

    print("--- uninstall when not installed, and --purge")
    rc, out, err = w.ctl("uninstall")
    w.check(rc == 0 and "not registered" in out, "uninstall without registration is fine", out)
    reset(w, r"C:\keep.dll;" + dll)
    w.load(f"[{full(CONFIG_KEY)}]\n" '"RingSize"=dword:00001000\n')
    rc, out, err = w.ctl("uninstall", "--purge")
    w.check(rc == 0 and not w.key_exists(CONFIG_KEY) and dllpath(w) == r"C:\keep.dll",
            "uninstall --purge deletes the configuration and keeps the other DLL", out + err)
    reset(w, None, display="x")
    rc, out, err = w.ctl("uninstall")
    w.check(rc == 0 and w.query(ADMIN_KEY, "DisplayName") is not None,
            "uninstall does not touch an AdminDll key rastap is not listed in", out)

    print("--- default path: the rastap.dll beside rastapctl.exe")
    reset(w)
    rc, out, err = w.ctl("install")
    w.check(rc == 0 and dllpath(w) == winpath(os.path.join(os.path.dirname(a.rastapctl),
                                                           "rastap.dll")),
            "install without PATH registers the DLL next to rastapctl", f"{dllpath(w)}\n{err}")
    w.ctl("uninstall")

    reset(w)
    if saved:  # leave the registry as we found it
        w.reg("add", ADMIN_KEY, "/v", "DllPath", "/t", saved[0], "/d", saved[1], "/f")
    w.done()


if __name__ == "__main__":
    main()
