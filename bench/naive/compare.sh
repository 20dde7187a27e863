#!/usr/bin/env bash
# compare.sh - rastap against the synchronous baseline, same workload, one
# rrashost run (issue 4, item 5). Prints both DLLs' latency percentiles per
# callout class and the ratios; writes the JSON summary and a latency plot.
#
#   bench/naive/compare.sh [SESSIONS [rrashost options...]]   (default 10000)
# e.g. `compare.sh 10000 --rate 2000` paces starts so rastap's ring never
# fills (flat out, the drops rastap reports are part of its figures).
# Variables: RT_BUILD (default build/win64), WINEPREFIX (default
# build/wineprefix), THREADS (default 4), SEED (default 1), OUT (default
# $RT_BUILD/bench-naive).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${RT_BUILD:-$repo/build/win64}
export WINEPREFIX=${WINEPREFIX:-$repo/build/wineprefix}
sessions=${1:-10000}
shift $(($# > 0 ? 1 : 0))
out=${OUT:-$build/bench-naive}
win() { printf 'Z:%s' "$1" | tr / '\\'; }
mkdir -p "$out"
rm -f "$out/naive.log"
# naive_admin.dll flushes its log ($OUT/naive.log) inside every callout:
# with OUT on a real disk the figures include the disk, on tmpfs only the
# lock and the system calls.
export NAIVE_ADMIN_LOG
NAIVE_ADMIN_LOG=$(win "$out/naive.log")
set -x
"$repo/cmake/wine-run.sh" "$build/tools/rrashost/rrashost.exe" \
    --sessions "$sessions" --threads "${THREADS:-4}" --seed "${SEED:-1}" \
    --json "$(win "$out/compare.json")" --plot "$(win "$out/latency.png")" "$@" \
    "$(win "$build/rastap.dll")" --compare "$(win "$build/bench/naive/naive_admin.dll")"
