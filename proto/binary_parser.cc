#include "proto/binary_parser.h"

namespace slabcached::proto {
namespace {

using binary::Opcode;
using binary::Status;

// What an opcode means once its quiet flag is split off, and which body
// layout memcached accepts for it (dispatch_bin_command()).
enum class Shape : uint8_t {
  kUnknown,
  kEmpty,       // no extras, key or body (version, noop, quit, sasl list)
  kFlush,       // no key; extras 0 or 4 and nothing else
  kStore,       // extras 8, key, value (set/add/replace)
  kConcat,      // no extras, key, value (append/prepend)
  kKeyOnly,     // no extras, key, nothing else (get*, delete)
  kArithmetic,  // extras 20, key, nothing else
  kStat,        // no extras, optional key
  kTouch,       // extras 4, key (touch, gat*)
  kSasl,        // no extras, key (mechanism), data
};

struct OpcodeInfo {
  Command command = Command::kNone;
  Shape shape = Shape::kUnknown;
  bool quiet = false;
  bool return_key = false;
};

OpcodeInfo Describe(uint8_t opcode) {
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::kGet:
      return {Command::kGet, Shape::kKeyOnly};
    case Opcode::kGetQ:
      return {Command::kGet, Shape::kKeyOnly, true};
    case Opcode::kGetK:
      return {Command::kGet, Shape::kKeyOnly, false, true};
    case Opcode::kGetKQ:
      return {Command::kGet, Shape::kKeyOnly, true, true};
    case Opcode::kSet:
      return {Command::kSet, Shape::kStore};
    case Opcode::kSetQ:
      return {Command::kSet, Shape::kStore, true};
    case Opcode::kAdd:
      return {Command::kAdd, Shape::kStore};
    case Opcode::kAddQ:
      return {Command::kAdd, Shape::kStore, true};
    case Opcode::kReplace:
      return {Command::kReplace, Shape::kStore};
    case Opcode::kReplaceQ:
      return {Command::kReplace, Shape::kStore, true};
    case Opcode::kAppend:
      return {Command::kAppend, Shape::kConcat};
    case Opcode::kAppendQ:
      return {Command::kAppend, Shape::kConcat, true};
    case Opcode::kPrepend:
      return {Command::kPrepend, Shape::kConcat};
    case Opcode::kPrependQ:
      return {Command::kPrepend, Shape::kConcat, true};
    case Opcode::kDelete:
      return {Command::kDelete, Shape::kKeyOnly};
    case Opcode::kDeleteQ:
      return {Command::kDelete, Shape::kKeyOnly, true};
    case Opcode::kIncrement:
      return {Command::kIncr, Shape::kArithmetic};
    case Opcode::kIncrementQ:
      return {Command::kIncr, Shape::kArithmetic, true};
    case Opcode::kDecrement:
      return {Command::kDecr, Shape::kArithmetic};
    case Opcode::kDecrementQ:
      return {Command::kDecr, Shape::kArithmetic, true};
    case Opcode::kQuit:
      return {Command::kQuit, Shape::kEmpty};
    case Opcode::kQuitQ:
      return {Command::kQuit, Shape::kEmpty, true};
    case Opcode::kFlush:
      return {Command::kFlushAll, Shape::kFlush};
    case Opcode::kFlushQ:
      return {Command::kFlushAll, Shape::kFlush, true};
    case Opcode::kNoop:
      return {Command::kNoop, Shape::kEmpty};
    case Opcode::kVersion:
      return {Command::kVersion, Shape::kEmpty};
    case Opcode::kStat:
      return {Command::kStats, Shape::kStat};
    case Opcode::kTouch:
      return {Command::kTouch, Shape::kTouch};
    case Opcode::kGat:
      return {Command::kGat, Shape::kTouch};
    case Opcode::kGatQ:
      return {Command::kGat, Shape::kTouch, true};
    case Opcode::kGatK:
      return {Command::kGat, Shape::kTouch, false, true};
    case Opcode::kGatKQ:
      return {Command::kGat, Shape::kTouch, true, true};
    case Opcode::kSaslListMechs:
      return {Command::kSaslListMechs, Shape::kEmpty};
    case Opcode::kSaslAuth:
      return {Command::kSaslAuth, Shape::kSasl};
    case Opcode::kSaslStep:
      return {Command::kSaslStep, Shape::kSasl};
    case Opcode::kVerbosity:  // memcached does not implement it
      break;
  }
  return {};
}

// Whether the lengths fit the opcode (memcached's per-opcode checks).
bool LengthsFit(Shape shape, uint32_t extlen, uint32_t keylen, uint32_t bodylen) {
  switch (shape) {
    case Shape::kEmpty:
      return extlen == 0 && keylen == 0 && bodylen == 0;
    case Shape::kFlush:
      return keylen == 0 && bodylen == extlen && (extlen == 0 || extlen == 4);
    case Shape::kStore:
      return extlen == 8 && keylen != 0 && bodylen >= keylen + 8;
    case Shape::kConcat:
    case Shape::kSasl:
      return extlen == 0 && keylen != 0;
    case Shape::kKeyOnly:
      return extlen == 0 && keylen != 0 && bodylen == keylen;
    case Shape::kArithmetic:
      return extlen == 20 && keylen != 0 && bodylen == keylen + 20;
    case Shape::kStat:
      return extlen == 0;
    case Shape::kTouch:
      return extlen == 4 && keylen != 0;
    case Shape::kUnknown:
      break;
  }
  return false;
}

BinaryParseResult Error(Status status, size_t consumed, bool close, bool before_auth = false) {
  BinaryParseResult result;
  result.status = ParseStatus::kError;
  result.error = status;
  result.close = close;
  result.before_auth = before_auth;
  result.consumed = consumed;
  return result;
}

// The stats group a Stat key names: the key, but memcached matches
// "reset" and "settings" by prefix only.
std::string_view StatsGroup(std::string_view key) {
  for (std::string_view prefixed : {"reset", "settings"}) {
    // A view into the request (not the literal): the key stays inside the buffer.
    if (key.starts_with(prefixed)) return key.substr(0, prefixed.size());
  }
  return key;
}

}  // namespace

