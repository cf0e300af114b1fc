// libFuzzer target for the binary protocol parser. Build and run: scripts/fuzz.
//
// Feeds the input as a connection would (parse, drop `consumed`, skip a
// storage command's value or an error's `swallow`, stop on close) and checks
// the contract on every call: consumption bounds, views inside the input, key
// limits, that errors which close are the framing errors, and that every
// accepted request re-encodes (AppendRequest) to a packet that parses back to
// the same fields. A second pass feeds the same bytes in pieces and must see
// the same sequence of outcomes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proto/binary_encoder.h"
#include "proto/binary_parser.h"
#include "proto/request.h"

namespace {

using slabcached::proto::BinaryParseResult;
using slabcached::proto::ParseBinaryRequest;
using slabcached::proto::ParseStatus;
using slabcached::proto::Request;

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Inside(std::string_view v, std::string_view buf) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

// What a connection sees of one parse call, comparable across feeding modes.
struct Outcome {
  ParseStatus status;
  uint16_t error;
  uint8_t opcode;
  uint32_t opaque;
  std::string key;
  uint32_t value_bytes;
  bool operator==(const Outcome&) const = default;
};

// Runs the whole input through the parser in pieces of `piece` bytes (0 = all
// at once), as a connection would.
std::vector<Outcome> Feed(std::string_view data, size_t piece) {
  std::vector<Outcome> outcomes;
  std::string buffer;
  size_t fed = 0;
  size_t skip = 0;  // value or swallowed bytes still to drop
  while (true) {
    if (skip > 0) {
      const size_t drop = std::min(skip, buffer.size());
      buffer.erase(0, drop);
      skip -= drop;
    }
    Request request;
    const BinaryParseResult r =
        skip > 0 ? BinaryParseResult{} : ParseBinaryRequest(buffer, &request);
    Check(r.consumed <= buffer.size());
    if (skip == 0 && r.status != ParseStatus::kNeedMore) {
      outcomes.push_back({r.status, static_cast<uint16_t>(r.error), request.opcode, request.opaque,
                          std::string(request.key), request.value_bytes});
      if (r.status == ParseStatus::kClose) break;
      if (r.status == ParseStatus::kOk) {
        Check(Inside(request.key, buffer) && Inside(request.args, buffer));
        Check(request.key.size() <= slabcached::proto::kMaxKeyLength);
        buffer.erase(0, r.consumed);
        skip = request.value_bytes;
      } else {  // kError
        Check(r.consumed > 0 || r.close);
        buffer.erase(0, r.consumed);
        if (r.close) break;
        skip = r.swallow;
      }
      continue;
    }
    if (fed == data.size()) break;
    const size_t take = piece == 0 ? data.size() - fed : std::min(piece, data.size() - fed);
    buffer.append(data.substr(fed, take));
    fed += take;
  }
  return outcomes;
}

// An accepted request re-encoded by the client-side encoder parses back to
// the same opcode, opaque, key and value length.
void CheckRoundTrip(std::string_view data) {
  Request request;
  const BinaryParseResult r = ParseBinaryRequest(data, &request);
  // Bodies may claim up to 1 GB; the round trip only needs modest ones.
  if (r.status != ParseStatus::kOk || request.value_bytes > (1u << 20)) return;
  const size_t header = slabcached::proto::binary::kHeaderSize;
  if (data.size() < header) return;
  const size_t extlen = static_cast<uint8_t>(data[4]);
  const std::string_view extras = data.substr(header, extlen);
  const std::string value(request.value_bytes, 'v');
  std::string packet;
  slabcached::proto::binary::AppendRequest(
      &packet, static_cast<slabcached::proto::binary::Opcode>(request.opcode), extras, request.key,
      value, request.opaque, request.cas_unique);
  Request again;
  const BinaryParseResult r2 = ParseBinaryRequest(packet, &again);
  Check(r2.status == ParseStatus::kOk);
  Check(again.opcode == request.opcode && again.opaque == request.opaque &&
        again.key == request.key && again.value_bytes == request.value_bytes &&
        again.command == request.command && again.quiet == request.quiet);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  const std::vector<Outcome> whole = Feed(data, 0);
  for (size_t piece : {1, 7, 24}) Check(Feed(data, piece) == whole);
  CheckRoundTrip(data);
  return 0;
}
