// The invalidator's on-disk spool: append-only records, a consumed offset,
// replay after a reopen, a torn record dropped, a size bound.
#include "client/spool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace slabcached::client {
namespace {

using Keys = std::vector<std::string>;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/spool-test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::unique_ptr<Spool> Open(uint64_t max_bytes = 1 << 20) {
    std::string error;
    auto spool = Spool::Open(dir_, "s", max_bytes, &error);
    EXPECT_NE(spool, nullptr) << error;
    return spool;
  }
  std::string Read(const std::string& file) {
    std::stringstream s;
    s << std::ifstream(dir_ + "/" + file).rdbuf();
    return s.str();
  }

  std::string dir_;
};

TEST_F(SpoolTest, KeysComeBackOldestFirstUntilConsumed) {
  auto spool = Open();
  for (const char* k : {"a", "b", "c"}) EXPECT_EQ(spool->Append(k), Spool::AppendResult::kOk);
  EXPECT_TRUE(spool->Sync());
  EXPECT_EQ(spool->pending(), 3u);
  EXPECT_EQ(spool->Peek(2), (Keys{"a", "b"}));
  EXPECT_TRUE(spool->Consume(1));
  EXPECT_EQ(spool->Peek(10), (Keys{"b", "c"}));
  EXPECT_EQ(Read("s.spool"), "a\nb\nc\n");
  EXPECT_EQ(Read("s.done"), "2\n");
}

TEST_F(SpoolTest, ReopenReplaysWhatWasNotConsumed) {
  {
    auto spool = Open();
    for (const char* k : {"a", "b", "c"}) spool->Append(k);
    spool->Consume(1);
  }
  auto spool = Open();
  EXPECT_EQ(spool->pending(), 2u);
  EXPECT_EQ(spool->Peek(10), (Keys{"b", "c"}));
}

TEST_F(SpoolTest, ConsumingEverythingEmptiesBothFiles) {
  auto spool = Open();
  spool->Append("a");
  spool->Append("b");
  EXPECT_TRUE(spool->Consume(2));
  EXPECT_EQ(spool->pending(), 0u);
  EXPECT_EQ(spool->bytes(), 0u);
  EXPECT_EQ(Read("s.spool"), "");
  spool->Append("c");
  EXPECT_EQ(Open()->Peek(10), Keys{"c"});
}

TEST_F(SpoolTest, TornLastRecordIsDroppedAtOpen) {
  std::ofstream(dir_ + "/s.spool") << "a\nb\npart";
  auto spool = Open();
  EXPECT_EQ(spool->pending(), 2u);
  EXPECT_EQ(spool->Peek(10), (Keys{"a", "b"}));
  spool->Append("c");
  EXPECT_EQ(Read("s.spool"), "a\nb\nc\n");
}

TEST_F(SpoolTest, OffsetThatIsNotARecordBoundaryReplaysFromTheStart) {
  std::ofstream(dir_ + "/s.spool") << "aa\nbb\n";
  std::ofstream(dir_ + "/s.done") << "1\n";
  EXPECT_EQ(Open()->Peek(10), (Keys{"aa", "bb"}));
  std::ofstream(dir_ + "/s.done") << "99\n";
  EXPECT_EQ(Open()->pending(), 2u);
}

TEST_F(SpoolTest, AppendPastTheBoundIsRefusedAndKeepsNothing) {
  auto spool = Open(/*max_bytes=*/6);
  EXPECT_EQ(spool->Append("ab"), Spool::AppendResult::kOk);  // 3 bytes
  EXPECT_EQ(spool->Append("cd"), Spool::AppendResult::kOk);  // 6 bytes
  EXPECT_EQ(spool->Append("e"), Spool::AppendResult::kFull);
  EXPECT_EQ(spool->pending(), 2u);
  EXPECT_TRUE(spool->Consume(2));
  EXPECT_EQ(spool->Append("e"), Spool::AppendResult::kOk);
}

TEST_F(SpoolTest, ManyRecordsCrossReadChunks) {
  auto spool = Open(64 << 20);
  const std::string pad(200, 'k');
  for (int i = 0; i < 2000; ++i) spool->Append(pad + std::to_string(i));
  EXPECT_TRUE(spool->Consume(1500));
  const Keys rest = spool->Peek(1000);
  ASSERT_EQ(rest.size(), 500u);
  EXPECT_EQ(rest.front(), pad + "1500");
  EXPECT_EQ(rest.back(), pad + "1999");
  EXPECT_EQ(Open(64 << 20)->Peek(1).front(), pad + "1500");
}

}  // namespace
}  // namespace slabcached::client
