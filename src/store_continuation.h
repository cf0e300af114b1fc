// The second half of a storage command (set/add/replace/append/prepend/cas,
// ms, binary stores): the item its data block is read into, and the request
// to answer once the block is in.
//
// The executor creates it when it has read the command line (allocating the
// item, or answering why it could not); the transport fills the item with
// the data block as the bytes arrive; Complete() links the item and answers
// in the request's protocol. A continuation dropped before Complete() (the
// client went away, a datagram ended short) frees its unlinked item.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>

#include "proto/request.h"
#include "slabs/item_handle.h"
#include "src/output_queue.h"

namespace slabcached {

class Executor;

class StoreContinuation {
 public:
  StoreContinuation() = default;  // nothing pending
  StoreContinuation(StoreContinuation&&) noexcept = default;
  StoreContinuation& operator=(StoreContinuation&&) noexcept = default;
  StoreContinuation(const StoreContinuation&) = delete;
  StoreContinuation& operator=(const StoreContinuation&) = delete;

  // False when no item could be had (the error is answered already): the
  // data block is to be read and discarded.
  bool has_item() const { return static_cast<bool>(item_); }
  // Bytes of data block that follow the command on the wire: the value,
  // and for text its "\r\n" (binary values carry none).
  size_t block_bytes() const {
    return static_cast<size_t>(request_.value_bytes) + (request_.data_crlf ? 2 : 0);
  }

  // Where data-block bytes from `offset` on go: a piece of item memory and
  // its room (a value may span several chunks).
  std::pair<char*, size_t> WritableAt(size_t offset) { return item_.WritableAt(offset); }
  void Write(size_t offset, std::string_view bytes) { item_.WriteValue(offset, bytes); }

  // Once the whole block is in: checks its end (text: "\r\n", else "bad
  // data chunk"), or, for binary, writes the "\r\n" the store keeps after
  // every value; links the item and has the request's composer answer
  // into `out`. Without an item it
  // does nothing (the error was answered when it was made).
  void Complete(OutputQueue* out) &&;

 private:
  friend class Executor;

  StoreContinuation(Executor* executor, const proto::Request& request)
      : executor_(executor), request_(request) {}

  Executor* executor_ = nullptr;
  slabs::ItemHandle item_;  // unlinked until Complete()
  // The request, to answer it after the data block (its views point into
  // `kept_` or are cleared: the input line is gone by then).
  proto::Request request_;
  // ms: the key and flag tokens the reply echoes.
  std::unique_ptr<char[]> kept_;
};

}  // namespace slabcached
