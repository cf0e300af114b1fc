// A reply too long to build at once ("lru_crawler metadump" of a large
// cache): the executor hands it to the connection (Session::stream), which
// asks it for more whenever its output queue has room, before it reads the
// next request, so the reply is produced as fast as the client takes it.
#pragma once

#include <string>

namespace slabcached {

class ReplyStream {
 public:
  virtual ~ReplyStream() = default;
  // Appends the next part of the reply to `out` (a bounded amount); false
  // once the reply is complete (its last bytes appended).
  virtual bool Produce(std::string* out) = 0;
};

}  // namespace slabcached
