#!/bin/sh
# The complete programs in man/libslabclient.3 (.nf blocks that start with
# "#include" and define main) compile and link as written against an
# installed copy of the library, with the compile line the page gives:
# "cc app.c $(pkg-config --cflags --libs libslabclient)" for C, c++ -std=c++20
# for C++. They are built, not run (they talk to 127.0.0.1:11211).
# Run from the build directory (make check does). Exit: 0 pass, 1 fail,
# 77 skip (no pkg-config or no compiler).
#
#   SLABCLIENT_BUILDDIR  configured build tree  (default: the current directory)
#   SLABCLIENT_SRCDIR    source tree            (default: the build tree's srcdir)
#   CC, CXX              compilers              (default: cc, c++)
#   SANITIZER_FLAGS      flags the library was built with (-fsanitize=...)
set -u

builddir=${SLABCLIENT_BUILDDIR:-$(pwd)}
[ -f "$builddir/Makefile" ] || { echo "$builddir is not a build tree: skipped"; exit 77; }
srcdir=${SLABCLIENT_SRCDIR:-$(sed -n 's/^abs_top_srcdir = //p' "$builddir/Makefile")}
page="$srcdir/man/libslabclient.3"
[ -f "$page" ] || { echo "FAIL: no $page"; exit 1; }
cc=${CC:-cc}
cxx=${CXX:-c++}
command -v pkg-config >/dev/null 2>&1 || { echo "pkg-config not found: skipped"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/man_examples.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# One file per complete program: example-N.c (C API) or example-N.cc.
awk -v dir="$work" '
  /^\.nf/ { inblock = 1; n = 0; delete lines; next }
  /^\.fi/ {
    if (inblock && n > 0 && lines[1] ~ /^[ ]*#include/) {
      text = ""
      for (i = 1; i <= n; ++i) text = text lines[i] "\n"
      if (text ~ /int main\(/) {
        ++count
        ext = (text ~ /slabclient_c\.h/) ? "c" : "cc"
        file = dir "/example-" count "." ext
        printf "%s", text > file
        close(file)
      }
    }
    inblock = 0
    next
  }
  inblock {
    line = $0
    gsub(/\\e/, "\\", line)
    gsub(/\\-/, "-", line)
    sub(/^  /, "", line)
    lines[++n] = line
  }
' "$page"

set -- "$work"/example-*
[ -e "$1" ] || { echo "FAIL: no complete program found in $page"; exit 1; }

prefix=/opt/slabclient-man
${MAKE:-make} -s -C "$builddir" prefix="$prefix" DESTDIR="$work/stage" \
  install-libLIBRARIES install-slabclientincludeHEADERS install-pkgconfigDATA \
  >"$work/install.log" 2>&1 || { cat "$work/install.log"; echo "FAIL: install"; exit 1; }
flags=$(PKG_CONFIG_PATH="$work/stage$prefix/lib/pkgconfig" \
  pkg-config --define-prefix --cflags --libs libslabclient) ||
  { echo "FAIL: pkg-config"; exit 1; }

status=0
for example in "$@"; do
  case "$example" in
    *.c) compile="$cc" ;;
    *) compile="$cxx -std=c++20" ;;
  esac
  # shellcheck disable=SC2086  # the compiler and flags are words
  if $compile ${SANITIZER_FLAGS:-} "$example" -o "${example%.*}" $flags 2>"$work/err"; then
    echo "PASS: $(basename "$example") ($(grep -c '' "$example") lines)"
  else
    cat "$example" "$work/err"
    echo "FAIL: $(basename "$example") does not build"
    status=1
  fi
done
exit $status
