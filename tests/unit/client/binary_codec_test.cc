// The client's in-place encoder of key-only binary requests against the
// general encoder of proto/.
#include "client/binary_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace slabcached::client {
namespace {

namespace bin = proto::binary;

TEST(BinaryCodecTest, KeyOnlyRequestMatchesTheGeneralEncoder) {
  for (const std::string& key : {std::string(), std::string("k"), std::string(250, 'x')}) {
    for (const bin::Opcode opcode : {bin::Opcode::kGetKQ, bin::Opcode::kNoop}) {
      std::string fast = "prefix", general = "prefix";
      AppendKeyOnlyRequest(&fast, opcode, key);
      bin::AppendRequest(&general, opcode, {}, key, {});
      EXPECT_EQ(fast, general) << key.size();
    }
  }
}

TEST(BinaryCodecTest, QuietSetMatchesTheGeneralEncoder) {
  const std::string value("a\r\n\0b", 5);
  for (const std::string& key : {std::string("k"), std::string(250, 'x')}) {
    std::string fast = "prefix", general = "prefix";
    AppendQuietSet(&fast, key, value, 0xdeadbeef, 3600);
    bin::AppendRequest(&general, bin::Opcode::kSetQ, bin::StoreExtras(0xdeadbeef, 3600), key,
                       value);
    EXPECT_EQ(fast, general) << key.size();
  }
}

}  // namespace
}  // namespace slabcached::client
