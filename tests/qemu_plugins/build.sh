#!/usr/bin/env bash
# Build QEMU's own test plugins (tests/plugin/{bb,insn,mem,syscall,empty}.c) and contrib plugins
# (contrib/plugins/execlog.c) from Debian's qemu source package, the version of the installed
# qemu-user, into tests/qemu_plugins/build/: the references tests/test_plugins.py and
# tests/test_contrib_plugins.py compare nbemu's plugins with. The source comes from
# tests/qemu_source.sh; building needs gcc, pkg-config and libglib2.0-dev (installed if missing).
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
if [ -n "$missing" ]; then
  echo "installing Debian packages: $missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/../qemu_source.sh" "$work" \
  'tests/plugin/*.c' 'contrib/plugins/*.c' 'include/qemu/qemu-plugin.h'
src=$work
mkdir -p "$out"
for p in $plugins; do
  gcc -shared -fPIC -O2 -I"$src/include/qemu" $(pkg-config --cflags glib-2.0) \
    -o "$out/lib$p.so" "$src/tests/plugin/$p.c" $(pkg-config --libs glib-2.0)
done
for p in $contrib; do
  gcc -shared -fPIC -O2 -I"$src/include/qemu" $(pkg-config --cflags glib-2.0) \
    -o "$out/lib$p.so" "$src/contrib/plugins/$p.c" $(pkg-config --libs glib-2.0)
done
cp "$work/VERSION" "$out/stamp"
