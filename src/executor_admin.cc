// The LRU crawler's commands and "stats cachedump" in the executor, with
// memcached 1.6.18's replies (proto_text.c process_lru_crawler_command and
// process_stat, crawler.c lru_crawler_crawl, items.c item_cachedump),
// checked against Debian's build. Tokens are counted as memcached counts
// them, so "lru_crawler crawl 1 noreply" is a plain ERROR.
//
// "lru_crawler mgdump" is memcached 1.6.19's (1.6.18 answers ERROR): "mg"
// lines, then "EN", with no "OK" before them (1.6.43 added one).
#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "proto/dump_encoder.h"
#include "proto/numbers.h"
#include "proto/text_encoder.h"
#include "proto/tokenizer.h"
#include "src/executor.h"

namespace slabcached {

using proto::ReplyError;
using proto::Request;

namespace {

// memcached's MAX_NUMBER_OF_SLAB_CLASSES - 1: ids up to it are valid, as in
// memcached, and so are those of the store's classes past it (slabcached's
// default layout has up to 127).
constexpr uint32_t kMemcachedMaxClassId = 63;
uint32_t MaxClassId(const slabs::Store& store) {
  return std::max(kMemcachedMaxClassId, static_cast<uint32_t>(store.NumSlabClasses()));
}
// item_cachedump()'s reply buffer: lines stop where the next one (plus
// "END\r\n" and a NUL) would not fit.
constexpr size_t kCachedumpLimit = 2 * 1024 * 1024;
// Chunks an ItemDump looks at per Produce() call.
constexpr uint32_t kDumpChunksPerPart = 2048;

// lru_crawler_crawl()'s class list: "all", "hash" (a hash-table walk, which
// only the dumps accept), or comma-separated ids (empty pieces skipped).
enum class ClassList : uint8_t { kIds, kHash, kBad };

ClassList ParseClassList(std::string_view text, uint32_t max_id, slabs::ClassSet* classes) {
  classes->reset();
  if (text == "all") {
    classes->set();
    classes->reset(0);
    return ClassList::kIds;
  }
  if (text == "hash") return ClassList::kHash;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view piece = text.substr(pos, comma - pos);
    pos = comma + 1;
    if (piece.empty()) continue;
    uint32_t id = 0;
    if (!proto::SafeStrtoul(piece, &id) || id < 1 || id > max_id) return ClassList::kBad;
    classes->set(id);
  }
  return ClassList::kIds;
}

void ReplyCrawlerStatus(slabs::CrawlerStatus status, Responder& out) {
  switch (status) {
    case slabs::CrawlerStatus::kOk:
      return out.Ok();
    case slabs::CrawlerStatus::kBusy:
      return out.Fail(ReplyError::kCrawlerBusy);
    case slabs::CrawlerStatus::kDisabled:
      // memcached's crawler thread is stopping: lru_crawler_start() fails.
      return out.Fail(ReplyError::kCrawlerUnknown);
  }
}

// "lru_crawler metadump" / "mgdump" as the client takes it.
class ItemDumpStream final : public ReplyStream {
 public:
  ItemDumpStream(std::unique_ptr<slabs::Store::ItemDump> dump, bool mgdump,
                 const slabs::Clock& clock)
      : dump_(std::move(dump)), mgdump_(mgdump), clock_(clock) {}

  bool Produce(std::string* out) override {
    const slabs::RelTime now = clock_.Now();
    const bool more = dump_->Next(kDumpChunksPerPart, [&](const slabs::ItemSummary& item) {
      // Like the crawler's dump modules: expired (strictly before now) and
      // flushed items are left out.
      if ((item.exptime != 0 && item.exptime < now) || item.flushed) return;
      if (mgdump_) {
        proto::AppendMgdumpLine(out, item.key, item.key_binary);
        return;
      }
      const int64_t started = clock_.process_started();
      proto::AppendMetadumpLine(out,
                                {.key = item.key,
                                 .exptime_unix = item.exptime == 0 ? -1 : started + item.exptime,
                                 .last_access_unix = started + item.last_access,
                                 .cas = item.cas,
                                 .fetched = item.fetched,
                                 .slab_class = item.slab_class,
                                 .total_size = item.total_size,
                                 .client_flags = item.client_flags});
    });
    if (more) return true;
    if (dump_->taken_over()) {
      // The client stopped reading for so long that another job took the
      // crawler: the dump ends short, and says so instead of its end line.
      out->append(proto::ErrorText(ReplyError::kDumpTakenOver));
      dump_.reset();
      return false;
    }
    out->append(mgdump_ ? proto::kMgdumpEnd : proto::kMetadumpEnd);
    dump_.reset();  // the crawler is free again
    return false;
  }

 private:
  std::unique_ptr<slabs::Store::ItemDump> dump_;
  const bool mgdump_;
  const slabs::Clock& clock_;
};

}  // namespace

