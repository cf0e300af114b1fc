// A connection's pending replies: encoded text plus item values, flushed
// with as few writes as possible through the connection's Transport (one
// sendmsg() for plain sockets). A value over kMaxCopiedValue bytes, and
// every value of a datagram (UDP) reply, is sent straight from item memory
// (the ItemHandle keeps it alive until it is written); a smaller one is
// copied into the text.
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

  // Values up to this many bytes are copied: a pipelined batch of small
  // gets then leaves in one iovec instead of two per value, which cut the
  // server's kernel time per get by ~7% (text, 100-byte values, pipeline
  // 16), and the item is released at once, not pinned until the write.
  // At 1 KB the copy costs user time what it saves the kernel (CPU per get
  // 1.000 of not copying, scripts/bench/throughput --data-size 1024).
  static constexpr size_t kMaxCopiedValue = 512;

  // Queues the item's value and its "\r\n" (or, with with_crlf false, the
  // value alone: binary replies): copied when small, else by reference.
  void AppendValue(slabs::ItemHandle item, bool with_crlf = true);

  bool empty() const { return text_.size() == text_start_ && segments_.size() == next_segment_; }
  size_t pending_bytes() const;
  // Bytes queued since the last complete flush (cheap; for back-pressure).
  size_t queued_bytes() const { return text_.size() + value_bytes_; }

  // What the queue holds outside the slabs, plus the bytes of the values it
  // pins inside them: the figure connections cap (cheap).
  size_t footprint() const {
    return queued_bytes() + segments_.size() * sizeof(Segment) +
           items_.size() * sizeof(slabs::ItemHandle);
  }

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
  // Moves every queued reply to the end of *dest (text copied, values still
  // by reference) and appends the recorded boundaries (offsets into what was
  // moved) to *boundaries; this queue is left empty. Only for queues never
  // flushed.
  void MoveTo(OutputQueue* dest, std::vector<size_t>* boundaries);

  // Calls fn(std::string_view) for the pieces that hold bytes [offset,
  // offset + length) of everything queued, in order (a datagram's payload).
  // Sequential calls cost O(pieces visited). Only for queues never flushed.
  template <typename Fn>
  void ForEachPieceIn(size_t offset, size_t length, Fn&& fn);

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
  // Flush() when nothing but text is queued (no value segments: the usual
  // case, small values being copied): text_ goes out from segment_offset_
  // without a segment list.
  FlushStatus FlushText(Transport& transport, size_t* written);
  std::string_view Bytes(const Segment& segment) const;
  void Clear();

  std::string text_;
  size_t text_start_ = 0;  // start of the text not yet in a segment
  std::vector<Segment> segments_;
  std::vector<slabs::ItemHandle> items_;
  size_t value_bytes_ = 0;     // total size of the queued values
  size_t next_segment_ = 0;    // first segment not fully written
  size_t segment_offset_ = 0;  // bytes of segments_[next_segment_] already written
                               // (of text_ while segments_ is empty)
  bool framed_ = false;
  std::vector<size_t> boundaries_;  // framed only: see MarkBoundary()
  // ForEachPieceIn's cursor: the segment it last started in, and the offset
  // of that segment's first byte.
  size_t cursor_segment_ = 0;
  size_t cursor_offset_ = 0;
};

template <typename Fn>
void OutputQueue::ForEachPieceIn(size_t offset, size_t length, Fn&& fn) {
  CloseTextRun();
  if (offset < cursor_offset_) cursor_segment_ = cursor_offset_ = 0;
  while (length > 0 && cursor_segment_ < segments_.size()) {
    const std::string_view bytes = Bytes(segments_[cursor_segment_]);
    if (offset >= cursor_offset_ + bytes.size()) {
      cursor_offset_ += bytes.size();
      ++cursor_segment_;
      continue;
    }
    const std::string_view piece = bytes.substr(offset - cursor_offset_, length);
    fn(piece);
    offset += piece.size();
    length -= piece.size();
  }
}

}  // namespace slabcached
