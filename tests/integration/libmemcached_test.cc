// libmemcached (the C client most applications link) against both servers, text protocol only
// (the binary protocol is a later issue). Each test checks the memcached_return_t a client sees,
// so a reply the library cannot parse shows up as a wrong status here.
#include <libmemcached/memcached.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/daemon_fixture.h"

namespace slabcached::testing {
namespace {

struct MemcFree {
  void operator()(memcached_st* m) const { memcached_free(m); }
};
using Memc = std::unique_ptr<memcached_st, MemcFree>;

struct CharFree {
  void operator()(char* p) const { std::free(p); }
};

class LibmemcachedTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    memc_ = NewClient();
    ASSERT_NE(memc_, nullptr);
  }

  // A client for daemon() with bounded timeouts; `behaviors` are applied on top.
  Memc NewClient(const std::map<memcached_behavior_t, uint64_t>& behaviors = {}) {
    Memc memc(memcached_create(nullptr));
    if (!memc) return nullptr;
    memcached_return_t rc = memcached_server_add(memc.get(), daemon().host().c_str(),
                                                 static_cast<in_port_t>(daemon().port()));
    EXPECT_EQ(rc, MEMCACHED_SUCCESS) << memcached_strerror(memc.get(), rc);
    for (auto [behavior, value] : {std::pair{MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, 2000},
                                   std::pair{MEMCACHED_BEHAVIOR_POLL_TIMEOUT, 2000}}) {
      EXPECT_EQ(memcached_behavior_set(memc.get(), behavior, value), MEMCACHED_SUCCESS);
    }
    for (auto [behavior, value] : behaviors) {
      EXPECT_EQ(memcached_behavior_set(memc.get(), behavior, value), MEMCACHED_SUCCESS)
          << "behavior " << behavior;
    }
    return memc;
  }

  memcached_st* memc() { return memc_.get(); }

  memcached_return_t Set(memcached_st* m, const std::string& key, const std::string& value,
                         uint32_t flags = 0, time_t exptime = 0) {
    return memcached_set(m, key.data(), key.size(), value.data(), value.size(), exptime, flags);
  }

  // The value of `key`, or nullopt on a miss (any other status fails the test).
  std::optional<std::string> Get(memcached_st* m, const std::string& key,
                                 uint32_t* flags = nullptr) {
    size_t len = 0;
    uint32_t f = 0;
    memcached_return_t rc = MEMCACHED_FAILURE;
    std::unique_ptr<char, CharFree> value(memcached_get(m, key.data(), key.size(), &len, &f, &rc));
    if (rc == MEMCACHED_NOTFOUND) return std::nullopt;
    EXPECT_EQ(rc, MEMCACHED_SUCCESS) << key << ": " << memcached_strerror(m, rc);
    if (rc != MEMCACHED_SUCCESS) return std::nullopt;
    if (flags != nullptr) *flags = f;
    return value ? std::string(value.get(), len) : std::string();
  }

  // memcached_mget + memcached_fetch_result: key → (value, cas).
  std::map<std::string, std::pair<std::string, uint64_t>> MultiGet(
      memcached_st* m, const std::vector<std::string>& keys) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& k : keys) {
      ptrs.push_back(k.data());
      lens.push_back(k.size());
    }
    std::map<std::string, std::pair<std::string, uint64_t>> found;
    memcached_return_t rc = memcached_mget(m, ptrs.data(), lens.data(), keys.size());
    EXPECT_EQ(rc, MEMCACHED_SUCCESS) << memcached_strerror(m, rc);
    if (rc != MEMCACHED_SUCCESS) return found;
    while (true) {
      memcached_result_st* result = memcached_fetch_result(m, nullptr, &rc);
      if (result == nullptr) break;
      std::string key(memcached_result_key_value(result), memcached_result_key_length(result));
      std::string value(memcached_result_value(result), memcached_result_length(result));
      found[key] = {value, memcached_result_cas(result)};
      memcached_result_free(result);
    }
    EXPECT_TRUE(rc == MEMCACHED_END || rc == MEMCACHED_NOTFOUND) << memcached_strerror(m, rc);
    return found;
  }

 private:
  Memc memc_;
};

