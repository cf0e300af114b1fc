// Warm restart (-e): a store on a memory file, stopped with SaveForRestart(),
// serves its items again from a new store on the same file; anything else
// (another geometry, a damaged record, no graceful stop) starts cold.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "slabs/store.h"
#include "tests/unit/slabs/store_fixture.h"

namespace slabcached::slabs {
namespace {

class StoreRestartTest : public StoreTest {
 protected:
  void SetUp() override {
    std::string dir = (std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp") +
                      std::string("/store_restart_test.XXXXXX");
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    Make(FileConfig());
  }
  void TearDown() override {
    store_.reset();
    restarted_clock_.reset();
    std::filesystem::remove_all(dir_);
  }
  StoreConfig FileConfig() const {
    StoreConfig config = TestConfig();
    config.memory_file = dir_ + "/memory_file";
    return config;
  }
  // Stops gracefully at the current time, then starts a store on the same
  // file `downtime` seconds later (on a new clock, as a new process would).
  void Restart(RelTime downtime, StoreConfig config) {
    std::string why;
    ASSERT_TRUE(store_->SaveForRestart(&why)) << why;
    StartAgain(downtime, config);
  }
  void Restart(RelTime downtime) { Restart(downtime, FileConfig()); }
  // A new process without a graceful stop of the old one.
  void StartAgain(RelTime downtime, const StoreConfig& config) {
    auto next_clock = std::make_unique<Clock>(clock().UnixNow() + downtime);
    store_.reset();  // before the clock it reads
    restarted_clock_ = std::move(next_clock);
    store_ = std::make_unique<Store>(config, restarted_clock_.get());
  }
  // The clock of the current store: the new process's after a restart.
  Clock& clock() { return restarted_clock_ ? *restarted_clock_ : clock_; }
  void FlipRecordByte(off_t offset) {
    const int fd = open(FileConfig().memory_file.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    char byte = 0;
    ASSERT_EQ(pread(fd, &byte, 1, offset), 1);
    byte ^= 0x01;
    ASSERT_EQ(pwrite(fd, &byte, 1, offset), 1);
    close(fd);
  }
  uint32_t FlagsOf(const std::string& key) {
    ItemHandle h = store_->Get(key).item;
    return h ? h.client_flags() : 0;
  }

  std::string dir_;
  std::unique_ptr<Clock> restarted_clock_;
};

TEST_F(StoreRestartTest, ItemsComeBackWithFlagsCasAndExpiry) {
  const RelTime start = clock().Now();
  ASSERT_EQ(Put("plain", "value one"), StoreStatus::kStored);
  ASSERT_EQ(Put("flagged", "v2", StoreMode::kSet, 0xdeadbeef), StoreStatus::kStored);
  ASSERT_EQ(Put("ttl100", "lives", StoreMode::kSet, 0, start + 100), StoreStatus::kStored);
  ASSERT_EQ(Put("ttl30", "dies while down", StoreMode::kSet, 0, start + 30), StoreStatus::kStored);
  const std::string big(700 * 1024, 'x');  // chunked: above the 512 KB chunk
  ASSERT_EQ(Put("big", big), StoreStatus::kStored);
  const uint64_t plain_cas = CasOf("plain");
  const uint64_t flagged_cas = CasOf("flagged");
  clock().Advance(10);

  Restart(/*downtime=*/50);  // 60 s after the sets

  const RestartReport& report = store_->restart_report();
  EXPECT_TRUE(report.restored) << report.why_cold;
  EXPECT_EQ(report.items_restored, 4u);
  EXPECT_EQ(report.items_dropped, 1u);  // ttl30
  EXPECT_EQ(report.downtime_seconds, 50u);
  EXPECT_EQ(Value("plain"), "value one");
  EXPECT_EQ(CasOf("plain"), plain_cas);
  EXPECT_EQ(Value("flagged"), "v2");
  EXPECT_EQ(FlagsOf("flagged"), 0xdeadbeefu);
  EXPECT_EQ(CasOf("flagged"), flagged_cas);
  EXPECT_EQ(Value("big"), big);
  EXPECT_EQ(Value("ttl30"), std::nullopt);
  // 40 of its 100 seconds are left.
  EXPECT_EQ(Value("ttl100"), "lives");
  clock().Advance(39);
  EXPECT_EQ(Value("ttl100"), "lives");
  clock().Advance(1);
  EXPECT_EQ(Value("ttl100"), std::nullopt);

  // New CAS values continue after the old ones.
  ASSERT_EQ(Put("new", "n"), StoreStatus::kStored);
  EXPECT_GT(CasOf("new"), flagged_cas);
  EXPECT_EQ(store_->GetStats().curr_items, 4u);  // plain, flagged, big, new
}

TEST_F(StoreRestartTest, FreedMemoryIsReusedAndARestoredStoreRestartsAgain) {
  for (int i = 0; i < 2000; ++i) {
    ASSERT_EQ(Put("key" + std::to_string(i), std::string(100, 'a' + i % 26)), StoreStatus::kStored);
  }
  for (int i = 0; i < 2000; i += 2) store_->Delete("key" + std::to_string(i));
  const StoreStats before = store_->GetStats();
  Restart(1);
  ASSERT_TRUE(store_->restart_report().restored);
  const StoreStats after = store_->GetStats();
  EXPECT_EQ(after.curr_items, 1000u);
  EXPECT_EQ(after.bytes, before.bytes);
  EXPECT_EQ(after.total_malloced, before.total_malloced);
  // The deleted items' chunks are free again: storing as many again takes no new page.
  for (int i = 0; i < 2000; i += 2) {
    ASSERT_EQ(Put("key" + std::to_string(i), std::string(100, 'z')), StoreStatus::kStored);
  }
  EXPECT_EQ(store_->GetStats().total_malloced, before.total_malloced);
  Restart(1);
  ASSERT_TRUE(store_->restart_report().restored);
  EXPECT_EQ(store_->restart_report().items_restored, 2000u);
  for (int i = 0; i < 2000; ++i) {
    const std::string expected(100, i % 2 == 0 ? 'z' : 'a' + i % 26);
    ASSERT_EQ(Value("key" + std::to_string(i)), expected) << i;
  }
}

TEST_F(StoreRestartTest, AFlushBeforeTheStopStaysFlushed) {
  ASSERT_EQ(Put("old", "v"), StoreStatus::kStored);
  clock().Advance(2);
  store_->FlushAll(0);
  clock().Advance(2);
  ASSERT_EQ(Put("after", "w"), StoreStatus::kStored);
  Restart(5);
  EXPECT_EQ(Value("old"), std::nullopt);
  EXPECT_EQ(Value("after"), "w");
}

TEST_F(StoreRestartTest, AnotherGeometryStartsCold) {
  ASSERT_EQ(Put("k", "v"), StoreStatus::kStored);
  StoreConfig config = FileConfig();
  config.max_bytes = 128 * 1024 * 1024;
  Restart(1, config);
  EXPECT_FALSE(store_->restart_report().restored);
  EXPECT_NE(store_->restart_report().why_cold.find("-m"), std::string::npos);
  EXPECT_EQ(Value("k"), std::nullopt);
  ASSERT_EQ(Put("k", "cold but serving"), StoreStatus::kStored);
  EXPECT_EQ(Value("k"), "cold but serving");
}

TEST_F(StoreRestartTest, OtherSlabClassesStartCold) {
  ASSERT_EQ(Put("k", "v"), StoreStatus::kStored);
  StoreConfig config = FileConfig();
  config.growth_classes = true;  // -f 1.25
  Restart(1, config);
  EXPECT_FALSE(store_->restart_report().restored);
  EXPECT_NE(store_->restart_report().why_cold.find("slab classes"), std::string::npos);
  EXPECT_EQ(Value("k"), std::nullopt);
}

TEST_F(StoreRestartTest, ADamagedRecordStartsCold) {
  ASSERT_EQ(Put("k", "v"), StoreStatus::kStored);
  std::string why;
  ASSERT_TRUE(store_->SaveForRestart(&why)) << why;
  store_.reset();
  FlipRecordByte(40);
  StartAgain(1, FileConfig());
  EXPECT_FALSE(store_->restart_report().restored);
  EXPECT_NE(store_->restart_report().why_cold.find("damaged"), std::string::npos)
      << store_->restart_report().why_cold;
  EXPECT_EQ(Value("k"), std::nullopt);
}

TEST_F(StoreRestartTest, AStopWithoutSaveStartsCold) {
  ASSERT_EQ(Put("k", "v"), StoreStatus::kStored);
  StartAgain(1, FileConfig());  // as after SIGKILL
  EXPECT_FALSE(store_->restart_report().restored);
  EXPECT_NE(store_->restart_report().why_cold.find("not stopped gracefully"), std::string::npos);
  EXPECT_EQ(Value("k"), std::nullopt);
}

TEST_F(StoreRestartTest, ARestoredFileIsDirtyUntilTheNextSave) {
  ASSERT_EQ(Put("k", "v"), StoreStatus::kStored);
  Restart(1);
  ASSERT_TRUE(store_->restart_report().restored);
  StartAgain(1, FileConfig());  // killed after the restore
  EXPECT_FALSE(store_->restart_report().restored);
  EXPECT_EQ(Value("k"), std::nullopt);
}

TEST_F(StoreRestartTest, ANewFileStartsColdWithoutComplaint) {
  EXPECT_FALSE(store_->restart_report().restored);
  EXPECT_EQ(store_->restart_report().why_cold, "");
}

TEST(StoreRestartWithoutFileTest, SaveIsRefused) {
  Clock clock(kUnixNow);
  StoreConfig config;
  config.background_threads = false;
  Store store(config, &clock);
  std::string why;
  EXPECT_FALSE(store.SaveForRestart(&why));
  EXPECT_FALSE(why.empty());
}

}  // namespace
}  // namespace slabcached::slabs
