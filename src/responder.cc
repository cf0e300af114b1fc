#include "src/responder.h"

#include "proto/commands.h"
#include "proto/meta_parser.h"
#include "proto/text_encoder.h"

namespace slabcached {

namespace binary = proto::binary;
using binary::Status;
using proto::ReplyError;

namespace {

// The error a failed store is on a text line (classic and meta alike).
ReplyError StoreError(StoreOutcome outcome) {
  switch (outcome) {
    case StoreOutcome::kTooLarge:
    case StoreOutcome::kLinkTooLarge:
      return ReplyError::kTooLarge;
    case StoreOutcome::kNoMemory:
    case StoreOutcome::kLinkNoMemory:
      return ReplyError::kOutOfMemoryStoring;
    case StoreOutcome::kExists:
      return ReplyError::kExists;
    case StoreOutcome::kNotFound:
      return ReplyError::kNotFound;
    default:
      return ReplyError::kBadDataChunk;
  }
}

// The error a failed incr/decr is (classic text and binary).
ReplyError ArithmeticError(ArithmeticOutcome outcome) {
  switch (outcome) {
    case ArithmeticOutcome::kNotFound:
      return ReplyError::kNotFound;
    case ArithmeticOutcome::kExists:
      return ReplyError::kExists;
    case ArithmeticOutcome::kNonNumeric:
      return ReplyError::kNonNumeric;
    default:
      return ReplyError::kOutOfMemory;
  }
}

// A classic delete that is an error on the wire (text and binary alike);
// false for a delete done, or one md alone gets (no reply).
bool DeleteError(DeleteOutcome outcome, ReplyError* error) {
  if (outcome == DeleteOutcome::kNotFound) *error = ReplyError::kNotFound;
  if (outcome == DeleteOutcome::kExists) *error = ReplyError::kExists;
  return outcome == DeleteOutcome::kNotFound || outcome == DeleteOutcome::kExists;
}

}  // namespace

// --- text ---

void TextResponder::Send(std::string_view bytes) {
  if (!silent_) out_->Append(bytes);
}

void TextResponder::Reply(RetrievalResponse r) {
  NextKey();
  if (!r.item) return;  // a miss says nothing
  proto::AppendValueHeader(out_->text(), r.key, r.item.client_flags(), r.item.value_length(),
                           r.with_cas, r.item.cas());
  out_->AppendValue(std::move(r.item));
}

void TextResponder::EndValues() { Send(proto::kEnd); }

void TextResponder::Reply(const StoreResponse& r) {
  switch (r.outcome) {
    case StoreOutcome::kStored:
      return Send(proto::kStored);
    case StoreOutcome::kNotStored:
      return Send(proto::kNotStored);
    default:
      return Fail(StoreError(r.outcome));
  }
}

void TextResponder::Reply(const DeleteResponse& r) {
  ReplyError error;
  if (DeleteError(r.outcome, &error)) return Fail(error);
  if (r.outcome == DeleteOutcome::kDeleted) Send(proto::kDeleted);
}

void TextResponder::Reply(TouchResponse r) {
  if (r.item) {
    Send(proto::kTouched);
  } else {
    Fail(ReplyError::kNotFound);
  }
}

void TextResponder::Reply(const ArithmeticResponse& r) {
  if (r.outcome != ArithmeticOutcome::kDone) return Fail(ArithmeticError(r.outcome));
  if (!silent_) proto::AppendNumberLine(out_->text(), r.value);
}

void TextResponder::Ok() { Send(proto::kOk); }

void TextResponder::Version(std::string_view version) {
  if (!silent_) proto::AppendVersion(out_->text(), version);
}

void TextResponder::Fail(ReplyError error) { Send(proto::ErrorText(error)); }

void TextResponder::Stat(std::string_view name, std::string_view value) {
  if (!silent_) proto::AppendStat(out_->text(), name, value);
}

void TextResponder::EndStats() { Send(proto::kEnd); }
void TextResponder::StatsReset() { Send(proto::kReset); }

void TextResponder::CertsNotReloaded(std::string_view why) {
  if (silent_) return;
  out_->Append(why);
  out_->Append(proto::kCrLf);
}

void TextResponder::Cachedump(std::string_view lines) {
  if (silent_) return;
  out_->Append(lines);
  out_->Append(proto::kEnd);
}

// --- meta ---

void MetaResponder::Line(proto::MetaCode code, const proto::MetaItemView* item, bool created,
                         uint64_t number, slabs::ItemHandle value) {
  if (silent_ || proto::MetaReplySuppressed(request_, code, created)) return;
  proto::AppendMetaReply(out_->text(), request_, code, item, number);
  if (value) out_->AppendValue(std::move(value));
}

void MetaResponder::Reply(const StoreResponse& r) {
  using proto::MetaCode;
  MetaCode code = MetaCode::kNS;
  switch (r.outcome) {
    case StoreOutcome::kStored:
      code = MetaCode::kHD;
      break;
    case StoreOutcome::kNotStored:
      break;
    case StoreOutcome::kExists:
      code = MetaCode::kEX;
      break;
    case StoreOutcome::kNotFound:
      code = MetaCode::kNF;
      break;
    default:
      return Fail(StoreError(r.outcome));  // even with q
  }
  proto::MetaItemView view;
  view.cas = r.cas;
  view.value_length = r.value_length;
  Line(code, &view);
}

void MetaResponder::Reply(const DeleteResponse& r) {
  using proto::MetaCode;
  switch (r.outcome) {
    case DeleteOutcome::kDeleted:
    case DeleteOutcome::kInvalidated:
      return Line(MetaCode::kHD, nullptr);
    case DeleteOutcome::kNotFound:
      return Line(MetaCode::kNF, nullptr);
    case DeleteOutcome::kExists:
      return Line(MetaCode::kEX, nullptr);
    case DeleteOutcome::kNotStored:
      return Line(MetaCode::kNS, nullptr);
  }
}

void MetaResponder::Reply(const ArithmeticResponse& r) {
  using proto::MetaCode;
  switch (r.outcome) {
    case ArithmeticOutcome::kDone:
      return Line(request_.meta.Has('v') ? MetaCode::kVA : MetaCode::kHD, &r.item, r.item.created,
                  r.value);
    case ArithmeticOutcome::kNotFound:
      return Line(MetaCode::kNF, nullptr);
    case ArithmeticOutcome::kExists:
      return Line(MetaCode::kEX, nullptr);
    case ArithmeticOutcome::kNonNumeric:
      return Fail(ReplyError::kNonNumeric);
    case ArithmeticOutcome::kNoMemory:
      return Fail(ReplyError::kOutOfMemory);
    case ArithmeticOutcome::kNoMemoryCreating:
      return Fail(ReplyError::kOutOfMemoryAllocating);
  }
}

void MetaResponder::Reply(MetaGetResponse r) {
  using proto::MetaCode;
  if (!r.item) return Line(MetaCode::kEN, nullptr);
  if (!request_.meta.Has('v')) return Line(MetaCode::kHD, &r.view, r.view.created);
  Line(MetaCode::kVA, &r.view, r.view.created, 0, std::move(r.item));
}

void MetaResponder::Reply(const MetaDebugResponse& r) {
  if (silent_) return;
  if (r.found) {
    proto::MetaKeyBuffer scratch;  // a base64 key (b) is printed from its bytes
    proto::AppendMetaDebug(out_->text(), proto::MetaKey(request_, &scratch), r.view);
  } else {
    out_->Append(proto::kMetaMissReply);
  }
}

void MetaResponder::Ok() {
  if (!silent_) out_->Append(proto::kMetaNoopReply);
}

void MetaResponder::Fail(ReplyError error) {
  if (!silent_) out_->Append(proto::ErrorText(error));
}

// --- binary ---

void BinaryResponder::Success(std::string_view value, uint64_t cas) {
  binary::AppendResponse(out_->text(), to_, Status::kSuccess, cas, {}, {}, value);
}

void BinaryResponder::Error(Status status) { binary::AppendError(out_->text(), to_, status); }

void BinaryResponder::Reply(RetrievalResponse r) {
  if (r.item) {
    // Hits are sent even for GetQ/GetKQ/GATQ/GATKQ: quiet only hides misses.
    binary::AppendValueHeader(out_->text(), to_, r.item.cas(), r.item.client_flags(),
                              return_key_ ? r.key : std::string_view(), r.item.value_length());
    out_->AppendValue(std::move(r.item), /*with_crlf=*/false);
  } else if (quiet_) {
    return;
  } else if (return_key_) {
    // GetK/GATK misses carry the key instead of "Not found".
    binary::AppendResponse(out_->text(), to_, Status::kKeyNotFound, 0, {}, r.key, {});
  } else {
    Error(Status::kKeyNotFound);
  }
}

void BinaryResponder::NotStored() {
  switch (command_) {
    case proto::Command::kAdd:
      return Error(Status::kKeyExists);
    case proto::Command::kReplace:
      return Error(Status::kKeyNotFound);
    default:
      return Error(Status::kNotStored);
  }
}

void BinaryResponder::Reply(const StoreResponse& r) {
  switch (r.outcome) {
    case StoreOutcome::kStored:
      if (!quiet_) Success({}, r.cas);
      return;
    case StoreOutcome::kNotStored:
    case StoreOutcome::kLinkTooLarge:
    case StoreOutcome::kLinkNoMemory:
      return NotStored();
    default:
      return Fail(StoreError(r.outcome));
  }
}

void BinaryResponder::Reply(const DeleteResponse& r) {
  ReplyError error;
  if (DeleteError(r.outcome, &error)) return Fail(error);
  if (r.outcome == DeleteOutcome::kDeleted && !quiet_) Success();
}

void BinaryResponder::Reply(TouchResponse r) {
  if (!r.item) return Fail(ReplyError::kNotFound);
  // Touch answers with the item's flags and CAS, without the value.
  binary::AppendValueHeader(out_->text(), to_, r.item.cas(), r.item.client_flags(), {}, 0);
}

void BinaryResponder::Reply(const ArithmeticResponse& r) {
  if (r.outcome != ArithmeticOutcome::kDone) return Fail(ArithmeticError(r.outcome));
  if (!quiet_) binary::AppendNumber(out_->text(), to_, r.item.cas, r.value);
}

void BinaryResponder::Ok() {
  if (!quiet_) Success();
}

void BinaryResponder::Version(std::string_view version) { Success(version); }

void BinaryResponder::Fail(ReplyError error) { Error(proto::ErrorStatus(error)); }

void BinaryResponder::Goodbye() {
  if (!quiet_) Success();
}

void BinaryResponder::Stat(std::string_view name, std::string_view value) {
  binary::AppendStat(out_->text(), to_.opaque, name, value);
}

void BinaryResponder::EndStats() { binary::AppendStat(out_->text(), to_.opaque, {}, {}); }
void BinaryResponder::StatsReset() { EndStats(); }
void BinaryResponder::UnknownStatsGroup() { Error(Status::kKeyNotFound); }
void BinaryResponder::Authenticated() { Success("Authenticated"); }
void BinaryResponder::Mechanisms(std::string_view list) { Success(list); }

// --- the request's composer ---

namespace {

using AnyComposer = std::variant<TextResponder, MetaResponder, BinaryResponder>;

AnyComposer MakeComposer(const proto::Request& request, OutputQueue* out) {
  if (request.binary) return AnyComposer(std::in_place_type<BinaryResponder>, request, out);
  if (proto::InfoOf(request.command).Has(proto::kMeta)) {
    return AnyComposer(std::in_place_type<MetaResponder>, request, out);
  }
  return AnyComposer(std::in_place_type<TextResponder>, request, out);
}

}  // namespace

ComposerFor::ComposerFor(const proto::Request& request, OutputQueue* out)
    : composer_(MakeComposer(request, out)),
      active_(std::visit([](Responder& r) { return &r; }, composer_)) {}

}  // namespace slabcached
