// The bounded buffers behind `watch` and the prefix table behind
// `stats detail`: what they hold, what they drop, and what they count.
#include "src/logger.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "src/prefix_stats.h"
#include "src/stats.h"
#include "src/watcher.h"

namespace slabcached {
namespace {

struct Line {
  uint32_t kind;
  uint64_t gid;
  std::string text;
};

std::vector<Line> Lines(const std::string& entries) {
  std::vector<Line> lines;
  WorkerLog::ForEach(entries, [&](uint32_t kind, uint64_t gid, std::string_view text) {
    lines.push_back({kind, gid, std::string(text)});
  });
  return lines;
}

TEST(WorkerLogTest, HandsOverLinesInOrderWithTheirKindAndGid) {
  WorkerLog log(1024);
  log.Append(proto::kWatchFetchers, 7, "first\n");
  log.Append(proto::kWatchMutations, 8, "second\n");
  std::string entries;
  const WorkerLog::Taken taken = log.TakeAll(&entries);
  EXPECT_EQ(taken.written, 2u);
  EXPECT_EQ(taken.dropped, 0u);
  const std::vector<Line> lines = Lines(entries);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].kind, proto::kWatchFetchers);
  EXPECT_EQ(lines[0].gid, 7u);
  EXPECT_EQ(lines[0].text, "first\n");
  EXPECT_EQ(lines[1].text, "second\n");
  EXPECT_EQ(log.TakeAll(&entries).written, 0u) << "counts are since the last take";
  EXPECT_TRUE(entries.empty());
}

TEST(WorkerLogTest, AFullLogDropsAndCountsInsteadOfGrowing) {
  WorkerLog log(200);
  const std::string line(60, 'x');
  int appended = 0;
  for (int i = 0; i < 100; ++i, ++appended) log.Append(proto::kWatchFetchers, i, line);
  std::string entries;
  const WorkerLog::Taken taken = log.TakeAll(&entries);
  EXPECT_LE(entries.size(), 200u);
  EXPECT_EQ(taken.written, Lines(entries).size());
  EXPECT_EQ(taken.written + taken.dropped, 100u);
  EXPECT_GT(taken.dropped, 90u);
  // Taking empties it: there is room again.
  log.Append(proto::kWatchFetchers, 1, line);
  EXPECT_EQ(log.TakeAll(&entries).written, 1u);
}

TEST(WatcherBufferTest, HoldsAtMostItsCapacityWithRoomToSpare) {
  WatcherBuffer buffer(1000);
  const std::string line(100, 'y');
  int taken = 0;
  while (buffer.Offer(line)) ++taken;
  EXPECT_EQ(taken, 8) << "1000 bytes less memcached's 128 spare: 8 lines of 100";
  EXPECT_LE(buffer.size(), 1000u);
  buffer.Consume(250);
  EXPECT_EQ(buffer.pending().size(), 550u);
  EXPECT_TRUE(buffer.Offer(line));  // 650
  EXPECT_TRUE(buffer.Offer(line));  // 750
  EXPECT_TRUE(buffer.Offer(line));  // 850 (+128 spare: 978)
  EXPECT_FALSE(buffer.Offer(line));
  EXPECT_EQ(buffer.size(), 850u);
}

// A watcher whose client never reads: its socket fills, then its buffer,
// then lines are skipped (never blocking); once the client reads, the next
// line is preceded by "skipped=N".
TEST(WatcherTest, ANonReadingClientCostsOnlyTheBufferThenSkips) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  const int sndbuf = 4096;
  setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  ev::Fd client(fds[1]);
  bool closed = false;
  {
    Watcher watcher(ev::Fd(fds[0]), proto::kWatchFetchers, 10, 2048, [&] { closed = true; });
    EXPECT_TRUE(watcher.Wants(proto::kWatchFetchers, 10));
    EXPECT_FALSE(watcher.Wants(proto::kWatchFetchers, 9)) << "older than the watch command";
    EXPECT_FALSE(watcher.Wants(proto::kWatchMutations, 11));
    const std::string line(99, 'z');
    uint64_t skipped = 0;
    for (int round = 0; round < 50; ++round) {
      watcher.NewRound();
      for (int i = 0; i < 100; ++i) skipped += watcher.Offer(line + "\n") ? 0 : 1;
      watcher.Flush();
    }
    EXPECT_GT(skipped, 4000u);
    // The client drains everything; the next line tells how many it missed.
    std::string got;
    char buf[65536];
    for (ssize_t n; (n = read(client.get(), buf, sizeof(buf))) > 0;) got.append(buf, n);
    EXPECT_LT(got.size(), 5000u * 100u) << "held no more than socket + buffer";
    watcher.NewRound();
    ASSERT_TRUE(watcher.Offer("after\n"));
    ASSERT_TRUE(watcher.Flush());
    got.clear();
    for (ssize_t n; (n = read(client.get(), buf, sizeof(buf))) > 0;) got.append(buf, n);
    EXPECT_EQ(got.rfind("skipped=", 0), 0u) << got.substr(0, 40);
    EXPECT_TRUE(got.ends_with("\nafter\n"));
  }
  EXPECT_TRUE(closed);
}

TEST(WatcherTest, ServiceNoticesTheClientLeft) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  Watcher watcher(ev::Fd(fds[0]), proto::kWatchFetchers, 0, 4096, {});
  EXPECT_TRUE(watcher.Service());
  close(fds[1]);
  EXPECT_FALSE(watcher.Service());
}

