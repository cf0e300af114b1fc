// The meta stampede state on its own (slabs/meta_state.h): the W/X/Z
// decisions as pure functions, and the side table without a store (items are
// only compared by address, so any distinct addresses stand for items).
#include "slabs/meta_state.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace slabcached::slabs {
namespace {

constexpr uint8_t kNone = 0;
constexpr uint8_t kWon = MetaStateTable::kTokenSent;
constexpr uint8_t kStale = MetaStateTable::kStale;
constexpr uint8_t kBinary = MetaStateTable::kKeyBinary;

TtlFlags Flags(std::array<char, 3> order) {
  TtlFlags f;
  f.order = order;
  return f;
}

// ------------------------------------------------------------- decisions ---

TEST(ApplyTtlFlagsTest, NothingAskedChangesNothing) {
  const TtlOutcome out = ApplyTtlFlags(TtlFlags{}, 500, false, kNone);
  EXPECT_EQ(out.exptime, 500u);
  EXPECT_FALSE(out.won);
}

TEST(ApplyTtlFlagsTest, TouchSetsTheTtl) {
  TtlFlags f;
  f.touch = true;
  f.exptime = 900;
  EXPECT_EQ(ApplyTtlFlags(f, 500, false, kNone).exptime, 900u);
  EXPECT_FALSE(ApplyTtlFlags(f, 500, false, kNone).won);
}

TEST(ApplyTtlFlagsTest, VivifyAppliesOnlyToTheCreatedItemAndWins) {
  TtlFlags f;
  f.vivify = true;
  f.vivify_exptime = 30;
  const TtlOutcome created = ApplyTtlFlags(f, 0, true, kNone);
  EXPECT_EQ(created.exptime, 30u);
  EXPECT_TRUE(created.won);
  const TtlOutcome found = ApplyTtlFlags(f, 500, false, kNone);
  EXPECT_EQ(found.exptime, 500u);
  EXPECT_FALSE(found.won);
}

// memcached 1.6.18 walks its tokens: the later of T and N sets the TTL.
TEST(ApplyTtlFlagsTest, TouchAndVivifyApplyInTheOrderSent) {
  TtlFlags f = Flags({'N', 'T', '\0'});
  f.touch = f.vivify = true;
  f.exptime = 60;
  f.vivify_exptime = 30;
  EXPECT_EQ(ApplyTtlFlags(f, 0, true, kNone).exptime, 60u);
  f.order = {'T', 'N', '\0'};
  EXPECT_EQ(ApplyTtlFlags(f, 0, true, kNone).exptime, 30u);
}

TEST(ApplyTtlFlagsTest, RecacheWinsOnlyBelowTheHorizonOnceAndWithATtl) {
  TtlFlags f;
  f.recache = true;
  f.recache_time = 100;
  EXPECT_TRUE(ApplyTtlFlags(f, 99, false, kNone).won);
  EXPECT_FALSE(ApplyTtlFlags(f, 100, false, kNone).won);  // not below
  EXPECT_FALSE(ApplyTtlFlags(f, 0, false, kNone).won);    // never expires
  EXPECT_FALSE(ApplyTtlFlags(f, 99, false, kWon).won);    // somebody won already
}

// R compares with the TTL as of its position among the flags.
TEST(ApplyTtlFlagsTest, RecacheSeesATouchSentBeforeIt) {
  TtlFlags f = Flags({'T', 'R', '\0'});
  f.touch = f.recache = true;
  f.exptime = 500;
  f.recache_time = 100;
  EXPECT_FALSE(ApplyTtlFlags(f, 50, false, kNone).won);
  f.order = {'R', 'T', '\0'};
  const TtlOutcome out = ApplyTtlFlags(f, 50, false, kNone);
  EXPECT_TRUE(out.won);
  EXPECT_EQ(out.exptime, 500u);
}

TEST(ApplyTtlFlagsTest, FlagsNotSentDoNotApply) {
  TtlFlags f = Flags({'T', '\0', '\0'});  // N and R set but not in the order
  f.vivify = f.recache = true;
  f.vivify_exptime = 30;
  f.recache_time = 100;
  const TtlOutcome out = ApplyTtlFlags(f, 50, true, kNone);
  EXPECT_EQ(out.exptime, 50u);
  EXPECT_FALSE(out.won);
}

TEST(ApplyTtlFlagsTest, FirstReaderOfAStaleItemWins) {
  EXPECT_TRUE(ApplyTtlFlags(TtlFlags{}, 0, false, kStale).won);
  EXPECT_TRUE(ApplyTtlFlags(TtlFlags{}, 0, false, kStale | kBinary).won);
  EXPECT_FALSE(ApplyTtlFlags(TtlFlags{}, 0, false, kStale | kWon).won);
  EXPECT_FALSE(ApplyTtlFlags(TtlFlags{}, 0, false, kBinary).won);
}

TEST(StaleBitsTest, StoringAnOlderCasKeepsTheWinOnly) {
  EXPECT_EQ(StaleStoreBits(kNone), kStale);
  EXPECT_EQ(StaleStoreBits(kWon | kBinary), kStale | kWon);
  EXPECT_EQ(StaleStoreBits(kStale), kStale);
}

TEST(StaleBitsTest, InvalidatingClearsTheWinAndKeepsABinaryKey) {
  EXPECT_EQ(InvalidatedBits(kNone), kStale);
  EXPECT_EQ(InvalidatedBits(kWon | kBinary), kStale | kBinary);
  EXPECT_EQ(InvalidatedBits(kStale | kWon), kStale);
}

// ----------------------------------------------------------------- table ---

class MetaStateTableTest : public ::testing::Test {
 protected:
  // Distinct addresses standing for items.
  const Item* item(int i) const { return reinterpret_cast<const Item*>(&slots_[i]); }
  std::array<long, 4> slots_{};
};

TEST_F(MetaStateTableTest, BitsBelongToTheItemTheyWereSetFor) {
  MetaStateTable table(8);
  EXPECT_EQ(table.Get(1, "k", item(0)), kNone);
  ASSERT_TRUE(table.Set(1, "k", item(0), kWon | kBinary));
  EXPECT_EQ(table.Get(1, "k", item(0)), kWon | kBinary);
  EXPECT_EQ(table.Get(1, "k", item(1)), kNone);  // another item under the key
  EXPECT_EQ(table.Get(1, "other", item(0)), kNone);
  EXPECT_EQ(table.size(), 1u);
  ASSERT_TRUE(table.Set(1, "k", item(0), kNone));  // 0 erases
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.Get(1, "k", item(0)), kNone);
}

