// The restart record (slabs/restart.h): encoding, what makes it unusable,
// and how times carry over the downtime.
#include "slabs/restart.h"

#include <gtest/gtest.h>

#include <string>

namespace slabcached::slabs {
namespace {

RestartRecord SampleRecord() {
  return {.geometry = {.max_bytes = 64 << 20,
                       .item_size_max = 1 << 20,
                       .capacity_bytes = size_t{4} << 30,
                       .ref_shift = 2,
                       .chunk_sizes = {32, 40, 48, 524288}},
          .stopped_at = 5000,
          .stopped_unix = 1'700'000'000,
          .cas_id = 12345,
          .flush_horizon = -1,
          .page_class = {0, 1, 1, 4, 0, 2}};
}

TEST(RestartRecordTest, RoundTripsThroughItsEncoding) {
  const RestartRecord record = SampleRecord();
  std::string bytes = EncodeRestartRecord(record);
  bytes.append(1000, '\0');  // the rest of the file's first page
  std::string why;
  const std::optional<RestartRecord> decoded = DecodeRestartRecord(bytes, &why);
  ASSERT_TRUE(decoded.has_value()) << why;
  EXPECT_EQ(decoded->geometry, record.geometry);
  EXPECT_EQ(decoded->stopped_at, record.stopped_at);
  EXPECT_EQ(decoded->stopped_unix, record.stopped_unix);
  EXPECT_EQ(decoded->cas_id, record.cas_id);
  EXPECT_EQ(decoded->flush_horizon, record.flush_horizon);
  EXPECT_EQ(decoded->page_class, record.page_class);
}

TEST(RestartRecordTest, EveryDamagedByteIsDetected) {
  const std::string bytes = EncodeRestartRecord(SampleRecord());
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] ^= 0x10;
    std::string why;
    EXPECT_FALSE(DecodeRestartRecord(damaged, &why).has_value()) << "byte " << i;
    EXPECT_FALSE(why.empty()) << "byte " << i;
  }
}

TEST(RestartRecordTest, EveryTruncationIsDetected) {
  const std::string bytes = EncodeRestartRecord(SampleRecord());
  for (size_t n = 1; n < bytes.size(); ++n) {
    std::string why;
    EXPECT_FALSE(DecodeRestartRecord(bytes.substr(0, n), &why).has_value()) << n;
    EXPECT_FALSE(why.empty()) << n;
  }
}

TEST(RestartRecordTest, DirtyAndNewFilesAreToldApart) {
  std::string why;
  EXPECT_FALSE(DecodeRestartRecord(std::string(kDirtyMagic) + "rest", &why).has_value());
  EXPECT_NE(why.find("not stopped gracefully"), std::string::npos) << why;
  EXPECT_FALSE(DecodeRestartRecord(std::string(64, '\0'), &why).has_value());
  EXPECT_EQ(why, "");
  EXPECT_FALSE(DecodeRestartRecord("", &why).has_value());
  EXPECT_EQ(why, "");
}

TEST(RestartGeometryTest, NamesWhatChanged) {
  const RestartGeometry saved = SampleRecord().geometry;
  EXPECT_EQ(DescribeGeometryChange(saved, saved), "");
  RestartGeometry bigger = saved;
  bigger.max_bytes = 128 << 20;
  EXPECT_NE(DescribeGeometryChange(saved, bigger).find("-m"), std::string::npos);
  RestartGeometry items = saved;
  items.item_size_max = 2 << 20;
  EXPECT_NE(DescribeGeometryChange(saved, items).find("-I"), std::string::npos);
  RestartGeometry classes = saved;
  classes.chunk_sizes[1] = 44;
  EXPECT_NE(DescribeGeometryChange(saved, classes).find("slab classes"), std::string::npos);
}

TEST(RestartTimeMapTest, TheDowntimeCountsAsPassed) {
  RestartRecord record = SampleRecord();  // stopped at 5000, Unix 1'700'000'000
  // Restarted 10 s later on a clock that reads 62.
  const RestartTimeMap map(record, 62, record.stopped_unix + 10);
  EXPECT_EQ(map.old_now(), 5010u);
  EXPECT_EQ(map.Map(0), 0u);           // never expires
  EXPECT_EQ(map.Map(5050), 62u + 40);  // 40 s left of the 50 at the stop
  EXPECT_EQ(map.Map(5010), 62u);       // expires now
  EXPECT_EQ(map.Map(100), 1u);         // long before the new clock's start
  // A wall clock stepped back counts as no downtime.
  EXPECT_EQ(RestartTimeMap(record, 62, record.stopped_unix - 100).old_now(), 5000u);
}

}  // namespace
}  // namespace slabcached::slabs
