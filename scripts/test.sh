#!/usr/bin/env bash
# test.sh - set up, build every preset and run every test.
#
#   scripts/test.sh                 everything (what CI runs)
#   scripts/test.sh native win64    only these presets
#
# Installs what is missing first (scripts/setup.sh, as root). Idempotent:
# a second run rebuilds only what changed. Ends with the test totals.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(native native-tsan win64 win32)

scripts/setup.sh || { echo "setup failed"; exit 1; }

passed=0 failed=0 broken=()
for p in "${presets[@]}"; do
    echo "=== preset $p: configure and build"
    if ! cmake --preset "$p" >"build/configure-$p.log" 2>&1; then
        cat "build/configure-$p.log"; broken+=("$p (configure)"); continue
    fi
    cmake --build --preset "$p" >"build/build-$p.log" 2>&1
    rc=$?
    grep -Ev '^\[ *[0-9]+%\] (Building|Linking|Built)|^(gmake|make)\[' "build/build-$p.log" || true
    if [ $rc != 0 ]; then broken+=("$p (build)"); continue; fi
    echo "=== preset $p: tests"
    log="build/ctest-$p.log"
    ctest --preset "$p" 2>&1 | tee "$log"
    line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
    if [ -z "$line" ]; then
        grep -q 'No tests were found' "$log" || broken+=("$p (ctest)")
        continue
    fi
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
    f=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")
    passed=$((passed + total - f))
    failed=$((failed + f))
done
server=$(command -v wineserver || echo /usr/lib/wine/wineserver)
[ -x "$server" ] && WINEPREFIX="$here/build/wineprefix" "$server" -k 2>/dev/null
for b in "${broken[@]}"; do echo "broken: $b"; failed=$((failed + 1)); done
echo
echo "rastap: ${passed} passed, ${failed} failed"
[ "$failed" = 0 ]
