// libFuzzer target for the Prometheus exposition formatter
// (src/metrics_exposition.h). evhttp parses the endpoint's HTTP; what is ours
// is the text built from stat values, so the fuzzer feeds it snapshots whose
// values (and some names) are arbitrary bytes. Build and run: scripts/fuzz.
//
// Input: a list of records, each a selector byte (which reply it belongs to,
// and whether its name is a known stat or arbitrary) followed by
// NUL-terminated name and value (selector bit 3: a hot key instead, bit 4:
// a latency histogram). The output must parse as the text format:
// HELP and TYPE once per family before its samples, samples of a family
// together, metric and label names valid, label values properly escaped and
// printable, every value a finite number, and memcached_up last.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include "src/metrics_exposition.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// Names the formatter reads, so fuzzed values reach its conversions.
constexpr std::string_view kGeneralNames[] = {
    "version",   "uptime",     "time",           "rusage_user",   "rusage_system", "bytes_read",
    "get_hits",  "get_misses", "cmd_set",        "cas_hits",      "cas_misses",    "cas_badval",
    "cmd_flush", "curr_items", "total_malloced", "limit_maxbytes"};
constexpr std::string_view kSettingsNames[] = {"maxconns", "lru_crawler", "lru_crawler_sleep",
                                               "lru_maintainer_thread", "hot_max_factor"};
constexpr std::string_view kSlabNames[] = {
    "1:chunk_size",        "2:used_chunks", "63:total_pages",       "items:1:number",
    "items:2:hits_to_hot", "items:007:age", "items:1:mem_requested"};

std::string_view NextString(std::string_view* in) {
  const size_t end = in->find('\0');
  const std::string_view out = in->substr(0, end);
  in->remove_prefix(end == std::string_view::npos ? in->size() : end + 1);
  return out;
}

bool MetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool FiniteNumber(const std::string& text) {
  if (text.empty()) return false;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  return *end == '\0' && std::isfinite(value);
}

// `{a="x",b="y\"z"}`: checks names, escapes and printable values.
void CheckLabels(std::string_view labels) {
  Check(labels.front() == '{' && labels.back() == '}');
  labels = labels.substr(1, labels.size() - 2);
  while (!labels.empty()) {
    const size_t eq = labels.find('=');
    Check(eq != std::string_view::npos && MetricName(labels.substr(0, eq)));
    labels.remove_prefix(eq + 1);
    Check(!labels.empty() && labels.front() == '"');
    size_t i = 1;
    for (; i < labels.size() && labels[i] != '"'; ++i) {
      const char c = labels[i];
      Check(c >= 0x20 && c <= 0x7e);
      if (c == '\\') {
        ++i;
        Check(i < labels.size() && (labels[i] == '\\' || labels[i] == '"' || labels[i] == 'n'));
      }
    }
    Check(i < labels.size());
    labels.remove_prefix(i + 1);
    if (!labels.empty()) {
      Check(labels.front() == ',');
      labels.remove_prefix(1);
    }
  }
}

void CheckExposition(const std::string& text) {
  Check(text.empty() || text.back() == '\n');
  std::set<std::string> finished;  // families whose samples are done
  std::string current;             // the family being written
  std::string typed;               // the family whose TYPE was the last line seen
  bool histogram = false;          // its TYPE is histogram
  std::string last_sample;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# HELP ")) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      Check(MetricName(name) && !finished.contains(name) && name != current);
      if (!current.empty()) finished.insert(current);
      current = name;
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      Check(name == current &&
            (type == "counter" || type == "gauge" || type == "untyped" || type == "histogram"));
      histogram = type == "histogram";
      typed = name;
      continue;
    }
    const size_t space = line.rfind(' ');
    Check(space != std::string::npos);
    const std::string series = line.substr(0, space);
    const size_t brace = series.find('{');
    std::string name = series.substr(0, brace);
    if (histogram) {
      // A histogram's samples are <name>_bucket, _sum and _count.
      for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
        if (name.ends_with(suffix)) name.resize(name.size() - suffix.size());
      }
    }
    Check(name == current && typed == current);
    if (brace != std::string::npos) CheckLabels(std::string_view(series).substr(brace));
    Check(FiniteNumber(line.substr(space + 1)));
    last_sample = line;
  }
  Check(last_sample == "memcached_up 1" || last_sample == "memcached_up 0");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  slabcached::StatsSnapshot snapshot;
  while (!in.empty()) {
    const auto selector = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    std::string_view name = NextString(&in);
    const std::string_view value = NextString(&in);
    // Bit 3: a hot key, its name the key, its value's length the count.
    if ((selector & 8) != 0) {
      snapshot.hot_keys.push_back({std::string(name), value.size(), 0});
      continue;
    }
    // Bit 4: a command's latency, the value's bytes bucket counts.
    if ((selector & 16) != 0) {
      slabcached::CommandLatency latency;
      latency.command = "get";
      for (size_t i = 0; i < value.size(); ++i) {
        latency.queued.buckets[i % slabcached::kLatencyBuckets] += static_cast<uint8_t>(value[i]);
        latency.written.buckets[(i * 7) % slabcached::kLatencyBuckets] += 1;
      }
      latency.queued.sum_ns = name.size() * 1000;
      snapshot.latency.push_back(latency);
      continue;
    }
    // Low bits: which reply; bit 2: the name is a known stat picked by its first byte.
    slabcached::StatsSnapshot::Pairs* pairs[] = {&snapshot.general, &snapshot.settings,
                                                 &snapshot.slabs, &snapshot.items};
    slabcached::StatsSnapshot::Pairs* target = pairs[selector & 3];
    if ((selector & 4) != 0) {
      const size_t pick = name.empty() ? 0 : static_cast<uint8_t>(name.front());
      if (target == &snapshot.general) {
        name = kGeneralNames[pick % std::size(kGeneralNames)];
      } else if (target == &snapshot.settings) {
        name = kSettingsNames[pick % std::size(kSettingsNames)];
      } else {
        name = kSlabNames[pick % std::size(kSlabNames)];
      }
    }
    target->emplace_back(name, value);
  }
  CheckExposition(slabcached::FormatExposition(snapshot));
  return 0;
}
