// AutomovePolicy: which page slab_automove moves, decided from numbers the
// page mover sampled (slabs/page_mover.cc). No locks, no threads, no store:
// it only remembers its own past samples and decisions.
//
// The signal is the AGE of a class's oldest memory: how long the item at its
// COLD tail (HOT/WARM when COLD is empty) has gone without an access. Memory
// in an old class holds items nobody wanted for a long time; a class evicting
// young items would put the same page to better use. Per class we keep one
// bit per sample (a sample a second): "evicted since the last sample" and
// "has 2.5+ pages of free chunks" (memcached's MIN_PAGES_FOR_RECLAIM).
//   destination  a class that evicted in each of the last `window` samples
//                (default 2: one stray eviction is not pressure); among
//                them the youngest (its victims were the most recently used).
//   source       (a) a class that had excess free chunks in all of the window
//                and is not evicting: its items are rescued, a free move. With
//                no destination its spare pages go to the page pool ("class
//                0"), whose memory is given back to the OS until a class
//                grows into it (memcached's global page pool);
//                (b) else the oldest class with 2+ pages, provided the
//                destination is younger than `ratio` (0.8) times its age and
//                it is at least kMinSourceAge old (ages are whole seconds).
//   pace         the first decision for a (source, destination) pair moves one
//                page; each following sample with the same pair doubles it
//                (1, 2, 4, ...), capped at 1/8 of the pages in use (a free
//                source: its spare pages). A sample without a decision or a
//                new pair starts again at one page. While the mover is still
//                busy with the previous decision nothing new is decided.
// memcached 1.6 (automove=1) averages a 30-sample window and moves at most one
// page a second, so it starts about 30 s after the shift and needs a further
// second per page. We act after `window` seconds and ramp up. The ramp is the
// safety: ages lag (a destination's tail gets older only as time passes after
// it gained memory), so a large first step could overshoot; doubling from one
// page bounds the overshoot to the last step (12.5% of memory), and the
// ratio's hysteresis (a page can only go back if the ages cross by 20%)
// keeps pages from oscillating between two classes.
// Mode 2 (aggressive): any class that evicted in the last sample is a
// destination; the source is the oldest other class with no ratio or age
// floor, and the cap is 1/4 of the pages. Mode 0: no decision.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "slabs/clock.h"

namespace slabcached::slabs {

struct AutomoveSettings {
  uint32_t mode = 0;    // 0: off, 1: standard, 2: aggressive (slab_automove)
  uint32_t window = 2;  // samples of pressure a destination needs (slab_automove_window)
  double ratio = 0.8;   // how much younger the destination must be (slab_automove_ratio)
};

// memcached's slab_automove_window (3..1800, default 10) as this policy's
// window: a fifth of it, so memcached's default asks for 2 samples.
inline uint32_t AutomoveSamples(uint32_t memcached_window) {
  return std::clamp<uint32_t>((memcached_window + 4) / 5, 1, 32);
}

// One class's numbers at one sample.
struct AutomoveSample {
  uint64_t evicted = 0;    // the class's eviction counter (it only grows)
  RelTime tail_age = 0;    // seconds since its oldest item's last access
  bool has_items = false;  // on any of its LRUs
  uint64_t total_pages = 0;
  uint64_t free_chunks = 0;
  uint32_t perslab = 0;  // chunks per page
};

struct AutomoveDecision {
  uint8_t src = 0;  // 0: no move
  uint8_t dst = 0;  // 0: the page pool
  uint32_t pages = 0;
  bool move() const { return src != 0; }
};

class AutomovePolicy {
 public:
  static constexpr uint32_t kMaxWindow = 32;  // samples kept per class (bits of a word)
  static constexpr RelTime kMinSourceAge = 3;

  // Records one sample: classes[i] is class i + 1 (the same classes at every
  // call). `mover_busy`: the previous decision's pages are still moving.
  AutomoveDecision Decide(const AutomoveSettings& settings, std::span<const AutomoveSample> classes,
                          bool mover_busy);

 private:
  struct Window {
    uint64_t evicted = 0;      // the class's eviction counter at the last sample
    uint32_t evicting = 0;     // bit i: evicted in the sample i samples ago
    uint32_t excess_free = 0;  // bit i: had 2.5+ pages of free chunks then
  };
  // What one sample offers: class ids (0: none) and their figures.
  struct Candidates {
    uint8_t dst = 0, oldest = 0, free_src = 0;
    RelTime dst_age = 0, oldest_age = 0;
    uint64_t free_src_spare = 0;  // whole pages of free chunks beyond one
    uint64_t total_pages = 0;
  };

  // Shifts this sample into each class's window and picks the candidates.
  Candidates Record(const AutomoveSettings& settings, std::span<const AutomoveSample> classes);
  // The source (0: none) and the most pages it may give at once.
  static uint8_t ChooseSource(const AutomoveSettings& settings, const Candidates& c, uint64_t* cap);

  std::vector<Window> windows_;          // by class id - 1
  uint8_t last_src_ = 0, last_dst_ = 0;  // the previous decision
  uint32_t burst_ = 0;                   // pages it moved; 0: the ramp starts over
};

}  // namespace slabcached::slabs
