#include "src/store_continuation.h"

#include "proto/text_encoder.h"
#include "src/executor.h"
#include "src/responder.h"

namespace slabcached {

void StoreContinuation::Complete(OutputQueue* out) && {
  if (!item_) return;
  bool data_ok = true;
  if (request_.data_crlf) {
    data_ok = item_.EndsWithCrlf();
  } else {
    // The store keeps values followed by "\r\n"; binary clients do not send it.
    item_.WriteValue(item_.value_length(), proto::kCrLf);
  }
  ComposerFor composer(request_, out);
  composer.get().Reply(executor_->CompleteStore(std::move(item_), request_, data_ok));
}

}  // namespace slabcached
