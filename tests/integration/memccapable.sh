#!/bin/sh
# Runs libmemcached's memccapable conformance suites, ascii (memccapable -a) and binary
# (memccapable -b), against the server
# under test (SLABCACHED_BIN), after first running it against the reference (MEMCACHED_BIN) to
# show that the harness itself works. Exit status (automake): 0 pass, 1 fail, 77 skip (the
# server under test is unavailable).
#
#   SLABCACHED_BIN  daemon under test          (unset or missing: skip, exit 77)
#   MEMCACHED_BIN   reference memcached         (unset or missing: that run is skipped)
#   MEMCCAPABLE     memccapable binary           (default: from PATH)
#
# Each server is started on a free 127.0.0.1 port and stopped by the PID this script started;
# nothing else is ever signalled.
set -u

MEMCCAPABLE=${MEMCCAPABLE:-$(command -v memccapable || true)}
# memccapable tests that fail against the reference itself, tolerated for it only: exact names
# as memccapable prints them, separated by "|" (e.g. "ascii cas|ascii stat"). memcached 1.6.18
# passes all 27 ascii and all 27 binary tests, so nothing is tolerated.
MEMCACHED_KNOWN_FAILURES=""
SUITE_TIMEOUT=60

server_pid=""
workdir=$(mktemp -d "${TMPDIR:-/tmp}/memccapable.XXXXXX") || exit 1

stop_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null
    i=0
    # memcached notices SIGTERM on its next 1 s clock tick; wait up to 5 s, then SIGKILL.
    while kill -0 "$server_pid" 2>/dev/null && [ $i -lt 50 ]; do
      sleep 0.1
      i=$((i + 1))
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      echo "memccapable.sh: pid $server_pid ignored SIGTERM; sending SIGKILL" >&2
      kill -KILL "$server_pid" 2>/dev/null
    fi
    wait "$server_pid" 2>/dev/null
    server_pid=""
  fi
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  stop_server
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# wait_for_port PORT PID: true once 127.0.0.1:PORT accepts (bounded: 5 s), false if PID died.
wait_for_port() {
  python3 - "$1" "$2" <<'EOF'
import os, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
deadline = time.monotonic() + 5
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit(1)
EOF
}

# start_server BINARY: starts it on a free port (retrying on a port race); sets server_pid
# and server_port.
start_server() {
  user_flags=""
  if [ "$(id -u)" -eq 0 ]; then user_flags="-u nobody"; fi
  for attempt in 1 2 3; do
    server_port=$(free_port) || return 1
    # shellcheck disable=SC2086
    "$1" -p "$server_port" -l 127.0.0.1 -U 0 -t 2 -m 64 $user_flags \
      >"$workdir/server.log" 2>&1 </dev/null &
    server_pid=$!
    if wait_for_port "$server_port" "$server_pid"; then
      return 0
    fi
    echo "memccapable.sh: $1 did not come up on port $server_port (attempt $attempt):" >&2
    cat "$workdir/server.log" >&2
    stop_server
  done
  return 1
}

# run_suite NAME BINARY TOLERATED [PROTOCOL]: 0 if every test of PROTOCOL (ascii, the
# default, or binary) passes (except TOLERATED names).
run_suite() {
  name=$1
  binary=$2
  tolerated=$3
  protocol=${4:-ascii}
  mode=-a
  if [ "$protocol" = binary ]; then mode=-b; fi
  echo "== memccapable $mode against $name ($binary)"
  start_server "$binary" || return 1
  timeout "$SUITE_TIMEOUT" "$MEMCCAPABLE" "$mode" -t 5 -h 127.0.0.1 -p "$server_port" \
    >"$workdir/out.txt" 2>&1
  status=$?
  stop_server
  cat "$workdir/out.txt"
  if [ $status -eq 124 ]; then
    echo "memccapable.sh: $name: memccapable timed out after ${SUITE_TIMEOUT}s" >&2
    return 1
  fi
  passed=$(grep -c '\[pass\]' "$workdir/out.txt")
  # memccapable prints each test name padded to 40 columns, then its result. Every test line
  # must end in [pass]; anything else ([FAIL], [skip], a stray reply) counts as a failure.
  failures=$(grep "^$protocol " "$workdir/out.txt" | grep -v '\[pass\]$' |
    cut -c1-40 | sed 's/[[:space:]]*$//')
  unexpected=""
  old_ifs=$IFS
  IFS='
'
  for test_name in $failures; do
    case "|$tolerated|" in
      *"|$test_name|"*) echo "memccapable.sh: $name: tolerated known failure: $test_name" ;;
      *) unexpected="$unexpected
  $test_name" ;;
    esac
  done
  IFS=$old_ifs
  if [ -n "$unexpected" ]; then
    echo "memccapable.sh: $name: failed tests:$unexpected" >&2
    return 1
  fi
  if [ "$passed" -eq 0 ]; then
    echo "memccapable.sh: $name: no test passed (exit status $status)" >&2
    return 1
  fi
  if [ $status -ne 0 ] && [ -z "$failures" ]; then
    echo "memccapable.sh: $name: memccapable exited with status $status" >&2
    return 1
  fi
  echo "== $name: $passed $protocol tests passed"
  return 0
}

if [ -z "$MEMCCAPABLE" ] || [ ! -x "$MEMCCAPABLE" ]; then
  echo "memccapable.sh: memccapable not found (install libmemcached-tools)" >&2
  exit 1
fi

if [ -n "${MEMCACHED_BIN:-}" ] && [ -x "$MEMCACHED_BIN" ]; then
  for protocol in ascii binary; do
    run_suite memcached "$MEMCACHED_BIN" "$MEMCACHED_KNOWN_FAILURES" "$protocol" || {
      echo "memccapable.sh: the harness fails against the reference server" >&2
      exit 1
    }
  done
else
  echo "memccapable.sh: MEMCACHED_BIN unset or missing; reference run skipped"
fi

if [ -z "${SLABCACHED_BIN:-}" ] || [ ! -x "$SLABCACHED_BIN" ]; then
  echo "memccapable.sh: SKIP: SLABCACHED_BIN='${SLABCACHED_BIN:-}' is unset or not executable"
  exit 77
fi

run_suite slabcached "$SLABCACHED_BIN" "" ascii || exit 1
run_suite slabcached "$SLABCACHED_BIN" "" binary || exit 1
exit 0
