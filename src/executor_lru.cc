// "lru tune|mode|temp_ttl": the segmented LRU's run-time settings, with
// memcached 1.6.45's replies (proto_text.c process_lru_command). 1.6.45
// matches the subcommand as a prefix ("lru t 10 20 0.1 2" tunes; 1.6.18
// answers ERROR): slabcached follows 1.6.45. Extra words are ignored.
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/numbers.h"
#include "proto/tokenizer.h"
#include "src/executor.h"

namespace slabcached {
namespace {

using proto::ReplyError;

// memcached's strncmp(subcmd, name, len): the word is a prefix of `name`.
bool Names(std::string_view word, std::string_view name) {
  return !word.empty() && name.starts_with(word);
}

// memcached's safe_strtod(): the whole word is a number.
bool ParseDecimal(std::string_view word, double* out) {
  const std::string copy(word);
  char* end = nullptr;
  *out = std::strtod(copy.c_str(), &end);
  return end != copy.c_str() && *end == '\0';
}

}  // namespace

void Executor::Lru(const proto::Request& request, Responder& out) {
  slabs::Store& store = context_.store;
  const proto::LineTokens words(request.args);
  const std::string_view sub = words.size() > 0 ? words[0] : std::string_view();
  const bool maintainer = context_.config.store.lru_maintainer;
  if (Names(sub, "tune") && words.size() >= 5) {
    slabs::LruTuning tuning = store.lru_tuning();
    uint32_t hot = 0;
    uint32_t warm = 0;
    double hot_factor = 0;
    double warm_factor = 0;
    if (!proto::SafeStrtoul(words[1], &hot) || !proto::SafeStrtoul(words[2], &warm) ||
        !ParseDecimal(words[3], &hot_factor) || !ParseDecimal(words[4], &warm_factor)) {
      out.Fail(ReplyError::kUnknownCommand);
    } else if (uint64_t{hot} + warm > 80) {
      out.Fail(ReplyError::kLruPercentsTooLarge);
    } else if (hot_factor <= 0 || warm_factor <= 0) {
      out.Fail(ReplyError::kLruFactorsNotPositive);
    } else {
      tuning.hot_lru_pct = hot;
      tuning.warm_lru_pct = warm;
      tuning.hot_max_factor = hot_factor;
      tuning.warm_max_factor = warm_factor;
      store.SetLruTuning(tuning);
      out.Ok();
    }
  } else if (Names(sub, "mode") && words.size() >= 2 && maintainer) {
    slabs::LruTuning tuning = store.lru_tuning();
    if (words[1] == "flat" || words[1] == "segmented") {
      tuning.segmented = words[1] == "segmented";
      store.SetLruTuning(tuning);
      out.Ok();
    } else {
      out.Fail(ReplyError::kUnknownCommand);
    }
  } else if (Names(sub, "temp_ttl") && words.size() >= 2 && maintainer) {
    int32_t ttl = 0;
    if (!proto::SafeStrtol(words[1], &ttl)) {
      out.Fail(ReplyError::kUnknownCommand);
    } else {
      // A negative TTL turns the TEMP LRU off (its items stay there until
      // they expire); any other sets the threshold and turns it on.
      slabs::LruTuning tuning = store.lru_tuning();
      tuning.temp_lru = ttl >= 0;
      if (ttl >= 0) tuning.temporary_ttl = static_cast<uint32_t>(ttl);
      store.SetLruTuning(tuning);
      out.Ok();
    }
  } else {
    out.Fail(ReplyError::kUnknownCommand);
  }
}

}  // namespace slabcached