#define EXPECT_RC(expected, call)                                                 \
  do {                                                                            \
    memcached_return_t rc_ = (call);                                              \
    EXPECT_EQ(rc_, expected) << #call << ": " << memcached_strerror(memc(), rc_); \
  } while (0)

TEST_P(LibmemcachedTest, SetGet) {
  EXPECT_RC(MEMCACHED_SUCCESS, Set(memc(), "foo", "bar", 123));
  uint32_t flags = 0;
  EXPECT_EQ(Get(memc(), "foo", &flags), "bar");
  EXPECT_EQ(flags, 123u);
  EXPECT_EQ(Get(memc(), "missing"), std::nullopt);
}

TEST_P(LibmemcachedTest, LargeValue) {
  std::string value(512 * 1024, 'L');
  value[1000] = '\0';
  value[2000] = '\n';
  EXPECT_RC(MEMCACHED_SUCCESS, Set(memc(), "large", value));
  EXPECT_EQ(Get(memc(), "large"), value);
}

TEST_P(LibmemcachedTest, MgetFetchesHitsAmongManyKeys) {
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) {
    keys.push_back("mget:" + std::to_string(i));
    if (i % 3 == 0) EXPECT_RC(MEMCACHED_SUCCESS, Set(memc(), keys.back(), "v" + std::to_string(i)));
  }
  auto found = MultiGet(memc(), keys);
  EXPECT_EQ(found.size(), 100u);
  for (int i = 0; i < 300; i += 3) {
    EXPECT_EQ(found["mget:" + std::to_string(i)].first, "v" + std::to_string(i));
  }
}

TEST_P(LibmemcachedTest, AddAndReplace) {
  EXPECT_RC(MEMCACHED_SUCCESS, memcached_add(memc(), "k", 1, "a", 1, 0, 0));
  EXPECT_RC(MEMCACHED_NOTSTORED, memcached_add(memc(), "k", 1, "b", 1, 0, 0));
  EXPECT_RC(MEMCACHED_NOTSTORED, memcached_replace(memc(), "none", 4, "c", 1, 0, 0));
  EXPECT_RC(MEMCACHED_SUCCESS, memcached_replace(memc(), "k", 1, "d", 1, 0, 0));
  EXPECT_EQ(Get(memc(), "k"), "d");
}

TEST_P(LibmemcachedTest, AppendAndPrepend) {
  EXPECT_RC(MEMCACHED_NOTSTORED, memcached_append(memc(), "k", 1, "x", 1, 0, 0));
  EXPECT_RC(MEMCACHED_SUCCESS, Set(memc(), "k", "mid", 9));
  EXPECT_RC(MEMCACHED_SUCCESS, memcached_append(memc(), "k", 1, ">>", 2, 0, 0));
  EXPECT_RC(MEMCACHED_SUCCESS, memcached_prepend(memc(), "k", 1, "<<", 2, 0, 0));
  uint32_t flags = 0;
  EXPECT_EQ(Get(memc(), "k", &flags), "<<mid>>");
  EXPECT_EQ(flags, 9u);
}

TEST_P(LibmemcachedTest, Cas) {
  ASSERT_EQ(memcached_behavior_set(memc(), MEMCACHED_BEHAVIOR_SUPPORT_CAS, 1), MEMCACHED_SUCCESS);
  EXPECT_RC(MEMCACHED_SUCCESS, Set(memc(), "k", "v1"));
  auto found = MultiGet(memc(), {"k"});
  ASSERT_EQ(found.size(), 1u);
  uint64_t cas = found["k"].second;
  EXPECT_NE(cas, 0u);
  EXPECT_RC(MEMCACHED_SUCCESS, memcached_cas(memc(), "k", 1, "v2", 2, 0, 0, cas));
  EXPECT_RC(MEMCACHED_DATA_EXISTS, memcached_cas(memc(), "k", 1, "v3", 2, 0, 0, cas));
  EXPECT_EQ(Get(memc(), "k"), "v2");
  EXPECT_RC(MEMCACHED_NOTFOUND, memcached_cas(memc(), "none", 4, "v", 1, 0, 0, cas));
}