bool AllowedBeforeAuth(uint8_t opcode) {
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::kSaslListMechs:
    case Opcode::kSaslAuth:
    case Opcode::kSaslStep:
    case Opcode::kVersion:
      return true;
    default:
      return false;
  }
}

BinaryParseResult ParseBinaryRequest(std::string_view input, Request* out) {
  BinaryParseResult result;
  if (input.size() < binary::kHeaderSize) return result;  // kNeedMore
  const binary::RequestHeader header = binary::DecodeRequestHeader(input);
  if (header.magic != binary::kRequestMagic) {
    result.status = ParseStatus::kClose;
    return result;
  }
  const uint32_t extlen = header.extlen;
  const uint32_t keylen = header.keylen;
  const uint32_t bodylen = header.bodylen;
  const size_t prefix = binary::kHeaderSize + extlen + keylen;
  if (input.size() < prefix) return result;  // kNeedMore

  *out = Request();
  out->binary = true;
  out->opcode = header.opcode;
  out->opaque = header.opaque;
  out->cas_unique = header.cas;

  if (keylen + extlen > bodylen) return Error(Status::kUnknownCommand, prefix, true, true);
  if (bodylen > binary::kMaxBodyLength) return Error(Status::kInvalidArguments, prefix, true, true);
  if (keylen > kMaxKeyLength) return Error(Status::kInvalidArguments, prefix, true);

  const OpcodeInfo info = Describe(header.opcode);
  if (info.shape == Shape::kUnknown) {
    BinaryParseResult unknown = Error(Status::kUnknownCommand, prefix, false);
    unknown.swallow = bodylen;  // memcached swallows bodylen bytes after the key
    return unknown;
  }
  if (!LengthsFit(info.shape, extlen, keylen, bodylen)) {
    return Error(Status::kInvalidArguments, prefix, true);
  }

  const char* extras = input.data() + binary::kHeaderSize;
  out->command = info.command;
  out->quiet = info.quiet;
  out->return_key = info.return_key;
  out->key = input.substr(binary::kHeaderSize + extlen, keylen);
  size_t consumed = prefix;
  switch (info.shape) {
    case Shape::kStore:
      out->client_flags = binary::LoadBe32(extras);
      out->exptime = binary::LoadBe32(extras + 4);
      out->value_bytes = bodylen - keylen - extlen;
      out->drop_on_failed_alloc = info.command == Command::kSet;
      // A CAS in the header makes set/add/replace a compare-and-swap.
      if (header.cas != 0) out->command = Command::kCas;
      break;
    case Shape::kConcat:
      out->value_bytes = bodylen - keylen;
      break;
    case Shape::kArithmetic: {
      out->delta = binary::LoadBe64(extras);
      out->initial = binary::LoadBe64(extras + 8);
      const uint32_t exptime = binary::LoadBe32(extras + 16);
      out->create_on_miss = exptime != binary::kNoCreateExptime;
      out->exptime = out->create_on_miss ? exptime : 0;
      break;
    }
    case Shape::kFlush:
      out->exptime = extlen == 4 ? binary::LoadBe32(extras) : 0;
      break;
    case Shape::kTouch:
      out->exptime = binary::LoadBe32(extras);
      break;
    case Shape::kStat:
      out->args = out->key;
      out->key = StatsGroup(out->key);
      break;
    case Shape::kSasl:
      if (bodylen - keylen > kMaxSaslData) {
        // memcached reads SASL data into one slab chunk and answers "Out of
        // memory" when it does not fit; it is never buffered here either.
        BinaryParseResult too_big = Error(Status::kOutOfMemory, prefix, false);
        too_big.swallow = bodylen - keylen;
        return too_big;
      }
      if (input.size() < binary::kHeaderSize + size_t{bodylen}) {
        *out = Request();
        return result;  // kNeedMore: SASL data is small and read whole
      }
      out->args = input.substr(prefix, bodylen - keylen);
      consumed = binary::kHeaderSize + size_t{bodylen};
      break;
    case Shape::kEmpty:
    case Shape::kKeyOnly:
    case Shape::kUnknown:
      break;
  }
  result.status = ParseStatus::kOk;
  result.consumed = consumed;
  return result;
}

}  // namespace slabcached::proto
