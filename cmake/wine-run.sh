#!/usr/bin/env bash
# Runs a Windows program under Wine with rastap's private prefix.
# WINEPREFIX defaults to <repo>/build/wineprefix; it is created on first use.
# Under a lock, each call first makes sure the prefix's wineserver is up:
# two Wine processes that both start a server at the same instant can hang,
# which parallel ctest jobs would otherwise do.
#
# The server persists 10 minutes after its last client (scripts/test.sh
# stops it at the end), so it does not shut down in the middle of a test
# run. With 30 s, a test program was once caught with every thread waiting
# on a server that no longer existed (no server for the prefix was
# running), which hangs the program for good; the shutdown at the end of
# the persistence is the likely moment, though a plain test of that window
# did not reproduce it.
#
# When the server was not running, a throw-away process starts Wine's
# services (services.exe, winedevice.exe ...) with /dev/null for input and
# output: they inherit the stdio of the process that starts them and live
# as long as the server, so a caller reading the program's output through a
# pipe (ctest, the Python checkers) would otherwise wait for them.
# i686 programs need wine32.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
export WINEPREFIX=${WINEPREFIX:-$repo/build/wineprefix}
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
wine=$(command -v wine || command -v wine64 || echo /usr/lib/wine/wine64)
server=$(command -v wineserver || echo /usr/lib/wine/wineserver)
mkdir -p "$(dirname "$WINEPREFIX")"
(
    flock 9
    if [ ! -f "$WINEPREFIX/system.reg" ]; then
        "$wine" wineboot -i >/dev/null 2>&1 9>&-
        "$server" -w 2>/dev/null
    fi
    cold=0
    "$server" -k0 2>/dev/null || cold=1 # signal 0: is a server running?
    "$server" -p600 >/dev/null 2>&1 9>&- # no-op when one runs; must not keep the lock
    if [ $cold = 1 ]; then
        "$wine" cmd.exe /c exit </dev/null >/dev/null 2>&1 9>&-
    fi
) 9>"$WINEPREFIX.lock"
exec "$wine" "$@"
