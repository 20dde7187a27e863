#!/usr/bin/env bash
# Runs a Windows program under Wine with rastap's private prefix.
# WINEPREFIX defaults to <repo>/build/wineprefix; it is created on first use.
# Under a lock, each call first makes sure the prefix's wineserver is up
# (persisting 30 s after its last client): two Wine processes that both
# start a server at the same instant can hang, which parallel ctest jobs
# would otherwise do. i686 programs need wine32.
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
    "$server" -p30 >/dev/null 2>&1 9>&- # no-op when one runs; must not keep the lock
) 9>"$WINEPREFIX.lock"
exec "$wine" "$@"