TEST(PrefixStatsTest, CountsByPrefixBeforeTheDelimiter) {
  PrefixStats stats(':', true);
  stats.RecordGet("user:1", true);
  stats.RecordGet("user:2", false);
  stats.RecordSet("user:3");
  stats.RecordDelete("user:1");
  stats.RecordGet("session:9", false);
  stats.RecordGet("noprefix", true);  // no delimiter: not counted
  EXPECT_EQ(stats.Dump(),
            "PREFIX session get 1 hit 0 set 0 del 0\r\n"
            "PREFIX user get 2 hit 1 set 1 del 1\r\n");
  PrefixStats slash('/', true);
  slash.RecordSet("a/b:c");
  EXPECT_EQ(slash.Dump(), "PREFIX a get 0 hit 0 set 1 del 0\r\n");
}

TEST(PrefixStatsTest, ATableAtItsCapCountsNewPrefixesAsUntracked) {
  PrefixStats stats(':', true, /*max_prefixes=*/3);
  for (int i = 0; i < 1000; ++i) stats.RecordSet("p" + std::to_string(i) + ":k");
  EXPECT_EQ(stats.prefixes(), 3u);
  EXPECT_EQ(stats.untracked(), 997u);
  stats.RecordGet("p0:k", true);  // a tracked prefix is still counted
  EXPECT_NE(stats.Dump().find("PREFIX p0 get 1 hit 1 set 1 del 0\r\n"), std::string::npos);
}

TEST(LoggerTest, NothingIsWatchedUntilAWatcherAsks) {
  ServerStats stats(1, 0);
  Logger logger(LoggerConfig{}, 1, &stats);
  EXPECT_FALSE(logger.Watching(proto::kWatchFetchers));
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  ev::Fd client(fds[1]);
  ev::Fd fd(fds[0]);
  ASSERT_EQ(logger.AddWatcher(&fd, proto::kWatchFetchers | proto::kWatchDeletions, {}),
            Logger::AddResult::kOk);
  EXPECT_FALSE(fd.valid()) << "the logger owns the socket";
  EXPECT_TRUE(logger.Watching(proto::kWatchFetchers));
  EXPECT_TRUE(logger.Watching(proto::kWatchDeletions));
  EXPECT_FALSE(logger.Watching(proto::kWatchMutations));
  EXPECT_EQ(stats.log_watchers.load(), 1u);
  char ok[8] = {};
  EXPECT_EQ(read(client.get(), ok, sizeof(ok)), 4);
  EXPECT_STREQ(ok, "OK\r\n");
}

TEST(LoggerTest, TheTwentyFirstWatcherIsRefused) {
  ServerStats stats(1, 0);
  Logger logger(LoggerConfig{}, 1, &stats);
  std::vector<ev::Fd> clients;
  for (size_t i = 0; i <= Logger::kMaxWatchers; ++i) {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    clients.emplace_back(fds[1]);
    ev::Fd fd(fds[0]);
    const Logger::AddResult result = logger.AddWatcher(&fd, proto::kWatchFetchers, {});
    if (i < Logger::kMaxWatchers) {
      EXPECT_EQ(result, Logger::AddResult::kOk);
    } else {
      EXPECT_EQ(result, Logger::AddResult::kTooMany);
      EXPECT_TRUE(fd.valid()) << "a refused socket stays the caller's";
    }
  }
}

// The whole path: two writer threads log while the logger thread moves
// their lines to a watcher that reads everything. Every line arrives, each
// writer's in its order, and the counters add up.
TEST(LoggerTest, LinesFromWorkersReachAReadingWatcher) {
  ServerStats stats(2, 0);
  Logger logger(LoggerConfig{}, 2, &stats);
  logger.Start();
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ev::Fd client(fds[1]);
  ev::Fd fd(fds[0]);
  ASSERT_EQ(logger.AddWatcher(&fd, proto::kWatchDeletions, {}), Logger::AddResult::kOk);
  constexpr int kLines = 2000;
  auto write = [&](uint32_t writer) {
    for (int i = 0; i < kLines; ++i) {
      ASSERT_TRUE(logger.Watching(proto::kWatchDeletions));
      logger.Record(logger.log(writer), proto::kWatchDeletions,
                    [&](std::string* out, const proto::LogStamp& stamp) {
                      proto::AppendDeletionLine(
                          out, stamp,
                          {.key = "w" + std::to_string(writer) + "-" + std::to_string(i)});
                    });
      if (i % 100 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  };
  std::thread first(write, 0);
  std::thread second(write, 1);
  std::string got;
  char buf[65536];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  // Log lines, after the "OK\r\n".
  auto lines = [&] { return std::count(got.begin(), got.end(), '\n') - 1; };
  while (lines() < 2 * kLines && std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = recv(client.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      got.append(buf, n);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  first.join();
  second.join();
  ASSERT_TRUE(got.starts_with("OK\r\n"));
  EXPECT_EQ(lines(), 2 * kLines) << "a reading watcher misses nothing";
  EXPECT_EQ(got.find("skipped="), std::string::npos);
  size_t last_w0 = 0;
  for (int i = 0; i < kLines; ++i) {
    const size_t at = got.find(" key=w0-" + std::to_string(i) + " ");
    ASSERT_NE(at, std::string::npos) << i;
    EXPECT_GT(at, last_w0) << "in order";
    last_w0 = at;
  }
  EXPECT_EQ(stats.log_worker_dropped.load(), 0u);
  EXPECT_EQ(stats.log_worker_written.load(), 2u * kLines);
  EXPECT_EQ(stats.log_watcher_sent.load(), 2u * kLines);
}

}  // namespace
}  // namespace slabcached
