// libmemcached with MEMCACHED_BEHAVIOR_BINARY_PROTOCOL against both servers: every command the
// library sends in binary (get/mget = GetK(Q)+Noop, set/add/replace/append/prepend/cas,
// delete, incr/decr with and without an initial value, touch, flush, version, stat, noreply =
// quiet opcodes, buffered requests) and, against slabcached, SASL PLAIN.
#include <libmemcached/memcached.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

struct MemcFree {
  void operator()(memcached_st* m) const { memcached_free(m); }
};
using Memc = std::unique_ptr<memcached_st, MemcFree>;

Memc BinaryClient(const Daemon& d, const std::map<memcached_behavior_t, uint64_t>& extra = {}) {
  Memc memc(memcached_create(nullptr));
  if (!memc) return nullptr;
  EXPECT_EQ(memcached_server_add(memc.get(), d.host().c_str(), static_cast<in_port_t>(d.port())),
            MEMCACHED_SUCCESS);
  std::map<memcached_behavior_t, uint64_t> behaviors = {
      {MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1},
      {MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, 2000},
      {MEMCACHED_BEHAVIOR_POLL_TIMEOUT, 2000},
  };
  for (auto [b, v] : extra) behaviors[b] = v;
  for (auto [b, v] : behaviors) {
    EXPECT_EQ(memcached_behavior_set(memc.get(), b, v), MEMCACHED_SUCCESS) << "behavior " << b;
  }
  return memc;
}

memcached_return_t Set(memcached_st* m, const std::string& k, const std::string& v,
                       uint32_t flags = 0, time_t exptime = 0) {
  return memcached_set(m, k.data(), k.size(), v.data(), v.size(), exptime, flags);
}

// The value, or nullopt on a miss (other statuses fail the test).
std::optional<std::string> Get(memcached_st* m, const std::string& k, uint32_t* flags = nullptr) {
  size_t len = 0;
  uint32_t f = 0;
  memcached_return_t rc = MEMCACHED_FAILURE;
  char* value = memcached_get(m, k.data(), k.size(), &len, &f, &rc);
  std::unique_ptr<char, decltype(&std::free)> owned(value, &std::free);
  if (rc == MEMCACHED_NOTFOUND) return std::nullopt;
  EXPECT_EQ(rc, MEMCACHED_SUCCESS) << k << ": " << memcached_strerror(m, rc);
  if (rc != MEMCACHED_SUCCESS) return std::nullopt;
  if (flags != nullptr) *flags = f;
  return value != nullptr ? std::string(value, len) : std::string();
}

class LibmemcachedBinaryTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    memc_ = BinaryClient(daemon());
    ASSERT_NE(memc_, nullptr);
  }
  memcached_st* m() { return memc_.get(); }
  Memc memc_;
};

TEST_P(LibmemcachedBinaryTest, SetGetWithFlagsAndBigValue) {
  ASSERT_EQ(Set(m(), "k", "v", 42), MEMCACHED_SUCCESS);
  uint32_t flags = 0;
  EXPECT_EQ(Get(m(), "k", &flags), "v");
  EXPECT_EQ(flags, 42u);
  EXPECT_EQ(Get(m(), "missing"), std::nullopt);
  const std::string big(1000 * 1000, 'b');
  ASSERT_EQ(Set(m(), "big", big), MEMCACHED_SUCCESS);
  EXPECT_EQ(Get(m(), "big"), big);
  EXPECT_NE(Set(m(), "huge", std::string(2 * 1024 * 1024, 'h')), MEMCACHED_SUCCESS);
}

TEST_P(LibmemcachedBinaryTest, MgetFetchesHitsAmongMisses) {
  std::vector<std::string> keys;
  for (int i = 0; i < 50; ++i) {
    keys.push_back("key" + std::to_string(i));
    if (i % 3 == 0) {
      ASSERT_EQ(Set(m(), keys.back(), "v" + std::to_string(i)), MEMCACHED_SUCCESS);
    }
  }
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const auto& k : keys) {
    ptrs.push_back(k.data());
    lens.push_back(k.size());
  }
  ASSERT_EQ(memcached_mget(m(), ptrs.data(), lens.data(), keys.size()), MEMCACHED_SUCCESS);
  std::map<std::string, std::string> got;
  memcached_return_t rc;
  while (memcached_result_st* r = memcached_fetch_result(m(), nullptr, &rc)) {
    got[std::string(memcached_result_key_value(r), memcached_result_key_length(r))] =
        std::string(memcached_result_value(r), memcached_result_length(r));
    memcached_result_free(r);
  }
  EXPECT_EQ(got.size(), 17u);
  EXPECT_EQ(got["key3"], "v3");
  EXPECT_EQ(got["key48"], "v48");
}

