// A connection's pending replies: encoded text plus item values sent
// straight from item memory (the ItemHandle keeps each value alive until it
// is written), flushed with as few writes as possible through the
// connection's Transport (one sendmsg() for plain sockets).
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "slabs/item_handle.h"
#include "src/transport.h"

namespace slabcached {

class OutputQueue {
 public:
  // kWantWrite / kWantRead: the rest waits for that socket event.
  enum class FlushStatus { kDone, kWantWrite, kWantRead, kError };

  // Encoders append reply text here.
  std::string* text() { return &text_; }
  void Append(std::string_view bytes) { text_.append(bytes); }

  // Queues the item's value and its "\r\n" (or, with with_crlf false, the
  // value alone: binary replies) without copying them.
  void AppendValue(slabs::ItemHandle item, bool with_crlf = true);

  bool empty() const { return text_.size() == text_start_ && segments_.size() == next_segment_; }
  size_t pending_bytes() const;
  // Bytes queued since the last complete flush (cheap; for back-pressure).
  size_t queued_bytes() const { return text_.size() + value_bytes_; }

  // Writes as much as the transport takes. `*written` receives the byte count.
  FlushStatus Flush(Transport& transport, size_t* written);

  // Datagram transports (UDP) frame each of memcached's response objects on
  // its own: a queue made with set_framed(true) records where one starts
  // inside a command's reply (each key of a multi-key get after the first).
  // Elsewhere MarkBoundary() does nothing.
  void set_framed(bool framed) { framed_ = framed; }
  void MarkBoundary() {
    if (framed_) boundaries_.push_back(queued_bytes());
  }
  // Appends every queued byte to *bytes, in order, and the recorded
  // boundaries (offsets into what was appended) to *boundaries; then
  // empties the queue, releasing its items. Only for a queue never flushed.
  void DrainTo(std::string* bytes, std::vector<size_t>* boundaries);

 private:
  // Bytes to send: a run of text_, or a piece of an item's value (one per
  // value; several for a value chained across slab chunks).
  struct Segment {
    std::string_view value;  // for value pieces: item memory held by items_[item]
    size_t text_begin = 0;   // for text segments: [text_begin, text_end) of text_
    size_t text_end = 0;
    size_t item = SIZE_MAX;  // for the last piece of a value: index into items_
  };

  void CloseTextRun();
  std::string_view Bytes(const Segment& segment) const;
  void Clear();

  std::string text_;
  size_t text_start_ = 0;  // start of the text not yet in a segment
  std::vector<Segment> segments_;
  std::vector<slabs::ItemHandle> items_;
  size_t value_bytes_ = 0;     // total size of the queued values
  size_t next_segment_ = 0;    // first segment not fully written
  size_t segment_offset_ = 0;  // bytes of segments_[next_segment_] already written
  bool framed_ = false;
  std::vector<size_t> boundaries_;  // framed only: see MarkBoundary()
};

}  // namespace slabcached
