// The composers: one per protocol (text, meta, binary; UDP reuses text),
// each turning the executor's typed results (src/response.h) into its
// protocol's bytes in the connection's OutputQueue. The executor decides
// what happened (store calls, counters, outcomes); only a composer knows
// the wire: the reply lines, which error of the table (proto/errors.h) an
// outcome is, and the protocol's reply suppression (text "noreply"
// silences every reply of the line; meta q hides what memcached hides;
// binary "quiet" opcodes silence success replies and get misses only,
// errors are always sent). A composer is made per request (it is cheap)
// and knows the request it answers (binary: opcode and opaque to echo;
// meta: the flags to echo). ComposerFor picks the request's one.
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>

#include "proto/binary_encoder.h"
#include "proto/errors.h"
#include "proto/meta_encoder.h"
#include "proto/request.h"
#include "slabs/item_handle.h"
#include "src/output_queue.h"
#include "src/response.h"
#include "src/stats.h"

namespace slabcached {

class Responder : public StatSink {
 public:
  // The data path. A protocol without the command answers kUnknownCommand
  // (its parser never produces it).
  // Retrieval: one Reply() per key, then EndValues().
  virtual void Reply(RetrievalResponse) { Unknown(); }
  virtual void EndValues() {}
  virtual void Reply(const StoreResponse& r) = 0;
  virtual void Reply(const DeleteResponse& r) = 0;
  virtual void Reply(TouchResponse) { Unknown(); }
  virtual void Reply(const ArithmeticResponse& r) = 0;
  virtual void Reply(MetaGetResponse) { Unknown(); }
  virtual void Reply(const MetaDebugResponse&) { Unknown(); }

  // Admin commands (and the no-op: text OK, meta MN, binary success).
  virtual void Ok() = 0;
  virtual void Version(std::string_view) { Unknown(); }
  // An error of the error table (proto/errors.h): its text line, or its
  // binary status.
  virtual void Fail(proto::ReplyError error) = 0;
  // Quit: text says nothing; binary Quit answers before the close.
  virtual void Goodbye() {}

  // Stats: Stat() pairs (StatSink), then EndStats(). StatsReset() answers
  // "stats reset"; UnknownStatsGroup() a group the server does not have.
  virtual void EndStats() { Unknown(); }
  virtual void StatsReset() { Unknown(); }
  virtual void UnknownStatsGroup() { Unknown(); }

  // Binary SASL replies.
  virtual void Authenticated() { Unknown(); }
  virtual void Mechanisms(std::string_view) { Unknown(); }

  // Text-only replies. refresh_certs: why the certificates did not load.
  virtual void CertsNotReloaded(std::string_view) { Unknown(); }
  // "stats cachedump": its lines, "\r\n" each, before the end line.
  virtual void Cachedump(std::string_view) { Unknown(); }

 private:
  void Unknown() { Fail(proto::ReplyError::kUnknownCommand); }
};

// Classic text commands (and every text parse error).
class TextResponder final : public Responder {
 public:
  using Responder::Reply;  // the families this protocol lacks
  TextResponder(const proto::Request& request, OutputQueue* out)
      : out_(out), silent_(request.noreply) {}

  void Reply(RetrievalResponse r) override;
  void EndValues() override;
  void Reply(const StoreResponse& r) override;
  void Reply(const DeleteResponse& r) override;
  void Reply(TouchResponse r) override;
  void Reply(const ArithmeticResponse& r) override;
  void Ok() override;
  void Version(std::string_view version) override;
  void Fail(proto::ReplyError error) override;
  void Stat(std::string_view name, std::string_view value) override;
  void EndStats() override;
  void StatsReset() override;
  void CertsNotReloaded(std::string_view why) override;
  void Cachedump(std::string_view lines) override;

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

// The meta commands (mg ms md ma mn me), on text connections.
class MetaResponder final : public Responder {
 public:
  using Responder::Reply;  // the families this protocol lacks
  MetaResponder(const proto::Request& request, OutputQueue* out)
      : request_(request), out_(out), silent_(request.noreply) {}

  void Reply(const StoreResponse& r) override;
  void Reply(const DeleteResponse& r) override;
  void Reply(const ArithmeticResponse& r) override;
  void Reply(MetaGetResponse r) override;
  void Reply(const MetaDebugResponse& r) override;
  void Ok() override;  // mn
  void Fail(proto::ReplyError error) override;
  void Stat(std::string_view, std::string_view) override {
    Fail(proto::ReplyError::kUnknownCommand);
  }

 private:
  // The reply line of `code`, with the flags asked for, and the value of
  // `value` when it holds an item.
  void Line(proto::MetaCode code, const proto::MetaItemView* item, bool created = false,
            uint64_t number = 0, slabs::ItemHandle value = {});

  const proto::Request& request_;
  OutputQueue* out_;
  bool silent_;
};

class BinaryResponder final : public Responder {
 public:
  using Responder::Reply;  // the families this protocol lacks
  BinaryResponder(const proto::Request& request, OutputQueue* out)
      : out_(out),
        to_{request.opcode, request.opaque},
        command_(request.command),
        quiet_(request.quiet),
        return_key_(request.return_key) {}

  void Reply(RetrievalResponse r) override;
  void Reply(const StoreResponse& r) override;
  void Reply(const DeleteResponse& r) override;
  void Reply(TouchResponse r) override;
  void Reply(const ArithmeticResponse& r) override;
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

  // An error status straight from the parser (framing, unknown opcode).
  void Error(proto::binary::Status status);

 private:
  void Success(std::string_view value = {}, uint64_t cas = 0);
  // A store the store refused: binary answers by command whatever the
  // reason, as memcached does (add: 0x02, replace: 0x01, others: 0x05).
  void NotStored();

  OutputQueue* out_;
  proto::binary::ReplyTo to_;
  proto::Command command_;
  bool quiet_;
  bool return_key_;
};

// The composer of a request's protocol, made in place (nothing allocates).
// `request` must outlive it.
class ComposerFor {
 public:
  ComposerFor(const proto::Request& request, OutputQueue* out);
  ComposerFor(const ComposerFor&) = delete;
  ComposerFor& operator=(const ComposerFor&) = delete;

  Responder& get() { return *active_; }

 private:
  std::variant<TextResponder, MetaResponder, BinaryResponder> composer_;
  Responder* active_;
};

}  // namespace slabcached
