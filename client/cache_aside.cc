#include "client/cache_aside.h"

#include <algorithm>
#include <thread>

#include "client/hot_keys.h"

namespace slabcached::client {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kLockSuffix = ":lock";
constexpr size_t kMaxKey = 250;

// The answer does not depend on whether the store worked: if it failed, the
// next reader simply loads again.
void Store(Client& client, bool with_add, std::string_view key, std::string_view value,
           uint32_t flags, int64_t exptime) {
  if (with_add) {
    client.Add(key, value, flags, exptime);
  } else {
    client.Set(key, value, flags, exptime);
  }
}

}  // namespace

CacheAside::CacheAside(CacheAsideConfig config) : config_(std::move(config)) {}

StampedeProtection CacheAside::ProtectionFor(Client& client, std::string_view key) const {
  if (config_.protection != StampedeProtection::kAuto) return config_.protection;
  if (client.config().protocol != Protocol::kText) return StampedeProtection::kAddLock;
  // mg/ms speak to the primary only; get/set spread a hot key over its replicas.
  if (client.config().hot_keys != nullptr && client.config().hot_keys->IsHot(key)) {
    return StampedeProtection::kAddLock;
  }
  const uint32_t server = client.ServerFor(key);
  if (server != Continuum::kNoServer && client.MetaSupportOf(server) == MetaSupport::kYes) {
    return StampedeProtection::kMeta;
  }
  return StampedeProtection::kAddLock;
}

Status CacheAside::FromCache(const Item& item, std::string* value, LoadInfo* info) const {
  info->from_cache = true;
  if (IsNegativeEntry(item)) {
    info->negative = true;
    return Status::kNotFound;
  }
  *value = item.value;
  return Status::kOk;
}

Status CacheAside::LoadAndStore(Client& client, std::string_view key, const Loader& loader,
                                int64_t ttl, bool with_add, std::string* value,
                                LoadInfo* info) const {
  ++info->loader_calls;
  std::string loaded;
  switch (loader(key, &loaded)) {
    case LoadResult::kFound: {
      Store(client, with_add, key, loaded, 0, ttl);
      *value = std::move(loaded);
      return Status::kOk;
    }
    case LoadResult::kNotFound:
      info->negative = true;
      if (config_.negative_ttl > 0) {
        Store(client, with_add, key, "", kNegativeEntryFlag, config_.negative_ttl);
      }
      return Status::kNotFound;
    case LoadResult::kError:
      break;
  }
  return Status::kBackendError;
}

Status CacheAside::CacheFailed(Status failure, std::string_view key, const Loader& loader,
                               std::string* value, LoadInfo* info) const {
  if (info->cache_status == Status::kOk) info->cache_status = failure;
  if (!config_.load_when_cache_fails) return failure;
  ++info->loader_calls;
  std::string loaded;
  switch (loader(key, &loaded)) {
    case LoadResult::kFound:
      *value = std::move(loaded);
      return Status::kOk;
    case LoadResult::kNotFound:
      info->negative = true;
      return Status::kNotFound;
    case LoadResult::kError:
      break;
  }
  return Status::kBackendError;
}

Status CacheAside::LoadWithAddLock(Client& client, std::string_view key, const Loader& loader,
                                   int64_t ttl, std::string* value, LoadInfo* info) const {
  std::string lock_key(key);
  lock_key += kLockSuffix;
  const auto deadline = Clock::now() + config_.lock_wait;
  auto delay = std::max(config_.poll_first, std::chrono::milliseconds(1));
  Item item;
  for (;;) {
    const Status lock = client.Add(lock_key, "1", 0, config_.lock_ttl);
    if (lock == Status::kOk) {
      info->lock_won = true;
      // Double check: a previous winner may have stored the value and
      // released its lock between our miss and our add.
      const Status again = client.Get(key, &item);
      Status out;
      if (again == Status::kOk) {
        out = FromCache(item, value, info);
      } else if (again == Status::kNotFound) {
        out = LoadAndStore(client, key, loader, ttl, /*with_add=*/false, value, info);
      } else {
        out = CacheFailed(again, key, loader, value, info);
      }
      client.Delete(lock_key);
      return out;
    }
    if (lock != Status::kNotStored) return CacheFailed(lock, key, loader, value, info);
    // Someone else loads: wait for its value.
    const auto now = Clock::now();
    if (now >= deadline) break;
    std::this_thread::sleep_for(std::min<Clock::duration>(delay, deadline - now));
    delay = std::min(delay * 2, std::max(config_.poll_max, delay));
    ++info->polls;
    const Status got = client.Get(key, &item);
    if (got == Status::kOk) return FromCache(item, value, info);
    if (got != Status::kNotFound) return CacheFailed(got, key, loader, value, info);
  }
  if (config_.on_lock_timeout == LockTimeoutAction::kBusy) return Status::kBusy;
  // The winner is slow or gone: load ourselves, and do not overwrite a value
  // it may store meanwhile.
  return LoadAndStore(client, key, loader, ttl, /*with_add=*/true, value, info);
}

