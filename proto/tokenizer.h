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

#include <cstddef>
#include <string_view>

namespace slabcached::proto {

inline constexpr size_t kMaxLineTokens = 23;

// Takes the first token off *text (spaces before it are dropped too, the
// space after it is left). Empty when *text holds no token; *text is then
// emptied.
constexpr std::string_view PopToken(std::string_view* text) {
  const char* pos = text->data();
  const char* const end = pos + text->size();
  while (pos != end && *pos == ' ') ++pos;
  const char* const start = pos;
  while (pos != end && *pos != ' ') ++pos;
  *text = std::string_view(pos, static_cast<size_t>(end - pos));
  return std::string_view(start, static_cast<size_t>(pos - start));
}

// Calls fn(std::string_view token) for every token of `text`, in order
// (no limit on their number).
template <typename Fn>
constexpr void ForEachToken(std::string_view text, Fn&& fn) {
  for (std::string_view token = PopToken(&text); !token.empty(); token = PopToken(&text)) {
    fn(token);
  }
}

// The first kMaxLineTokens tokens of a line, as tokenize_command() leaves
// them. The same rule as PopToken(), in one pass (this runs once per
// request line; the tokenizer test checks the two agree).
class LineTokens {
 public:
  constexpr explicit LineTokens(std::string_view line) {
    const char* const end = line.data() + line.size();
    const char* start = line.data();
    for (const char* pos = start; pos != end; ++pos) {
      if (*pos != ' ') continue;
      if (pos != start) {
        Add(start, pos);
        if (size_ == kMaxLineTokens) return;
      }
      start = pos + 1;
    }
    if (start != end) Add(start, end);
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

  constexpr void Add(const char* begin, const char* end) {
    tokens_[size_++] = {begin, static_cast<size_t>(end - begin)};
  }

  Token tokens_[kMaxLineTokens];
  size_t size_ = 0;
};

}  // namespace slabcached::proto
