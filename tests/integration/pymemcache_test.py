#!/usr/bin/env python3
"""pymemcache (Debian's python3-pymemcache) Client and HashClient against both servers.

One test class per server (SLABCACHED_BIN, MEMCACHED_BIN); a class whose binary is missing is
skipped with the reason. Clients keep pymemcache's default_noreply=True, so storage commands
do not wait for replies and every state change is checked by reading it back.

Exit status (automake): 0 pass, 1 failure, 77 when both binaries are missing.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402


def _import_pymemcache():
    """Imports pymemcache, re-running under Debian's python3 if this interpreter lacks it
    (e.g. a pyenv python3 first in PATH without /usr/lib/python3/dist-packages)."""
    try:
        import pymemcache  # noqa: F401
        return
    except ImportError:
        pass
    system_python = "/usr/bin/python3"
    if (not os.environ.get("PYMEMCACHE_TEST_REEXEC")
            and os.access(system_python, os.X_OK)
            and os.path.realpath(sys.executable) != os.path.realpath(system_python)):
        os.environ["PYMEMCACHE_TEST_REEXEC"] = "1"
        os.execv(system_python, [system_python] + sys.argv)
    sys.stderr.write("pymemcache_test: cannot import pymemcache "
                     "(install Debian's python3-pymemcache)\n")
    sys.exit(1)


# Checked before importing pymemcache, so a machine without servers skips either way.
if __name__ == "__main__":
    if all(testlib.find_binary(var)[0] is None for _, var in testlib.SERVERS):
        print("SKIP: " + "; ".join(testlib.find_binary(var)[1] for _, var in testlib.SERVERS))
        sys.exit(77)

_import_pymemcache()
from pymemcache.client.base import Client  # noqa: E402
from pymemcache.client.hash import HashClient  # noqa: E402

TIMEOUT = 5


class ServerTestBase:
    """Tests shared by every server; subclasses set ENV_VAR and NAME."""

    ENV_VAR = None
    NAME = None

    @classmethod
    def setUpClass(cls):
        binary, why = testlib.find_binary(cls.ENV_VAR)
        if binary is None:
            raise unittest.SkipTest("%s tests skipped: %s" % (cls.NAME, why))
        # Two servers: one for Client, both for HashClient.
        cls.servers = [testlib.ServerProcess(binary)]
        try:
            cls.servers.append(testlib.ServerProcess(binary))
        except Exception:
            testlib.stop_all(cls.servers)
            raise

    @classmethod
    def tearDownClass(cls):
        if not testlib.stop_all(cls.servers):
            raise AssertionError("a %s server ignored SIGTERM" % cls.NAME)

    def setUp(self):
        self.client = Client(self.servers[0].address, connect_timeout=TIMEOUT, timeout=TIMEOUT)
        self.client.flush_all(noreply=False)

    def tearDown(self):
        self.client.close()

    # ---- Client

    def test_set_get(self):
        self.assertTrue(self.client.set("k", b"value"))
        self.assertEqual(self.client.get("k"), b"value")
        self.assertIsNone(self.client.get("missing"))
        self.assertEqual(self.client.get("missing", default=b"dflt"), b"dflt")

    def test_set_with_reply(self):
        self.assertTrue(self.client.set("k", b"v", noreply=False))
        self.assertEqual(self.client.get("k"), b"v")

    def test_large_value(self):
        value = bytes(range(256)) * 2048  # 512 KiB, every byte value
        self.client.set("big", value)
        self.assertEqual(self.client.get("big"), value)

    def test_get_many(self):
        self.assertEqual(self.client.set_many({"a": b"1", "b": b"2", "c": b"3"}), [])
        self.assertEqual(self.client.get_many(["a", "x", "c", "y"]), {"a": b"1", "c": b"3"})
        self.assertEqual(self.client.get_many([]), {})

    def test_delete(self):
        self.client.set("k", b"v")
        self.assertTrue(self.client.delete("k", noreply=False))
        self.assertFalse(self.client.delete("k", noreply=False))
        self.assertIsNone(self.client.get("k"))

    def test_delete_noreply(self):
        self.client.set("k", b"v")
        self.assertTrue(self.client.delete("k"))
        self.assertTrue(self.client.delete("k"))  # NOT_FOUND, not read
        self.assertIsNone(self.client.get("k"))

    def test_incr_decr(self):
        self.client.set("n", b"10")
        self.assertEqual(self.client.incr("n", 5), 15)
        self.assertEqual(self.client.decr("n", 20), 0)  # floors at zero
        self.assertIsNone(self.client.incr("missing", 1))
        self.client.set("n", b"18446744073709551615")
        self.assertEqual(self.client.incr("n", 1), 0)  # wraps at 2^64
        self.client.incr("n", 7, noreply=True)
        self.assertEqual(self.client.get("n").rstrip(b" "), b"7")

    def test_gets_cas(self):
        self.client.set("k", b"v1")
        value, cas = self.client.gets("k")
        self.assertEqual(value, b"v1")
        self.assertTrue(cas)
        self.assertTrue(self.client.cas("k", b"v2", cas))
        self.assertFalse(self.client.cas("k", b"v3", cas))  # EXISTS
        self.assertIsNone(self.client.cas("missing", b"v", cas))  # NOT_FOUND
        self.assertEqual(self.client.get("k"), b"v2")
        self.assertEqual(self.client.gets("missing"), (None, None))

    def test_add_replace(self):
        self.assertTrue(self.client.add("k", b"first", noreply=False))
        self.assertFalse(self.client.add("k", b"second", noreply=False))
        self.assertFalse(self.client.replace("missing", b"x", noreply=False))
        self.assertTrue(self.client.replace("k", b"third", noreply=False))
        self.assertEqual(self.client.get("k"), b"third")

    def test_add_replace_noreply(self):
        self.client.add("k", b"first")
        self.client.add("k", b"second")
        self.client.replace("missing", b"x")
        self.assertEqual(self.client.get_many(["k", "missing"]), {"k": b"first"})

    def test_append_prepend(self):
        self.assertFalse(self.client.append("k", b"x", noreply=False))
        self.client.set("k", b"mid")
        self.client.append("k", b">>")
        self.client.prepend("k", b"<<")
        self.assertEqual(self.client.get("k"), b"<<mid>>")

    def test_touch(self):
        self.client.set("k", b"v")
        self.assertTrue(self.client.touch("k", 1000, noreply=False))
        self.assertFalse(self.client.touch("missing", 1000, noreply=False))
        self.client.touch("k", -1)
        self.assertIsNone(self.client.get("k"))

    def test_expire_in_the_past(self):
        self.client.set("k", b"v", expire=-1)
        self.assertIsNone(self.client.get("k"))

    def test_flush_all(self):
        self.client.set_many({"a": b"1", "b": b"2"})
        self.assertTrue(self.client.flush_all(noreply=False))
        self.assertEqual(self.client.get_many(["a", "b"]), {})
        self.client.set("a", b"3")
        self.client.flush_all()  # noreply
        self.assertIsNone(self.client.get("a"))

    def test_stats(self):
        self.client.set("a", b"1")
        self.client.get("a")
        self.client.get("missing")
        stats = self.client.stats()
        self.assertEqual(stats[b"pid"], self.servers[0].pid)
        self.assertEqual(stats[b"threads"], 2)
        self.assertEqual(stats[b"limit_maxbytes"], 64 * 1024 * 1024)
        self.assertGreaterEqual(stats[b"curr_items"], 1)
        self.assertGreaterEqual(stats[b"get_hits"], 1)
        self.assertGreaterEqual(stats[b"get_misses"], 1)
        settings = self.client.stats("settings")
        self.assertEqual(settings[b"tcpport"], self.servers[0].port)
        self.assertEqual(settings[b"maxconns"], 1024)

    def test_version(self):
        self.assertTrue(self.client.version().startswith(b"1.6."))

    def test_noreply_stream_stays_in_sync(self):
        # Many noreply commands in a row, then a read on the same connection.
        for i in range(200):
            self.client.set("k%d" % i, b"v%d" % i)
            self.client.add("k%d" % i, b"never")
            self.client.append("k%d" % i, b"!")
        self.client.delete("k0")
        keys = ["k%d" % i for i in range(200)]
        expected = {"k%d" % i: b"v%d!" % i for i in range(1, 200)}
        self.assertEqual(self.client.get_many(keys), expected)

    # ---- HashClient over both servers

    def test_hash_client_spreads_keys(self):
        hc = HashClient([s.address for s in self.servers], connect_timeout=TIMEOUT,
                        timeout=TIMEOUT)
        try:
            hc.flush_all()
            values = {"hk%d" % i: b"%d" % i for i in range(100)}
            self.assertEqual(hc.set_many(values), [])
            self.assertEqual(hc.get_many(list(values)), values)
            per_server = []
            for server in self.servers:
                c = Client(server.address, connect_timeout=TIMEOUT, timeout=TIMEOUT)
                try:
                    per_server.append(len(c.get_many(list(values))))
                finally:
                    c.close()
            self.assertEqual(sum(per_server), 100)
            self.assertTrue(all(n > 0 for n in per_server), per_server)
        finally:
            hc.close()

    def test_hash_client_basics(self):
        hc = HashClient([s.address for s in self.servers], connect_timeout=TIMEOUT,
                        timeout=TIMEOUT)
        try:
            hc.flush_all()
            hc.set("n", b"1")
            self.assertEqual(hc.incr("n", 41), 42)
            self.assertEqual(hc.decr("n", 2), 40)
            self.assertTrue(hc.add("a", b"x", noreply=False))
            self.assertFalse(hc.add("a", b"y", noreply=False))
            value, cas = hc.gets("a")
            self.assertEqual(value, b"x")
            self.assertTrue(hc.cas("a", b"z", cas))
            self.assertTrue(hc.touch("a", 100, noreply=False))
            self.assertTrue(hc.delete("a", noreply=False))
            self.assertIsNone(hc.get("a"))
            hc.delete_many(["n"])
            self.assertIsNone(hc.get("n"))
        finally:
            hc.close()


class SlabcachedTest(ServerTestBase, unittest.TestCase):
    ENV_VAR = "SLABCACHED_BIN"
    NAME = "slabcached"


class MemcachedTest(ServerTestBase, unittest.TestCase):
    ENV_VAR = "MEMCACHED_BIN"
    NAME = "memcached"


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
