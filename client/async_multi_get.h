// A multi-get that an application's own event loop drives (libevent, epoll,
// poll, ...): nothing here blocks. It asks for the descriptors it waits on
// and the events it wants, and advances when told one is ready.
//
//   AsyncMultiGet get(&client, keys, [&](const ItemView& item) { use(item); });
//   // register every get.Waits() entry with the loop (POLLIN / POLLOUT bits),
//   // and a timer at get.next_timeout(); then, from the loop's callbacks:
//   get.OnReady(fd, revents);   // re-read Waits() and next_timeout() afterwards:
//   get.OnTimeout();            //   both may change (when the timer fires first)
//   if (get.done()) finish(get.status());
//
// Items are delivered from inside OnReady, as their replies are parsed, with
// the same ItemView contract and duplicate-key rule as Client::MultiGet
// (multi_get.h); status() is that of MultiGet once done().
//
// The AsyncMultiGet borrows the Client's connections: until it is done or
// destroyed the Client must not be used for anything else (a Client is one
// thread's; run one AsyncMultiGet per Client at a time, several Clients per
// loop). Destroying an unfinished one closes the connections it was
// reading, so that their late replies cannot reach the Client's next
// operation; that is not counted as a server failure.
#pragma once

#include <chrono>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "client.h"
#include "multi_get.h"

namespace slabcached::client {

class AsyncMultiGet {
 public:
  struct Wait {
    int fd = -1;
    short events = 0;  // POLLIN and/or POLLOUT (<poll.h>)
  };

  // Validates the keys, plans the request and starts sending it (connects
  // are non-blocking). With an invalid key nothing is sent and it is done at
  // once with kInvalidArgument. `keys` need to live only during this call.
  // `on_item` is kept (a copy) until this object is destroyed.
  AsyncMultiGet(Client* client, std::span<const std::string_view> keys,
                std::function<void(const ItemView&)> on_item, bool with_cas = false);
  AsyncMultiGet(const AsyncMultiGet&) = delete;
  AsyncMultiGet& operator=(const AsyncMultiGet&) = delete;
  ~AsyncMultiGet();

  // The descriptors still waited on and the events wanted; empty when done.
  // Valid until the next call on this object.
  const std::vector<Wait>& Waits();
  // `revents`: what the loop saw on `fd` (POLLIN, POLLOUT, POLLHUP, POLLERR
  // bits; a readable or writable event is enough). Unknown fds are ignored.
  void OnReady(int fd, short revents);
  // The loop's timer reached next_timeout(). A connect whose address had
  // its share of the deadline moves on to the host's next address (a new
  // fd in Waits()); once deadline() has passed, whatever is still
  // outstanding fails with kTimeout. Calling it early does no harm.
  void OnTimeout();

  bool done() const;
  // kOk when every server answered; kSomeErrors when some did not (or a key
  // had no live server); kInvalidArgument for a bad key. kTimeout until done.
  Status status() const;
  // start + config.timeout: the whole get fails with kTimeout then.
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }
  // When to call OnTimeout() if nothing is ready before: deadline(), or
  // sooner while a connect waits on one of a host's several addresses.
  std::chrono::steady_clock::time_point next_timeout() const;

 private:
  Client* client_;
  std::function<void(const ItemView&)> on_item_;
  ItemCallback on_item_ref_{on_item_};  // the ops point at it: this object does not move
  std::vector<Client::Work> works_;
  std::vector<Wait> waits_;
  std::chrono::steady_clock::time_point deadline_;
  bool unplaced_ = false;
  bool invalid_ = false;
};

}  // namespace slabcached::client
