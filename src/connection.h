// One client socket: a small state machine that reads into a buffer, parses
// pipelined requests, hands them to the worker's Executor, reads value
// blocks straight into item memory, and writes every reply of a read batch
// with one sendmsg() (or, over TLS, as few records as fit: src/transport.h).
#pragma once

#include <event2/event.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "src/conn_registry.h"
#include "src/ev.h"
#include "src/executor.h"
#include "src/output_queue.h"
#include "src/read_buffers.h"
#include "src/request_dispatch.h"
#include "src/server_config.h"
#include "src/transport.h"

namespace slabcached {

class Connection;

// Whoever owns connections (the worker) and destroys them on request.
class ConnectionOwner {
 public:
  virtual ~ConnectionOwner() = default;
  // Called from inside the connection's own event callback, as its last act.
  virtual void Release(Connection* connection) = 0;
  // Where the connection takes a read buffer while it has unparsed input.
  virtual ReadBuffers& read_buffers() = 0;
};

class Connection {
 public:
  // `transport` moves the bytes of `fd` (plain, or TLS over it); `ascii_auth`:
  // -Y's users (the server's), or null.
  Connection(event_base* base, ev::Fd fd, std::unique_ptr<Transport> transport, Executor* executor,
             ConnectionOwner* owner, const NetConfig& net, const PasswordFile* ascii_auth,
             ServerStats* server_stats);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Registers for reads; false if libevent refused.
  bool Start();
  // Best-effort, non-blocking send of queued replies (used at shutdown).
  void FlushPending();
  // True when nothing happened on the socket since `cutoff` and no reply is
  // waiting to be sent (-o idle_timeout).
  bool IdleSince(slabs::RelTime cutoff) const { return last_active_ < cutoff && output_.empty(); }

  // `stats conns` and connevents (src/conn_registry.h): where this
  // connection publishes its state; the owner registered it.
  void Track(ConnEntry* entry, ConnRegistry* registry) {
    entry_ = entry;
    registry_ = registry;
  }
  // Null once the connection became a watcher (the entry is the logger's).
  ConnEntry* entry() const { return entry_; }
  // Why it closes (connevents' reason=).
  proto::CloseReason close_reason() const { return close_reason_; }

 private:
  enum class State {
    kCommand,  // parsing command lines
    kValue,    // reading a data block into carry_.pending's item
    kSwallow,  // discarding a data block that has nowhere to go
    kClosing,  // send what is queued, then close
  };

  static void OnSocketEvent(evutil_socket_t fd, short what, void* arg);
  void HandleRead();
  void HandleWrite();

  // Reads once from the socket; false on EOF or a fatal error.
  bool ReadOnce(bool* drained);
  // Parses and executes buffered input, up to the per-event request budget.
  // true when it stopped with complete requests still buffered (a yield).
  bool Process(uint32_t* budget);
  void ProcessAndFlush();
  // Parses and runs one request (src/request_dispatch.h); false when it
  // needs more input or the connection is closing.
  bool ProcessCommand();
  // -Y: the only request before authenticating (proto/ascii_auth.h).
  bool ProcessAsciiAuth();
  // Runs more keys of a paused multi-key get; true when its line is done.
  void ResumeRetrieval();
  // After a socket event: gives the read buffer back to the worker when
  // nothing is buffered, or shrinks one a large request grew (memcached's
  // conn_shrink).
  void ShrinkBuffer();
  void DropBuffer();
  // Moves the read buffer to one of `capacity` bytes (counted in stats).
  void ResizeBuffer(size_t capacity);
  // How many reply bytes this connection may hold before it sends them
  // (its own cap, or none beyond one reply while -o resp_obj_mem_limit is
  // exceeded server-wide).
  size_t ReplyCap() const;
  // Brings stats' response_obj_bytes and response_obj_count up to date with
  // this connection's queue.
  void ReportOutput();
  // Links the item whose data block has been read in, and answers.
  void FinishValue();
  // Latency (src/latency.h): `command`'s reply is being queued; it arrived
  // at `arrival_ns` (0: an untimed batch, the request is only counted). Its
  // stages are timed per batch: RepliesQueued() once the batch has run
  // (`now`: one clock read for all), RepliesWritten() by the Flush that
  // sends the last byte.
  void ReplyQueued(proto::Command command, uint64_t arrival_ns);
  void RepliesQueued(uint64_t now);
  void RepliesWritten();
  enum class Room { kOk, kTooLong, kOutOfMemory };
  // Makes room at the end of the buffer for a read.
  Room MakeRoom();
  // Sends queued replies; arms the write event if the socket is full.
  void Flush();
  // Registers exactly the socket events in `events` (EV_READ, EV_WRITE).
  bool Arm(short events);
  bool done() const { return state_ == State::kClosing && output_.empty(); }
  // "watch" ran: hands the socket to the logger (or answers why not).
  void BecomeWatcher();
  // Writes this connection's state for `stats conns`.
  void Publish();

