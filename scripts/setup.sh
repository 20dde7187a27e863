#!/usr/bin/env bash
# setup.sh - install everything rastap's build and tests need on Debian 12.
#
# Idempotent: packages already present and a cmocka already cross-built are
# left alone, so a second run takes seconds. Must run as root (apt-get).
#   scripts/setup.sh            packages + cmocka for MinGW (x86_64, i686)
# win32 programs are built and inspected but not run (that would need wine32
# from the i386 architecture). Variables: RT_BUILD (default ./build) holds the cmocka cache.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${RT_BUILD:-$here/build}
deps=$build/deps
log() { printf '[setup] %s\n' "$*"; }

packages=(cmake make gcc libc6-dev gcc-mingw-w64-x86-64 gcc-mingw-w64-i686
    binutils-mingw-w64-x86-64 binutils-mingw-w64-i686 mingw-w64-tools
    wine64 libcmocka-dev python3 dpkg-dev xz-utils gnuplot-nox libck-dev rsyslog rsyslog-relp)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
src_list=/etc/apt/sources.list.d/rastap-src.sources
need_update=0
if [ ! -f "$src_list" ]; then
    suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
    log "adding a deb-src entry for $suite (cmocka's source package)"
    as_root tee "$src_list" >/dev/null <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    need_update=1
fi
if [ ${#missing[@]} -gt 0 ] || [ $need_update = 1 ]; then
    log "apt-get update"
    # A mirror mid-sync can fail one index; the install below says if it matters.
    as_root apt-get update -q || log "apt-get update reported errors; trying the install anyway"
fi
if [ ${#missing[@]} -gt 0 ]; then
    log "installing: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# cmocka for MinGW, built from Debian's own source package as a static library.
mkdir -p "$deps"
for arch in x86_64 i686; do
    prefix=$deps/cmocka-$arch
    [ -f "$prefix/lib/libcmocka-static.a" ] && continue
    log "cross-building cmocka for $arch-w64-mingw32"
    work=$deps/src
    if [ ! -d "$work/cmocka" ]; then
        rm -rf "$work" && mkdir -p "$work"
        (cd "$work" && apt-get source -q --download-only cmocka >/dev/null 2>&1 &&
            dpkg-source -x --no-check cmocka_*.dsc cmocka >/dev/null)
    fi
    cmake -S "$work/cmocka" -B "$deps/cmocka-build-$arch" -DCMAKE_SYSTEM_NAME=Windows \
        -DCMAKE_C_COMPILER=$arch-w64-mingw32-gcc -DCMAKE_RC_COMPILER=$arch-w64-mingw32-windres \
        -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
    cmake --build "$deps/cmocka-build-$arch" -j"$(nproc)" >/dev/null
    cmake --install "$deps/cmocka-build-$arch" >/dev/null
done
log "ready"
