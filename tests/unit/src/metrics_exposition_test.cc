// The Prometheus exposition formatter (src/metrics_exposition.h) on
// hand-made "stats" pairs: the exporter's names and labels, its arithmetic
// (sets without cas), its rules for absent and unreadable stats.
#include "src/metrics_exposition.h"

#include <gtest/gtest.h>

#include <string>

namespace slabcached {
namespace {

TEST(MetricsExpositionTest, GeneralStatsKeepTheExportersNamesAndTypes) {
  StatsSnapshot stats;
  stats.general = {{"version", "1.6.18"}, {"curr_items", "3"}, {"rusage_user", "0.250000"}};
  const std::string text = FormatExposition(stats);
  EXPECT_EQ(text,
            "# HELP memcached_version The server's version, as a label.\n"
            "# TYPE memcached_version gauge\n"
            "memcached_version{version=\"1.6.18\"} 1\n"
            "# HELP memcached_process_user_cpu_seconds_total User CPU time of the process.\n"
            "# TYPE memcached_process_user_cpu_seconds_total counter\n"
            "memcached_process_user_cpu_seconds_total 0.25\n"
            "# HELP memcached_current_items Items stored now.\n"
            "# TYPE memcached_current_items gauge\n"
            "memcached_current_items 3\n"
            "# HELP memcached_up 1 when every stat could be read.\n"
            "# TYPE memcached_up gauge\n"
            "memcached_up 1\n");
}

TEST(MetricsExpositionTest, IntegersPassThroughExactly) {
  StatsSnapshot stats;
  stats.general = {{"bytes_read", "18446744073709551615"}};
  EXPECT_NE(FormatExposition(stats).find("\nmemcached_read_bytes_total 18446744073709551615\n"),
            std::string::npos);
}

TEST(MetricsExpositionTest, SetsAreCmdSetWithoutCasAndNeverNegative) {
  StatsSnapshot stats;
  stats.general = {{"cmd_set", "10"}, {"cas_hits", "2"}, {"cas_misses", "1"}, {"cas_badval", "3"}};
  EXPECT_NE(FormatExposition(stats).find(
                "\nmemcached_commands_total{command=\"set\",status=\"hit\"} 4\n"),
            std::string::npos);
  stats.general[0].second = "5";  // a cas summed before its cmd_set
  EXPECT_NE(FormatExposition(stats).find(
                "\nmemcached_commands_total{command=\"set\",status=\"hit\"} 0\n"),
            std::string::npos);
}

TEST(MetricsExpositionTest, UnreadableStatIsLeftOutAndUpIsZero) {
  StatsSnapshot stats;
  stats.general = {{"curr_items", "many"}, {"bytes", "12"}};
  const std::string text = FormatExposition(stats);
  EXPECT_EQ(text.find("memcached_current_items"), std::string::npos);
  EXPECT_NE(text.find("\nmemcached_current_bytes 12\n"), std::string::npos);
  EXPECT_NE(text.find("\nmemcached_up 0\n"), std::string::npos);
  for (const char* bad : {"nan", "inf", "1e999", "", "0x10", " 1"}) {
    stats.general = {{"bytes", bad}};
    EXPECT_NE(FormatExposition(stats).find("\nmemcached_up 0\n"), std::string::npos) << bad;
  }
}

TEST(MetricsExpositionTest, LabelValuesAreEscaped) {
  StatsSnapshot stats;
  stats.general = {{"version", "a\"b\\c\nd\x01"}};
  EXPECT_NE(FormatExposition(stats).find("memcached_version{version=\"a\\\"b\\\\c\\nd?\"} 1\n"),
            std::string::npos);
}

TEST(MetricsExpositionTest, SlabClassesBecomeLabelsFamilyByFamily) {
  StatsSnapshot stats;
  stats.slabs = {{"1:chunk_size", "96"},        {"2:chunk_size", "120"}, {"active_slabs", "2"},
                 {"total_malloced", "2097152"}, {"999:chunk_size", "1"}, {"x:chunk_size", "1"}};
  stats.items = {{"items:2:number", "5"}, {"items:2:hits_to_hot", "7"}};
  const std::string text = FormatExposition(stats);
  EXPECT_NE(text.find("memcached_slab_chunk_size_bytes{slab=\"1\"} 96\n"
                      "memcached_slab_chunk_size_bytes{slab=\"2\"} 120\n"
                      "memcached_slab_chunk_size_bytes{slab=\"999\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("slab=\"x\""), std::string::npos);
  EXPECT_NE(text.find("\nmemcached_slab_current_items{slab=\"2\"} 5\n"), std::string::npos);
  EXPECT_NE(text.find("\nmemcached_slab_lru_hits_total{slab=\"2\",lru=\"hot\"} 7\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nmemcached_malloced_bytes 2097152\n"), std::string::npos);
}

TEST(MetricsExpositionTest, CrawlerSettingsOnlyWhileTheCrawlerRuns) {
  StatsSnapshot stats;
  stats.settings = {{"maxconns", "1024"}, {"lru_crawler", "no"}, {"hot_lru_pct", "20"}};
  std::string text = FormatExposition(stats);
  EXPECT_NE(text.find("\nmemcached_max_connections 1024\n"), std::string::npos);
  EXPECT_EQ(text.find("memcached_lru_crawler_hot_percent"), std::string::npos);
  stats.settings[1].second = "yes";
  text = FormatExposition(stats);
  EXPECT_NE(text.find("\nmemcached_lru_crawler_enabled 1\n"), std::string::npos);
  EXPECT_NE(text.find("\nmemcached_lru_crawler_hot_percent 20\n"), std::string::npos);
}

}  // namespace
}  // namespace slabcached