void Executor::LruCrawler(const Request& request, Responder& out, Session& session) {
  slabs::Store& store = context_.store;
  const proto::LineTokens words(request.args);
  // memcached's ntokens is the words after "lru_crawler" plus two.
  if (words.size() == 1) {
    if (words[0] == "enable") {
      if (store.EnableCrawler()) {
        out.Ok();
      } else {
        out.Fail(ReplyError::kCrawlerStartFailed);
      }
    } else if (words[0] == "disable") {
      store.DisableCrawler();
      out.Ok();
    } else {
      out.Fail(ReplyError::kUnknownCommand);
    }
    return;
  }
  if (words.size() != 2) {
    out.Fail(ReplyError::kUnknownCommand);
    return;
  }
  const std::string_view sub = words[0];
  const std::string_view arg = words[1];
  if (sub == "crawl") {
    CrawlClasses(arg, out);
  } else if (sub == "metadump" || sub == "mgdump") {
    StartItemDump(sub == "mgdump", arg, out, session);
  } else if (sub == "tocrawl") {
    uint32_t tocrawl = 0;
    if (!proto::SafeStrtoul(arg, &tocrawl)) {
      out.Fail(ReplyError::kBadFormat);
      return;
    }
    store.SetCrawlerToCrawl(tocrawl);
    out.Ok();
  } else if (sub == "sleep") {
    uint32_t sleep_us = 0;
    if (!proto::SafeStrtoul(arg, &sleep_us)) {
      out.Fail(ReplyError::kBadFormat);
    } else if (sleep_us > 1000000) {
      out.Fail(ReplyError::kCrawlerSleepTooLong);
    } else {
      store.SetCrawlerSleep(sleep_us);
      out.Ok();
    }
  } else {
    out.Fail(ReplyError::kUnknownCommand);
  }
}

void Executor::CrawlClasses(std::string_view arg, Responder& out) {
  slabs::Store& store = context_.store;
  if (!store.crawler_settings().enabled) {
    out.Fail(ReplyError::kCrawlerDisabled);
    return;
  }
  slabs::ClassSet classes;
  switch (ParseClassList(arg, MaxClassId(context_.store), &classes)) {
    case ClassList::kBad:
      out.Fail(ReplyError::kCrawlerBadClass);
      return;
    case ClassList::kHash:  // only the dumps walk the hash table
      out.Fail(ReplyError::kCrawlerUnknown);
      return;
    case ClassList::kIds:
      break;
  }
  if (classes.none()) {
    out.Fail(ReplyError::kCrawlerNotStarted);
  } else {
    ReplyCrawlerStatus(store.StartCrawl(classes), out);
  }
}

void Executor::StartItemDump(bool mgdump, std::string_view arg, Responder& out, Session& session) {
  slabs::Store& store = context_.store;
  if (!store.crawler_settings().enabled) {
    out.Fail(ReplyError::kCrawlerDisabled);
    return;
  }
  if (!context_.config.dump_enabled) {
    out.Fail(mgdump ? ReplyError::kKeyDumpNotAllowed : ReplyError::kMetadumpNotAllowed);
    return;
  }
  if (session.datagram) {
    // A dump is streamed as the client reads it; a datagram's reply
    // cannot wait, and the crawler would stay taken for good.
    out.Fail(mgdump ? ReplyError::kKeyDumpOverUdp : ReplyError::kMetadumpOverUdp);
    return;
  }
  slabs::ClassSet classes;
  const ClassList list = ParseClassList(arg, MaxClassId(context_.store), &classes);
  if (list == ClassList::kBad) {
    out.Fail(ReplyError::kCrawlerBadClass);
    return;
  }
  // A hash-table walk shows every linked item once: so does a walk of
  // every class's pages.
  if (list == ClassList::kHash) classes.set().reset(0);
  if (classes.none()) {
    out.Fail(ReplyError::kCrawlerNotStarted);
    return;
  }
  slabs::CrawlerStatus status;
  std::unique_ptr<slabs::Store::ItemDump> dump = store.StartDump(classes, &status);
  if (!dump) {
    ReplyCrawlerStatus(status, out);
    return;
  }
  // memcached sends no "OK": the dump itself is the reply.
  session.stream = std::make_unique<ItemDumpStream>(std::move(dump), mgdump, context_.clock);
}

void Executor::StatsCachedump(const Request& request, Responder& out) {
  if (!context_.config.dump_enabled) {
    out.Fail(ReplyError::kCachedumpNotAllowed);
    return;
  }
  const proto::LineTokens words(request.args);  // "cachedump" <id> <limit>
  if (words.size() < 3) {
    out.Fail(ReplyError::kCachedumpBadLine);
    return;
  }
  uint32_t id = 0;
  uint32_t limit = 0;
  if (!proto::SafeStrtoul(words[1], &id) || !proto::SafeStrtoul(words[2], &limit)) {
    out.Fail(ReplyError::kBadFormat);
    return;
  }
  if (id > MaxClassId(context_.store)) {
    out.Fail(ReplyError::kCachedumpBadClass);
    return;
  }
  std::string reply;
  std::string line;
  uint32_t shown = 0;
  const int64_t started = context_.clock.process_started();
  context_.store.VisitColdItems(static_cast<uint8_t>(id), [&](const slabs::ItemSummary& item) {
    if (limit != 0 && shown >= limit) return false;
    if (item.key_binary) return true;  // memcached does not print binary keys
    line.clear();
    proto::AppendCachedumpLine(&line, item.key, item.value_length,
                               item.exptime == 0 ? 0 : started + item.exptime);
    if (reply.size() + line.size() + 6 > kCachedumpLimit) return false;  // 6: "END\r\n\0"
    reply += line;
    ++shown;
    return true;
  });
  out.Cachedump(reply);
}

}  // namespace slabcached
