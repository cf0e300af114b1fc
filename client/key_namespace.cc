#include "client/key_namespace.h"

#include <algorithm>
#include <charconv>

namespace slabcached::client {

namespace {

constexpr size_t kMaxNameLength = 100;

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b <= 0x20 || b == 0x7f || c == ':';
  });
}

// The generation as stored: decimal digits; memcached pads a value that a
// decr shortened with trailing spaces, so those are allowed.
bool ParseGeneration(std::string_view text, uint64_t* out) {
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

Namespace::Namespace(std::string name, NamespaceConfig config)
    : name_(std::move(name)), config_(std::move(config)), valid_name_(ValidName(name_)) {}

std::chrono::steady_clock::time_point Namespace::Now() const {
  return config_.now ? config_.now() : std::chrono::steady_clock::now();
}

uint64_t Namespace::Initial() const {
  if (config_.initial_generation) return config_.initial_generation();
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count());
}

void Namespace::Remember(uint64_t generation) {
  std::lock_guard lock(mu_);
  generation_ = generation;
  have_ = true;
  fetched_at_ = Now();
}

void Namespace::Forget() {
  std::lock_guard lock(mu_);
  have_ = false;
}

Status Namespace::Fetch(Client& client, uint64_t* generation) {
  const std::string gen_key = GenerationKey();
  for (int attempt = 0; attempt < 2; ++attempt) {
    Item item;
    Status s = client.Get(gen_key, &item);
    if (s == Status::kOk) {
      return ParseGeneration(item.value, generation) ? Status::kOk : Status::kProtocolError;
    }
    if (s != Status::kNotFound) return s;
    const uint64_t initial = Initial();
    s = client.Add(gen_key, std::to_string(initial), 0, config_.generation_exptime);
    if (s == Status::kOk) {
      *generation = initial;
      return Status::kOk;
    }
    if (s != Status::kNotStored) return s;
    // Another process created it between our get and add: read theirs.
  }
  return Status::kNotStored;
}

Status Namespace::Generation(Client& client, uint64_t* generation) {
  if (!valid_name_) return Status::kInvalidArgument;
  {
    std::lock_guard lock(mu_);
    if (have_ && Now() - fetched_at_ < config_.generation_cache_for) {
      *generation = generation_;
      return Status::kOk;
    }
  }
  // The round trip happens outside the lock: threads that race here each
  // read the same key, which is harmless.
  const Status s = Fetch(client, generation);
  if (s == Status::kOk) Remember(*generation);
  return s;
}

Status Namespace::Key(Client& client, std::string_view key, std::string* out) {
  uint64_t generation = 0;
  if (const Status s = Generation(client, &generation); s != Status::kOk) return s;
  std::string full = name_;
  full += ':';
  full += std::to_string(generation);
  full += ':';
  full.append(key);
  if (key.empty() || full.size() > 250 || std::any_of(key.begin(), key.end(), [](char c) {
        const auto b = static_cast<unsigned char>(c);
        return b <= 0x20 || b == 0x7f;
      })) {
    return Status::kInvalidArgument;
  }
  *out = std::move(full);
  return Status::kOk;
}

Status Namespace::Invalidate(Client& client, uint64_t* new_generation) {
  if (!valid_name_) return Status::kInvalidArgument;
  const std::string gen_key = GenerationKey();
  uint64_t generation = 0;
  Status s = client.Incr(gen_key, 1, &generation);
  if (s == Status::kNotFound) {
    // Missing (evicted or never read): a fresh clock-based generation is
    // already newer than anything cached under the old one.
    generation = Initial();
    s = client.Add(gen_key, std::to_string(generation), 0, config_.generation_exptime);
    if (s == Status::kNotStored) s = client.Incr(gen_key, 1, &generation);
  }
  if (s != Status::kOk) return s;
  Remember(generation);
  if (new_generation != nullptr) *new_generation = generation;
  return Status::kOk;
}

}  // namespace slabcached::client
