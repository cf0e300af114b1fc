#include "src/store_continuation.h"

#include "proto/text_encoder.h"
#include "src/executor.h"
#include "src/responder.h"

namespace slabcached {

void StoreContinuation::Complete(OutputQueue* out) && {
  if (!item_) return;
  bool data_ok = true;
  if (request_.binary) {
    // The store keeps values followed by "\r\n"; binary clients do not send it.
    item_.WriteValue(item_.value_length(), proto::kCrLf);
  } else {
    data_ok = item_.EndsWithCrlf();
  }
  ComposerFor composer(request_, out);
  composer.get().Reply(executor_->CompleteStore(std::move(item_), request_, data_ok));
}

}  // namespace slabcached
