"""Starts and stops memcached-compatible servers for the Python integration tests.

Python counterpart of daemon_fixture.h: a server runs on a free 127.0.0.1 port and is
stopped by the PID this module started (SIGTERM, bounded wait, then SIGKILL); nothing else is
ever signalled.

    SLABCACHED_BIN   the daemon under test
    MEMCACHED_BIN    the reference server (Debian's memcached)
"""

import ctypes
import os
import signal
import socket
import subprocess
import tempfile
import time

START_TIMEOUT = 5.0
STOP_TIMEOUT = 5.0
START_ATTEMPTS = 3

# (name, environment variable) of every server the tests run against.
SERVERS = (("slabcached", "SLABCACHED_BIN"), ("memcached", "MEMCACHED_BIN"))

DEFAULT_FLAGS = ("-U", "0", "-t", "2", "-m", "64", "-c", "1024")


def find_binary(env_var):
    """Returns (path, None) or (None, reason) for the binary named by env_var."""
    path = os.environ.get(env_var, "")
    if not path:
        return None, "%s is not set" % env_var
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return None, "%s=%s is not an executable file" % (env_var, path)
    return path, None


def free_port():
    """A port that was free a moment ago (bind port 0 on loopback, then close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    # Runs in the child before exec: if the test runner dies, the server gets SIGKILL.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


class ServerProcess:
    """One server process on a free loopback port. Use as a context manager or call stop()."""

    def __init__(self, binary, flags=DEFAULT_FLAGS):
        self.binary = binary
        self.host = "127.0.0.1"
        self.port = None
        self.process = None
        self._log = tempfile.TemporaryFile(prefix="slabcached-pytest-")
        last_error = ""
        for attempt in range(1, START_ATTEMPTS + 1):
            self.port = free_port()
            args = [binary, "-p", str(self.port), "-l", self.host]
            if os.geteuid() == 0:
                args += ["-u", "nobody"]
            args += list(flags)
            self.process = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                preexec_fn=_die_with_parent, close_fds=True)
            if self._wait_ready():
                return
            last_error = "attempt %d on port %d: %s" % (attempt, self.port, self.output())
            self.stop()
        raise RuntimeError("%s did not start: %s" % (binary, last_error))

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.02)
        return False

    @property
    def address(self):
        return (self.host, self.port)

    @property
    def pid(self):
        return self.process.pid

    def output(self):
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def terminate(self):
        """Sends SIGTERM to this server's PID (if it is still running)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self):
        """SIGTERM, wait up to STOP_TIMEOUT, then SIGKILL. Returns False if SIGKILL was needed."""
        if self.process is None:
            return True
        clean = True
        self.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            clean = False
            self.process.kill()
            self.process.wait()
        self.process = None
        return clean

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        self._log.close()


def stop_all(servers):
    """Stops several servers in parallel (memcached takes up to 1 s to notice SIGTERM)."""
    for server in servers:
        server.terminate()
    return all([server.stop() for server in servers])
