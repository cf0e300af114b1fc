#include "slabs/automove_policy.h"

#include <algorithm>

namespace slabcached::slabs {

AutomoveDecision AutomovePolicy::Decide(const AutomoveSettings& settings,
                                        std::span<const AutomoveSample> classes, bool mover_busy) {
  if (settings.mode == 0) return {};
  const Candidates c = Record(settings, classes);
  uint64_t cap = 0;
  const uint8_t src = ChooseSource(settings, c, &cap);
  if (src == 0) {
    burst_ = 0;
    return {};
  }
  if (mover_busy) return {};  // still moving the previous decision's pages
  const bool same_pair = src == last_src_ && c.dst == last_dst_ && burst_ > 0;
  burst_ = static_cast<uint32_t>(std::min<uint64_t>(same_pair ? uint64_t{burst_} * 2 : 1, cap));
  last_src_ = src;
  last_dst_ = c.dst;
  return {.src = src, .dst = c.dst, .pages = burst_};
}

AutomovePolicy::Candidates AutomovePolicy::Record(const AutomoveSettings& settings,
                                                  std::span<const AutomoveSample> classes) {
  const uint32_t window = std::clamp<uint32_t>(settings.window, 1, kMaxWindow);
  const uint32_t window_mask = window == kMaxWindow ? ~0u : (1u << window) - 1;
  const bool aggressive = settings.mode == 2;
  if (windows_.size() < classes.size()) windows_.resize(classes.size());
  Candidates c;
  uint64_t most_free = 0;
  for (size_t i = 0; i < classes.size(); ++i) {
    const AutomoveSample& s = classes[i];
    const auto cls = static_cast<uint8_t>(i + 1);
    c.total_pages += s.total_pages;
    Window& w = windows_[i];
    const bool evicting = s.evicted != w.evicted;
    w.evicted = s.evicted;
    w.evicting = (w.evicting << 1) | (evicting ? 1 : 0);
    const bool excess =
        s.perslab > 0 && s.total_pages >= 2 && s.free_chunks * 2 >= uint64_t{s.perslab} * 5;
    w.excess_free = (w.excess_free << 1) | (excess ? 1 : 0);

    const bool pressure =
        aggressive ? (w.evicting & 1) != 0 : (w.evicting & window_mask) == window_mask;
    if (pressure && (c.dst == 0 || s.tail_age < c.dst_age)) c.dst = cls, c.dst_age = s.tail_age;
    const bool free_all_window = aggressive ? excess : (w.excess_free & window_mask) == window_mask;
    if (free_all_window && !evicting && s.free_chunks > most_free) {
      most_free = s.free_chunks;
      c.free_src = cls;
      c.free_src_spare = s.free_chunks / s.perslab - 1;
    }
    if (s.total_pages >= 2 && s.has_items && (c.oldest == 0 || s.tail_age > c.oldest_age)) {
      c.oldest = cls, c.oldest_age = s.tail_age;
    }
  }
  return c;
}

uint8_t AutomovePolicy::ChooseSource(const AutomoveSettings& settings, const Candidates& c,
                                     uint64_t* cap) {
  const bool aggressive = settings.mode == 2;
  if (c.free_src != 0 && c.free_src != c.dst) {
    // Spare pages go where they are needed, or to the pool (dst 0), where
    // any class that grows takes them before it would evict.
    *cap = std::max<uint64_t>(1, c.free_src_spare);
    return c.free_src;
  }
  *cap = std::max<uint64_t>(1, c.total_pages / (aggressive ? 4 : 8));
  if (c.dst == 0 || c.oldest == 0 || c.oldest == c.dst) return 0;
  const bool worth_it = aggressive ? c.oldest_age > c.dst_age
                                   : c.oldest_age >= kMinSourceAge &&
                                         static_cast<double>(c.dst_age) <
                                             static_cast<double>(c.oldest_age) * settings.ratio;
  return worth_it ? c.oldest : 0;
}

}  // namespace slabcached::slabs
