// memcached's ASCII authentication (-Y): until a text connection has
// authenticated, the only request it may send is
//
//   set <any key> <any flags> <any exptime> <bytes>\r\n<user> <password>\r\n
//
// answered "STORED" when the pair is in the auth file. Pure: bytes in, a
// decision out (errors named from proto/errors.h); checking the pair and
// replying are the caller's.
#pragma once

#include <cstddef>
#include <string_view>

#include "proto/errors.h"

namespace slabcached::proto {

// memcached's MAX_AUTH_REQ_LEN: the largest "<user> <password>" block.
inline constexpr size_t kMaxAuthTokenBytes = 16384;

struct AsciiAuthRequest {
  enum class Status {
    kNeedMore,     // wait for more input
    kClose,        // junk (no line within 2048 bytes): close
    kError,        // reply `error` and go on; `consumed` bytes are used up
    kCredentials,  // check `user` / `password`; `consumed` bytes are used up
  };
  Status status = Status::kNeedMore;
  size_t consumed = 0;
  ReplyError error = ReplyError::kAsciiAuthUnauthenticated;  // kError: the reply
  std::string_view user;                                     // views into the input
  std::string_view password;
};

// Looks at the start of a not yet authenticated connection's input.
AsciiAuthRequest ParseAsciiAuth(std::string_view input);

}  // namespace slabcached::proto
