// The Prometheus text exposition format (version 0.0.4) of the "stats"
// replies, with the metric names and labels of the Prometheus project's
// memcached_exporter 0.15 (pkg/exporter/exporter.go), so dashboards built on
// that exporter work unchanged against -o metrics_port.
//
// Pure: the input is the name/value pairs the text protocol sends for
// "stats", "stats settings", "stats slabs" and "stats items"; the output is
// text. The exporter parses those same replies, so the numbers agree with
// what a client sees, byte for byte where they are integers.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "src/hot_keys.h"
#include "src/latency.h"

namespace slabcached {

struct StatsSnapshot {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  Pairs general;   // "stats"
  Pairs settings;  // "stats settings"
  Pairs slabs;     // "stats slabs": "<class>:<field>" and the totals
  Pairs items;     // "stats items": "items:<class>:<field>"
  // slabcached's own: latency histograms and the hottest keys.
  std::vector<CommandLatency> latency;
  std::vector<HotKey> hot_keys;
};

// How many hot keys the endpoint exports, and how many bytes of each key
// (after %XX escaping) a label holds.
inline constexpr size_t kExportedHotKeys = 10;
inline constexpr size_t kHotKeyLabelBytes = 100;

// The exposition text. A stat whose value is not a finite number is left out
// and turns memcached_up to 0, as the exporter does when it cannot parse one;
// a stat that is absent is left out silently (the exporter's rule too).
std::string FormatExposition(const StatsSnapshot& stats);

// The Content-Type of that text.
inline constexpr char kExpositionContentType[] = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace slabcached
