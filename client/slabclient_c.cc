#include "client/slabclient_c.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "client/bloom_filter.h"
#include "client/client.h"
#include "client/continuum.h"
#include "client/hot_keys.h"
#include "client/invalidator.h"
#include "client/pool.h"
#include "client/server_spec.h"
#include "client/write_behind.h"

struct slabclient_bloom {
  slabclient_bloom(uint64_t n, double p) : filter(n, p) {}
  slabcached::client::BloomFilter filter;
};

// A handle owns its Client, or leases one from a slabclient_pool (given back
// when the handle is released).
struct slabclient {
  explicit slabclient(slabcached::client::ClientConfig config)
      : owned(std::make_unique<slabcached::client::Client>(std::move(config))), client(*owned) {}
  explicit slabclient(slabcached::client::ClientPool::Lease leased)
      : lease(std::move(leased)), client(*lease) {}
  std::unique_ptr<slabcached::client::Client> owned;
  slabcached::client::ClientPool::Lease lease;
  slabcached::client::Client& client;  // *owned or *lease
};

struct slabclient_pool {
  slabclient_pool(slabcached::client::ClientConfig config, size_t clients)
      : pool(std::move(config), {.clients = clients}) {}
  slabcached::client::ClientPool pool;
};

struct slabclient_invalidator {
  std::unique_ptr<slabcached::client::Invalidator> invalidator;
};

struct slabclient_write_behind {
  std::unique_ptr<slabcached::client::WriteBehind> queue;
};

namespace {

using slabcached::client::Status;

slabclient_status ToC(Status s) {
  switch (s) {
    case Status::kOk:
      return SLABCLIENT_OK;
    case Status::kNotFound:
      return SLABCLIENT_NOT_FOUND;
    case Status::kNotStored:
      return SLABCLIENT_NOT_STORED;
    case Status::kExists:
      return SLABCLIENT_EXISTS;
    case Status::kInvalidArgument:
      return SLABCLIENT_INVALID_ARGUMENT;
    case Status::kClientError:
      return SLABCLIENT_CLIENT_ERROR;
    case Status::kServerError:
      return SLABCLIENT_SERVER_ERROR;
    case Status::kTimeout:
      return SLABCLIENT_TIMEOUT;
    case Status::kConnectionFailure:
      return SLABCLIENT_CONNECTION_FAILURE;
    case Status::kNoServer:
      return SLABCLIENT_NO_SERVER;
    case Status::kServerEjected:
      return SLABCLIENT_SERVER_EJECTED;
    case Status::kSomeErrors:
      return SLABCLIENT_SOME_ERRORS;
    case Status::kAuthFailure:
      return SLABCLIENT_AUTH_FAILURE;
    case Status::kTlsFailure:
      return SLABCLIENT_TLS_FAILURE;
    case Status::kProtocolError:
    case Status::kBackendError:
    case Status::kBusy:
      break;
  }
  return SLABCLIENT_PROTOCOL_ERROR;
}

std::string_view Key(const char* key, size_t len) {
  return key == nullptr ? std::string_view() : std::string_view(key, len);
}

// A value argument: NULL is the empty value (with value_len 0 only).
bool Value(const char* value, size_t len, std::string_view* out) {
  if (value == nullptr && len != 0) return false;
  *out = value == nullptr ? std::string_view() : std::string_view(value, len);
  return true;
}

// Runs `fn` (which returns a Status) with no exception escaping to C.
template <typename Fn>
slabclient_status Guarded(slabclient* c, Fn&& fn) {
  if (c == nullptr) return SLABCLIENT_INVALID_ARGUMENT;
  try {
    return ToC(fn(c->client));
  } catch (const std::bad_alloc&) {
    return SLABCLIENT_NO_MEMORY;
  } catch (...) {
    return SLABCLIENT_PROTOCOL_ERROR;
  }
}

std::string Text(const char* s) { return s == nullptr ? std::string() : std::string(s); }

// The ClientConfig `options` describe; SLABCLIENT_OK or INVALID_ARGUMENT.
slabclient_status MakeConfig(const slabclient_options* options,
                             slabcached::client::ClientConfig* config) {
  namespace sc = slabcached::client;
  if (options == nullptr || options->servers == nullptr) return SLABCLIENT_INVALID_ARGUMENT;
  std::string error;
  auto list = sc::ParseServerList(options->servers, &error);
  if (!list || list->empty()) return SLABCLIENT_INVALID_ARGUMENT;
  config->servers = std::move(*list);
  if (options->distribution != nullptr && *options->distribution != '\0') {
    auto d = sc::ParseDistribution(options->distribution);
    if (!d) return SLABCLIENT_INVALID_ARGUMENT;
    config->placement.distribution = *d;
  }
  if (options->timeout_ms != 0) config->timeout = std::chrono::milliseconds(options->timeout_ms);
  switch (options->protocol) {
    case SLABCLIENT_PROTOCOL_TEXT:
      config->protocol = sc::Protocol::kText;
      break;
    case SLABCLIENT_PROTOCOL_BINARY:
      config->protocol = sc::Protocol::kBinary;
      break;
    default:
      return SLABCLIENT_INVALID_ARGUMENT;
  }
  config->hot_keys = std::make_shared<sc::HotKeys>();  // empty: no cost until a key is marked
  const slabclient_security* security = options->security;
  if (security == nullptr) return SLABCLIENT_OK;
  config->sasl_username = Text(security->sasl_username);
  config->sasl_password = Text(security->sasl_password);
  // A SASL daemon (-S) speaks only the binary protocol.
  if (!config->sasl_username.empty()) config->protocol = sc::Protocol::kBinary;
  config->tls.enabled = security->tls != 0;
  config->tls.ca_file = Text(security->tls_ca_file);
  config->tls.cert_file = Text(security->tls_cert_file);
  config->tls.key_file = Text(security->tls_key_file);
  config->tls.server_name = Text(security->tls_server_name);
  config->tls.verify_peer = security->tls_skip_verify == 0;
  return SLABCLIENT_OK;
}

// A C handle built from `options` (a client or a pool: `extra` goes to its constructor after
// the config). The caller owns *out and frees it with the matching destroy call.
template <typename Handle, typename... Extra>
slabclient_status CreateHandle(const slabclient_options* options, Handle** out, Extra... extra) {
  if (out == nullptr) return SLABCLIENT_INVALID_ARGUMENT;
  *out = nullptr;
  try {
    slabcached::client::ClientConfig config;
    if (const slabclient_status s = MakeConfig(options, &config); s != SLABCLIENT_OK) return s;
    *out = std::make_unique<Handle>(std::move(config), extra...).release();
    return SLABCLIENT_OK;
  } catch (...) {
    return SLABCLIENT_NO_MEMORY;
  }
}

}  // namespace

