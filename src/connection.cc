#include "src/connection.h"

#include <glog/logging.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "proto/ascii_auth.h"
#include "proto/errors.h"
#include "proto/text_encoder.h"
#include "src/request_dispatch.h"

namespace slabcached {
namespace {

constexpr size_t kInitialBuffer = ReadBuffers::kSize;
// A multiget line may grow the buffer this far; beyond it the client is cut off.
constexpr size_t kMaxBuffer = 64 * 1024 * 1024;
// Replies queued beyond this (OutputQueue::footprint) are sent before more
// requests, or more keys of a multi-key get, are run.
constexpr size_t kMaxQueuedOutput = 1024 * 1024;
constexpr uint8_t kBinaryMagic = 0x80;

}  // namespace

Connection::Connection(event_base* base, ev::Fd fd, std::unique_ptr<Transport> transport,
                       Executor* executor, ConnectionOwner* owner, const NetConfig& net,
                       const PasswordFile* ascii_auth, ServerStats* server_stats)
    : fd_(std::move(fd)),
      transport_(std::move(transport)),
      last_active_(executor->clock().Now()),
      read_event_(
          event_new(base, fd_.get(), EV_READ | EV_PERSIST, &Connection::OnSocketEvent, this)),
      executor_(executor),
      owner_(owner),
      net_(net),
      server_stats_(server_stats),
      write_event_(
          event_new(base, fd_.get(), EV_WRITE | EV_PERSIST, &Connection::OnSocketEvent, this)),
      ascii_auth_(ascii_auth) {
  // curr_connections was counted by the listener at accept time.
  server_stats_->connection_structures.fetch_add(1, std::memory_order_relaxed);
}

Connection::~Connection() {
  VLOG(2) << "<" << fd_.get() << " connection closed.";
  server_stats_->curr_connections.fetch_sub(1, std::memory_order_relaxed);
  server_stats_->connection_structures.fetch_sub(1, std::memory_order_relaxed);
  if (buffer_ != nullptr) DropBuffer();
  server_stats_->response_obj_bytes.fetch_sub(reported_output_, std::memory_order_relaxed);
  if (reported_output_ != 0) {
    server_stats_->response_obj_count.fetch_sub(1, std::memory_order_relaxed);
  }
}

bool Connection::Start() {
  VLOG(2) << "<" << fd_.get() << " new client connection";
  return read_event_ && write_event_ && Arm(EV_READ);
}

bool Connection::Arm(short events) {
  bool ok = true;
  auto apply = [&](short flag, event* ev) {
    if ((events & flag) == (armed_ & flag)) return;
    ok = ((events & flag) != 0 ? event_add(ev, nullptr) : event_del(ev)) == 0 && ok;
  };
  apply(EV_READ, read_event_.get());
  apply(EV_WRITE, write_event_.get());
  armed_ = events;
  return ok;
}

// Readable and writable lead to the same place: queued replies may wait for
// input (TLS: readable means "retry the write"), and a read may wait for the
// socket to take output first.
void Connection::OnSocketEvent(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Connection*>(arg);
  self->last_active_ = self->executor_->clock().Now();
  self->writing_ ? self->HandleWrite() : self->HandleRead();
  self->ReportOutput();
  self->Publish();
  if (self->done()) self->owner_->Release(self);  // deletes self
}

void Connection::HandleRead() {
  read_wants_write_ = false;
  if (std::exchange(resume_, false)) {
    // After a yield, buffered requests (and a paused multi-get) run before
    // the socket is read again, as memcached does: a client that sends its
    // requests and half-closes still gets every reply.
    ProcessAndFlush();
    ShrinkBuffer();
    return;
  }
  bool drained = false;
  if (!ReadOnce(&drained)) {
    state_ = State::kClosing;
    output_ = OutputQueue();  // the peer is gone or broken: nothing more to send
    return;
  }
  // One clock read per read, shared by every request it completes; only in
  // the sampled batches (src/latency.h), 0 in the others.
  arrival_ns_ = executor_->stats()->latency.SampleBatch() ? LatencyNow() : 0;
  ProcessAndFlush();
  ShrinkBuffer();
}

void Connection::ShrinkBuffer() {
  if (buffer_ == nullptr || paused_) return;
  if (buffered() == 0) {
    DropBuffer();
    return;
  }
  if (capacity_ <= kInitialBuffer || buffered() > kInitialBuffer / 2) return;
  ResizeBuffer(kInitialBuffer);
}

void Connection::DropBuffer() {
  owner_->read_buffers().Give(std::move(buffer_), capacity_);
  capacity_ = start_ = end_ = scanned_ = 0;
}

void Connection::ResizeBuffer(size_t capacity) {
  auto resized = std::make_unique_for_overwrite<char[]>(capacity);  // reads fill it
  std::memcpy(resized.get(), buffer_.get() + start_, buffered());
  end_ = buffered();
  start_ = 0;
  buffer_ = std::move(resized);
  server_stats_->read_buf_bytes.fetch_add(capacity - capacity_, std::memory_order_relaxed);
  capacity_ = capacity;
}

size_t Connection::ReplyCap() const {
  const uint64_t limit = net_.resp_obj_mem_limit;
  if (limit > 0 && server_stats_->response_obj_bytes.load(std::memory_order_relaxed) > limit) {
    return 0;
  }
  return kMaxQueuedOutput;
}

void Connection::ReportOutput() {
  const size_t held = output_.footprint();
  if (held == reported_output_) return;
  server_stats_->response_obj_bytes.fetch_add(held - reported_output_, std::memory_order_relaxed);
  // A queue that starts or stops holding replies: response_obj_count.
  if (reported_output_ == 0) {
    server_stats_->response_obj_count.fetch_add(1, std::memory_order_relaxed);
  } else if (held == 0) {
    server_stats_->response_obj_count.fetch_sub(1, std::memory_order_relaxed);
  }
  reported_output_ = held;
}

void Connection::ProcessAndFlush() {
  uint32_t budget = net_.reqs_per_event;
  const bool yielded = Process(&budget);
  // The batch's replies are queued: one clock read times them all.
  if (queued_timed_ < unwritten_.size()) RepliesQueued(LatencyNow());
  Flush();
  if (state_ == State::kClosing || writing_) return;
  if (yielded) {
    // Let other connections of this worker run, then continue (memcached's -R).
    if (budget == 0) executor_->stats()->conn_yields.Add();
    resume_ = true;
    event_active(read_event_.get(), EV_READ, 1);
  } else if (transport_->HasBufferedInput() && !read_wants_write_) {
    // Input no readable event will announce (the rest of a TLS record).
    event_active(read_event_.get(), EV_READ, 1);
  }
}

void Connection::HandleWrite() {
  Flush();
  if (writing_ || state_ == State::kClosing) return;
  // The socket drained: resume whatever input was held back.
  ProcessAndFlush();
  ShrinkBuffer();
}

Connection::Room Connection::MakeRoom() {
  if (buffer_ == nullptr) {
    buffer_ = owner_->read_buffers().Take(net_.read_buf_mem_limit);
    if (buffer_ == nullptr) return Room::kOutOfMemory;
    capacity_ = ReadBuffers::kSize;
    return Room::kOk;
  }
  if (end_ < capacity_) return Room::kOk;
  if (start_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + start_, buffered());
    end_ -= start_;
    start_ = 0;
    return Room::kOk;
  }
  // The whole buffer is one unfinished line (a long multiget): grow it.
  if (capacity_ >= kMaxBuffer) return Room::kTooLong;
  const size_t grown = std::min(capacity_ * 2, kMaxBuffer);
  const uint64_t limit = net_.read_buf_mem_limit;
  if (limit > 0 &&
      server_stats_->read_buf_bytes.load(std::memory_order_relaxed) + grown - capacity_ > limit) {
    return Room::kOutOfMemory;
  }
  ResizeBuffer(grown);
  return Room::kOk;
}

