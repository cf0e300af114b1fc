// Checks shared by the client's integration tests.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

#include "client/cache_aside.h"
#include "client/client.h"

namespace slabcached::client::testing {

// The storage, retrieval, CAS, touch/gat, delete and incr/decr answers every
// protocol must give (the same Status over text and binary).
inline void ExpectEveryCommandAnswers(Client& c) {
  Item item;
  EXPECT_EQ(c.Get("missing", &item), Status::kNotFound);
  EXPECT_EQ(c.Set("k", "hello", 3, 0), Status::kOk);
  EXPECT_EQ(c.Add("k", "x"), Status::kNotStored);
  EXPECT_EQ(c.Replace("nope", "x"), Status::kNotStored);
  EXPECT_EQ(c.Replace("k", "world", 4), Status::kOk);
  EXPECT_EQ(c.Append("k", "!"), Status::kOk);
  EXPECT_EQ(c.Prepend("k", ">"), Status::kOk);
  EXPECT_EQ(c.Append("nope", "!"), Status::kNotStored);
  ASSERT_EQ(c.Gets("k", &item), Status::kOk);
  EXPECT_EQ(item.value, ">world!");
  EXPECT_EQ(item.flags, 4u);
  EXPECT_NE(item.cas, 0u);
  EXPECT_EQ(c.Cas("k", "new", item.cas + 1000), Status::kExists);
  EXPECT_EQ(c.Cas("k", "new", item.cas), Status::kOk);
  EXPECT_EQ(c.Cas("nope", "new", 1), Status::kNotFound);
  EXPECT_EQ(c.Get("k", &item), Status::kOk);
  EXPECT_EQ(item.value, "new");
  EXPECT_EQ(c.Touch("k", 100), Status::kOk);
  EXPECT_EQ(c.Touch("nope", 100), Status::kNotFound);
  ASSERT_EQ(c.Gat("k", 200, &item), Status::kOk);
  EXPECT_EQ(item.value, "new");
  EXPECT_NE(item.cas, 0u);
  EXPECT_EQ(c.Gat("nope", 200, &item), Status::kNotFound);
  EXPECT_EQ(c.Delete("k"), Status::kOk);
  EXPECT_EQ(c.Delete("k"), Status::kNotFound);

  uint64_t n = 0;
  EXPECT_EQ(c.Set("n", "9"), Status::kOk);
  EXPECT_EQ(c.Incr("n", 1, &n), Status::kOk);
  EXPECT_EQ(n, 10u);
  EXPECT_EQ(c.Decr("n", 100, &n), Status::kOk);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(c.Incr("nope", 1, &n), Status::kNotFound);
  EXPECT_EQ(c.Get("nope", &item), Status::kNotFound) << "incr must not create the key";
  EXPECT_EQ(c.Set("s", "abc"), Status::kOk);
  EXPECT_EQ(c.Incr("s", 1, &n), Status::kClientError);
}

// A backing store that counts its calls.
struct CountingLoader {
  std::atomic<int> calls{0};
  LoadResult result = LoadResult::kFound;
  std::string value = "from-db";
  std::chrono::milliseconds delay{0};

  Loader AsLoader() {
    return [this](std::string_view, std::string* v) {
      ++calls;
      if (delay.count() > 0) std::this_thread::sleep_for(delay);
      *v = value;
      return result;
    };
  }
};

}  // namespace slabcached::client::testing
