#include "client/invalidation_event.h"

#include <cstdint>

#include "client/client.h"

namespace slabcached::client {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A cursor over the line; every Parse* returns an error text or "" (ok).
class JsonCursor {
 public:
  explicit JsonCursor(std::string_view in) : in_(in) {}

  void SkipSpaces() {
    while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
  }
  bool AtEnd() const { return pos_ >= in_.size(); }
  // Consumes `c` (after spaces) when it is next.
  bool Take(char c) {
    SkipSpaces();
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  std::string_view ParseString(std::string* out) {
    out->clear();
    if (!Take('"')) return "expected a string";
    while (pos_ < in_.size()) {
      const char c = in_[pos_++];
      if (c == '"') return "";
      if (static_cast<unsigned char>(c) < 0x20) return "control byte in a string";
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= in_.size()) break;
      const char e = in_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u':
          if (std::string_view err = ParseUnicodeEscape(out); !err.empty()) return err;
          break;
        default:
          return "bad escape in a string";
      }
    }
    return "unterminated string";
  }

 private:
  bool Hex4(uint32_t* value) {
    if (in_.size() - pos_ < 4) return false;
    *value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = in_[pos_++];
      uint32_t digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        return false;
      }
      *value = *value << 4 | digit;
    }
    return true;
  }

  // After "\u": one code point (a high surrogate must be followed by
  // "\u" and a low one), appended as UTF-8.
  std::string_view ParseUnicodeEscape(std::string* out) {
    uint32_t cp;
    if (!Hex4(&cp)) return "bad \\u escape";
    if (cp >= 0xDC00 && cp <= 0xDFFF) return "lone low surrogate";
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low;
      if (in_.substr(pos_, 2) != "\\u") return "lone high surrogate";
      pos_ += 2;
      if (!Hex4(&low) || low < 0xDC00 || low > 0xDFFF) return "lone high surrogate";
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | cp >> 6));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | cp >> 12));
      out->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | cp >> 18));
      out->push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    return "";
  }

  std::string_view in_;
  size_t pos_ = 0;
};

std::string_view ParseKeys(JsonCursor* cursor, std::vector<std::string>* keys) {
  if (!cursor->Take('[')) return "\"keys\" is not an array";
  if (cursor->Take(']')) return "";
  std::string key;
  do {
    if (std::string_view err = cursor->ParseString(&key); !err.empty()) return err;
    if (!IsValidKey(key)) return "a key memcached does not accept";
    keys->push_back(key);
  } while (cursor->Take(','));
  if (!cursor->Take(']')) return "expected , or ] in \"keys\"";
  return "";
}

std::string_view ParseObject(std::string_view line, InvalidationEvent* out) {
  JsonCursor cursor(line);
  if (!cursor.Take('{')) return "expected {";
  bool seen_event = false, seen_keys = false;
  if (!cursor.Take('}')) {
    std::string name;
    do {
      if (std::string_view err = cursor.ParseString(&name); !err.empty()) return err;
      if (!cursor.Take(':')) return "expected : after a member name";
      if (name == "event") {
        if (seen_event) return "duplicate \"event\"";
        seen_event = true;
        if (std::string_view err = cursor.ParseString(&out->event); !err.empty()) return err;
      } else if (name == "keys") {
        if (seen_keys) return "duplicate \"keys\"";
        seen_keys = true;
        if (std::string_view err = ParseKeys(&cursor, &out->keys); !err.empty()) return err;
      } else {
        return "unknown member (only \"event\" and \"keys\")";
      }
    } while (cursor.Take(','));
    if (!cursor.Take('}')) return "expected , or }";
  }
  cursor.SkipSpaces();
  if (!cursor.AtEnd()) return "bytes after the object";
  if (!seen_keys) return "no \"keys\" member";
  return "";
}

}  // namespace

InvalidationEvent ParseInvalidationEvent(std::string_view line) {
  InvalidationEvent out;
  if (line.ends_with('\r')) line.remove_suffix(1);
  size_t first = 0;
  while (first < line.size() && IsSpace(line[first])) ++first;
  if (first == line.size()) return out;
  if (line[first] == '{') {
    out.error = ParseObject(line, &out);
    if (!out.error.empty()) {
      out.event.clear();
      out.keys.clear();
    }
    return out;
  }
  if (!IsValidKey(line)) {
    out.error = "not a key memcached accepts";
    return out;
  }
  out.keys.emplace_back(line);
  return out;
}

}  // namespace slabcached::client