bool Connection::ReadOnce(bool* drained) {
  // Value bytes go straight into item memory, a piece at a time.
  const bool into_item = state_ == State::kValue && buffered() == 0;
  char* dest;
  size_t wanted;
  if (into_item) {
    const auto [piece, room] = carry_.pending.WritableAt(value_offset_);
    dest = piece;
    wanted = std::min(value_remaining_, room);
  } else {
    if (buffered() == 0) start_ = end_ = 0;
    switch (MakeRoom()) {
      case Room::kOk:
        break;
      case Room::kTooLong:
        LOG(WARNING) << "closing a connection whose request line outgrew " << kMaxBuffer
                     << " bytes";
        return false;
      case Room::kOutOfMemory:
        // -o read_buf_mem_limit: memcached's reply, then the connection goes.
        server_stats_->read_buf_oom.fetch_add(1, std::memory_order_relaxed);
        output_.Append(proto::ErrorText(proto::ReplyError::kReadBufferFull));
        state_ = State::kClosing;
        *drained = true;
        return true;
    }
    dest = buffer_.get() + end_;
    wanted = capacity_ - end_;
  }
  const IoResult result = transport_->Read(dest, wanted);
  switch (result.status) {
    case IoStatus::kOk:
      break;
    case IoStatus::kWantWrite:
      read_wants_write_ = true;
      [[fallthrough]];
    case IoStatus::kWantRead:
      *drained = true;
      return true;
    case IoStatus::kClosed:
      return false;
    case IoStatus::kError:
      close_reason_ = proto::CloseReason::kError;
      return false;
  }
  if (into_item) {
    value_offset_ += result.bytes;
    value_remaining_ -= result.bytes;
  } else {
    end_ += result.bytes;
  }
  executor_->stats()->bytes_read.Add(result.bytes);
  *drained = result.bytes < wanted;
  return true;
}