extern "C" {

slabclient_status slabclient_create(const char* servers, const char* distribution,
                                    unsigned timeout_ms, slabclient** out) {
  return slabclient_create_secure(servers, distribution, timeout_ms, nullptr, out);
}

void slabclient_destroy(slabclient* client) { delete client; }

slabclient_status slabclient_get(slabclient* client, const char* key, size_t key_len, char* buf,
                                 size_t buf_size, size_t* value_len, uint32_t* flags) {
  if (value_len == nullptr) return SLABCLIENT_INVALID_ARGUMENT;
  slabcached::client::Item item;
  const slabclient_status s =
      Guarded(client, [&](auto& c) { return c.Get(Key(key, key_len), &item); });
  if (s != SLABCLIENT_OK) return s;
  *value_len = item.value.size();
  if (flags != nullptr) *flags = item.flags;
  if (item.value.size() > buf_size || (buf == nullptr && !item.value.empty())) {
    return SLABCLIENT_BUFFER_TOO_SMALL;
  }
  if (!item.value.empty()) std::memcpy(buf, item.value.data(), item.value.size());
  return SLABCLIENT_OK;
}

namespace {

// get_alloc and gets_alloc: the value malloc'd, NUL-terminated.
slabclient_status GetAlloc(slabclient* client, const char* key, size_t key_len, bool with_cas,
                           char** value, size_t* value_len, uint32_t* flags, uint64_t* cas) {
  if (value == nullptr || value_len == nullptr) return SLABCLIENT_INVALID_ARGUMENT;
  *value = nullptr;
  slabcached::client::Item item;
  const slabclient_status s = Guarded(client, [&](auto& c) {
    return with_cas ? c.Gets(Key(key, key_len), &item) : c.Get(Key(key, key_len), &item);
  });
  if (s != SLABCLIENT_OK) return s;
  char* out = static_cast<char*>(std::malloc(item.value.size() + 1));
  if (out == nullptr) return SLABCLIENT_NO_MEMORY;
  if (!item.value.empty()) std::memcpy(out, item.value.data(), item.value.size());
  out[item.value.size()] = '\0';
  *value = out;
  *value_len = item.value.size();
  if (flags != nullptr) *flags = item.flags;
  if (cas != nullptr) *cas = item.cas;
  return SLABCLIENT_OK;
}

}  // namespace

slabclient_status slabclient_get_alloc(slabclient* client, const char* key, size_t key_len,
                                       char** value, size_t* value_len, uint32_t* flags) {
  return GetAlloc(client, key, key_len, false, value, value_len, flags, nullptr);
}

slabclient_status slabclient_gets_alloc(slabclient* client, const char* key, size_t key_len,
                                        char** value, size_t* value_len, uint32_t* flags,
                                        uint64_t* cas) {
  return GetAlloc(client, key, key_len, true, value, value_len, flags, cas);
}

void slabclient_free(void* value) { std::free(value); }

slabclient_status slabclient_set(slabclient* client, const char* key, size_t key_len,
                                 const char* value, size_t value_len, uint32_t flags,
                                 int64_t exptime) {
  std::string_view v;
  if (!Value(value, value_len, &v)) return SLABCLIENT_INVALID_ARGUMENT;
  return Guarded(client, [&](auto& c) { return c.Set(Key(key, key_len), v, flags, exptime); });
}

slabclient_status slabclient_add(slabclient* client, const char* key, size_t key_len,
                                 const char* value, size_t value_len, uint32_t flags,
                                 int64_t exptime) {
  std::string_view v;
  if (!Value(value, value_len, &v)) return SLABCLIENT_INVALID_ARGUMENT;
  return Guarded(client, [&](auto& c) { return c.Add(Key(key, key_len), v, flags, exptime); });
}

slabclient_status slabclient_replace(slabclient* client, const char* key, size_t key_len,
                                     const char* value, size_t value_len, uint32_t flags,
                                     int64_t exptime) {
  std::string_view v;
  if (!Value(value, value_len, &v)) return SLABCLIENT_INVALID_ARGUMENT;
  return Guarded(client, [&](auto& c) { return c.Replace(Key(key, key_len), v, flags, exptime); });
}

slabclient_status slabclient_cas(slabclient* client, const char* key, size_t key_len,
                                 const char* value, size_t value_len, uint32_t flags,
                                 int64_t exptime, uint64_t cas) {
  std::string_view v;
  if (!Value(value, value_len, &v)) return SLABCLIENT_INVALID_ARGUMENT;
  return Guarded(client, [&](auto& c) { return c.Cas(Key(key, key_len), v, cas, flags, exptime); });
}

slabclient_status slabclient_mget(slabclient* client, const char* const* keys,
                                  const size_t* key_lens, size_t count, int with_cas,
                                  slabclient_item_fn on_item, void* ctx) {
  if (on_item == nullptr || (count != 0 && (keys == nullptr || key_lens == nullptr))) {
    return SLABCLIENT_INVALID_ARGUMENT;
  }
  return Guarded(client, [&](auto& c) {
    std::vector<std::string_view> views;
    views.reserve(count);
    for (size_t i = 0; i < count; ++i) views.push_back(Key(keys[i], key_lens[i]));
    return c.MultiGet(
        views,
        [&](const slabcached::client::ItemView& item) {
          on_item(ctx, item.key.data(), item.key.size(), item.value.data(), item.value.size(),
                  item.flags, item.cas);
        },
        with_cas != 0);
  });
}

slabclient_status slabclient_delete(slabclient* client, const char* key, size_t key_len) {
  return Guarded(client, [&](auto& c) { return c.Delete(Key(key, key_len)); });
}

slabclient_status slabclient_incr(slabclient* client, const char* key, size_t key_len,
                                  uint64_t delta, uint64_t* new_value) {
  return Guarded(client, [&](auto& c) { return c.Incr(Key(key, key_len), delta, new_value); });
}

slabclient_status slabclient_decr(slabclient* client, const char* key, size_t key_len,
                                  uint64_t delta, uint64_t* new_value) {
  return Guarded(client, [&](auto& c) { return c.Decr(Key(key, key_len), delta, new_value); });
}

slabclient_status slabclient_locate(slabclient* client, const char* key, size_t key_len,
                                    uint32_t* index) {
  if (client == nullptr || index == nullptr || key == nullptr || key_len == 0) {
    return SLABCLIENT_INVALID_ARGUMENT;
  }
  try {
    const uint32_t server = client->client.ServerFor(Key(key, key_len));
    if (server == slabcached::client::Continuum::kNoServer) return SLABCLIENT_NO_SERVER;
    *index = server;
    return SLABCLIENT_OK;
  } catch (...) {
    return SLABCLIENT_NO_MEMORY;
  }
}

slabclient_status slabclient_mark_hot(slabclient* client, const char* key, size_t key_len) {
  if (client == nullptr || !slabcached::client::IsValidKey(Key(key, key_len))) {
    return SLABCLIENT_INVALID_ARGUMENT;
  }
  try {
    return client->client.config().hot_keys->Mark(Key(key, key_len)) ? SLABCLIENT_OK
                                                                     : SLABCLIENT_NO_MEMORY;
  } catch (...) {
    return SLABCLIENT_NO_MEMORY;
  }
}

slabclient_status slabclient_unmark_hot(slabclient* client, const char* key, size_t key_len) {
  return Guarded(client, [&](auto& c) {
    c.config().hot_keys->Unmark(Key(key, key_len));
    return Status::kOk;
  });
}

slabclient_status slabclient_learn_hot_keys(slabclient* client, unsigned top_n) {
  return Guarded(client, [&](auto& c) {
    return slabcached::client::LearnHotKeys(c, top_n, c.config().hot_keys.get());
  });
}

slabclient_status slabclient_bloom_create(uint64_t expected_keys, double false_positive_rate,
                                          slabclient_bloom** out) {
  if (out == nullptr) return SLABCLIENT_INVALID_ARGUMENT;
  *out = nullptr;
  if (expected_keys == 0 || !(false_positive_rate > 0 && false_positive_rate < 1)) {
    return SLABCLIENT_INVALID_ARGUMENT;
  }
  try {
    *out = new slabclient_bloom(expected_keys, false_positive_rate);
    return SLABCLIENT_OK;
  } catch (...) {
    return SLABCLIENT_NO_MEMORY;
  }
}

void slabclient_bloom_destroy(slabclient_bloom* bloom) { delete bloom; }

void slabclient_bloom_add(slabclient_bloom* bloom, const char* key, size_t key_len) {
  if (bloom != nullptr) bloom->filter.Add(Key(key, key_len));
}

int slabclient_bloom_check(const slabclient_bloom* bloom, const char* key, size_t key_len) {
  return bloom == nullptr || bloom->filter.MightContain(Key(key, key_len)) ? 1 : 0;
}

const char* slabclient_status_name(slabclient_status status) {
  switch (status) {
    case SLABCLIENT_OK:
      return "OK";
    case SLABCLIENT_NOT_FOUND:
      return "NOT_FOUND";
    case SLABCLIENT_NOT_STORED:
      return "NOT_STORED";
    case SLABCLIENT_EXISTS:
      return "EXISTS";
    case SLABCLIENT_INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case SLABCLIENT_CLIENT_ERROR:
      return "CLIENT_ERROR";
    case SLABCLIENT_SERVER_ERROR:
      return "SERVER_ERROR";
    case SLABCLIENT_PROTOCOL_ERROR:
      return "PROTOCOL_ERROR";
    case SLABCLIENT_TIMEOUT:
      return "TIMEOUT";
    case SLABCLIENT_CONNECTION_FAILURE:
      return "CONNECTION_FAILURE";
    case SLABCLIENT_NO_SERVER:
      return "NO_SERVER";
    case SLABCLIENT_SERVER_EJECTED:
      return "SERVER_EJECTED";
    case SLABCLIENT_SOME_ERRORS:
      return "SOME_ERRORS";
    case SLABCLIENT_AUTH_FAILURE:
      return "AUTH_FAILURE";
    case SLABCLIENT_TLS_FAILURE:
      return "TLS_FAILURE";
    case SLABCLIENT_BUFFER_TOO_SMALL:
      return "BUFFER_TOO_SMALL";
    case SLABCLIENT_NO_MEMORY:
      return "NO_MEMORY";
    case SLABCLIENT_FULL:
      return "FULL";
  }
  return "UNKNOWN";
}

slabclient_status slabclient_invalidator_open(const char* servers, const char* distribution,
                                              unsigned timeout_ms, const char* spool_dir,
                                              slabclient_invalidator** out) {
  if (out == nullptr) return SLABCLIENT_INVALID_ARGUMENT;
  *out = nullptr;
  if (servers == nullptr || spool_dir == nullptr) return SLABCLIENT_INVALID_ARGUMENT;
  try {
    namespace sc = slabcached::client;
    sc::InvalidatorConfig config;
    std::string error;
    auto list = sc::ParseServerList(servers, &error);
    if (!list || list->empty()) return SLABCLIENT_INVALID_ARGUMENT;
    config.servers = std::move(*list);
    if (distribution != nullptr && *distribution != '\0') {
      auto d = sc::ParseDistribution(distribution);
      if (!d) return SLABCLIENT_INVALID_ARGUMENT;
      config.placement.distribution = *d;
    }
    if (timeout_ms != 0) config.timeout = std::chrono::milliseconds(timeout_ms);
    config.spool_dir = spool_dir;
    auto inv = sc::Invalidator::Open(std::move(config), &error);
    if (inv == nullptr) return SLABCLIENT_INVALID_ARGUMENT;
    *out = new slabclient_invalidator{std::move(inv)};
    return SLABCLIENT_OK;
  } catch (...) {
    return SLABCLIENT_NO_MEMORY;
  }
}

void slabclient_invalidator_close(slabclient_invalidator* inv) { delete inv; }

slabclient_status slabclient_invalidate(slabclient_invalidator* inv, const char* key,
                                        size_t key_len) {
  if (inv == nullptr || !slabcached::client::IsValidKey(Key(key, key_len))) {
    return SLABCLIENT_INVALID_ARGUMENT;
  }
  try {
    return inv->invalidator->Invalidate(Key(key, key_len)) ? SLABCLIENT_OK : SLABCLIENT_FULL;
  } catch (...) {
    return SLABCLIENT_NO_MEMORY;
  }
}

uint64_t slabclient_invalidator_retry(slabclient_invalidator* inv) {
  if (inv == nullptr) return 0;
  try {
    inv->invalidator->RetryDue();
  } catch (...) {
  }
  return inv->invalidator->Pending();
}

void slabclient_write_behind_config_init(slabclient_write_behind_config* config) {
  if (config == nullptr) return;
  const slabcached::client::WriteBehindConfig defaults;
  config->capacity = defaults.capacity;
  config->batch_size = defaults.batch_size;
  config->max_delay_ms = static_cast<unsigned>(defaults.max_delay.count());
  config->when_full = SLABCLIENT_FULL_BLOCK;
  config->block_timeout_ms = static_cast<unsigned>(defaults.block_timeout.count());
  config->max_attempts = defaults.max_attempts;
  config->retry_delay_ms = static_cast<unsigned>(defaults.retry_delay.count());
}

slabclient_status slabclient_write_behind_create(const slabclient_write_behind_config* config,
                                                 slabclient_write_batch_fn write_batch,
                                                 void* context, slabclient_write_behind** out) {
  if (out == nullptr) return SLABCLIENT_INVALID_ARGUMENT;
  *out = nullptr;
  if (config == nullptr || write_batch == nullptr) return SLABCLIENT_INVALID_ARGUMENT;
  namespace sc = slabcached::client;
  sc::WriteBehindConfig c;
  c.capacity = config->capacity;
  c.batch_size = config->batch_size;
  c.max_delay = std::chrono::milliseconds(config->max_delay_ms);
  switch (config->when_full) {
    case SLABCLIENT_FULL_BLOCK:
      c.when_full = sc::WhenFull::kBlock;
      break;
    case SLABCLIENT_FULL_DROP_NEWEST:
      c.when_full = sc::WhenFull::kDropNewest;
      break;
    case SLABCLIENT_FULL_DROP_OLDEST:
      c.when_full = sc::WhenFull::kDropOldest;
      break;
    default:
      return SLABCLIENT_INVALID_ARGUMENT;
  }
  c.block_timeout = std::chrono::milliseconds(config->block_timeout_ms);
  c.max_attempts = config->max_attempts;
  c.retry_delay = std::chrono::milliseconds(config->retry_delay_ms);
  try {
    // The C callback sees (pointer, length) views of the batch's strings.
    auto adapter = [write_batch, context](const std::vector<sc::PendingWrite>& batch) {
      std::vector<slabclient_write> writes;
      writes.reserve(batch.size());
      for (const sc::PendingWrite& w : batch) {
        writes.push_back({w.key.data(), w.key.size(), w.value.data(), w.value.size()});
      }
      return write_batch(context, writes.data(), writes.size()) != 0;
    };
    *out = new slabclient_write_behind{std::make_unique<sc::WriteBehind>(c, adapter)};
    return SLABCLIENT_OK;
  } catch (...) {
    return SLABCLIENT_NO_MEMORY;
  }
}

slabclient_status slabclient_write_behind_enqueue(slabclient_write_behind* wb, const char* key,
                                                  size_t key_len, const char* value,
                                                  size_t value_len) {
  if (wb == nullptr || key == nullptr || (value == nullptr && value_len != 0)) {
    return SLABCLIENT_INVALID_ARGUMENT;
  }
  try {
    std::string v = value == nullptr ? std::string() : std::string(value, value_len);
    const Status s = wb->queue->Enqueue(std::string(key, key_len), std::move(v));
    return s == Status::kOk ? SLABCLIENT_OK : SLABCLIENT_FULL;
  } catch (...) {
    return SLABCLIENT_NO_MEMORY;
  }
}

namespace {
void CopyCounts(const slabcached::client::WriteBehindCounts& from,
                slabclient_write_behind_counts* to) {
  if (to == nullptr) return;
  to->enqueued = from.enqueued;
  to->written = from.written;
  to->retried = from.retried;
  to->dropped = from.dropped;
  to->lost = from.lost;
}
}  // namespace

void slabclient_write_behind_flush(slabclient_write_behind* wb,
                                   slabclient_write_behind_counts* counts) {
  if (wb == nullptr) return;
  CopyCounts(wb->queue->Flush(), counts);
}

void slabclient_write_behind_destroy(slabclient_write_behind* wb,
                                     slabclient_write_behind_counts* counts) {
  if (wb == nullptr) return;
  CopyCounts(wb->queue->Flush(), counts);
  wb->queue.reset();  // stops the thread; nothing is left to write
  delete wb;
}

slabclient_status slabclient_create_secure(const char* servers, const char* distribution,
                                           unsigned timeout_ms, const slabclient_security* security,
                                           slabclient** out) {
  slabclient_options options;
  slabclient_options_init(&options);
  options.servers = servers;
  options.distribution = distribution;
  options.timeout_ms = timeout_ms;
  options.security = security;
  return slabclient_create_with(&options, out);
}

void slabclient_options_init(slabclient_options* options) {
  if (options != nullptr) *options = slabclient_options{};
}

slabclient_status slabclient_create_with(const slabclient_options* options, slabclient** out) {
  return CreateHandle(options, out);
}

slabclient_status slabclient_pool_create(const slabclient_options* options, size_t size,
                                         slabclient_pool** out) {
  return CreateHandle(options, out, size);
}

slabclient_status slabclient_pool_acquire(slabclient_pool* pool, unsigned wait_ms,
                                          slabclient** out) {
  if (out == nullptr) return SLABCLIENT_INVALID_ARGUMENT;
  *out = nullptr;
  if (pool == nullptr) return SLABCLIENT_INVALID_ARGUMENT;
  try {
    auto lease = pool->pool.Acquire(std::chrono::milliseconds(wait_ms));
    if (!lease) return SLABCLIENT_TIMEOUT;
    *out = new slabclient(std::move(lease));  // a failed new gives the lease back
    return SLABCLIENT_OK;
  } catch (...) {
    return SLABCLIENT_NO_MEMORY;
  }
}

void slabclient_pool_release(slabclient_pool* /*pool*/, slabclient* client) {
  delete client;  // its lease goes back to the pool it came from
}

void slabclient_pool_destroy(slabclient_pool* pool) { delete pool; }

slabclient_status slabclient_last_error(const slabclient* client, char* buf, size_t len,
                                        int* errno_out) {
  const slabcached::client::ClientError& e = client->client.last_error();
  if (errno_out != nullptr) *errno_out = e.sys_errno;
  if (buf != nullptr && len > 0) {
    const std::string text = e.Describe();
    const size_t n = std::min(text.size(), len - 1);
    std::memcpy(buf, text.data(), n);
    buf[n] = '\0';
  }
  return ToC(e.status);
}

}  // extern "C"
