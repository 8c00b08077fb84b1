#!/usr/bin/env bash
# Usage: tests/qemu_source.sh DEST PATTERN...
# Extract the files matching the tar PATTERNs (paths inside the QEMU tree, e.g.
# 'tests/tcg/aarch64/*') from Debian's qemu source package, the version of the installed
# qemu-user, into DEST (DEST/tests/tcg/aarch64/...), and write DEST/VERSION. The references the
# tests compare with come from the same QEMU release as the qemu-aarch64 that runs them.
# Needs apt: a deb-src entry is added for bookworm if none exists. Only the orig tarball is
# read (Debian's patches do not touch the files the tests use); the download is removed.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 DEST PATTERN..." >&2
  exit 2
fi
dest=$1
shift
if ! grep -rqs '^Types: deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "adding a deb-src entry for Debian's qemu source package"
  sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
    > /etc/apt/sources.list.d/nbemu-deb-src.sources
  apt-get update -qq
fi
if ! version=$(dpkg-query -W -f='${source:Version}' qemu-user 2>/dev/null); then
  echo "$0: qemu-user is not installed (its version selects the source package)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetching $* from Debian's qemu $version source"
(cd "$work" && apt-get source --download-only -qq "qemu=$version" 2>/dev/null)
mkdir -p "$dest"
# the tarball's top directory (qemu-7.2.0/) is dropped, so DEST is the root of the QEMU tree
tar -C "$dest" --strip-components=1 -xJf "$work"/qemu_*.orig.tar.xz --wildcards \
  $(for p in "$@"; do printf '*/%s\n' "$p"; done)
echo "qemu $version" > "$dest/VERSION"
