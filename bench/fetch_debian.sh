#!/bin/sh
# Fetch Debian arm64 packages for the bench's real-program jobs (and tests/test_real_threaded.py) and unpack them into a sysroot
# that both `qemu-aarch64 -L bench/sysroot` and `nbemu -L bench/sysroot` use.
# Usage: bench/fetch_debian.sh [sysroot-dir]     (default bench/sysroot; needs root for apt)
# The .debs go to bench/debs/ and the sysroot to bench/sysroot/; both are git-ignored and are
# never committed. Re-running is cheap: nothing is fetched when the sysroot is complete.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
SYSROOT=${1:-$HERE/sysroot}
DEBS=$HERE/debs
PKGS="libc6 libgcc-s1 libstdc++6 libtinfo6 libreadline8 zlib1g libexpat1
      lua5.4 liblua5.4-0 sqlite3 libsqlite3-0 python3.11-minimal libpython3.11-minimal
      coreutils libacl1 libattr1 libgmp10 libselinux1 libpcre2-8-0
      zstd libzstd1 liblz4-1 xz-utils liblzma5 libpython3.11-stdlib"
STAMP=$SYSROOT/.nbemu-bench-sysroot
WANT=$(echo $PKGS | tr ' ' '\n' | sort | tr '\n' ' ')

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
    echo "fetch_debian: $SYSROOT is complete"
    exit 0
fi

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
    apt-get update -qq
fi
if ! apt-cache show libc6:arm64 >/dev/null 2>&1; then
    apt-get update -qq
fi
mkdir -p "$DEBS" "$SYSROOT"
cd "$DEBS"
for p in $PKGS; do
    if ! ls "${p}"_*_arm64.deb >/dev/null 2>&1; then
        apt-get download -q "$p:arm64"
    fi
done
for d in "$DEBS"/*_arm64.deb; do
    dpkg -x "$d" "$SYSROOT"
done

# every DT_NEEDED library of the programs the bench runs must be in the sysroot
missing=0
for exe in usr/bin/lua5.4 usr/bin/sqlite3 usr/bin/python3.11 bin/true usr/bin/zstd usr/bin/xz; do
    [ -e "$SYSROOT/$exe" ] || { echo "fetch_debian: $exe missing" >&2; missing=1; continue; }
done
for f in "$SYSROOT"/usr/bin/lua5.4 "$SYSROOT"/usr/bin/sqlite3 "$SYSROOT"/usr/bin/python3.11 \
         "$SYSROOT"/bin/true "$SYSROOT"/usr/bin/zstd "$SYSROOT"/usr/bin/xz "$SYSROOT"/usr/lib/aarch64-linux-gnu/*.so* "$SYSROOT"/lib/aarch64-linux-gnu/*.so*; do
    [ -f "$f" ] || continue
    for lib in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
        if [ ! -e "$SYSROOT/lib/aarch64-linux-gnu/$lib" ] && [ ! -e "$SYSROOT/usr/lib/aarch64-linux-gnu/$lib" ]; then
            echo "fetch_debian: ${f#$SYSROOT} needs $lib, not in the sysroot" >&2
            missing=1
        fi
    done
done
[ $missing = 0 ] || exit 1
echo "$WANT" > "$STAMP"
echo "fetch_debian: sysroot ready in $SYSROOT"