bool Connection::Process(uint32_t* budget) {
  executor_->set_client_fd(fd_.get());
  while (state_ != State::kClosing && !writing_) {
    if (session_.stream) {
      // A long reply (lru_crawler metadump) goes out as the client takes it;
      // later requests wait for its end.
      if (output_.queued_bytes() > kMaxQueuedOutput) return true;
      if (!session_.stream->Produce(output_.text())) session_.stream.reset();
      continue;
    }
    if (state_ == State::kValue) {
      // Reads straight into the item leave nothing buffered (and no buffer).
      const size_t take = std::min(buffered(), value_remaining_);
      if (take > 0) {
        carry_.pending.Write(value_offset_, {buffer_.get() + start_, take});
        value_offset_ += take;
        value_remaining_ -= take;
        start_ += take;
      }
      if (value_remaining_ > 0) return false;
      FinishValue();
      continue;
    }
    if (state_ == State::kSwallow) {
      const size_t take = std::min(buffered(), swallow_remaining_);
      start_ += take;
      swallow_remaining_ -= take;
      if (swallow_remaining_ > 0) return false;
      state_ = State::kCommand;
      continue;
    }
    if (paused_) {
      if (output_.footprint() > ReplyCap()) return true;
      ResumeRetrieval();
      continue;
    }
    if (buffered() == 0) return false;
    if (*budget == 0 || output_.footprint() > ReplyCap()) return true;
    if (!ProcessCommand()) return false;
    --*budget;
  }
  return false;
}

