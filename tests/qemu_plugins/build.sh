#!/usr/bin/env bash
# Build QEMU's own test plugins (tests/plugin/{bb,insn,mem,syscall,empty}.c) and contrib plugins
# (contrib/plugins/execlog.c) from Debian's qemu source package, the version of the installed
# qemu-user, into tests/qemu_plugins/build/: the references tests/test_plugins.py and
# tests/test_contrib_plugins.py compare nbemu's plugins with. Needs apt (a deb-src entry is
# added for bookworm if none exists), gcc, pkg-config and libglib2.0-dev.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/build
plugins="bb insn mem syscall empty"
contrib="execlog"
# an older build without a plugin added since is completed, not trusted
built=1
for p in $plugins $contrib; do [ -f "$out/lib$p.so" ] || built=; done
if [ -f "$out/stamp" ] && [ -n "$built" ]; then exit 0; fi
missing=$(for p in libglib2.0-dev pkg-config gcc; do dpkg -s $p >/dev/null 2>&1 || echo $p; done)
if ! grep -rqs '^Types: deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "adding a deb-src entry for Debian's qemu source package"
  sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
    > /etc/apt/sources.list.d/nbemu-deb-src.sources
  need_update=1
fi
if [ -n "$missing" ] || [ -n "${need_update:-}" ]; then
  apt-get update -qq
fi
if [ -n "$missing" ]; then
  echo "installing Debian packages: $missing"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version=$(dpkg-query -W -f='${source:Version}' qemu-user)
echo "fetching QEMU's test plugins from Debian's qemu $version source"
(cd "$work" && apt-get source --download-only -qq "qemu=$version" 2>/dev/null)
tar -C "$work" -xJf "$work"/qemu_*.orig.tar.xz --wildcards \
  '*/tests/plugin/*.c' '*/contrib/plugins/*.c' '*/include/qemu/qemu-plugin.h'
src=$(echo "$work"/qemu-*/)
mkdir -p "$out"
for p in $plugins; do
  gcc -shared -fPIC -O2 -I"$src/include/qemu" $(pkg-config --cflags glib-2.0) \
    -o "$out/lib$p.so" "$src/tests/plugin/$p.c" $(pkg-config --libs glib-2.0)
done
for p in $contrib; do
  gcc -shared -fPIC -O2 -I"$src/include/qemu" $(pkg-config --cflags glib-2.0) \
    -o "$out/lib$p.so" "$src/contrib/plugins/$p.c" $(pkg-config --libs glib-2.0)
done
echo "qemu $version" > "$out/stamp"