TEST_P(LibmemcachedBinaryTest, AddReplaceAppendPrepend) {
  EXPECT_EQ(memcached_add(m(), "k", 1, "a", 1, 0, 0), MEMCACHED_SUCCESS);
  EXPECT_EQ(memcached_add(m(), "k", 1, "b", 1, 0, 0), MEMCACHED_DATA_EXISTS);
  EXPECT_EQ(memcached_replace(m(), "nope", 4, "b", 1, 0, 0), MEMCACHED_NOTFOUND);
  EXPECT_EQ(memcached_replace(m(), "k", 1, "b", 1, 0, 0), MEMCACHED_SUCCESS);
  EXPECT_EQ(memcached_append(m(), "k", 1, "A", 1, 0, 0), MEMCACHED_SUCCESS);
  EXPECT_EQ(memcached_prepend(m(), "k", 1, "P", 1, 0, 0), MEMCACHED_SUCCESS);
  EXPECT_EQ(memcached_append(m(), "nope", 4, "A", 1, 0, 0), MEMCACHED_NOTSTORED);
  EXPECT_EQ(Get(m(), "k"), "PbA");
}

TEST_P(LibmemcachedBinaryTest, Cas) {
  ASSERT_EQ(memcached_behavior_set(m(), MEMCACHED_BEHAVIOR_SUPPORT_CAS, 1), MEMCACHED_SUCCESS);
  ASSERT_EQ(Set(m(), "k", "v1"), MEMCACHED_SUCCESS);
  const char* key = "k";
  size_t len = 1;
  ASSERT_EQ(memcached_mget(m(), &key, &len, 1), MEMCACHED_SUCCESS);
  memcached_return_t rc;
  memcached_result_st* r = memcached_fetch_result(m(), nullptr, &rc);
  ASSERT_NE(r, nullptr);
  const uint64_t cas = memcached_result_cas(r);
  memcached_result_free(r);
  while (memcached_fetch_result(m(), nullptr, &rc) != nullptr) {
  }
  EXPECT_NE(cas, 0u);
  EXPECT_EQ(memcached_cas(m(), "k", 1, "v2", 2, 0, 0, cas + 1), MEMCACHED_DATA_EXISTS);
  EXPECT_EQ(memcached_cas(m(), "k", 1, "v2", 2, 0, 0, cas), MEMCACHED_SUCCESS);
  EXPECT_EQ(memcached_cas(m(), "k", 1, "v3", 2, 0, 0, cas), MEMCACHED_DATA_EXISTS);
  EXPECT_EQ(Get(m(), "k"), "v2");
}

TEST_P(LibmemcachedBinaryTest, DeleteAndExist) {
  ASSERT_EQ(Set(m(), "k", "v"), MEMCACHED_SUCCESS);
  EXPECT_EQ(memcached_exist(m(), "k", 1), MEMCACHED_SUCCESS);
  EXPECT_EQ(memcached_delete(m(), "k", 1, 0), MEMCACHED_SUCCESS);
  EXPECT_EQ(memcached_delete(m(), "k", 1, 0), MEMCACHED_NOTFOUND);
  EXPECT_EQ(memcached_exist(m(), "k", 1), MEMCACHED_NOTFOUND);
}

TEST_P(LibmemcachedBinaryTest, IncrementDecrementWithInitial) {
  uint64_t value = 0;
  EXPECT_EQ(memcached_increment(m(), "n", 1, 1, &value), MEMCACHED_NOTFOUND);
  EXPECT_EQ(memcached_increment_with_initial(m(), "n", 1, 5, 100, 0, &value), MEMCACHED_SUCCESS);
  EXPECT_EQ(value, 100u);
  EXPECT_EQ(memcached_increment_with_initial(m(), "n", 1, 5, 100, 0, &value), MEMCACHED_SUCCESS);
  EXPECT_EQ(value, 105u);
  EXPECT_EQ(memcached_decrement(m(), "n", 1, 200, &value), MEMCACHED_SUCCESS);
  EXPECT_EQ(value, 0u);
  EXPECT_EQ(memcached_decrement_with_initial(m(), "d", 1, 1, 7, 0, &value), MEMCACHED_SUCCESS);
  EXPECT_EQ(value, 7u);
  EXPECT_EQ(Get(m(), "d"), "7");
  ASSERT_EQ(Set(m(), "t", "text"), MEMCACHED_SUCCESS);
  EXPECT_NE(memcached_increment(m(), "t", 1, 1, &value), MEMCACHED_SUCCESS);
}

TEST_P(LibmemcachedBinaryTest, TouchFlushVersion) {
  ASSERT_EQ(Set(m(), "k", "v"), MEMCACHED_SUCCESS);
  EXPECT_EQ(memcached_touch(m(), "k", 1, 100), MEMCACHED_SUCCESS);
  EXPECT_EQ(memcached_touch(m(), "nope", 4, 100), MEMCACHED_NOTFOUND);
  EXPECT_EQ(memcached_flush(m(), 0), MEMCACHED_SUCCESS);
  EXPECT_EQ(Get(m(), "k"), std::nullopt);
  EXPECT_EQ(memcached_version(m()), MEMCACHED_SUCCESS);
  const memcached_instance_st* server = memcached_server_instance_by_position(m(), 0);
  EXPECT_EQ(memcached_server_major_version(server), 1);
  EXPECT_EQ(memcached_server_minor_version(server), 6);
  // slabcached answers memcached 1.6.45's version (issue #12), Debian's build its 1.6.18.
  EXPECT_EQ(memcached_server_micro_version(server), IsReference() ? 18 : 45);
}

