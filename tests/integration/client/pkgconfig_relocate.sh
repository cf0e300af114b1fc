#!/bin/sh
# libslabclient's pkg-config file is relocatable: install the library, its
# headers and libslabclient.pc into a staging directory (DESTDIR), move the
# whole tree elsewhere, and build a program with
# "pkg-config --define-prefix" pointing at the moved copy.
# Run from the build directory (make check does). Exit: 0 pass, 1 fail,
# 77 skip (no pkg-config or no C++ compiler).
#
#   SLABCLIENT_BUILDDIR  configured build tree  (default: the current directory)
#   CXX                  C++ compiler           (default: c++)
#   SANITIZER_FLAGS      flags the library was built with (-fsanitize=...)
set -u

builddir=${SLABCLIENT_BUILDDIR:-$(pwd)}
cxx=${CXX:-c++}
command -v pkg-config >/dev/null 2>&1 || { echo "pkg-config not found: skipped"; exit 77; }
# CXX may carry options ("g++ -std=c++20"): look up its first word.
# shellcheck disable=SC2086
set -- $cxx
command -v "$1" >/dev/null 2>&1 || { echo "$1 not found: skipped"; exit 77; }
[ -f "$builddir/Makefile" ] || { echo "$builddir is not a build tree: skipped"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/pkgconfig_relocate.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# A prefix that exists nowhere else, so the test cannot find a real install.
prefix=/opt/slabclient-staged
${MAKE:-make} -s -C "$builddir" prefix="$prefix" DESTDIR="$work/stage" \
  install-libLIBRARIES install-slabclientincludeHEADERS install-pkgconfigDATA \
  >"$work/install.log" 2>&1 || { cat "$work/install.log"; echo "FAIL: install"; exit 1; }
mv "$work/stage$prefix" "$work/moved" || exit 1

cat >"$work/app.cc" <<'PROGRAM'
#include <slabclient/client.h>
#include <slabclient/pool.h>

int main() {
  slabcached::client::ClientConfig config;
  std::string error;
  config.servers = *slabcached::client::ParseServerList("127.0.0.1:1", &error);
  slabcached::client::ClientPool pool(config, {.clients = 1});
  return pool.Acquire()->ServerFor("key") == 0 ? 0 : 1;
}
PROGRAM

pc="$work/moved/lib/pkgconfig"
flags=$(PKG_CONFIG_PATH="$pc" pkg-config --define-prefix --cflags --libs libslabclient) ||
  { echo "FAIL: pkg-config --define-prefix"; exit 1; }
echo "pkg-config --define-prefix: $flags"
case "$flags" in
  *"$work/moved/include"*"$work/moved/lib"* | *"$work/moved/lib"*"$work/moved/include"*) ;;
  *) echo "FAIL: the flags do not point into the moved tree"; exit 1 ;;
esac
# shellcheck disable=SC2086  # the compiler and flags are words
$cxx -std=c++20 ${SANITIZER_FLAGS:-} "$work/app.cc" -o "$work/app" $flags ||
  { echo "FAIL: compiling with the relocated flags"; exit 1; }
"$work/app" || { echo "FAIL: the program ran wrong"; exit 1; }
echo "PASS: built and ran a program against the moved installation"