bool Connection::ProcessCommand() {
  if (!protocol_checked_) {
    // memcached's -B: auto picks binary when the first byte is its magic.
    protocol_checked_ = true;
    binary_ = net_.protocol == BindingProtocol::kBinary ||
              (net_.protocol == BindingProtocol::kAuto &&
               static_cast<uint8_t>(buffer_[start_]) == kBinaryMagic);
  }
  if (!binary_ && ascii_auth_ != nullptr && !session_.authenticated) return ProcessAsciiAuth();
  const std::string_view input(buffer_.get() + start_, buffered());
  DispatchResult result =
      binary_ ? DispatchBinary(*executor_, input, session_, net_.sasl, &output_, &carry_, fd_.get())
              : DispatchText(*executor_, input, session_, &output_, &carry_, fd_.get(),
                             {.scanned = scanned_, .reply_cap = ReplyCap()});
  using Next = DispatchResult::Next;
  if (result.next == Next::kNeedMore) {
    scanned_ = buffered();
    return false;
  }
  scanned_ = 0;
  if (result.next == Next::kPaused) {
    // The line stays buffered until its last key has run.
    const std::string_view keys = carry_.paused.keys;
    carry_.paused.key = carry_.paused.keys = carry_.paused.args = {};
    const auto keys_begin = static_cast<size_t>(keys.data() - input.data());
    paused_ = std::make_unique<PausedRetrieval>(PausedRetrieval{
        carry_.paused, keys_begin, keys_begin + keys.size(), result.consumed, arrival_ns_});
    return true;
  }
  start_ += result.consumed;
  if (result.next != Next::kValue && result.next != Next::kAbort) {
    ReplyQueued(result.command, arrival_ns_);
  }
  if (session_.watch_kinds != 0) {
    BecomeWatcher();
    return state_ != State::kClosing;
  }
  switch (result.next) {
    case Next::kNeedMore:
    case Next::kPaused:
      return false;
    case Next::kContinue:
      return true;
    case Next::kValue:
      // Value bytes go straight into item memory (see ReadOnce).
      pending_command_ = result.command;
      value_offset_ = 0;
      value_remaining_ = result.block;
      state_ = State::kValue;
      return true;
    case Next::kSwallow:
      swallow_remaining_ = result.block;
      state_ = State::kSwallow;
      return true;
    case Next::kClose:
    case Next::kAbort:
      state_ = State::kClosing;
      return false;
  }
  return false;
}

bool Connection::ProcessAsciiAuth() {
  const proto::AsciiAuthRequest auth =
      proto::ParseAsciiAuth(std::string_view(buffer_.get() + start_, buffered()));
  switch (auth.status) {
    case proto::AsciiAuthRequest::Status::kNeedMore:
      return false;
    case proto::AsciiAuthRequest::Status::kClose:
      state_ = State::kClosing;
      return false;
    case proto::AsciiAuthRequest::Status::kError:
      output_.Append(proto::ErrorText(auth.error));
      break;
    case proto::AsciiAuthRequest::Status::kCredentials:
      executor_->stats()->auth_cmds.Add();
      if (ascii_auth_->Check(auth.user, auth.password)) {
        session_.authenticated = true;
        output_.Append(proto::kStored);
      } else {
        executor_->stats()->auth_errors.Add();
        output_.Append(proto::ErrorText(proto::ReplyError::kAsciiAuthFailure));
      }
      break;
  }
  start_ += auth.consumed;
  return true;
}

void Connection::ResumeRetrieval() {
  PausedRetrieval& paused = *paused_;
  const char* line = buffer_.get() + start_;
  paused.request.keys =
      std::string_view(line + paused.keys_begin, paused.keys_end - paused.keys_begin);
  DispatchResult result =
      slabcached::ResumeRetrieval(*executor_, paused.request, &output_, &carry_, ReplyCap());
  if (result.next == DispatchResult::Next::kPaused) {
    paused.keys_begin = static_cast<size_t>(carry_.paused.keys.data() - line);
    return;
  }
  start_ += paused.line_bytes;
  ReplyQueued(paused.request.command, paused.arrival_ns);
  paused_.reset();
}

void Connection::FinishValue() {
  std::move(carry_.pending).Complete(&output_);
  carry_.pending = StoreContinuation();
  state_ = State::kCommand;
  ReplyQueued(pending_command_, arrival_ns_);
}

void Connection::ReplyQueued(proto::Command command, uint64_t arrival_ns) {
  executor_->stats()->latency.Count(command);
  if (arrival_ns == 0) return;  // an untimed batch, or -o no_latency
  unwritten_.push_back({command, arrival_ns});
}

void Connection::RepliesQueued(uint64_t now) {
  WorkerLatency& latency = executor_->stats()->latency;
  for (; queued_timed_ < unwritten_.size(); ++queued_timed_) {
    const Unwritten& reply = unwritten_[queued_timed_];
    latency.Record(reply.command, LatencyStage::kQueued, now - reply.arrival_ns);
  }
}