TEST_P(LibmemcachedBinaryTest, Stat) {
  ASSERT_EQ(Set(m(), "k", "v"), MEMCACHED_SUCCESS);
  memcached_return_t rc;
  memcached_stat_st* stats = memcached_stat(m(), nullptr, &rc);
  ASSERT_EQ(rc, MEMCACHED_SUCCESS) << memcached_strerror(m(), rc);
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(stats[0].curr_items, 1u);
  EXPECT_GE(stats[0].cmd_set, 1u);
  EXPECT_EQ(std::string(stats[0].version), MemcachedVersion());
  char* value = memcached_stat_get_value(m(), stats, "curr_items", &rc);
  EXPECT_STREQ(value, "1");
  std::free(value);
  memcached_stat_free(m(), stats);
  // A group: "items".
  memcached_stat_st* items = memcached_stat(m(), const_cast<char*>("items"), &rc);
  EXPECT_EQ(rc, MEMCACHED_SUCCESS) << memcached_strerror(m(), rc);
  memcached_stat_free(m(), items);
}

TEST_P(LibmemcachedBinaryTest, NoreplyUsesQuietOpcodes) {
  Memc quiet = BinaryClient(daemon(), {{MEMCACHED_BEHAVIOR_NOREPLY, 1}});
  ASSERT_NE(quiet, nullptr);
  for (int i = 0; i < 100; ++i) {
    const std::string k = "q" + std::to_string(i);
    ASSERT_EQ(Set(quiet.get(), k, k), MEMCACHED_SUCCESS);
  }
  EXPECT_EQ(memcached_delete(quiet.get(), "q0", 2, 0), MEMCACHED_SUCCESS);
  EXPECT_EQ(memcached_append(quiet.get(), "q1", 2, "+", 1, 0, 0), MEMCACHED_SUCCESS);
  // Gets are never quiet, and on the same connection they come after the quiet writes.
  EXPECT_EQ(Get(quiet.get(), "q0"), std::nullopt);
  EXPECT_EQ(Get(quiet.get(), "q1"), "q1+");
  EXPECT_EQ(Get(quiet.get(), "q99"), "q99");
}

TEST_P(LibmemcachedBinaryTest, BufferedRequests) {
  Memc buffered = BinaryClient(daemon(), {{MEMCACHED_BEHAVIOR_BUFFER_REQUESTS, 1}});
  ASSERT_NE(buffered, nullptr);
  for (int i = 0; i < 200; ++i) {
    const std::string k = "b" + std::to_string(i);
    const memcached_return_t rc = Set(buffered.get(), k, std::string(100, 'x'));
    EXPECT_TRUE(rc == MEMCACHED_BUFFERED || rc == MEMCACHED_SUCCESS)
        << memcached_strerror(buffered.get(), rc);
  }
  EXPECT_EQ(memcached_flush_buffers(buffered.get()), MEMCACHED_SUCCESS);
  EXPECT_EQ(Get(buffered.get(), "b199"), std::string(100, 'x'));
}

INSTANTIATE_TEST_SUITE_P(LibmemcachedBinary, LibmemcachedBinaryTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);

// libmemcached's SASL (PLAIN through the client libsasl2) against slabcached -S.
TEST(LibmemcachedSaslTest, PlainAgainstSlabcached) {
  std::string why;
  const auto bin = FindServerBinary(Server::kSlabcached, &why);
  if (!bin) GTEST_SKIP() << why;
  char path[] = "/tmp/slabcached-sasl-lm-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "carol:pa55\n";
  auto flags = DefaultFlags();
  flags.insert(flags.end(), {"-S", "-o", std::string("sasl_pwdb=") + path});
  std::string error;
  auto d = Daemon::Start(*bin, flags, &error);
  unlink(path);
  ASSERT_NE(d, nullptr) << error;

  Memc wrong = BinaryClient(*d);
  ASSERT_EQ(memcached_set_sasl_auth_data(wrong.get(), "carol", "nope"), MEMCACHED_SUCCESS);
  EXPECT_NE(Set(wrong.get(), "k", "v"), MEMCACHED_SUCCESS);

  Memc right = BinaryClient(*d);
  ASSERT_EQ(memcached_set_sasl_auth_data(right.get(), "carol", "pa55"), MEMCACHED_SUCCESS);
  EXPECT_EQ(Set(right.get(), "k", "v"), MEMCACHED_SUCCESS)
      << memcached_last_error_message(right.get());
  EXPECT_EQ(Get(right.get(), "k"), "v");
  memcached_destroy_sasl_auth_data(right.get());
  memcached_destroy_sasl_auth_data(wrong.get());
}

}  // namespace
}  // namespace slabcached::testing
