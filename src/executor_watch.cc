// "watch" and "stats detail" in the executor, with memcached 1.6.45's
// replies (proto_text.c process_watch_command, process_stats_detail).
// The rest of watch (handing the socket to the logger) is the
// connection's: src/connection.cc BecomeWatcher().
#include <string_view>

#include "proto/tokenizer.h"
#include "proto/watch_format.h"
#include "src/executor.h"
#include "src/prefix_stats.h"

namespace slabcached {

using proto::ReplyError;
using proto::Request;

void Executor::Watch(const Request& request, Responder& out, Session& session) {
  if (!context_.config.watch_enabled) {
    out.Fail(ReplyError::kWatchNotAllowed);
    return;
  }
  const std::optional<uint32_t> kinds = proto::ParseWatchArgs(request.args);
  if (!kinds) {
    out.Fail(ReplyError::kUnknownCommand);
    return;
  }
  // The logger writes plain sockets: a datagram has no connection to hand
  // over (and over TLS the connection refuses it when it hands it over).
  if (session.datagram || context_.logger == nullptr) {
    out.Fail(ReplyError::kWatcherFailed);
    return;
  }
  session.watch_kinds = *kinds;  // no reply here: the watcher's first line is "OK"
}

bool Executor::DetailOn() const {
  return context_.prefix_stats != nullptr && context_.prefix_stats->enabled();
}

namespace {

// Passes stats through, with one value replaced.
class OverridingSink final : public StatSink {
 public:
  OverridingSink(StatSink* out, std::string_view name, std::string_view value)
      : out_(out), name_(name), value_(value) {}
  void Stat(std::string_view name, std::string_view value) override {
    out_->Stat(name, name == name_ ? value_ : value);
  }

 private:
  StatSink* out_;
  std::string_view name_;
  std::string_view value_;
};

}  // namespace

void Executor::AppendLiveSettings(const StatsSources& sources, Responder& out) {
  if (context_.prefix_stats == nullptr) {
    AppendSettingsStats(sources, &out);
    return;
  }
  OverridingSink live(&out, "detail_enabled", DetailOn() ? "yes" : "no");
  AppendSettingsStats(sources, &live);
}

void Executor::StatsDetail(const Request& request, Responder& out) {
  if (!context_.config.dump_enabled) {
    out.Fail(ReplyError::kStatsDetailNotAllowed);
    return;
  }
  PrefixStats* detail = context_.prefix_stats;
  const proto::LineTokens words(request.args);  // "detail" [on|off|dump]
  // memcached compares the word with each name over the word's length, so
  // "o" is "on"; with no word it compares "stats", which matches none.
  const std::string_view word = words.size() >= 2 ? words[1] : "stats";
  if (detail == nullptr) {
    out.Fail(ReplyError::kStatsDetailUsage);
  } else if (std::string_view("on").starts_with(word)) {
    detail->SetEnabled(true);
    out.Ok();
  } else if (std::string_view("off").starts_with(word)) {
    detail->SetEnabled(false);
    out.Ok();
  } else if (std::string_view("dump").starts_with(word)) {
    out.Cachedump(detail->Dump());  // the lines, then "END"
  } else {
    out.Fail(ReplyError::kStatsDetailUsage);
  }
}

}  // namespace slabcached
