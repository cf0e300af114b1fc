#!/usr/bin/env python3
"""Replays meta_parser_test.cc's table against a reference memcached.

  SLABCACHED_DUMP_META_CASES=/tmp/meta.cases build/tests/unit/proto_test \
      --gtest_also_run_disabled_tests --gtest_filter='*DumpCasesForReferenceCheck'
  memcached -u nobody -l 127.0.0.1 -p 21987 -U 0 &
  tests/unit/proto/meta_reference_replay.py /tmp/meta.cases 127.0.0.1:21987

Each row's input (then "mn\\r\\n") is sent on a fresh connection after
"flush_all"; the reply up to the last "MN\\r\\n" must equal the row's `mc`
bytes.
Exits 1 when a row differs.
"""
import socket
import sys
import time


def replay(addr, data, markers):
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port))) as s:
        s.sendall(b"flush_all\r\n")
        buf = b""
        while not buf.endswith(b"OK\r\n"):
            buf += s.recv(4096)
        s.sendall(data + b"mn\r\n")
        s.settimeout(2)
        out = b""
        try:
            while not out.endswith(b"MN\r\n") or out.count(b"MN\r\n") < markers:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            out += b"<timeout>"
        return out


def main():
    cases, addr = sys.argv[1], sys.argv[2]
    bad = 0
    rows = 0
    for line in open(cases):
        name, hin, hmc = line.split()
        data = bytes.fromhex(hin)
        want = b"" if hmc == "-" else bytes.fromhex(hmc)
        time.sleep(0.001)
        got = replay(addr, data, max(1, want.count(b"MN\r\n")))
        rows += 1
        if got != want:
            bad += 1
            print(f"{name}: want {want!r} got {got!r}")
    print(f"{rows} rows, {bad} differ")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
