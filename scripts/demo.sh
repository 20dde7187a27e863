#!/usr/bin/env bash
# demo.sh - the README's demo: install rastap.dll in a private Wine prefix
# the way an administrator would, let rrashost play RRAS with 10 000 VPN
# sessions, and show what rastap wrote.
#
# One command from a fresh Debian 12 machine (as root): installs what is
# missing (scripts/setup.sh), builds the win64 preset, then runs the demo.
# Both steps are idempotent. Variables:
#   RT_BUILD     an existing build tree to use as is (default: build/win64,
#                set up and built first)
#   WINEPREFIX   private prefix (default: build/wineprefix)
#   SESSIONS     sessions to replay (default: 10000)
#   THREADS      rrashost worker threads (default: 4)
#   RATE         sessions started per second (default: 2000, a busy server;
#                0 = flat out, which overflows rastap's default ring: the
#                audit then counts the drops rastap reported)
#   DEMO_OUT     where summary.json goes (default: $RT_BUILD/demo)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
build=${RT_BUILD:-$repo/build/win64}
export WINEPREFIX=${WINEPREFIX:-$repo/build/wineprefix}
sessions=${SESSIONS:-10000}
threads=${THREADS:-4}
rate=${RATE:-2000}
run="$repo/cmake/wine-run.sh" # creates the prefix on first use, then runs wine
log() { printf '\n[demo] %s\n' "$*"; }

if [ -z "${RT_BUILD:-}" ]; then
    log "installing what is missing and building rastap.dll and rrashost (win64)"
    scripts/setup.sh
    cmake --preset win64 >/dev/null
    cmake --build --preset win64 --target rastap rrashost >/dev/null
fi

dll=$build/rastap.dll
host=$build/tools/rrashost/rrashost.exe
for f in "$dll" "$host"; do
    [ -f "$f" ] || { echo "demo: $f is missing; build first (cmake --build --preset win64)" >&2; exit 1; }
done

# 1. Install as an administrator would: the DLL in Program Files, then the
#    RAS AdminDll key in the 64-bit registry view (contract §1.1).
log "registering rastap.dll in the Wine prefix $WINEPREFIX"
win_dir='C:\Program Files\rastap'
win_dll="$win_dir\\rastap.dll"
"$run" reg add 'HKLM\SOFTWARE\Microsoft\RAS\AdminDll' /reg:64 /f >/dev/null # creates the prefix
install_dir="$WINEPREFIX/drive_c/Program Files/rastap"
mkdir -p "$install_dir"
cp "$dll" "$install_dir/rastap.dll"
if [ -f registry/install.reg ]; then
    "$run" reg import "$(printf 'Z:%s' "$repo/registry/install.reg" | tr / '\\')" /reg:64
else
    "$run" reg add 'HKLM\SOFTWARE\Microsoft\RAS\AdminDll' /v DisplayName /t REG_SZ \
        /d 'rastap RAS accounting' /reg:64 /f >/dev/null
    "$run" reg add 'HKLM\SOFTWARE\Microsoft\RAS\AdminDll' /v DllPath /t REG_SZ \
        /d "$win_dll" /reg:64 /f >/dev/null
fi
"$run" reg query 'HKLM\SOFTWARE\Microsoft\RAS\AdminDll' /reg:64 | tr -d '\r' | sed '/^$/d'

# 2. rrashost reads DllPath like RRAS, loads the DLL, replays the sessions,
#    calls Terminate, then audits every record rastap wrote.
log "replaying $sessions sessions on $threads threads, $rate/s (rrashost --registry)"
out=${DEMO_OUT:-$build/demo}
mkdir -p "$out"
jsonl_dir="$WINEPREFIX/drive_c/ProgramData/rastap"
declare -A lines_before=()
for f in "$jsonl_dir"/*.jsonl; do
    [ -f "$f" ] && lines_before[$f]=$(wc -l <"$f")
done
rc=0
pace=()
[ "$rate" = 0 ] || pace=(--rate "$rate")
"$run" "$host" --registry --sessions "$sessions" --threads "$threads" "${pace[@]}" \
    --json "$(printf 'Z:%s' "$out/summary.json" | tr / '\\')" || rc=$?

# 3. Where the records are, and the first ones this run wrote.
log "JSON Lines written by rastap (C:\\ProgramData\\rastap in the prefix):"
echo "  $jsonl_dir"
shown=0
while IFS= read -r f; do
    skip=${lines_before[$f]:-0}
    [ "$(wc -l <"$f")" -gt "$skip" ] || continue
    log "first records of this run in $(basename "$f"):"
    tail -n +"$((skip + 1))" "$f" | head -n 5
    shown=1
    break
done < <(ls -tr "$jsonl_dir"/*.jsonl 2>/dev/null)
[ $shown = 1 ] || echo "  (no new records there: check rastap's sink configuration)"
log "summary for scripts: $out/summary.json"
exit $rc
