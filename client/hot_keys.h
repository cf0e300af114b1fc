// Hot-key replication: the set of keys a Client writes to R servers and
// reads from any one of them, so that one viral key no longer melts the
// shard that owns it.
//
//   auto hot = std::make_shared<HotKeys>(HotKeysConfig{.replicas = 3});
//   ClientConfig config;  ...
//   config.hot_keys = hot;          // same pointer in every thread's Client
//   hot->Mark("home:banner");       // the application knows, or
//   LearnHotKeys(client, 20, hot.get());  // the servers report ("stats hotkeys 20")
//
// Placement: a hot key lives on the R distinct servers that follow its point
// on the ring (Continuum::PickDistinct); the first is the server that owns it
// when it is not hot (the primary), so marking and unmarking never move the
// primary copy.
//
// What a Client does with a hot key:
//   get       one replica, chosen at random per request (a per-Client
//             generator with a random seed); a miss on a secondary is read
//             again from the primary and, when found, copied to that
//             secondary with `add` and exptime replica_ttl (read repair; the
//             copy may outlive a shorter primary TTL by up to replica_ttl);
//             a replica that fails (down, timeout) is skipped for the primary.
//   set, touch, delete
//             every replica, the primary first.
//   add, replace, cas
//             the primary decides; when it stored, the value is `set` on the
//             secondaries.
//   append, prepend, incr, decr, meta set, meta delete
//             the primary; the secondaries' copies are deleted (the next read
//             there repairs from the primary).
//   gets, gat, multi-get, meta get
//             the primary only (CAS values are per server). CacheAside uses
//             its add-lock for hot keys, so their loads spread too.
// Secondary copies expire after at most replica_ttl seconds, whatever the
// write asked: that bounds how long a secondary can serve a value it missed
// an update of (a key unmarked, written while not hot, then marked again; a
// reader's repair racing a delete).
//
// Deletes and replicas that are down: a write's status is the primary's,
// unless a secondary failed to answer (connection failure, timeout, ejected);
// then it is that failure, so the caller knows a replica may still hold the
// old value. A server that comes back after a crash or restart is empty, so
// it serves no stale value; one that was only unreachable (a partition) keeps
// its copy until replica_ttl: retry the delete (or give it to the
// invalidator's spool) when Delete did not return kOk or kNotFound.
//
// The near cache (ClientConfig::near_cache) stays the first tier: Get asks
// it before any server. With near_cache_hot_only, only hot keys go into it.
//
// Thread safety: HotKeys is thread-safe (a shared mutex) and shared by any
// number of Clients.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "client.h"

namespace slabcached::client {

struct HotKeysConfig {
  uint32_t replicas = 2;             // R: servers holding a hot key (1 turns replication off)
  int64_t replica_ttl = 60;          // seconds: cap on the exptime of secondary copies (> 0)
  size_t max_keys = 10000;           // bound on marked + learned keys
  bool near_cache_hot_only = false;  // the near cache keeps hot keys only
};

class HotKeys {
 public:
  explicit HotKeys(HotKeysConfig config = {});

  // The application marks a key hot; false when max_keys are already hot.
  bool Mark(std::string_view key);
  void Unmark(std::string_view key);
  // Replaces the keys learned from the servers' reports; marked keys stay.
  // Keys beyond max_keys are ignored (the report lists the hottest first).
  void SetLearned(const std::vector<std::string>& keys);
  bool IsHot(std::string_view key) const;
  size_t size() const;

  const HotKeysConfig& config() const { return config_; }

  // The exptime a secondary copy gets for a write asking `exptime`
  // (memcached's meaning: 0 never, <= 30 days relative, else absolute).
  int64_t SecondaryExptime(int64_t exptime) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using KeySet = std::unordered_set<std::string, Hash, std::equal_to<>>;

  const HotKeysConfig config_;
  mutable std::shared_mutex mu_;
  KeySet marked_;   // guarded by mu_
  KeySet learned_;  // guarded by mu_
  // marked_.size() + learned_.size(), written under mu_: IsHot on an empty
  // set (the C API's default) takes no lock.
  std::atomic<size_t> count_{0};
};

// The keys of a daemon's "stats hotkeys" reply, hottest first: the values of
// its "hotkey:<rank>:key" lines, %XX escapes decoded (the daemon escapes bytes
// outside '!'..'~' and '%'). Other lines (rates, counts, the sampling rate),
// malformed escapes and keys a client cannot send are skipped.
std::vector<std::string> ParseHotKeysReport(
    const std::vector<std::pair<std::string, std::string>>& stats);

// Asks every server that is not ejected for "stats hotkeys <top_n>" and makes
// the union of their reports (each server's hottest first) the learned set.
// kOk when every asked server answered; otherwise the first failure, and the
// keys of the servers that answered are learned all the same. Call it
// periodically (e.g. every few seconds) from one thread.
Status LearnHotKeys(Client& client, uint32_t top_n, HotKeys* hot);

}  // namespace slabcached::client
