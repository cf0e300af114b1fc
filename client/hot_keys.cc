#include "client/hot_keys.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <mutex>

namespace slabcached::client {
namespace {

constexpr int64_t kMaxRelativeExptime = 60 * 60 * 24 * 30;  // memcached's 30 days

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The daemon writes key bytes outside '!'..'~', and '%', as %XX.
// Returns false for a malformed escape.
bool Unescape(std::string_view escaped, std::string* key) {
  key->clear();
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] != '%') {
      key->push_back(escaped[i]);
      continue;
    }
    if (i + 2 >= escaped.size()) return false;
    const int high = HexDigit(escaped[i + 1]);
    const int low = HexDigit(escaped[i + 2]);
    if (high < 0 || low < 0) return false;
    key->push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return true;
}

// "hotkey:<rank>:key": the line that names the key of a rank.
bool IsKeyLine(std::string_view name) {
  constexpr std::string_view kPrefix = "hotkey:";
  constexpr std::string_view kSuffix = ":key";
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return false;
  const std::string_view rank =
      name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  return !rank.empty() &&
         std::all_of(rank.begin(), rank.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

HotKeys::HotKeys(HotKeysConfig config) : config_(config) {}

bool HotKeys::Mark(std::string_view key) {
  std::unique_lock lock(mu_);
  if (marked_.find(key) != marked_.end()) return true;
  if (marked_.size() + learned_.size() >= config_.max_keys) return false;
  marked_.emplace(key);
  count_.store(marked_.size() + learned_.size(), std::memory_order_relaxed);
  return true;
}

void HotKeys::Unmark(std::string_view key) {
  std::unique_lock lock(mu_);
  if (auto it = marked_.find(key); it != marked_.end()) marked_.erase(it);
  count_.store(marked_.size() + learned_.size(), std::memory_order_relaxed);
}

void HotKeys::SetLearned(const std::vector<std::string>& keys) {
  std::unique_lock lock(mu_);
  // Marked keys count against the bound first.
  const size_t room = config_.max_keys - std::min(config_.max_keys, marked_.size());
  KeySet learned;
  for (const std::string& key : keys) {
    if (learned.size() >= room) break;
    learned.insert(key);
  }
  learned_.swap(learned);
  count_.store(marked_.size() + learned_.size(), std::memory_order_relaxed);
}

bool HotKeys::IsHot(std::string_view key) const {
  if (count_.load(std::memory_order_relaxed) == 0) return false;
  std::shared_lock lock(mu_);
  return marked_.find(key) != marked_.end() || learned_.find(key) != learned_.end();
}

size_t HotKeys::size() const {
  std::shared_lock lock(mu_);
  size_t n = marked_.size();
  for (const std::string& key : learned_) n += marked_.count(key) == 0 ? 1 : 0;
  return n;
}

int64_t HotKeys::SecondaryExptime(int64_t exptime) const {
  const int64_t cap = config_.replica_ttl;
  if (cap <= 0 || exptime < 0) return exptime;
  if (exptime == 0) return cap;
  if (exptime <= kMaxRelativeExptime) return std::min(exptime, cap);
  // An absolute Unix time: compare with ours (the server's clock may differ
  // by a little; the cap is a staleness bound, not an exact expiry).
  const int64_t left = exptime - static_cast<int64_t>(std::time(nullptr));
  return left <= 0 ? exptime : std::min(left, cap);
}

std::vector<std::string> ParseHotKeysReport(
    const std::vector<std::pair<std::string, std::string>>& stats) {
  std::vector<std::string> keys;
  std::string key;
  for (const auto& [name, value] : stats) {
    if (!IsKeyLine(name) || !Unescape(value, &key)) continue;
    if (IsValidKey(key) && std::find(keys.begin(), keys.end(), key) == keys.end()) {
      keys.push_back(key);
    }
  }
  return keys;
}

Status LearnHotKeys(Client& client, uint32_t top_n, HotKeys* hot) {
  const std::string args = "hotkeys " + std::to_string(top_n);
  std::vector<std::vector<std::string>> reports;
  Status result = Status::kOk;
  for (uint32_t server = 0; server < client.config().servers.size(); ++server) {
    if (client.IsEjected(server)) continue;
    std::vector<std::pair<std::string, std::string>> stats;
    const Status s = client.Stats(server, args, &stats);
    if (s != Status::kOk) {
      if (result == Status::kOk) result = s;
      continue;
    }
    reports.push_back(ParseHotKeysReport(stats));
  }
  // Interleave the reports rank by rank, so that max_keys keeps every
  // server's hottest keys rather than one server's whole list.
  std::vector<std::string> keys;
  for (size_t rank = 0;; ++rank) {
    bool any = false;
    for (const std::vector<std::string>& report : reports) {
      if (rank >= report.size()) continue;
      any = true;
      keys.push_back(report[rank]);
    }
    if (!any) break;
  }
  hot->SetLearned(keys);
  return result;
}

}  // namespace slabcached::client