TEST_P(LibmemcachedTest, Delete) {
  EXPECT_RC(MEMCACHED_SUCCESS, Set(memc(), "k", "v"));
  EXPECT_RC(MEMCACHED_SUCCESS, memcached_delete(memc(), "k", 1, 0));
  EXPECT_EQ(Get(memc(), "k"), std::nullopt);
  EXPECT_RC(MEMCACHED_NOTFOUND, memcached_delete(memc(), "k", 1, 0));
}

TEST_P(LibmemcachedTest, IncrementDecrement) {
  EXPECT_RC(MEMCACHED_SUCCESS, Set(memc(), "n", "10"));
  uint64_t value = 0;
  EXPECT_RC(MEMCACHED_SUCCESS, memcached_increment(memc(), "n", 1, 5, &value));
  EXPECT_EQ(value, 15u);
  EXPECT_RC(MEMCACHED_SUCCESS, memcached_decrement(memc(), "n", 1, 20, &value));
  EXPECT_EQ(value, 0u) << "decr floors at 0";
  EXPECT_RC(MEMCACHED_SUCCESS, Set(memc(), "n", "18446744073709551615"));
  EXPECT_RC(MEMCACHED_SUCCESS, memcached_increment(memc(), "n", 1, 2, &value));
  EXPECT_EQ(value, 1u) << "incr wraps at 2^64";
  EXPECT_RC(MEMCACHED_NOTFOUND, memcached_increment(memc(), "none", 4, 1, &value));
  EXPECT_RC(MEMCACHED_SUCCESS, Set(memc(), "text", "abc"));
  memcached_return_t rc = memcached_increment(memc(), "text", 4, 1, &value);
  EXPECT_NE(rc, MEMCACHED_SUCCESS) << "incr of a non-numeric value";
  EXPECT_EQ(Get(memc(), "text"), "abc") << "the connection is still in sync";
}

TEST_P(LibmemcachedTest, Touch) {
  EXPECT_RC(MEMCACHED_SUCCESS, Set(memc(), "k", "v"));
  EXPECT_RC(MEMCACHED_SUCCESS, memcached_touch(memc(), "k", 1, 1000));
  EXPECT_RC(MEMCACHED_NOTFOUND, memcached_touch(memc(), "none", 4, 1000));
  EXPECT_EQ(Get(memc(), "k"), "v");
  EXPECT_RC(MEMCACHED_SUCCESS, memcached_touch(memc(), "k", 1, -1));
  EXPECT_EQ(Get(memc(), "k"), std::nullopt) << "touched into the past";
}

TEST_P(LibmemcachedTest, Flush) {
  EXPECT_RC(MEMCACHED_SUCCESS, Set(memc(), "a", "1"));
  EXPECT_RC(MEMCACHED_SUCCESS, Set(memc(), "b", "2"));
  EXPECT_RC(MEMCACHED_SUCCESS, memcached_flush(memc(), 0));
  EXPECT_EQ(Get(memc(), "a"), std::nullopt);
  EXPECT_EQ(Get(memc(), "b"), std::nullopt);
}

TEST_P(LibmemcachedTest, Version) {
  EXPECT_RC(MEMCACHED_SUCCESS, memcached_version(memc()));
  const memcached_instance_st* server = memcached_server_instance_by_position(memc(), 0);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(memcached_server_major_version(server), 1);
  EXPECT_EQ(memcached_server_minor_version(server), 6);
}

TEST_P(LibmemcachedTest, Stat) {
  EXPECT_RC(MEMCACHED_SUCCESS, Set(memc(), "a", "1"));
  EXPECT_RC(MEMCACHED_SUCCESS, Set(memc(), "b", "2"));
  EXPECT_EQ(Get(memc(), "a"), "1");
  memcached_return_t rc = MEMCACHED_FAILURE;
  memcached_stat_st* stats = memcached_stat(memc(), nullptr, &rc);
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(rc, MEMCACHED_SUCCESS) << memcached_strerror(memc(), rc);
  if (!attached()) {
    EXPECT_EQ(stats[0].pid, static_cast<pid_t>(daemon().pid()));
    EXPECT_EQ(stats[0].curr_items, 2u);
    EXPECT_EQ(stats[0].threads, 2u);
    EXPECT_EQ(stats[0].limit_maxbytes, 64u * 1024 * 1024);
  }
  EXPECT_GE(stats[0].cmd_set, 2u);
  EXPECT_GE(stats[0].get_hits, 1u);
  std::unique_ptr<char, CharFree> version(memcached_stat_get_value(memc(), stats, "version", &rc));
  ASSERT_NE(version, nullptr);
  EXPECT_EQ(std::string(version.get()).substr(0, 4), "1.6.");
  memcached_stat_free(memc(), stats);
}