// The caller holds W for `seen` (a placeholder or a live value): load, then
// store only over the version it saw.
Status CacheAside::StoreMeta(Client& client, std::string_view key, const Loader& loader,
                             int64_t ttl, const MetaItem& seen, std::string* value,
                             LoadInfo* info) const {
  ++info->loader_calls;
  std::string loaded;
  MetaSetOptions set;
  set.compare_cas = seen.cas;
  switch (loader(key, &loaded)) {
    case LoadResult::kFound:
      set.ttl = ttl;
      client.MetaSet(key, loaded, set);
      *value = std::move(loaded);
      return Status::kOk;
    case LoadResult::kNotFound:
      info->negative = true;
      if (config_.negative_ttl > 0) {
        set.flags = kNegativeEntryFlag;
        set.ttl = config_.negative_ttl;
        client.MetaSet(key, "", set);
      } else {
        client.MetaDelete(key, seen.cas);
      }
      return Status::kNotFound;
    case LoadResult::kError:
      break;
  }
  // Hand a placeholder over to the next caller; a live value stays.
  if (!info->refreshed) client.MetaDelete(key, seen.cas);
  return Status::kBackendError;
}

Status CacheAside::LoadWithMeta(Client& client, std::string_view key, const Loader& loader,
                                int64_t ttl, std::string* value, LoadInfo* info) const {
  MetaGetOptions options;
  options.vivify_ttl = std::max<int64_t>(config_.lock_ttl, 1);
  options.recache_ttl = config_.recache_ttl;
  const auto deadline = Clock::now() + config_.lock_wait;
  auto delay = std::max(config_.poll_first, std::chrono::milliseconds(1));
  MetaItem got;
  for (;;) {
    const Status s = client.MetaGet(key, options, &got);
    if (s == Status::kInvalidArgument) return s;
    if (s != Status::kOk && s != Status::kNotFound) {
      return CacheFailed(s, key, loader, value, info);
    }
    // An empty item with flags 0 is a placeholder (N vivified it).
    const bool placeholder = s == Status::kOk && got.value.empty() && got.flags == 0;
    if (s == Status::kOk && got.won) {
      info->lock_won = true;
      info->refreshed = !placeholder;
      return StoreMeta(client, key, loader, ttl, got, value, info);
    }
    if (s == Status::kOk && !placeholder) {
      Item item;
      item.value = std::move(got.value);
      item.flags = got.flags;
      item.cas = got.cas;
      return FromCache(item, value, info);
    }
    // A placeholder another caller loads (Z), or a miss (a server that did
    // not vivify): wait for the value.
    const auto now = Clock::now();
    if (now >= deadline) break;
    std::this_thread::sleep_for(std::min<Clock::duration>(delay, deadline - now));
    delay = std::min(delay * 2, std::max(config_.poll_max, delay));
    ++info->polls;
  }
  if (config_.on_lock_timeout == LockTimeoutAction::kBusy) return Status::kBusy;
  // The winner is slow or gone: load ourselves; add does not overwrite the
  // winner's value (nor its placeholder).
  return LoadAndStore(client, key, loader, ttl, /*with_add=*/true, value, info);
}

Status CacheAside::GetOrLoad(Client& client, std::string_view key, const Loader& loader,
                             int64_t ttl, std::string* value, LoadInfo* info) const {
  LoadInfo local;
  if (info == nullptr) info = &local;
  *info = LoadInfo{};
  if (key.size() + kLockSuffix.size() > kMaxKey || ttl < 0 || !loader) {
    return Status::kInvalidArgument;
  }
  if (config_.guard != nullptr && !config_.guard->MightExist(key)) {
    info->guarded = true;
    info->negative = true;
    return Status::kNotFound;
  }
  info->strategy = ProtectionFor(client, key);
  if (info->strategy == StampedeProtection::kMeta) {
    return LoadWithMeta(client, key, loader, ttl, value, info);
  }
  Item item;
  const Status got = client.Get(key, &item);
  if (got == Status::kOk) return FromCache(item, value, info);
  if (got == Status::kInvalidArgument) return got;
  if (got != Status::kNotFound) return CacheFailed(got, key, loader, value, info);
  switch (info->strategy) {
    case StampedeProtection::kNone:
      return LoadAndStore(client, key, loader, ttl, /*with_add=*/false, value, info);
    case StampedeProtection::kAuto:
    case StampedeProtection::kMeta:
    case StampedeProtection::kAddLock:
      break;
  }
  return LoadWithAddLock(client, key, loader, ttl, value, info);
}

Status CacheAside::WriteThrough(Client& client, std::string_view key, const DbWriter& write_db,
                                WriteMode mode, std::string_view value, int64_t ttl) const {
  if (key.empty() || key.size() > kMaxKey || ttl < 0 || !write_db) {
    return Status::kInvalidArgument;
  }
  if (!write_db()) return Status::kBackendError;
  if (mode == WriteMode::kSet) {
    const Status set = client.Set(key, value, 0, ttl);
    if (set == Status::kOk) return Status::kOk;
    // The new value could not be stored (too large, out of memory, server
    // gone): at least do not keep serving the old one.
    client.Delete(key);
    return set;
  }
  const Status deleted = client.Delete(key);
  return deleted == Status::kNotFound ? Status::kOk : deleted;
}

}  // namespace slabcached::client