  size_t buffered() const { return end_ - start_; }

  // Members a request touches come first, and together: with thousands of
  // connections taking turns each one's object is cold, and every cache
  // line of it a request reads is a miss (callgrind's cache simulation,
  // 2,000 connections: ~9.5 simulated L1 misses per get in this object
  // when these were spread over its 1.2 KB).
  ev::Fd fd_;
  std::unique_ptr<Transport> transport_;  // uses fd_; destroyed before it closes
  slabs::RelTime last_active_;
  ev::Event read_event_;
  Executor* executor_;
  ConnectionOwner* owner_;
  const NetConfig& net_;
  ServerStats* server_stats_;

  // Null while nothing is buffered (src/read_buffers.h); capacity_ is then 0.
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
  size_t start_ = 0;  // first unconsumed byte
  size_t end_ = 0;    // one past the last byte read
  // Bytes from start_ known to hold no "\n": a partial line is searched
  // for its end only in the bytes read since (text protocol).
  size_t scanned_ = 0;

  State state_ = State::kCommand;
  bool protocol_checked_ = false;
  bool binary_ = false;  // memcached's binary protocol (-B, or a first byte of 0x80)
  bool writing_ = false;  // replies wait for the socket (reads paused)
  bool resume_ = false;   // the next read event runs buffered work, without reading
  // TLS: the last read needs the socket writable first (reads wait for EV_WRITE).
  bool read_wants_write_ = false;
  bool became_watcher_ = false;
  short armed_ = 0;  // the events registered with libevent
  proto::Command pending_command_ = proto::Command::kNone;  // kValue's
  // What entry_ shows (Publish() writes it only when these change); the
  // registry starts an entry at kRead.
  ConnState published_state_ = ConnState::kRead;
  slabs::RelTime published_last_cmd_ = 0;
  ConnEntry* entry_ = nullptr;
  size_t reported_output_ = 0;  // this connection's share of response_obj_bytes
  size_t value_offset_ = 0;     // where in the item's value the next data-block byte goes
  size_t value_remaining_ = 0;  // data-block bytes (incl. "\r\n") still to read
  size_t swallow_remaining_ = 0;
  Session session_;

  // A multi-key get that stopped part way for its replies to be sent. Its
  // line stays in the buffer (start_ does not move past it until it is
  // done); offsets are from start_, as reads may move the buffered bytes.
  // Allocated only while one is paused: the object stays small.
  struct PausedRetrieval {
    proto::Request request;  // views cleared; keys rebuilt from the offsets
    size_t keys_begin = 0;
    size_t keys_end = 0;
    size_t line_bytes = 0;
    uint64_t arrival_ns = 0;
  };
  std::unique_ptr<PausedRetrieval> paused_;

  // Latency: when the last read returned (0 when its batch is not timed): every
  // request it completed arrived then. And the replies queued but not yet
  // written, with their arrivals (as many as one read's batch, -R); the
  // first `queued_timed_` have had their queued stage recorded.
  uint64_t arrival_ns_ = 0;
  struct Unwritten {
    proto::Command command;
    uint64_t arrival_ns;
  };
  std::vector<Unwritten> unwritten_;
  size_t queued_timed_ = 0;

  OutputQueue output_;

  // Rarely touched.
  ev::Event write_event_;
  const PasswordFile* ascii_auth_;
  ConnRegistry* registry_ = nullptr;
  proto::CloseReason close_reason_ = proto::CloseReason::kNormal;
  // Reused by every dispatch; kValue: carry_.pending is the store the data
  // block completes.
  DispatchCarry carry_;
};

}  // namespace slabcached