void Connection::RepliesWritten() {
  if (unwritten_.empty()) return;
  const uint64_t now = LatencyNow();  // one clock read per completed write
  // None left untimed unless a write completed mid-batch.
  if (queued_timed_ < unwritten_.size()) RepliesQueued(now);
  WorkerLatency& latency = executor_->stats()->latency;
  for (const Unwritten& reply : unwritten_) {
    latency.Record(reply.command, LatencyStage::kWritten, now - reply.arrival_ns);
  }
  unwritten_.clear();
  queued_timed_ = 0;
}

void Connection::Flush() {
  if (became_watcher_) return;  // the socket is the logger's now
  OutputQueue::FlushStatus status = OutputQueue::FlushStatus::kDone;
  if (!output_.empty()) {
    size_t written = 0;
    status = output_.Flush(*transport_, &written);
    executor_->stats()->bytes_written.Add(written);
  }
  switch (status) {
    case OutputQueue::FlushStatus::kDone:
      RepliesWritten();
      // Reading resumes (unless a TLS read is waiting to write first).
      writing_ = false;
      Arm(read_wants_write_ ? EV_WRITE : EV_READ);
      break;
    case OutputQueue::FlushStatus::kWantWrite:
      // Stop reading until the client takes its replies (backpressure).
      writing_ = true;
      Arm(EV_WRITE);
      break;
    case OutputQueue::FlushStatus::kWantRead:
      writing_ = true;
      Arm(EV_READ);
      break;
    case OutputQueue::FlushStatus::kError:
      close_reason_ = proto::CloseReason::kError;
      output_ = OutputQueue();
      unwritten_.clear();
      queued_timed_ = 0;
      state_ = State::kClosing;
      break;
  }
}

void Connection::BecomeWatcher() {
  const uint32_t kinds = std::exchange(session_.watch_kinds, 0);
  if (!output_.empty()) {
    // Replies of earlier requests would be lost to the watcher's stream.
    output_.Append(proto::ErrorText(proto::ReplyError::kWatchPipelined));
    return;
  }
  Logger* logger = executor_->events().logger();
  if (logger == nullptr || dynamic_cast<SocketTransport*>(transport_.get()) == nullptr) {
    output_.Append(proto::ErrorText(proto::ReplyError::kWatcherFailed));  // TLS: not a plain socket
    return;
  }
  Arm(0);  // the socket is no longer this worker's to watch
  const int fd = fd_.get();
  // A watcher stays in `stats conns` (conn_watch) until the logger drops it:
  // from here its entry is the logger's, and this connection leaves it alone.
  ConnEntry* entry = std::exchange(entry_, nullptr);
  if (entry != nullptr) entry->state.store(ConnState::kWatch, std::memory_order_relaxed);
  published_state_ = ConnState::kWatch;  // a refused watcher publishes its state again
  std::function<void()> closed;
  if (registry_ != nullptr) closed = [registry = registry_, fd] { registry->Remove(fd); };
  if (logger->AddWatcher(&fd_, kinds, std::move(closed)) == Logger::AddResult::kTooMany) {
    entry_ = entry;  // refused: still ours
    Arm(EV_READ);
    output_.Append(proto::ErrorText(proto::ReplyError::kWatcherTooMany));
    return;
  }
  VLOG(2) << "<" << fd << " became a watcher";
  became_watcher_ = true;
  state_ = State::kClosing;  // nothing queued: done() now, and the owner drops us
}

void Connection::Publish() {
  if (entry_ == nullptr) return;
  ConnState state = ConnState::kRead;
  if (writing_) {
    state = ConnState::kWrite;
  } else if (state_ == State::kValue) {
    state = ConnState::kNread;
  } else if (state_ == State::kSwallow) {
    state = ConnState::kSwallow;
  } else if (state_ == State::kClosing) {
    state = ConnState::kClosing;
  }
  // The entry is another allocation, cold when many connections take
  // turns: written only when this event changed what it shows.
  if (state != published_state_) {
    entry_->state.store(state, std::memory_order_relaxed);
    published_state_ = state;
  }
  if (last_active_ != published_last_cmd_) {
    entry_->last_cmd.store(last_active_, std::memory_order_relaxed);
    published_last_cmd_ = last_active_;
  }
}

void Connection::FlushPending() {
  size_t written = 0;
  output_.Flush(*transport_, &written);
}

}  // namespace slabcached
