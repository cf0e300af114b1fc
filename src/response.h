// What the executor decided for one request, pure of wire format: one small
// value per command family (Pelikan's `struct response`). The executor's
// verbs return these; the connection's composer (src/responder.h: text,
// meta or binary) alone turns them into bytes, chooses the error line or
// status, and applies the protocol's reply suppression.
//
// Cheap by design: plain enums and numbers, an ItemHandle where the reply
// carries the item; nothing allocates.
#pragma once

#include <cstdint>
#include <string_view>

#include "proto/meta_encoder.h"
#include "slabs/item_handle.h"

namespace slabcached {

// One key of a retrieval (get/gets/gat/gats, binary Get*/GAT*).
struct RetrievalResponse {
  std::string_view key;         // as requested
  slabs::ItemHandle item = {};  // empty: a miss
  bool with_cas = false;        // gets/gats
};

// A storage command (set/add/replace/append/prepend/cas, ms, binary stores).
enum class StoreOutcome : uint8_t {
  kStored,
  kNotStored,  // the mode's condition failed (add on a hit, replace on a miss, ...)
  kExists,     // CAS mismatch
  kNotFound,   // CAS on a missing key
  // No item could be allocated for the data block (answered before it is read).
  kTooLarge,
  kNoMemory,
  // The filled item could not be linked (append/prepend outgrew a chunk, or
  // memory ran out): text says why, binary answers as for kNotStored.
  kLinkTooLarge,
  kLinkNoMemory,
  kBadDataChunk,  // the data block did not end in "\r\n"
};
struct StoreResponse {
  StoreOutcome outcome = StoreOutcome::kStored;
  uint64_t cas = 0;           // the stored item's
  uint32_t value_length = 0;  // ms: the data block's length (meta s flag)
};

// delete, md, binary Delete.
enum class DeleteOutcome : uint8_t {
  kDeleted,
  kInvalidated,  // md I: marked stale instead
  kNotFound,
  kExists,     // CAS mismatch
  kNotStored,  // md: nothing to do (memcached's NS)
};
struct DeleteResponse {
  DeleteOutcome outcome = DeleteOutcome::kDeleted;
};

// touch, binary Touch: the touched item (binary answers with its flags and
// CAS); empty when the key is missing.
struct TouchResponse {
  slabs::ItemHandle item;
};

// incr/decr, ma, binary Increment/Decrement.
enum class ArithmeticOutcome : uint8_t {
  kDone,  // `value` is the new value (the initial one when `item.created`)
  kNotFound,
  kExists,  // CAS mismatch
  kNonNumeric,
  kNoMemory,
  kNoMemoryCreating,  // as kNoMemory, with a missing key to create asked for
};
struct ArithmeticResponse {
  ArithmeticOutcome outcome = ArithmeticOutcome::kDone;
  uint64_t value = 0;
  // kDone: the item after the change (cas; for ma also its TTLs and
  // whether N created it).
  proto::MetaItemView item = {};
};

// mg: the item (empty: a miss) and what meta's return flags print of it.
struct MetaGetResponse {
  slabs::ItemHandle item;
  proto::MetaItemView view;
};

// me: the item's debug facts; `found` false for a miss. (The composer
// prints the key from the request.)
struct MetaDebugResponse {
  bool found = false;
  proto::MetaDebugView view;
};

}  // namespace slabcached
