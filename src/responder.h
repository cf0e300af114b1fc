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
#include "proto/errors.h"
#include "proto/meta_encoder.h"
#include "proto/request.h"
#include "slabs/item_handle.h"
#include "src/output_queue.h"
#include "src/stats.h"

namespace slabcached {

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
  // An error of the error table (proto/errors.h): its text line, or its
  // binary status.
  virtual void Fail(proto::ReplyError error) = 0;
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

  // Text-only replies (a binary client never sends their commands).
  // refresh_certs: why the certificates did not load.
  virtual void CertsNotReloaded(std::string_view why) = 0;
  // "stats cachedump": its lines, "\r\n" each, before the end line.
  virtual void Cachedump(std::string_view lines) = 0;

  // Meta protocol (text only). A reply to `request` with `code` and the
  // flags it asked for, then the value of `value` when it holds an item; q
  // suppresses what memcached suppresses (proto::MetaReplySuppressed).
  virtual void Meta(const proto::Request& request, proto::MetaCode code,
                    const proto::MetaItemView* item, bool created, uint64_t number,
                    slabs::ItemHandle value) = 0;
  virtual void MetaNoop() = 0;
  // "me": the item's debug line, or its miss when `item` is null.
  virtual void MetaDebug(std::string_view key, const proto::MetaDebugView* item) = 0;
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
  void Fail(proto::ReplyError error) override;
  void Goodbye() override;
  void Stat(std::string_view name, std::string_view value) override;
  void EndStats() override;
  void StatsReset() override;
  void UnknownStatsGroup() override;
  void Authenticated() override;
  void Mechanisms(std::string_view list) override;
  void CertsNotReloaded(std::string_view why) override;
  void Cachedump(std::string_view lines) override;
  void Meta(const proto::Request& request, proto::MetaCode code, const proto::MetaItemView* item,
            bool created, uint64_t number, slabs::ItemHandle value) override;
  void MetaNoop() override;
  void MetaDebug(std::string_view key, const proto::MetaDebugView* item) override;

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
  void Fail(proto::ReplyError error) override;
  void Goodbye() override;
  void Stat(std::string_view name, std::string_view value) override;
  void EndStats() override;
  void StatsReset() override;
  void UnknownStatsGroup() override;
  void Authenticated() override;
  void Mechanisms(std::string_view list) override;
  // Text-only commands never come from the binary parser.
  void CertsNotReloaded(std::string_view) override { Fail(proto::ReplyError::kUnknownCommand); }
  void Cachedump(std::string_view) override { Fail(proto::ReplyError::kUnknownCommand); }
  void Meta(const proto::Request&, proto::MetaCode, const proto::MetaItemView*, bool, uint64_t,
            slabs::ItemHandle) override {
    Fail(proto::ReplyError::kUnknownCommand);
  }
  void MetaNoop() override { Fail(proto::ReplyError::kUnknownCommand); }
  void MetaDebug(std::string_view, const proto::MetaDebugView*) override {
    Fail(proto::ReplyError::kUnknownCommand);
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
