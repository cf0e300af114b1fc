#include "client/resolver.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <stop_token>
#include <thread>
#include <unordered_map>
#include <utility>

namespace slabcached::client {

std::string ResolvedAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  uint16_t port = 0;
  std::string out;
  if (family() == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&storage);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
    port = ntohs(v4->sin_port);
    out.append(text);
  } else if (family() == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    port = ntohs(v6->sin6_port);
    out.append("[").append(text).append("]");
  } else {
    return "?";
  }
  return out.append(":").append(std::to_string(port));
}

std::optional<ResolvedAddress> ResolvedAddress::FromNumeric(const std::string& ip, uint16_t port) {
  ResolvedAddress a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.length = sizeof(sockaddr_in);
    return a;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.length = sizeof(sockaddr_in6);
    return a;
  }
  return std::nullopt;
}

namespace {

std::vector<ResolvedAddress> Collect(const addrinfo* list) {
  std::vector<ResolvedAddress> out;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addr == nullptr || ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    ResolvedAddress a;
    std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
    a.length = ai->ai_addrlen;
    out.push_back(a);
  }
  return out;
}

LookupAnswer Getaddrinfo(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  LookupAnswer answer;
  answer.gai_error = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
  if (answer.gai_error == 0) answer.addresses = Collect(list);
  if (list != nullptr) freeaddrinfo(list);
  return answer;
}

// Runs blocking getaddrinfo calls on up to kMaxThreads threads, started when
// a lookup finds none idle: one name that hangs does not hold up the
// others. (Not getaddrinfo_a: its notification threads are invisible to the
// thread sanitizer.) The destructor joins, so it waits for lookups in flight.
class LookupThreads {
 public:
  static constexpr size_t kMaxThreads = 4;

  LookupThreads() = default;
  LookupThreads(const LookupThreads&) = delete;
  LookupThreads& operator=(const LookupThreads&) = delete;
  ~LookupThreads() {
    {
      const std::lock_guard lock(mu_);
      for (std::jthread& t : threads_) t.request_stop();
    }
    work_.notify_all();
    threads_.clear();  // joins
  }

  void Start(const std::string& host, uint16_t port, LookupDone done) {
    const std::lock_guard lock(mu_);
    jobs_.push_back({host, port, std::move(done)});
    if (idle_ == 0 && threads_.size() < kMaxThreads) {
      threads_.emplace_back([this](std::stop_token stop) { Run(stop); });
    }
    work_.notify_one();
  }

 private:
  struct Job {
    std::string host;
    uint16_t port;
    LookupDone done;
  };

  void Run(std::stop_token stop) {
    std::unique_lock lock(mu_);
    for (;;) {
      ++idle_;
      const bool woken = work_.wait(lock, stop, [this] { return !jobs_.empty(); });
      --idle_;
      if (!woken) return;
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job.done(Getaddrinfo(job.host, job.port));
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable_any work_;
  std::deque<Job> jobs_;  // guarded by mu_
  size_t idle_ = 0;       // guarded by mu_
  std::vector<std::jthread> threads_;
};

std::string CacheKey(const std::string& host, uint16_t port) {
  return host + "/" + std::to_string(port);
}

}  // namespace

AsyncLookup GetaddrinfoLookup() {
  auto threads = std::make_shared<LookupThreads>();
  return [threads](const std::string& host, uint16_t port, LookupDone done) {
    threads->Start(host, port, std::move(done));
  };
}

// Shared with the lookups in flight (through a weak_ptr), which may answer
// after the Resolver is gone, and may then destroy it on their thread: so
// the lookup function, which may own those threads, is not part of it.
struct Resolver::State {
  struct Entry {
    std::vector<ResolvedAddress> addresses;  // the last good answer; empty when none
    Clock::time_point answered_at{};         // of `addresses`
    int gai_error = 0;                       // of the last lookup, when it failed
    bool refreshing = false;                 // a lookup is in flight
    uint64_t answers = 0;                    // lookups finished: waiters wait for it to move
  };

  explicit State(Options o) : options(std::move(o)) {}
  void Answer(const std::string& key, LookupAnswer answer);

  const Options options;
  std::mutex mu;
  std::condition_variable answered;
  // By "host/port". Entries are never erased: references stay valid while
  // the lock is dropped, and a client's server list is short.
  std::unordered_map<std::string, Entry> entries;  // guarded by mu
};

void Resolver::State::Answer(const std::string& key, LookupAnswer answer) {
  const std::lock_guard lock(mu);
  Entry& e = entries[key];
  e.refreshing = false;
  ++e.answers;
  if (answer.gai_error == 0 && !answer.addresses.empty()) {
    e.addresses = std::move(answer.addresses);
    e.answered_at = options.now();
    e.gai_error = 0;
  } else if (answer.gai_error == EAI_AGAIN && !e.addresses.empty()) {
    // DNS is unreachable, not saying no: keep serving the last good answer
    // (still expired, so the next Resolve tries again).
  } else {
    e.addresses.clear();
    e.gai_error = answer.gai_error != 0 ? answer.gai_error : EAI_NONAME;
  }
  answered.notify_all();
}

Resolver::Resolver(Options options)
    : lookup_(std::move(options.lookup)), state_(std::make_shared<State>(std::move(options))) {}

Resolver::~Resolver() = default;

std::shared_ptr<Resolver> Resolver::Shared() {
  // One cache per process, like the system resolver's own. Never destroyed
  // (as absl::NoDestructor): exit must not join a lookup stuck in DNS.
  static const auto* const shared =
      std::make_unique<std::shared_ptr<Resolver>>(std::make_shared<Resolver>()).release();
  return *shared;
}

void Resolver::Remember(const std::string& host, uint16_t port,
                        std::vector<ResolvedAddress> addresses) {
  LookupAnswer answer;
  answer.addresses = std::move(addresses);
  state_->Answer(CacheKey(host, port), std::move(answer));
}

ResolveStatus Resolver::Resolve(const std::string& host, uint16_t port, Clock::time_point deadline,
                                std::vector<ResolvedAddress>* addresses, int* gai_error,
                                std::optional<std::chrono::milliseconds> ttl) {
  if (auto numeric = ResolvedAddress::FromNumeric(host, port)) {
    addresses->assign(1, *numeric);
    return ResolveStatus::kOk;
  }
  const std::string key = CacheKey(host, port);
  State& s = *state_;
  std::unique_lock lock(s.mu);
  State::Entry& e = s.entries[key];
  if (!e.addresses.empty() && s.options.now() < e.answered_at + ttl.value_or(s.options.ttl)) {
    *addresses = e.addresses;
    return ResolveStatus::kOk;
  }
  const uint64_t seen = e.answers;
  if (!e.refreshing) {
    e.refreshing = true;
    lock.unlock();  // the lookup may answer at once, on this thread
    std::weak_ptr<State> weak = state_;
    lookup_(host, port, [weak, key](LookupAnswer answer) {
      if (const auto state = weak.lock()) state->Answer(key, std::move(answer));
    });
    lock.lock();
  }
  // Expired: the last good answer serves while the refresh runs.
  if (e.answers == seen && !e.addresses.empty()) {
    *addresses = e.addresses;
    return ResolveStatus::kOk;
  }
  if (!s.answered.wait_until(lock, deadline, [&] { return e.answers != seen; })) {
    return ResolveStatus::kTimeout;
  }
  if (e.addresses.empty()) {
    *gai_error = e.gai_error;
    return ResolveStatus::kFailed;
  }
  *addresses = e.addresses;
  return ResolveStatus::kOk;
}

}  // namespace slabcached::client
