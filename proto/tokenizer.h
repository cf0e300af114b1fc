// The one way a command line is split into tokens, for every text-protocol
// reader: the classic and meta parsers, key lists, meta flag tokens and the
// executor's argument words.
//
// The rules are memcached's tokenize_command() (proto_text.c, 1.6.18):
//  * tokens are separated by ' ' only: a tab or any other byte is part of a
//    token ("T5\tx" is one token);
//  * runs of spaces, and leading or trailing spaces, make no empty tokens;
//  * LineTokens keeps at most kMaxLineTokens tokens: memcached's MAX_TOKENS
//    (24) less the terminator slot its `ntokens` counts. Whatever follows the
//    last kept token is not split, and each command applies its own "too many
//    tokens" rule to ntokens() (proto/commands.h holds the arities).
// Nothing allocates: tokens are views into the text, valid as long as it is.
#pragma once

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace slabcached::proto {

inline constexpr size_t kMaxLineTokens = 23;

// Calls keep_going(const char* begin, const char* end) for each token of
// `text` in order, until it returns false (the tokenizer test checks it
// against a byte-at-a-time reference). This runs on every request line and
// key list, where a byte loop was ~13% of the
// server's instructions on pipelined gets. So it compares 16 bytes at once
// (a bit per space; a token ends at each set bit). The last partial block is
// the text's last 16 bytes, its bits for bytes already seen shifted out; a
// text under 16 bytes is copied into a local first: nothing past `text` is
// read.
template <typename Fn>
constexpr void ScanTokens(std::string_view text, Fn&& keep_going) {
  const char* const base = text.data();
  const size_t length = text.size();
  size_t start = 0;  // of the token being scanned
#if defined(__SSE2__)
  if (!std::is_constant_evaluated()) {
    const __m128i spaces = _mm_set1_epi8(' ');
    auto space_bits = [&spaces](const char* at) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
      return static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, spaces)));
    };
    for (size_t block = 0; block < length; block += 16) {
      uint32_t mask;
      if (length - block >= 16) {
        mask = space_bits(base + block);
      } else if (length >= 16) {
        mask = space_bits(base + length - 16) >> (16 - (length - block));
      } else {
        char tail[16] = {};
        std::memcpy(tail, base, length);
        mask = space_bits(tail) & ((1u << length) - 1);
      }
      while (mask != 0) {
        const size_t pos = block + static_cast<size_t>(__builtin_ctz(mask));
        mask &= mask - 1;
        if (pos != start && !keep_going(base + start, base + pos)) return;
        start = pos + 1;
      }
    }
    if (start < length) keep_going(base + start, base + length);
    return;
  }
#endif
  for (size_t pos = 0; pos < length; ++pos) {
    if (base[pos] != ' ') continue;
    if (pos != start && !keep_going(base + start, base + pos)) return;
    start = pos + 1;
  }
  if (start < length) keep_going(base + start, base + length);
}

// Takes the first token off *text (spaces before it are dropped too, the
// space after it is left). Empty when *text holds no token; *text is then
// emptied.
constexpr std::string_view PopToken(std::string_view* text) {
  std::string_view token;
  ScanTokens(*text, [&token](const char* begin, const char* end) {
    token = std::string_view(begin, static_cast<size_t>(end - begin));
    return false;
  });
  const char* const end = text->data() + text->size();
  const char* const rest = token.empty() ? end : token.data() + token.size();
  *text = std::string_view(rest, static_cast<size_t>(end - rest));
  return token;
}

// Calls fn(std::string_view token) for every token of `text`, in order
// (no limit on their number).
template <typename Fn>
constexpr void ForEachToken(std::string_view text, Fn&& fn) {
  ScanTokens(text, [&fn](const char* begin, const char* end) {
    fn(std::string_view(begin, static_cast<size_t>(end - begin)));
    return true;
  });
}

// The first kMaxLineTokens tokens of a line, as tokenize_command() leaves
// them, in one pass (ScanTokens).
class LineTokens {
 public:
  constexpr explicit LineTokens(std::string_view line) {
    ScanTokens(line, [this](const char* begin, const char* end) {
      tokens_[size_++] = {begin, static_cast<size_t>(end - begin)};
      return size_ < kMaxLineTokens;
    });
  }

  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr std::string_view operator[](size_t i) const {
    return {tokens_[i].data, tokens_[i].size};
  }
  constexpr std::string_view back() const { return (*this)[size_ - 1]; }
  // memcached's `ntokens`, which counts its terminator slot: the number the
  // commands' arity rules are written in ("get k" has ntokens 3).
  constexpr size_t ntokens() const { return size_ + 1; }

  // The text from token `first` to the end of the last kept token, the
  // spaces between them as sent; empty when first >= size().
  constexpr std::string_view From(size_t first) const {
    if (first >= size_) return {};
    const char* const begin = tokens_[first].data;
    const Token& last = tokens_[size_ - 1];
    return {begin, static_cast<size_t>(last.data + last.size - begin)};
  }

 private:
  // Left uninitialised past size_: a line costs only the tokens it has.
  struct Token {
    const char* data;
    size_t size;
  };

  Token tokens_[kMaxLineTokens];
  size_t size_ = 0;
};

}  // namespace slabcached::proto
