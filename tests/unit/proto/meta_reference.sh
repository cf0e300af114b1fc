#!/bin/sh
# Replays the meta parser's test table against the reference memcached
# ($MEMCACHED_BIN): every row's expected reply bytes must be what memcached
# itself sends. Skips (77) when the reference server is not available.
set -eu
: "${MEMCACHED_BIN:=}"
[ -x "$MEMCACHED_BIN" ] || { echo "MEMCACHED_BIN not set or missing: skipped"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
proto_test=${PROTO_TEST:-./tests/unit/proto_test}
work=$(mktemp -d "${TMPDIR:-/tmp}/meta-reference.XXXXXX")
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

SLABCACHED_DUMP_META_CASES="$work/meta.cases" "$proto_test" \
  --gtest_also_run_disabled_tests --gtest_filter='MetaParserTest.DISABLED_DumpCasesForReferenceCheck' \
  > "$work/dump.log" 2>&1 || { cat "$work/dump.log"; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
user=""
[ "$(id -u)" -eq 0 ] && user="-u nobody"
# shellcheck disable=SC2086
"$MEMCACHED_BIN" $user -l 127.0.0.1 -p "$port" -U 0 -t 1 &
pid=$!
python3 - "$port" <<'PY'
import socket, sys, time
deadline = time.time() + 5
while True:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("reference memcached did not start")
        time.sleep(0.05)
PY
python3 "$here/meta_reference_replay.py" "$work/meta.cases" "127.0.0.1:$port"
