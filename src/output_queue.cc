#include "src/output_queue.h"

#include <limits.h>

#include <algorithm>

namespace slabcached {
namespace {

// Text buffers above this are released after a flush (a big "stats" reply
// must not pin memory for the life of the connection).
constexpr size_t kMaxRetainedText = 64 * 1024;

// What a write's status means for the flush: kDone when the bytes went
// out and flushing goes on.
OutputQueue::FlushStatus AfterWrite(IoStatus status) {
  switch (status) {
    case IoStatus::kOk:
      return OutputQueue::FlushStatus::kDone;
    case IoStatus::kWantWrite:
      return OutputQueue::FlushStatus::kWantWrite;
    case IoStatus::kWantRead:
      return OutputQueue::FlushStatus::kWantRead;
    case IoStatus::kClosed:
    case IoStatus::kError:
      break;
  }
  return OutputQueue::FlushStatus::kError;
}

}  // namespace

void OutputQueue::CloseTextRun() {
  if (text_.size() > text_start_) {
    segments_.push_back({{}, text_start_, text_.size(), SIZE_MAX});
    text_start_ = text_.size();
  }
}

void OutputQueue::AppendValue(slabs::ItemHandle item, bool with_crlf) {
  if (!with_crlf && item.value_length() == 0) return;  // no empty segments: Flush needs bytes
  // A datagram reply keeps its values by reference: one request may name
  // thousands of keys, and what it holds is bounded by its datagrams.
  if (!framed_ && item.value_length() <= kMaxCopiedValue) {
    item.ForEachPiece(with_crlf, [&](std::string_view piece) { text_.append(piece); });
    return;  // `item` is released here
  }
  CloseTextRun();
  item.ForEachPiece(with_crlf, [&](std::string_view piece) {
    segments_.push_back({piece, 0, 0, SIZE_MAX});
    value_bytes_ += piece.size();
  });
  // The last piece releases the item once it is on the wire.
  segments_.back().item = items_.size();
  items_.push_back(std::move(item));
}

std::string_view OutputQueue::Bytes(const Segment& segment) const {
  if (segment.value.data() != nullptr) return segment.value;
  return std::string_view(text_).substr(segment.text_begin, segment.text_end - segment.text_begin);
}

size_t OutputQueue::pending_bytes() const {
  size_t total = text_.size() - text_start_;
  for (size_t i = next_segment_; i < segments_.size(); ++i) total += Bytes(segments_[i]).size();
  return total - segment_offset_;
}

void OutputQueue::Clear() {
  text_.clear();
  if (text_.capacity() > kMaxRetainedText) text_.shrink_to_fit();
  text_start_ = 0;
  segments_.clear();
  items_.clear();
  value_bytes_ = 0;
  next_segment_ = 0;
  segment_offset_ = 0;
  boundaries_.clear();
  cursor_segment_ = cursor_offset_ = 0;
}

void OutputQueue::MoveTo(OutputQueue* dest, std::vector<size_t>* boundaries) {
  CloseTextRun();
  dest->CloseTextRun();
  for (Segment& segment : segments_) {
    if (segment.value.data() == nullptr) {
      dest->text_.append(Bytes(segment));
      continue;
    }
    dest->CloseTextRun();
    dest->segments_.push_back({segment.value, 0, 0, SIZE_MAX});
    dest->value_bytes_ += segment.value.size();
    if (segment.item != SIZE_MAX) {
      dest->segments_.back().item = dest->items_.size();
      dest->items_.push_back(std::move(items_[segment.item]));
    }
  }
  dest->CloseTextRun();
  boundaries->insert(boundaries->end(), boundaries_.begin(), boundaries_.end());
  Clear();
}

OutputQueue::FlushStatus OutputQueue::FlushText(Transport& transport, size_t* written) {
  while (segment_offset_ < text_.size()) {
    const iovec iov = {text_.data() + segment_offset_, text_.size() - segment_offset_};
    const IoResult result = transport.Write(&iov, 1);
    if (const FlushStatus status = AfterWrite(result.status); status != FlushStatus::kDone) {
      return status;
    }
    *written += result.bytes;
    segment_offset_ += result.bytes;
  }
  Clear();
  return FlushStatus::kDone;
}

OutputQueue::FlushStatus OutputQueue::Flush(Transport& transport, size_t* written) {
  *written = 0;
  if (segments_.empty()) return FlushText(transport, written);
  CloseTextRun();
  while (next_segment_ < segments_.size()) {
    iovec iov[IOV_MAX];
    int count = 0;
    for (size_t i = next_segment_; i < segments_.size() && count < IOV_MAX; ++i) {
      std::string_view bytes = Bytes(segments_[i]);
      if (i == next_segment_) bytes.remove_prefix(segment_offset_);
      iov[count++] = {const_cast<char*>(bytes.data()), bytes.size()};
    }
    const IoResult result = transport.Write(iov, count);
    if (const FlushStatus status = AfterWrite(result.status); status != FlushStatus::kDone) {
      return status;
    }
    const size_t sent = result.bytes;
    *written += sent;
    size_t left = sent;
    while (left > 0) {
      const size_t remaining = Bytes(segments_[next_segment_]).size() - segment_offset_;
      if (left < remaining) {
        segment_offset_ += left;
        left = 0;
      } else {
        left -= remaining;
        // Release the value as soon as it is on the wire.
        if (segments_[next_segment_].item != SIZE_MAX) {
          items_[segments_[next_segment_].item] = slabs::ItemHandle();
        }
        ++next_segment_;
        segment_offset_ = 0;
      }
    }
  }
  Clear();
  return FlushStatus::kDone;
}

}  // namespace slabcached
