// The wire side of the executor: one small interface per protocol.
//
// The executor decides what happened (store calls, counters, which outcome
// a request gets); a Responder only encodes that outcome for its protocol
// into the connection's OutputQueue, and applies the protocol's reply
// suppression: text "noreply" silences every reply of the line, binary
// "quiet" opcodes silence success replies and get misses only (errors are
// always sent). A Responder is made per request (it is cheap) and knows the
// request it answers (binary: opcode and opaque to echo).
#pragma once

#include <cstdint>
#include <string_view>

#include "proto/binary_encoder.h"
#include "proto/request.h"
#include "slabs/item_handle.h"
#include "src/output_queue.h"
#include "src/stats.h"

namespace slabcached {

// Outcomes that are errors on the wire.
enum class Failure : uint8_t {
  kNotFound,            // NOT_FOUND / 0x01 "Not found"
  kExists,              // EXISTS / 0x02
  kTooLarge,            // SERVER_ERROR object too large for cache / 0x03
  kOutOfMemoryStoring,  // SERVER_ERROR out of memory storing object / 0x82
  kOutOfMemory,         // SERVER_ERROR out of memory / 0x82
  kNonNumeric,          // CLIENT_ERROR cannot increment or decrement ... / 0x06
  kBadDataChunk,        // CLIENT_ERROR bad data chunk (text only)
  kUnknownCommand,      // ERROR / 0x81
  kInvalidArguments,    // (binary only) 0x04
  kFlushDisabled,       // CLIENT_ERROR flush_all not allowed / 0x20 "Auth failure."
  kAuthError,           // (binary only) 0x20 "Auth failure."
};

class Responder : public StatSink {
 public:
  // Retrieval: one Value() per hit (key as requested), Miss() per miss,
  // then EndValues().
  virtual void Value(std::string_view key, slabs::ItemHandle item, bool with_cas) = 0;
  virtual void Miss(std::string_view key) = 0;
  virtual void EndValues() = 0;

  virtual void Stored(uint64_t cas) = 0;
  // The store refused to link a filled item. Text names the reason
  // (NOT_STORED / SERVER_ERROR ...); binary answers by command whatever the
  // reason, as memcached does (add: 0x02, replace: 0x01, others: 0x05).
  enum class NotStoredReason : uint8_t { kNotStored, kTooLarge, kNoMemory };
  virtual void NotStored(NotStoredReason why) = 0;
  virtual void Deleted() = 0;
  virtual void Touched(const slabs::ItemHandle& item) = 0;
  virtual void Number(uint64_t value, uint64_t cas) = 0;  // incr/decr result
  virtual void Ok() = 0;                                  // flush, verbosity, noop
  virtual void Version(std::string_view version) = 0;
  virtual void Fail(Failure failure) = 0;
  // Quit: text says nothing; binary Quit answers before the close.
  virtual void Goodbye() = 0;

  // Stats: Stat() pairs (StatSink), then EndStats(). StatsReset() answers
  // "stats reset"; UnknownStatsGroup() a group the server does not have.
  virtual void EndStats() = 0;
  virtual void StatsReset() = 0;
  virtual void UnknownStatsGroup() = 0;

  // Binary SASL replies.
  virtual void Authenticated() = 0;
  virtual void Mechanisms(std::string_view list) = 0;

  // A reply line of a text-only command (slabs, cache_memlimit, shutdown),
  // "\r\n" included.
  virtual void TextLine(std::string_view line) = 0;
  // A meta-protocol reply (text only): the line, "\r\n" included, then the
  // value of `value` (with its "\r\n") when it holds an item.
  virtual void MetaReply(std::string_view line, slabs::ItemHandle value) = 0;
};

class TextResponder final : public Responder {
 public:
  TextResponder(const proto::Request& request, OutputQueue* out)
      : out_(out), silent_(request.noreply) {}

  void Value(std::string_view key, slabs::ItemHandle item, bool with_cas) override;
  void Miss(std::string_view) override { NextKey(); }
  void EndValues() override;
  void Stored(uint64_t cas) override;
  void NotStored(NotStoredReason why) override;
  void Deleted() override;
  void Touched(const slabs::ItemHandle& item) override;
  void Number(uint64_t value, uint64_t cas) override;
  void Ok() override;
  void Version(std::string_view version) override;
  void Fail(Failure failure) override;
  void Goodbye() override;
  void Stat(std::string_view name, std::string_view value) override;
  void EndStats() override;
  void StatsReset() override;
  void UnknownStatsGroup() override;
  void Authenticated() override;
  void Mechanisms(std::string_view list) override;
  void TextLine(std::string_view line) override;
  void MetaReply(std::string_view line, slabs::ItemHandle value) override;

 private:
  void Send(std::string_view bytes);
  // memcached answers each key of a get with its own response object, which
  // UDP frames separately (OutputQueue::MarkBoundary).
  void NextKey() {
    if (keys_++ > 0) out_->MarkBoundary();
  }

  OutputQueue* out_;
  bool silent_;
  uint32_t keys_ = 0;  // keys of a get answered so far
};

class BinaryResponder final : public Responder {
 public:
  BinaryResponder(const proto::Request& request, OutputQueue* out)
      : out_(out),
        to_{request.opcode, request.opaque},
        command_(request.command),
        quiet_(request.quiet),
        return_key_(request.return_key) {}

  void Value(std::string_view key, slabs::ItemHandle item, bool with_cas) override;
  void Miss(std::string_view key) override;
  void EndValues() override {}
  void Stored(uint64_t cas) override;
  void NotStored(NotStoredReason why) override;
  void Deleted() override;
  void Touched(const slabs::ItemHandle& item) override;
  void Number(uint64_t value, uint64_t cas) override;
  void Ok() override;
  void Version(std::string_view version) override;
  void Fail(Failure failure) override;
  void Goodbye() override;
  void Stat(std::string_view name, std::string_view value) override;
  void EndStats() override;
  void StatsReset() override;
  void UnknownStatsGroup() override;
  void Authenticated() override;
  void Mechanisms(std::string_view list) override;
  void TextLine(std::string_view line) override;
  void MetaReply(std::string_view, slabs::ItemHandle) override {
    Error(proto::binary::Status::kUnknownCommand);
  }

  // An error status straight from the parser (framing, unknown opcode).
  void Error(proto::binary::Status status);

 private:
  void Success(std::string_view value = {}, uint64_t cas = 0);

  OutputQueue* out_;
  proto::binary::ReplyTo to_;
  proto::Command command_;
  bool quiet_;
  bool return_key_;
};

}  // namespace slabcached