TEST_P(LibmemcachedTest, NonBlockingBufferedRequests) {
  Memc buffered = NewClient({{MEMCACHED_BEHAVIOR_NO_BLOCK, 1},
                             {MEMCACHED_BEHAVIOR_TCP_NODELAY, 1},
                             {MEMCACHED_BEHAVIOR_BUFFER_REQUESTS, 1}});
  ASSERT_NE(buffered, nullptr);
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) {
    keys.push_back("buffered:" + std::to_string(i));
    memcached_return_t rc = Set(buffered.get(), keys.back(), std::string(100 + i, 'b'));
    EXPECT_TRUE(rc == MEMCACHED_BUFFERED || rc == MEMCACHED_SUCCESS)
        << memcached_strerror(buffered.get(), rc);
  }
  EXPECT_RC(MEMCACHED_SUCCESS, memcached_flush_buffers(buffered.get()));
  // Read through the same buffered client (the replies to the sets come first) and through
  // an ordinary one.
  auto through_buffered = MultiGet(buffered.get(), keys);
  EXPECT_EQ(through_buffered.size(), keys.size());
  auto found = MultiGet(memc(), keys);
  ASSERT_EQ(found.size(), keys.size());
  for (int i = 0; i < 200; ++i) EXPECT_EQ(found[keys[i]].first.size(), 100u + i);
}

TEST_P(LibmemcachedTest, NoreplyBehavior) {
  Memc quiet = NewClient({{MEMCACHED_BEHAVIOR_NOREPLY, 1}});
  ASSERT_NE(quiet, nullptr);
  memcached_st* q = quiet.get();
  auto ok = [&](memcached_return_t rc) {
    return rc == MEMCACHED_SUCCESS || rc == MEMCACHED_BUFFERED;
  };
  EXPECT_TRUE(ok(Set(q, "k", "v", 5)));
  EXPECT_TRUE(ok(memcached_add(q, "k", 1, "x", 1, 0, 0)));  // NOT_STORED, silently
  EXPECT_TRUE(ok(memcached_add(q, "a", 1, "A", 1, 0, 0)));
  EXPECT_TRUE(ok(memcached_replace(q, "a", 1, "AA", 2, 0, 0)));
  EXPECT_TRUE(ok(memcached_append(q, "k", 1, "2", 1, 0, 0)));
  EXPECT_TRUE(ok(memcached_prepend(q, "k", 1, "1", 1, 0, 0)));
  EXPECT_TRUE(ok(Set(q, "d", "gone")));
  EXPECT_TRUE(ok(memcached_delete(q, "d", 1, 0)));
  EXPECT_TRUE(ok(memcached_delete(q, "d", 1, 0)));  // NOT_FOUND, silently
  EXPECT_RC(MEMCACHED_SUCCESS, memcached_flush_buffers(q));

  // The noreply connection is still in sync: its own gets read the right replies.
  EXPECT_EQ(Get(q, "k"), "1v2");
  EXPECT_EQ(Get(q, "a"), "AA");
  EXPECT_EQ(Get(q, "d"), std::nullopt);
  // And a normal client sees the same state.
  uint32_t flags = 0;
  EXPECT_EQ(Get(memc(), "k", &flags), "1v2");
  EXPECT_EQ(flags, 5u);
  EXPECT_EQ(Get(memc(), "d"), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(Libmemcached, LibmemcachedTest,
                         ::testing::Values(Server::kSlabcached, Server::kMemcached),
                         ServerParamName);

}  // namespace
}  // namespace slabcached::testing
