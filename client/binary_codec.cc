#include "client/binary_codec.h"

namespace slabcached::client {

namespace bin = proto::binary;
using proto::Command;

namespace {

// Binary exptimes are 32-bit; memcached's own clients pass the text value.
uint32_t Exptime(int64_t exptime) { return static_cast<uint32_t>(exptime); }

bin::Opcode OpcodeFor(Command command) {
  switch (command) {
    case Command::kGat:
    case Command::kGats:
      return bin::Opcode::kGatK;
    case Command::kSet:
    case Command::kCas:
      return bin::Opcode::kSet;
    case Command::kAdd:
      return bin::Opcode::kAdd;
    case Command::kReplace:
      return bin::Opcode::kReplace;
    case Command::kAppend:
      return bin::Opcode::kAppend;
    case Command::kPrepend:
      return bin::Opcode::kPrepend;
    case Command::kDelete:
      return bin::Opcode::kDelete;
    case Command::kTouch:
      return bin::Opcode::kTouch;
    case Command::kIncr:
      return bin::Opcode::kIncrement;
    case Command::kDecr:
      return bin::Opcode::kDecrement;
    case Command::kStats:
      return bin::Opcode::kStat;
    default:
      return bin::Opcode::kGetK;
  }
}

}  // namespace

uint8_t AppendBinaryRequest(std::string* out, Command command, std::string_view key,
                            std::string_view value, uint32_t flags, int64_t exptime, uint64_t cas,
                            uint64_t delta) {
  const bin::Opcode opcode = OpcodeFor(command);
  std::string extras;
  switch (opcode) {
    case bin::Opcode::kSet:
    case bin::Opcode::kAdd:
    case bin::Opcode::kReplace:
      extras = bin::StoreExtras(flags, Exptime(exptime));
      break;
    case bin::Opcode::kGatK:
    case bin::Opcode::kTouch:
      extras = bin::ExptimeExtras(Exptime(exptime));
      break;
    case bin::Opcode::kIncrement:
    case bin::Opcode::kDecrement:
      // Expiration 0xffffffff: fail on a missing key, like text incr/decr.
      extras = bin::ArithmeticExtras(delta, 0, bin::kNoCreateExptime);
      break;
    default:
      break;
  }
  bin::AppendRequest(out, opcode, extras, key, value, 0, cas);
  return static_cast<uint8_t>(opcode);
}

namespace {

void StoreBe16(char* p, uint16_t v) {
  p[0] = static_cast<char>(v >> 8);
  p[1] = static_cast<char>(v);
}

void StoreBe32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (24 - 8 * i));
}

}  // namespace

void AppendKeyOnlyRequest(std::string* out, bin::Opcode opcode, std::string_view key) {
  char header[24] = {};
  header[0] = static_cast<char>(bin::kRequestMagic);
  header[1] = static_cast<char>(opcode);
  StoreBe16(header + 2, static_cast<uint16_t>(key.size()));
  StoreBe32(header + 8, static_cast<uint32_t>(key.size()));  // body length
  out->append(header, sizeof(header));
  out->append(key);
}

void AppendQuietSet(std::string* out, std::string_view key, std::string_view value, uint32_t flags,
                    uint32_t exptime) {
  char header[32] = {};  // 24-byte header and 8 bytes of extras
  header[0] = static_cast<char>(bin::kRequestMagic);
  header[1] = static_cast<char>(bin::Opcode::kSetQ);
  StoreBe16(header + 2, static_cast<uint16_t>(key.size()));
  header[4] = 8;  // extras: flags, exptime
  StoreBe32(header + 8, static_cast<uint32_t>(8 + key.size() + value.size()));
  StoreBe32(header + 24, flags);
  StoreBe32(header + 28, exptime);
  out->append(header, sizeof(header));
  out->append(key);
  out->append(value);
}

Status BinaryStatus(bin::Status status, uint8_t opcode) {
  const auto op = static_cast<bin::Opcode>(opcode);
  switch (status) {
    case bin::Status::kSuccess:
      return Status::kOk;
    case bin::Status::kKeyNotFound:
      return op == bin::Opcode::kReplace || op == bin::Opcode::kAppend ||
                     op == bin::Opcode::kPrepend
                 ? Status::kNotStored
                 : Status::kNotFound;
    case bin::Status::kKeyExists:
      return op == bin::Opcode::kAdd ? Status::kNotStored : Status::kExists;
    case bin::Status::kNotStored:
      return Status::kNotStored;
    case bin::Status::kInvalidArguments:
    case bin::Status::kDeltaBadValue:
      return Status::kClientError;
    case bin::Status::kTooLarge:
    case bin::Status::kOutOfMemory:
      return Status::kServerError;
    default:
      return Status::kProtocolError;
  }
}

}  // namespace slabcached::client
