#!/bin/sh
# "systemd-analyze verify" on the shipped unit, with @bindir@ pointing at the
# daemon under test; any complaint fails. Skipped (77) without systemd-analyze.
analyze=$(command -v systemd-analyze) || {
  echo "systemd-analyze not found: skipped"
  exit 77
}
: "${SLABCACHED_BIN:?the daemon under test}" "${TEST_SRCDIR:?the tests directory}"
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
sed "s|@bindir[@]|$(dirname "$SLABCACHED_BIN")|g" "$TEST_SRCDIR/../scripts/slabcached.service" \
  >"$dir/slabcached.service" || exit 1
# --man=no: the man page need not be installed for the test.
out=$("$analyze" verify --man=no "$dir/slabcached.service" 2>&1)
status=$?
[ -n "$out" ] && echo "$out"
[ "$status" -eq 0 ] && [ -z "$out" ] && echo "slabcached.service: verified"
