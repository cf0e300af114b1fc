#include "src/responder.h"

#include "proto/text_encoder.h"

namespace slabcached {

namespace binary = proto::binary;
using binary::Status;

// --- text ---

void TextResponder::Send(std::string_view bytes) {
  if (!silent_) out_->Append(bytes);
}

void TextResponder::Value(std::string_view key, slabs::ItemHandle item, bool with_cas) {
  NextKey();
  proto::AppendValueHeader(out_->text(), key, item.client_flags(), item.value_length(), with_cas,
                           item.cas());
  out_->AppendValue(std::move(item));
}

void TextResponder::EndValues() { Send(proto::kEnd); }
void TextResponder::Stored(uint64_t) { Send(proto::kStored); }

void TextResponder::NotStored(NotStoredReason why) {
  switch (why) {
    case NotStoredReason::kNotStored:
      return Send(proto::kNotStored);
    case NotStoredReason::kTooLarge:
      return Send(proto::kTooLarge);
    case NotStoredReason::kNoMemory:
      return Send(proto::kOutOfMemoryStoring);
  }
}

void TextResponder::Deleted() { Send(proto::kDeleted); }
void TextResponder::Touched(const slabs::ItemHandle&) { Send(proto::kTouched); }

void TextResponder::Number(uint64_t value, uint64_t) {
  if (!silent_) proto::AppendNumberLine(out_->text(), value);
}

void TextResponder::Ok() { Send(proto::kOk); }

void TextResponder::Version(std::string_view version) {
  if (!silent_) proto::AppendVersion(out_->text(), version);
}

void TextResponder::Fail(proto::ReplyError error) { Send(proto::ErrorText(error)); }

void TextResponder::Goodbye() {}

void TextResponder::Stat(std::string_view name, std::string_view value) {
  if (!silent_) proto::AppendStat(out_->text(), name, value);
}

void TextResponder::EndStats() { Send(proto::kEnd); }
void TextResponder::StatsReset() { Send(proto::kReset); }
void TextResponder::UnknownStatsGroup() { Send(proto::kError); }
// SASL is binary-only: a text connection never gets here.
void TextResponder::Authenticated() { Send(proto::kError); }
void TextResponder::Mechanisms(std::string_view) { Send(proto::kError); }

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

void TextResponder::Meta(const proto::Request& request, proto::MetaCode code,
                         const proto::MetaItemView* item, bool created, uint64_t number,
                         slabs::ItemHandle value) {
  if (silent_ || proto::MetaReplySuppressed(request, code, created)) return;
  proto::AppendMetaReply(out_->text(), request, code, item, number);
  if (value) out_->AppendValue(std::move(value));
}

void TextResponder::MetaNoop() { Send(proto::kMetaNoopReply); }

void TextResponder::MetaDebug(std::string_view key, const proto::MetaDebugView* item) {
  if (silent_) return;
  if (item == nullptr) {
    out_->Append(proto::kMetaMissReply);
  } else {
    proto::AppendMetaDebug(out_->text(), key, *item);
  }
}

// --- binary ---

void BinaryResponder::Success(std::string_view value, uint64_t cas) {
  binary::AppendResponse(out_->text(), to_, Status::kSuccess, cas, {}, {}, value);
}

void BinaryResponder::Error(Status status) { binary::AppendError(out_->text(), to_, status); }

void BinaryResponder::Value(std::string_view key, slabs::ItemHandle item, bool) {
  // Hits are sent even for GetQ/GetKQ/GATQ/GATKQ: quiet only hides misses.
  binary::AppendValueHeader(out_->text(), to_, item.cas(), item.client_flags(),
                            return_key_ ? key : std::string_view(), item.value_length());
  out_->AppendValue(std::move(item), /*with_crlf=*/false);
}

void BinaryResponder::Miss(std::string_view key) {
  if (quiet_) return;
  if (return_key_) {
    // GetK/GATK misses carry the key instead of "Not found".
    binary::AppendResponse(out_->text(), to_, Status::kKeyNotFound, 0, {}, key, {});
  } else {
    Error(Status::kKeyNotFound);
  }
}

void BinaryResponder::Stored(uint64_t cas) {
  if (!quiet_) Success({}, cas);
}

void BinaryResponder::NotStored(NotStoredReason) {
  switch (command_) {
    case proto::Command::kAdd:
      return Error(Status::kKeyExists);
    case proto::Command::kReplace:
      return Error(Status::kKeyNotFound);
    default:
      return Error(Status::kNotStored);
  }
}

void BinaryResponder::Deleted() {
  if (!quiet_) Success();
}

void BinaryResponder::Touched(const slabs::ItemHandle& item) {
  // Touch answers with the item's flags and CAS, without the value.
  binary::AppendValueHeader(out_->text(), to_, item.cas(), item.client_flags(), {}, 0);
}

void BinaryResponder::Number(uint64_t value, uint64_t cas) {
  if (!quiet_) binary::AppendNumber(out_->text(), to_, cas, value);
}

void BinaryResponder::Ok() {
  if (!quiet_) Success();
}

void BinaryResponder::Version(std::string_view version) { Success(version); }

void BinaryResponder::Fail(proto::ReplyError error) { Error(proto::ErrorStatus(error)); }

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

}  // namespace slabcached
