// Host name resolution for the client's connections, bounded by the
// operation's deadline. getaddrinfo has no timeout (a dead DNS server stalls
// it for the resolv.conf timeout times its attempts), so a lookup runs off
// the caller's thread (on a few lookup threads) and the caller waits for it
// no longer than its deadline. Answers are cached for a TTL so that a reconnect
// storm does not hammer DNS; once expired, the last good answer keeps being
// served while its refresh runs in the background.
//
// Numeric hosts ("127.0.0.1", "::1") are parsed in place: no lookup, no cache.
// Unix-socket paths never get here (Connection connects them itself).
// Internal to libslabclient (not installed).
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace slabcached::client {

// One address of a resolved host, ready for connect().
struct ResolvedAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  const sockaddr* address() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
  // "127.0.0.1:11211" or "[::1]:11211".
  std::string ToString() const;
  // An IPv4 or IPv6 literal and a port; nullopt when `ip` is not numeric.
  static std::optional<ResolvedAddress> FromNumeric(const std::string& ip, uint16_t port);
};

// The answer of one lookup: the addresses in the order to try them, or the
// getaddrinfo error (EAI_*) when there are none.
struct LookupAnswer {
  int gai_error = 0;
  std::vector<ResolvedAddress> addresses;
};

// Starts resolving host:port and calls `done` exactly once, from any thread
// (possibly before returning). The default runs getaddrinfo on up to four
// threads of its own; tests inject their own lookup to answer late, never,
// or with chosen addresses.
using LookupDone = std::function<void(LookupAnswer)>;
using AsyncLookup = std::function<void(const std::string& host, uint16_t port, LookupDone done)>;
AsyncLookup GetaddrinfoLookup();

enum class ResolveStatus : uint8_t {
  kOk,       // `addresses` holds at least one address
  kFailed,   // the name does not resolve (`gai_error` says why)
  kTimeout,  // no answer before the deadline (the lookup goes on, and fills the cache)
};

class Resolver {
 public:
  using Clock = std::chrono::steady_clock;

  static constexpr std::chrono::milliseconds kDefaultTtl{60'000};

  struct Options {
    // How long an answer is used before it is looked up again, unless
    // Resolve is given its own.
    std::chrono::milliseconds ttl = kDefaultTtl;
    AsyncLookup lookup = GetaddrinfoLookup();
    // The clock that ages cached answers (a hand-driven one in tests); the
    // wait for a lookup is always bounded by the real steady clock.
    std::function<Clock::time_point()> now = [] { return Clock::now(); };
  };

  Resolver() : Resolver(Options{}) {}
  explicit Resolver(Options options);
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;
  // Joins the default lookup's threads, so waits for a getaddrinfo in
  // flight (Shared() is never destroyed: exit does not wait). Injected
  // lookups may answer later: they find the resolver gone.
  ~Resolver();

  // The resolver every Connection uses unless given another: one cache for
  // all the clients of the process.
  static std::shared_ptr<Resolver> Shared();

  // Resolves host:port, waiting until `deadline` at most when the cache has
  // no answer for it. `ttl` (default: Options::ttl) is how old the cached
  // answer may be for this caller: the cache is shared by clients that may
  // each want their own.
  ResolveStatus Resolve(const std::string& host, uint16_t port, Clock::time_point deadline,
                        std::vector<ResolvedAddress>* addresses, int* gai_error,
                        std::optional<std::chrono::milliseconds> ttl = std::nullopt);

  // Caches `addresses` for host:port as if a lookup had just answered them
  // (names known in advance; tests that give a Client's shared resolver a
  // name with chosen addresses).
  void Remember(const std::string& host, uint16_t port, std::vector<ResolvedAddress> addresses);

 private:
  struct State;
  AsyncLookup lookup_;  // not in State: its threads may hold the last reference to State
  std::shared_ptr<State> state_;
};

}  // namespace slabcached::client