TEST_F(MetaStateTableTest, FullTableRefusesNewEntriesOnly) {
  MetaStateTable table(2);
  const size_t empty_bytes = table.bytes();
  ASSERT_TRUE(table.Set(1, "a", item(0), kWon));
  ASSERT_TRUE(table.Set(2, "b", item(1), kStale));
  EXPECT_GT(table.bytes(), empty_bytes);
  EXPECT_FALSE(table.Set(3, "c", item(2), kWon));
  EXPECT_EQ(table.Get(3, "c", item(2)), kNone);
  EXPECT_FALSE(table.Reserve());
  EXPECT_TRUE(table.Set(1, "a", item(0), kWon | kStale));  // updates need no room
  EXPECT_EQ(table.size(), 2u);
  table.Forget(1, "a", item(0));
  table.Forget(2, "b", item(1));
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.bytes(), empty_bytes);
}

TEST_F(MetaStateTableTest, ReservationsCountUntilUsedOrReturned) {
  MetaStateTable table(1);
  ASSERT_TRUE(table.Reserve());
  EXPECT_FALSE(table.Set(1, "a", item(0), kWon));  // the room is taken
  table.Unreserve();
  ASSERT_TRUE(table.Reserve());
  table.SetReserved(1, "a", item(0), kStale);
  EXPECT_EQ(table.Get(1, "a", item(0)), kStale);
  EXPECT_EQ(table.size(), 1u);
  // A reservation that ends up storing no bits gives its room back.
  table.Forget(1, "a", item(0));
  EXPECT_EQ(table.size(), 0u);
  ASSERT_TRUE(table.Reserve());
  table.SetReserved(1, "a", item(0), kNone);
  EXPECT_EQ(table.size(), 0u);
  // One used for a key that already has an entry updates it and gives its
  // room back.
  MetaStateTable two(2);
  ASSERT_TRUE(two.Set(1, "a", item(0), kWon));
  ASSERT_TRUE(two.Reserve());
  two.SetReserved(1, "a", item(1), kStale);
  EXPECT_EQ(two.Get(1, "a", item(1)), kStale);
  EXPECT_EQ(two.size(), 1u);
}

TEST_F(MetaStateTableTest, MoveAndForgetFollowTheItem) {
  MetaStateTable table(4);
  ASSERT_TRUE(table.Set(7, "k", item(0), kStale | kBinary));
  table.Move(7, "k", item(1), item(2));  // not its item: no change
  EXPECT_EQ(table.Get(7, "k", item(0)), kStale | kBinary);
  table.Move(7, "k", item(0), item(1));  // a page move copied the item
  EXPECT_EQ(table.Get(7, "k", item(0)), kNone);
  EXPECT_EQ(table.Get(7, "k", item(1)), kStale | kBinary);
  table.Forget(7, "k", item(0));  // an old item's unlink leaves the new one's bits
  EXPECT_EQ(table.size(), 1u);
  table.Forget(7, "k", item(1));
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace slabcached::slabs
