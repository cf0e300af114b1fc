// Meta commands (mg ms md ma mn me) through ParseTextRequest(): table-driven
// cases, the fragment sweep (Seastar), partial-input checks and
// compose -> parse round trips (Pelikan).
//
// Every row carries `mc`: the exact bytes memcached 1.6.18 (Debian) sends
// for the row's input on an empty cache, followed by the reply to a trailing
// "mn" (replayed with tests/unit/proto/meta_reference_replay.py; dump the
// table with SLABCACHED_DUMP_META_CASES=<file>). An error row's first line
// is ErrorReply(error). Rows marked `head` are flags memcached HEAD knows and
// 1.6.18 rejects (E, x): `mc` is still 1.6.18's answer and we follow HEAD.
#include "proto/meta_parser.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "proto/base64.h"
#include "proto/meta_encoder.h"
#include "proto/request.h"
#include "proto/text_parser.h"

namespace slabcached::proto {
namespace {

constexpr ParseStatus kParseOk = ParseStatus::kOk;
constexpr ParseStatus kNeedMore = ParseStatus::kNeedMore;
constexpr ParseStatus kParseError = ParseStatus::kError;

constexpr Command kMg = Command::kMetaGet;
constexpr Command kMs = Command::kMetaSet;
constexpr Command kMd = Command::kMetaDelete;
constexpr Command kMa = Command::kMetaArithmetic;
constexpr Command kMn = Command::kMetaNoop;
constexpr Command kMe = Command::kMetaDebug;

struct Want {
  ParseStatus status = kParseOk;
  ParseError error = ParseError::kNone;
  Command command = Command::kNone;
  std::string key{};
  std::string flags{};  // the flag letters present, in any order
  std::optional<std::string> tokens{};
  uint32_t bytes = 0;
  bool swallow = false;
  std::string opaque{};
  char mode = '\0';
  int32_t ttl = 0;
  int32_t vivify = 0;
  int32_t recache = 0;
  uint32_t client_flags = 0;
  uint64_t cas = 0;
  uint64_t new_cas = 0;
  uint64_t initial = 0;
  uint64_t delta = 1;
};

struct Case {
  std::string name;
  std::string input;  // one request (ms: with its data block)
  std::string mc;     // memcached 1.6.18's reply on an empty cache, then "MN\r\n" for "mn"
  Want want;
  bool head = false;  // HEAD-only flag: we accept it, 1.6.18 sends `mc`
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

std::string A(size_t n) { return std::string(n, 'a'); }
std::string Mn(std::string reply) { return reply + "MN\r\n"; }

Want Ok(Command c, std::string key, std::string flags = "") {
  return {.command = c, .key = std::move(key), .flags = std::move(flags)};
}
Want Err(ParseError e, Command c, std::string key = "") {
  return {.status = kParseError, .error = e, .command = c, .key = std::move(key)};
}
Want Set(std::string key, uint32_t bytes, std::string flags = "") {
  return {.command = kMs, .key = std::move(key), .flags = std::move(flags), .bytes = bytes};
}
// An ms error found after <datalen>: the data block is swallowed.
Want SetErr(ParseError e, uint32_t bytes) {
  return {.status = kParseError,
          .error = e,
          .command = kMs,
          .key = "foo",
          .bytes = bytes,
          .swallow = true};
}

constexpr ParseError kBadFormat = ParseError::kBadFormat;
constexpr ParseError kInvalid = ParseError::kMetaInvalidFlag;
constexpr ParseError kDuplicate = ParseError::kMetaDuplicateFlag;
constexpr ParseError kInvalidOrDup = ParseError::kMetaInvalidOrDuplicateFlag;
constexpr ParseError kBadToken = ParseError::kMetaBadToken;
constexpr ParseError kDecode = ParseError::kMetaKeyDecode;
constexpr ParseError kOpaque = ParseError::kMetaOpaqueTooLong;

const std::string kBadFormatLine = "CLIENT_ERROR bad command line format\r\n";
const std::string kInvalidLine = "CLIENT_ERROR invalid flag\r\n";
const std::string kDuplicateLine = "CLIENT_ERROR duplicate flag\r\n";
const std::string kInvalidOrDupLine = "CLIENT_ERROR invalid or duplicate flag\r\n";
const std::string kBadTokenLine = "CLIENT_ERROR bad token in command line format\r\n";
const std::string kDecodeLine = "CLIENT_ERROR error decoding key\r\n";
const std::string kOpaqueLine = "CLIENT_ERROR opaque token too long\r\n";

// `head` followed by n (<= 18) distinct valid flags.
std::string ManyFlags(const std::string& head, size_t n) {
  static const std::string kLetters = "fhIklqstuvPLOTNRJD";
  std::string s = head;
  for (size_t i = 0; i < n; ++i) {
    const char f = kLetters.at(i);
    s += ' ';
    s += f;
    if (f == 'T' || f == 'N' || f == 'R' || f == 'J' || f == 'D') s += '0';
  }
  return s;
}

std::vector<Case> GetCases() {
  const std::string b64_186 = [] {
    std::string in(186, 'k'), out(Base64EncodedSize(186), '\0');
    out.resize(Base64Encode(in, out.data()));
    return out;  // 248 bytes of base64
  }();
  const std::string b64_187 = [] {
    std::string in(187, 'k'), out(Base64EncodedSize(187), '\0');
    out.resize(Base64Encode(in, out.data()));
    return out;  // 252 bytes
  }();
  return {
      // --- framing and keys ---
      {"mg_no_key", "mg\r\n", Mn("ERROR\r\n"), Err(ParseError::kUnknownCommand, Command::kNone)},
      {"mg_key_only", "mg foo\r\n", Mn("EN\r\n"), Ok(kMg, "foo")},
      {"mg_bare_lf", "mg foo v\n", Mn("EN\r\n"), Ok(kMg, "foo", "v")},
      {"mg_extra_spaces",
       "mg  foo   v  k \r\n",
       Mn("EN kfoo\r\n"),
       {.command = kMg, .key = "foo", .flags = "vk", .tokens = "v  k"}},
      {"mg_tab_is_part_of_key", "mg foo\tv\r\n", Mn("EN\r\n"), Ok(kMg, "foo\tv")},
      {"mg_cr_in_flag_token", "mg foo v\r\r\n", Mn("EN\r\n"), Ok(kMg, "foo", "v")},
      {"mg_key_250", "mg " + A(250) + " v\r\n", Mn("EN\r\n"), Ok(kMg, A(250), "v")},
      {"mg_key_251", "mg " + A(251) + " v\r\n", Mn(kBadFormatLine), Err(kBadFormat, kMg)},
      {"mg_key_251_before_flags", "mg " + A(251) + " zz\r\n", Mn(kBadFormatLine),
       Err(kBadFormat, kMg)},
      {"mg_http_line_is_a_bad_flag", "mg / HTTP/1.1\r\n", Mn(kInvalidLine), Err(kInvalid, kMg)},
      {"mx_unknown", "mx foo\r\n", Mn("ERROR\r\n"),
       Err(ParseError::kUnknownCommand, Command::kNone)},
      {"m1_unknown", "m1 foo v\r\n", Mn("ERROR\r\n"),
       Err(ParseError::kUnknownCommand, Command::kNone)},
      // ntokens (cm + key + flags + 1) may be 20: 17 flags.
      {"mg_17_flags",
       ManyFlags("mg foo", 17) + "\r\n",
       Mn("VA 0 f0 h0 kfoo l0 s0 t-1 O W\r\n\r\n"),
       {.command = kMg, .key = "foo", .flags = "fhIklqstuvPLOTNRJ", .opaque = "O"}},
      {"mg_18_flags", ManyFlags("mg foo", 18) + "\r\n",
       Mn("CLIENT_ERROR options flags are too long\r\n"),
       Err(ParseError::kMetaGetFlagsTooLong, kMg)},
      {"mg_30_flags", ManyFlags("mg foo", 17) + " x1 x2 x3 x4 x5 x6 x7 x8 x9 x10 x11 x12 x13\r\n",
       Mn("CLIENT_ERROR options flags are too long\r\n"),
       Err(ParseError::kMetaGetFlagsTooLong, kMg)},
      // --- every flag on mg, without and with a token ---
      {"mg_b", "mg Zm9v b\r\n", Mn("EN\r\n"), Ok(kMg, "Zm9v", "b")},
      {"mg_c", "mg foo c\r\n", Mn("EN\r\n"), Ok(kMg, "foo", "c")},
      {"mg_c_with_token_ignored", "mg foo c5\r\n", Mn("EN\r\n"), Ok(kMg, "foo", "c")},
      {"mg_f", "mg foo f\r\n", Mn("EN\r\n"), Ok(kMg, "foo", "f")},
      {"mg_h", "mg foo h\r\n", Mn("EN\r\n"), Ok(kMg, "foo", "h")},
      {"mg_k", "mg foo k\r\n", Mn("EN kfoo\r\n"), Ok(kMg, "foo", "k")},
      {"mg_k_with_token_ignored", "mg foo kxyz\r\n", Mn("EN kfoo\r\n"), Ok(kMg, "foo", "k")},
      {"mg_l", "mg foo l\r\n", Mn("EN\r\n"), Ok(kMg, "foo", "l")},
      {"mg_q_hides_miss", "mg foo q\r\n", Mn(""), Ok(kMg, "foo", "q")},
      {"mg_s", "mg foo s\r\n", Mn("EN\r\n"), Ok(kMg, "foo", "s")},
      {"mg_t", "mg foo t\r\n", Mn("EN\r\n"), Ok(kMg, "foo", "t")},
      {"mg_u", "mg foo u\r\n", Mn("EN\r\n"), Ok(kMg, "foo", "u")},
      {"mg_v", "mg foo v\r\n", Mn("EN\r\n"), Ok(kMg, "foo", "v")},
      {"mg_I", "mg foo I\r\n", Mn("EN\r\n"), Ok(kMg, "foo", "I")},
      {"mg_P_L_tokens_ignored", "mg foo Pabc L9\r\n", Mn("EN\r\n"), Ok(kMg, "foo", "PL")},
      {"mg_P_L_bare", "mg foo P L\r\n", Mn("EN\r\n"), Ok(kMg, "foo", "PL")},
      {"mg_O",
       "mg foo Oabc k\r\n",
       Mn("EN Oabc kfoo\r\n"),
       {.command = kMg, .key = "foo", .flags = "Ok", .opaque = "Oabc"}},
      {"mg_O_empty",
       "mg foo O\r\n",
       Mn("EN O\r\n"),
       {.command = kMg, .key = "foo", .flags = "O", .opaque = "O"}},
      {"mg_O_32",
       "mg foo O" + A(31) + "\r\n",
       Mn("EN O" + A(31) + "\r\n"),
       {.command = kMg, .key = "foo", .flags = "O", .opaque = "O" + A(31)}},
      {"mg_O_33", "mg foo O" + A(32) + "\r\n", Mn(kOpaqueLine), Err(kOpaque, kMg)},
      {"mg_O_33_quiet", "mg foo q O" + A(32) + "\r\n", Mn(kOpaqueLine), Err(kOpaque, kMg)},
      {"mg_N",
       "mg foo N30 s v\r\n",
       Mn("VA 0 s0 W\r\n\r\n"),
       {.command = kMg, .key = "foo", .flags = "Nsv", .vivify = 30}},
      {"mg_N_without_token", "mg foo N\r\n", Mn(kBadTokenLine), Err(kBadToken, kMg)},
      {"mg_N_bad", "mg foo Nx\r\n", Mn(kBadTokenLine), Err(kBadToken, kMg)},
      {"mg_R",
       "mg foo R30\r\n",
       Mn("EN\r\n"),
       {.command = kMg, .key = "foo", .flags = "R", .recache = 30}},
      {"mg_R_without_token", "mg foo R\r\n", Mn(kBadTokenLine), Err(kBadToken, kMg)},
      {"mg_T",
       "mg foo T-1\r\n",
       Mn("EN\r\n"),
       {.command = kMg, .key = "foo", .flags = "T", .ttl = -1}},
      {"mg_T_tab_terminates",
       "mg foo T5\tx\r\n",
       Mn("EN\r\n"),
       {.command = kMg, .key = "foo", .flags = "T", .ttl = 5}},
      {"mg_T_without_token", "mg foo T\r\n", Mn(kBadTokenLine), Err(kBadToken, kMg)},
      {"mg_T_trailing_junk", "mg foo T5x\r\n", Mn(kBadTokenLine), Err(kBadToken, kMg)},
      {"mg_T_wraps_like_strtol",
       "mg foo T4294967297\r\n",
       Mn("EN\r\n"),
       {.command = kMg, .key = "foo", .flags = "T", .ttl = 1}},
      {"mg_C",
       "mg foo C18446744073709551615\r\n",
       Mn("EN\r\n"),
       {.command = kMg, .key = "foo", .flags = "C", .cas = UINT64_MAX}},
      {"mg_C_without_token", "mg foo C\r\n", Mn(kBadTokenLine), Err(kBadToken, kMg)},
      {"mg_C_overflow", "mg foo C18446744073709551616\r\n", Mn(kBadTokenLine), Err(kBadToken, kMg)},
      {"mg_F",
       "mg foo F4294967297\r\n",
       Mn("EN\r\n"),
       {.command = kMg, .key = "foo", .flags = "F", .client_flags = 1}},
      {"mg_F_without_token", "mg foo F\r\n", Mn(kBadFormatLine), Err(kBadFormat, kMg)},
      {"mg_F_negative", "mg foo F-1\r\n", Mn(kBadFormatLine), Err(kBadFormat, kMg)},
      {"mg_J",
       "mg foo J7\r\n",
       Mn("EN\r\n"),
       {.command = kMg, .key = "foo", .flags = "J", .initial = 7}},
      {"mg_J_without_token", "mg foo J\r\n", Mn("CLIENT_ERROR invalid numeric initial value\r\n"),
       Err(ParseError::kMetaInitial, kMg)},
      {"mg_D",
       "mg foo D0\r\n",
       Mn("EN\r\n"),
       {.command = kMg, .key = "foo", .flags = "D", .delta = 0}},
      {"mg_D_bad", "mg foo Dx\r\n", Mn("CLIENT_ERROR invalid numeric delta value\r\n"),
       Err(ParseError::kMetaDelta, kMg)},
      {"mg_M_any_mode",
       "mg foo Mx\r\n",
       Mn("EN\r\n"),
       {.command = kMg, .key = "foo", .flags = "M", .mode = 'x'}},
      {"mg_M_without_mode", "mg foo M\r\n", Mn("CLIENT_ERROR incorrect length for M token\r\n"),
       Err(ParseError::kMetaModeLength, kMg)},
      {"mg_M_two_chars", "mg foo MEE\r\n", Mn("CLIENT_ERROR incorrect length for M token\r\n"),
       Err(ParseError::kMetaModeLength, kMg)},
      {"mg_E_head",
       "mg foo E5\r\n",
       Mn(kInvalidLine),
       {.command = kMg, .key = "foo", .flags = "E", .new_cas = 5},
       true},
      {"mg_E_bad_head", "mg foo Ex\r\n", Mn(kInvalidLine), Err(kBadToken, kMg), true},
      {"mg_x_head", "mg foo x\r\n", Mn(kInvalidLine), Ok(kMg, "foo", "x"), true},
      // --- unknown and repeated flags ---
      {"mg_unknown_letter", "mg foo zz\r\n", Mn(kInvalidLine), Err(kInvalid, kMg)},
      {"mg_S_unknown", "mg foo S3\r\n", Mn(kInvalidLine), Err(kInvalid, kMg)},
      {"mg_digit", "mg foo 1\r\n", Mn(kInvalidLine), Err(kInvalid, kMg)},
      {"mg_tilde", "mg foo ~\r\n", Mn(kInvalidLine), Err(kInvalid, kMg)},
      {"mg_control_char", "mg foo \x01\r\n", Mn(kInvalidLine), Err(kInvalid, kMg)},
      {"mg_tab_flag", "mg foo \t\r\n", Mn(kInvalidLine), Err(kInvalid, kMg)},
      // memcached's seen[127]: bytes >= 127 are "duplicates" at once.
      {"mg_del_byte", "mg foo \x7f\r\n", Mn(kDuplicateLine), Err(kDuplicate, kMg)},
      {"mg_high_byte", "mg foo \x80\r\n", Mn(kDuplicateLine), Err(kDuplicate, kMg)},
      {"mg_duplicate", "mg foo v v\r\n", Mn(kDuplicateLine), Err(kDuplicate, kMg)},
      {"mg_duplicate_P", "mg foo Pa Pb\r\n", Mn(kDuplicateLine), Err(kDuplicate, kMg)},
      {"mg_duplicate_t", "mg foo t T30 t\r\n", Mn(kDuplicateLine), Err(kDuplicate, kMg)},
      {"mg_vv_is_v", "mg foo vv\r\n", Mn("EN\r\n"), Ok(kMg, "foo", "v")},
      // --- which error wins: unknown/duplicate stop the scan, the last bad token wins ---
      {"mg_bad_token_then_unknown", "mg foo Tx zz\r\n", Mn(kInvalidLine), Err(kInvalid, kMg)},
      {"mg_unknown_then_bad_token", "mg foo zz Tx\r\n", Mn(kInvalidLine), Err(kInvalid, kMg)},
      {"mg_bad_token_then_duplicate", "mg foo Tx v v\r\n", Mn(kDuplicateLine),
       Err(kDuplicate, kMg)},
      {"mg_bad_token_quiet", "mg foo Tx q\r\n", Mn(kBadTokenLine), Err(kBadToken, kMg)},
      {"mg_bad_F_keeps_earlier_error", "mg foo Tx Fx\r\n", Mn(kBadTokenLine), Err(kBadToken, kMg)},
      {"mg_later_error_wins", "mg foo Fx Jx\r\n",
       Mn("CLIENT_ERROR invalid numeric initial value\r\n"), Err(ParseError::kMetaInitial, kMg)},
      {"mg_last_of_two_errors", "mg foo Jx Dx\r\n",
       Mn("CLIENT_ERROR invalid numeric delta value\r\n"), Err(ParseError::kMetaDelta, kMg)},
      {"mg_flag_error_before_opaque", "mg foo O" + A(40) + " Tx\r\n", Mn(kBadTokenLine),
       Err(kBadToken, kMg)},
      // --- base64 keys ---
      {"mg_b_k", "mg Zm9v b k\r\n", Mn("EN kZm9v b\r\n"), Ok(kMg, "Zm9v", "bk")},
      {"mg_b_reencodes", "mg QR== b k\r\n", Mn("EN kQQ== b\r\n"), Ok(kMg, "QR==", "bk")},
      {"mg_b_pad_in_middle", "mg Q=Q= b k\r\n", Mn("EN kQA== b\r\n"), Ok(kMg, "Q=Q=", "bk")},
      {"mg_b_skips_junk", "mg Z!m9v b k\r\n", Mn("EN kZm9v b\r\n"), Ok(kMg, "Z!m9v", "bk")},
      {"mg_b_stops_after_pad", "mg QQ==QUJD b k\r\n", Mn("EN kQQ== b\r\n"),
       Ok(kMg, "QQ==QUJD", "bk")},
      {"mg_b_186_bytes", "mg " + b64_186 + " b\r\n", Mn("EN\r\n"), Ok(kMg, b64_186, "b")},
      {"mg_b_187_bytes_too_long", "mg " + b64_187 + " b\r\n", Mn(kBadFormatLine),
       Err(kBadFormat, kMg)},
      {"mg_b_not_base64", "mg foo b\r\n", Mn(kDecodeLine), Err(kDecode, kMg)},
      {"mg_b_three_pads", "mg A=== b\r\n", Mn(kDecodeLine), Err(kDecode, kMg)},
      {"mg_b_all_pads", "mg ==== b\r\n", Mn(kDecodeLine), Err(kDecode, kMg)},
      {"mg_b_no_alphabet", "mg !!!! b\r\n", Mn(kDecodeLine), Err(kDecode, kMg)},
      {"mg_b_short", "mg QQ b\r\n", Mn(kDecodeLine), Err(kDecode, kMg)},
      {"mg_b_twice", "mg Zm9v b b\r\n", Mn(kDuplicateLine), Err(kDuplicate, kMg)},
      {"mg_b_then_bad_token", "mg foo b Tx\r\n", Mn(kBadTokenLine), Err(kBadToken, kMg)},
      {"mg_bad_token_then_b", "mg foo Tx b\r\n", Mn(kDecodeLine), Err(kDecode, kMg)},
      {"mg_b_then_unknown", "mg foo b zz\r\n", Mn(kInvalidLine), Err(kInvalid, kMg)},
  };
}

std::vector<Case> SetCases() {
  return {
      {"ms_no_key", "ms\r\n", Mn("ERROR\r\n"), Err(ParseError::kUnknownCommand, Command::kNone)},
      {"ms_no_datalen", "ms foo\r\n", Mn(kBadFormatLine), Err(kBadFormat, kMs, "foo")},
      {"ms_plain", "ms foo 3\r\nbar\r\n", Mn("HD\r\n"), Set("foo", 3)},
      {"ms_empty_value", "ms foo 0\r\n\r\n", Mn("HD\r\n"), Set("foo", 0)},
      {"ms_datalen_plus", "ms foo +3\r\nbar\r\n", Mn("HD\r\n"), Set("foo", 3)},
      {"ms_datalen_wraps", "ms foo 4294967298 \r\nab\r\n", Mn("HD\r\n"), Set("foo", 2)},
      // Errors before <datalen> is read swallow nothing: the data is a command.
      {"ms_datalen_bad", "ms foo x\r\n", Mn(kBadFormatLine), Err(kBadFormat, kMs, "foo")},
      {"ms_datalen_junk", "ms foo 3x\r\nbar\r\n", Mn(kBadFormatLine + "ERROR\r\n"),
       Err(kBadFormat, kMs, "foo")},
      {"ms_datalen_negative", "ms foo -1\r\n", Mn(kBadFormatLine), Err(kBadFormat, kMs, "foo")},
      {"ms_datalen_too_big", "ms foo 2147483646\r\n", Mn(kBadFormatLine),
       Err(kBadFormat, kMs, "foo")},
      {"ms_key_251", "ms " + A(251) + " 3\r\nbar\r\n", Mn(kBadFormatLine + "ERROR\r\n"),
       Err(kBadFormat, kMs)},
      {"ms_key_251_no_datalen", "ms " + A(251) + "\r\n", Mn(kBadFormatLine), Err(kBadFormat, kMs)},
      {"ms_16_flags",
       ManyFlags("ms foo 3", 16) + "\r\nbar\r\n",
       Mn(""),
       {.command = kMs, .key = "foo", .flags = "fhIklqstuvPLOTNR", .bytes = 3, .opaque = "O"}},
      {"ms_17_flags", ManyFlags("ms foo 3", 17) + "\r\nbar\r\n",
       Mn("CLIENT_ERROR options flags too long\r\nERROR\r\n"),
       Err(ParseError::kMetaFlagsTooLong, kMs, "foo")},
      // Errors after <datalen> swallow the data block (even "mn\r\n" text).
      {"ms_unknown_flag", "ms foo 3 zz\r\nbar\r\n", Mn(kInvalidLine), SetErr(kInvalid, 3)},
      {"ms_unknown_flag_swallows_command", "ms foo 2 zz\r\nmn\r\n", Mn(kInvalidLine),
       SetErr(kInvalid, 2)},
      {"ms_unknown_flag_quiet", "ms foo 3 q zz\r\nbar\r\n", Mn(kInvalidLine), SetErr(kInvalid, 3)},
      {"ms_duplicate", "ms foo 3 c c\r\nbar\r\n", Mn(kDuplicateLine), SetErr(kDuplicate, 3)},
      {"ms_T_bad", "ms foo 3 Tx\r\nbar\r\n", Mn(kBadTokenLine), SetErr(kBadToken, 3)},
      {"ms_T_bad_quiet", "ms foo 3 Tx q\r\nbar\r\n", Mn(kBadTokenLine), SetErr(kBadToken, 3)},
      {"ms_T_without_token", "ms foo 3 T\r\nbar\r\n", Mn(kBadTokenLine), SetErr(kBadToken, 3)},
      {"ms_C_without_token", "ms foo 3 C\r\nbar\r\n", Mn(kBadTokenLine), SetErr(kBadToken, 3)},
      {"ms_F_bad", "ms foo 3 Fx\r\nbar\r\n", Mn(kBadFormatLine), SetErr(kBadFormat, 3)},
      {"ms_F_negative", "ms foo 3 F-1\r\nbar\r\n", Mn(kBadFormatLine), SetErr(kBadFormat, 3)},
      {"ms_F_without_token", "ms foo 3 F\r\nbar\r\n", Mn(kBadFormatLine), SetErr(kBadFormat, 3)},
      {"ms_mode_unknown", "ms foo 3 MX\r\nbar\r\n",
       Mn("CLIENT_ERROR invalid mode for ms M token\r\n"), SetErr(ParseError::kMetaSetMode, 3)},
      {"ms_mode_lowercase", "ms foo 3 Ms\r\nbar\r\n",
       Mn("CLIENT_ERROR invalid mode for ms M token\r\n"), SetErr(ParseError::kMetaSetMode, 3)},
      {"ms_mode_missing", "ms foo 3 M\r\nbar\r\n",
       Mn("CLIENT_ERROR incorrect length for M token\r\n"), SetErr(ParseError::kMetaModeLength, 3)},
      {"ms_mode_long", "ms foo 3 MEE\r\nbar\r\n",
       Mn("CLIENT_ERROR incorrect length for M token\r\n"), SetErr(ParseError::kMetaModeLength, 3)},
      {"ms_opaque_33", "ms foo 3 O" + A(32) + "\r\nbar\r\n", Mn(kOpaqueLine), SetErr(kOpaque, 3)},
      {"ms_mode_error_beats_opaque", "ms foo 3 O" + A(32) + " MX\r\nbar\r\n",
       Mn("CLIENT_ERROR invalid mode for ms M token\r\n"), SetErr(ParseError::kMetaSetMode, 3)},
      {"ms_b_not_base64", "ms foo 3 b\r\nbar\r\n", Mn(kDecodeLine), SetErr(kDecode, 3)},
      {"ms_bad_token_then_b", "ms foo 3 Tx b\r\nbar\r\n", Mn(kDecodeLine), SetErr(kDecode, 3)},
      {"ms_b_then_bad_token", "ms foo 3 b Tx\r\nbar\r\n", Mn(kBadTokenLine), SetErr(kBadToken, 3)},
      {"ms_S_unknown", "ms foo 3 S3\r\nbar\r\n", Mn(kInvalidLine), SetErr(kInvalid, 3)},
      {"ms_zero_length_error", "ms foo 0 zz\r\n\r\n", Mn(kInvalidLine), SetErr(kInvalid, 0)},
      {"ms_E_head",
       "ms foo 3 E5\r\nbar\r\n",
       Mn(kInvalidLine),
       {.command = kMs, .key = "foo", .flags = "E", .bytes = 3, .new_cas = 5},
       true},
      // Flags.
      {"ms_flags",
       "ms foo 3 T0 F5 k O123 s\r\nbar\r\n",
       Mn("HD kfoo O123\r\n"),
       {.command = kMs,
        .key = "foo",
        .flags = "TFkOs",
        .tokens = "T0 F5 k O123 s",
        .bytes = 3,
        .opaque = "O123",
        .client_flags = 5}},
      {"ms_T",
       "ms foo 3 T-1\r\nbar\r\n",
       Mn("HD\r\n"),
       {.command = kMs, .key = "foo", .flags = "T", .bytes = 3, .ttl = -1}},
      {"ms_q_hides_HD", "ms foo 3 q\r\nbar\r\n", Mn(""), Set("foo", 3, "q")},
      {"ms_add",
       "ms foo 3 ME\r\nbar\r\n",
       Mn("HD\r\n"),
       {.command = kMs, .key = "foo", .flags = "M", .bytes = 3, .mode = 'E'}},
      {"ms_append_miss",
       "ms foo 3 MA c\r\nbar\r\n",
       Mn("NS c0\r\n"),
       {.command = kMs, .key = "foo", .flags = "Mc", .bytes = 3, .mode = 'A'}},
      {"ms_prepend_miss",
       "ms foo 3 MP\r\nbar\r\n",
       Mn("NS\r\n"),
       {.command = kMs, .key = "foo", .flags = "M", .bytes = 3, .mode = 'P'}},
      {"ms_replace_miss_quiet",
       "ms foo 3 MR q k O1\r\nbar\r\n",
       Mn("NS kfoo O1\r\n"),
       {.command = kMs, .key = "foo", .flags = "MqkO", .bytes = 3, .opaque = "O1", .mode = 'R'}},
      {"ms_set_mode",
       "ms foo 3 MS\r\nbar\r\n",
       Mn("HD\r\n"),
       {.command = kMs, .key = "foo", .flags = "M", .bytes = 3, .mode = 'S'}},
      {"ms_cas_miss",
       "ms foo 3 C5 I q\r\nbar\r\n",
       Mn("NF\r\n"),
       {.command = kMs, .key = "foo", .flags = "CIq", .bytes = 3, .cas = 5}},
      // N in append mode vivifies in HEAD; 1.6.18 parses it and answers NS.
      {"ms_append_N",
       "ms foo 3 MA N30\r\nbar\r\n",
       Mn("NS\r\n"),
       {.command = kMs, .key = "foo", .flags = "MN", .bytes = 3, .mode = 'A', .vivify = 30}},
      {"ms_get_flags_accepted", "ms foo 3 v h l t f u\r\nbar\r\n", Mn("HD\r\n"),
       Set("foo", 3, "vhltfu")},
      {"ms_b", "ms Zm9v 3 b k\r\nbar\r\n", Mn("HD kZm9v b\r\n"), Set("Zm9v", 3, "bk")},
  };
}

std::vector<Case> DeleteCases() {
  return {
      {"md_no_key", "md\r\n", Mn("ERROR\r\n"), Err(ParseError::kUnknownCommand, Command::kNone)},
      {"md_plain", "md foo\r\n", Mn("NF\r\n"), Ok(kMd, "foo")},
      {"md_quiet_keeps_NF", "md foo q\r\n", Mn("NF\r\n"), Ok(kMd, "foo", "q")},
      {"md_k_O",
       "md foo k O5 q\r\n",
       Mn("NF kfoo O5\r\n"),
       {.command = kMd, .key = "foo", .flags = "kOq", .opaque = "O5"}},
      {"md_invalidate",
       "md foo I T30 C5\r\n",
       Mn("NF\r\n"),
       {.command = kMd, .key = "foo", .flags = "ITC", .ttl = 30, .cas = 5}},
      {"md_mode_ignored",
       "md foo MX\r\n",
       Mn("NF\r\n"),
       {.command = kMd, .key = "foo", .flags = "M", .mode = 'X'}},
      {"md_key_251", "md " + A(251) + " q\r\n", Mn(kBadFormatLine), Err(kBadFormat, kMd)},
      {"md_18_flags", ManyFlags("md foo", 18) + "\r\n",
       Mn("CLIENT_ERROR options flags too long\r\n"), Err(ParseError::kMetaFlagsTooLong, kMd)},
      // Every scan failure is one string for md.
      {"md_unknown", "md foo zz\r\n", Mn(kInvalidOrDupLine), Err(kInvalidOrDup, kMd)},
      {"md_duplicate", "md foo k k\r\n", Mn(kInvalidOrDupLine), Err(kInvalidOrDup, kMd)},
      {"md_T_bad", "md foo Tx\r\n", Mn(kInvalidOrDupLine), Err(kInvalidOrDup, kMd)},
      {"md_C_bad", "md foo Cx\r\n", Mn(kInvalidOrDupLine), Err(kInvalidOrDup, kMd)},
      {"md_b_not_base64", "md foo b\r\n", Mn(kInvalidOrDupLine), Err(kInvalidOrDup, kMd)},
      {"md_scan_before_opaque", "md foo O" + A(40) + " zz\r\n", Mn(kInvalidOrDupLine),
       Err(kInvalidOrDup, kMd)},
      {"md_opaque_33", "md foo O" + A(32) + "\r\n", Mn(kOpaqueLine), Err(kOpaque, kMd)},
      {"md_x_head", "md foo x\r\n", Mn(kInvalidOrDupLine), Ok(kMd, "foo", "x"), true},
      {"md_E_head",
       "md foo E1\r\n",
       Mn(kInvalidOrDupLine),
       {.command = kMd, .key = "foo", .flags = "E", .new_cas = 1},
       true},
      {"md_b_k", "md Zm9v b k\r\n", Mn("NF kZm9v b\r\n"), Ok(kMd, "Zm9v", "bk")},
  };
}

std::vector<Case> ArithmeticCases() {
  const std::string mode_line = "CLIENT_ERROR invalid mode for ma M token\r\n";
  return {
      {"ma_no_key", "ma\r\n", Mn("ERROR\r\n"), Err(ParseError::kUnknownCommand, Command::kNone)},
      {"ma_plain", "ma foo\r\n", Mn("NF\r\n"), Ok(kMa, "foo")},
      {"ma_quiet_keeps_NF", "ma foo q\r\n", Mn("NF\r\n"), Ok(kMa, "foo", "q")},
      {"ma_k_O_v",
       "ma foo k O1 v\r\n",
       Mn("NF kfoo O1\r\n"),
       {.command = kMa, .key = "foo", .flags = "kOv", .opaque = "O1"}},
      {"ma_vivify",
       "ma foo N0 J10 v\r\n",
       Mn("VA 2\r\n10\r\n"),
       {.command = kMa, .key = "foo", .flags = "NJv", .initial = 10}},
      // 1.6.18 does not hide the reply of a vivified ma under q.
      {"ma_vivify_quiet", "ma foo N0 q\r\n", Mn("HD\r\n"), Ok(kMa, "foo", "Nq")},
      {"ma_vivify_max",
       "ma foo N0 J18446744073709551615 v t\r\n",
       Mn("VA 20 t-1\r\n18446744073709551615\r\n"),
       {.command = kMa, .key = "foo", .flags = "NJvt", .initial = UINT64_MAX}},
      {"ma_vivify_t_after_N",
       "ma foo N30 v t T0\r\n",
       Mn("VA 1 t30\r\n0\r\n"),
       {.command = kMa, .key = "foo", .flags = "NvtT", .vivify = 30}},
      {"ma_delta",
       "ma foo D18446744073709551615 MD\r\n",
       Mn("NF\r\n"),
       {.command = kMa, .key = "foo", .flags = "DM", .mode = 'D', .delta = UINT64_MAX}},
      {"ma_mode_I",
       "ma foo MI\r\n",
       Mn("NF\r\n"),
       {.command = kMa, .key = "foo", .flags = "M", .mode = 'I'}},
      {"ma_mode_plus",
       "ma foo M+\r\n",
       Mn("NF\r\n"),
       {.command = kMa, .key = "foo", .flags = "M", .mode = '+'}},
      {"ma_mode_minus",
       "ma foo M-\r\n",
       Mn("NF\r\n"),
       {.command = kMa, .key = "foo", .flags = "M", .mode = '-'}},
      {"ma_cas_miss",
       "ma foo C1 q k\r\n",
       Mn("NF kfoo\r\n"),
       {.command = kMa, .key = "foo", .flags = "Cqk", .cas = 1}},
      {"ma_mode_unknown", "ma foo Mi v\r\n", Mn(mode_line),
       Err(ParseError::kMetaArithmeticMode, kMa)},
      {"ma_mode_error_beats_opaque", "ma foo Mi O" + A(40) + "\r\n", Mn(mode_line),
       Err(ParseError::kMetaArithmeticMode, kMa)},
      {"ma_mode_missing", "ma foo M v\r\n", Mn(kInvalidOrDupLine), Err(kInvalidOrDup, kMa)},
      {"ma_mode_long", "ma foo MII v\r\n", Mn(kInvalidOrDupLine), Err(kInvalidOrDup, kMa)},
      {"ma_J_bad", "ma foo Jx\r\n", Mn(kInvalidOrDupLine), Err(kInvalidOrDup, kMa)},
      {"ma_D_bad", "ma foo Dx\r\n", Mn(kInvalidOrDupLine), Err(kInvalidOrDup, kMa)},
      {"ma_D_negative", "ma foo D-1\r\n", Mn(kInvalidOrDupLine), Err(kInvalidOrDup, kMa)},
      {"ma_D_overflow", "ma foo D18446744073709551616\r\n", Mn(kInvalidOrDupLine),
       Err(kInvalidOrDup, kMa)},
      {"ma_unknown_quiet", "ma foo q zz\r\n", Mn(kInvalidOrDupLine), Err(kInvalidOrDup, kMa)},
      {"ma_opaque_33", "ma foo O" + A(32) + "\r\n", Mn(kOpaqueLine), Err(kOpaque, kMa)},
      {"ma_key_251", "ma " + A(251) + "\r\n", Mn(kBadFormatLine), Err(kBadFormat, kMa)},
      {"ma_18_flags", ManyFlags("ma foo", 18) + "\r\n",
       Mn("CLIENT_ERROR options flags too long\r\n"), Err(ParseError::kMetaFlagsTooLong, kMa)},
      {"ma_E_head",
       "ma foo E9\r\n",
       Mn(kInvalidOrDupLine),
       {.command = kMa, .key = "foo", .flags = "E", .new_cas = 9},
       true},
  };
}

std::vector<Case> NoopDebugCases() {
  return {
      {"mn", "mn\r\n", Mn("MN\r\n"), Ok(kMn, "")},
      {"mn_ignores_tokens", "mn foo bar\r\n", Mn("MN\r\n"), Ok(kMn, "")},
      {"me_no_key", "me\r\n", Mn(kBadFormatLine), Err(kBadFormat, kMe)},
      {"me_plain", "me foo\r\n", Mn("EN\r\n"), Ok(kMe, "foo")},
      {"me_b", "me Zm9v b\r\n", Mn("EN\r\n"), Ok(kMe, "Zm9v", "b")},
      {"me_b_not_second", "me Zm9v x b\r\n", Mn("EN\r\n"), Ok(kMe, "Zm9v")},
      {"me_ignores_tokens", "me foo zz yy\r\n", Mn("EN\r\n"), Ok(kMe, "foo")},
      {"me_b_not_base64", "me foo b\r\n", Mn(kBadFormatLine), Err(kBadFormat, kMe)},
      {"me_b_no_alphabet", "me !!!! b\r\n", Mn(kBadFormatLine), Err(kBadFormat, kMe)},
      {"me_key_251", "me " + A(251) + "\r\n", Mn(kBadFormatLine), Err(kBadFormat, kMe)},
  };
}

std::vector<Case> AllCases() {
  std::vector<Case> all;
  for (auto* part : {&GetCases, &SetCases, &DeleteCases, &ArithmeticCases, &NoopDebugCases}) {
    for (Case& c : part()) all.push_back(std::move(c));
  }
  return all;
}

MetaFlagSet SetOf(std::string_view letters) {
  MetaFlagSet s;
  for (char c : letters) s.Add(c);
  return s;
}

void ExpectMeta(const Request& r, const Want& w) {
  EXPECT_EQ(r.command, w.command);
  EXPECT_FALSE(r.noreply);  // meta errors are always sent
  EXPECT_EQ(r.meta.swallow_data, w.swallow);
  EXPECT_EQ(r.value_bytes, w.bytes);
  if (w.status != kParseOk) return;  // other fields are "as far as read"
  EXPECT_EQ(r.key, w.key);
  EXPECT_TRUE(r.meta.set == SetOf(w.flags)) << "flags " << w.flags;
  if (w.tokens) {
    EXPECT_EQ(r.meta.tokens, *w.tokens);
  }
  EXPECT_EQ(r.meta.opaque, w.opaque);
  EXPECT_EQ(r.meta.mode, w.mode);
  EXPECT_EQ(r.meta.ttl, w.ttl);
  EXPECT_EQ(r.meta.vivify_ttl, w.vivify);
  EXPECT_EQ(r.meta.recache_ttl, w.recache);
  EXPECT_EQ(r.meta.client_flags, w.client_flags);
  EXPECT_EQ(r.meta.compare_cas, w.cas);
  EXPECT_EQ(r.meta.new_cas, w.new_cas);
  EXPECT_EQ(r.meta.initial, w.initial);
  EXPECT_EQ(r.meta.delta, w.delta);
}

class MetaParserTableTest : public testing::TestWithParam<Case> {};

TEST_P(MetaParserTableTest, Parses) {
  const Case& c = GetParam();
  Request r;
  const ParseResult res = ParseTextRequest(c.input, &r);
  ASSERT_EQ(res.status, c.want.status);
  EXPECT_EQ(res.error, c.want.error);
  EXPECT_EQ(res.consumed, c.input.find('\n') + 1);
  ExpectMeta(r, c.want);
  // memcached's first reply line is our error string (HEAD-only rows differ).
  if (c.want.status == kParseError && !c.head) {
    EXPECT_TRUE(c.mc.starts_with(ErrorReply(res.error)))
        << "ours: " << ErrorReply(res.error) << "1.6.18: " << c.mc;
  }
}

INSTANTIATE_TEST_SUITE_P(Memcached1618, MetaParserTableTest, testing::ValuesIn(AllCases()),
                         [](const testing::TestParamInfo<Case>& info) { return info.param.name; });

// With SLABCACHED_DUMP_META_CASES=<file>, writes "name hex(input) hex(mc)"
// lines for tests/unit/proto/meta_reference_replay.py. Does nothing otherwise.
TEST(MetaParserTest, DISABLED_DumpCasesForReferenceCheck) {
  const char* path = std::getenv("SLABCACHED_DUMP_META_CASES");
  if (path == nullptr) GTEST_SKIP() << "set SLABCACHED_DUMP_META_CASES to dump";
  std::ofstream out(path);
  auto hex = [&out](std::string_view s) {
    if (s.empty()) out << '-';
    for (unsigned char ch : s) out << "0123456789abcdef"[ch >> 4] << "0123456789abcdef"[ch & 15];
  };
  for (const Case& c : AllCases()) {
    out << c.name << ' ';
    hex(c.input);
    out << ' ';
    hex(c.mc);
    out << '\n';
  }
  ASSERT_TRUE(out.good());
}

TEST(MetaParserTest, TableCoversEveryErrorString) {
  std::vector<bool> seen(static_cast<size_t>(ParseError::kMetaArithmeticMode) + 1);
  for (const Case& c : AllCases()) seen[static_cast<size_t>(c.want.error)] = true;
  for (size_t e = static_cast<size_t>(ParseError::kMetaInvalidFlag); e < seen.size(); ++e) {
    EXPECT_TRUE(seen[e]) << "no row for ParseError " << e;
    EXPECT_FALSE(MetaErrorReply(static_cast<ParseError>(e)).empty());
    EXPECT_EQ(ErrorReply(static_cast<ParseError>(e)), MetaErrorReply(static_cast<ParseError>(e)));
  }
  EXPECT_EQ(MetaErrorReply(ParseError::kBadFormat), "");
}

// Errors are returned even with q: the request says it was quiet, and the
// reply is not suppressed (noreply stays false).
TEST(MetaParserTest, ErrorsRecordQuietButAreSent) {
  Request r;
  ASSERT_EQ(ParseTextRequest("mg foo q zz\r\n", &r).status, kParseError);
  EXPECT_TRUE(r.meta.quiet());
  EXPECT_FALSE(r.noreply);
  EXPECT_EQ(r.command, kMg);
  ASSERT_EQ(ParseTextRequest("ms foo 7 q Tx\r\n", &r).status, kParseError);
  EXPECT_TRUE(r.meta.quiet());
  EXPECT_TRUE(r.meta.swallow_data);
  EXPECT_EQ(r.value_bytes, 7u);
}

TEST(MetaParserTest, MetaKeyDecodesBase64) {
  Request r;
  MetaKeyBuffer scratch;
  ASSERT_EQ(ParseTextRequest("mg Zm9v b v\r\n", &r).status, kParseOk);
  EXPECT_EQ(r.key, "Zm9v");
  EXPECT_EQ(MetaKey(r, &scratch), "foo");
  ASSERT_EQ(ParseTextRequest("mg Q=Q= b\r\n", &r).status, kParseOk);
  EXPECT_EQ(MetaKey(r, &scratch), "@");
  ASSERT_EQ(ParseTextRequest("mg AAAA b\r\n", &r).status, kParseOk);
  EXPECT_EQ(MetaKey(r, &scratch), std::string(3, '\0'));
  ASSERT_EQ(ParseTextRequest("md plain\r\n", &r).status, kParseOk);
  EXPECT_EQ(MetaKey(r, &scratch), "plain");
  EXPECT_EQ(MetaKey(r, &scratch).data(), r.key.data());  // no copy without b
  ASSERT_EQ(ParseTextRequest("me Zm9v b\r\n", &r).status, kParseOk);
  EXPECT_EQ(MetaKey(r, &scratch), "foo");
}

TEST(MetaParserTest, ForEachMetaTokenWalksInOrder) {
  Request r;
  ASSERT_EQ(ParseTextRequest("ms k 2  T5   Oab  c \r\n", &r).status, kParseOk);
  EXPECT_EQ(r.meta.tokens, "T5   Oab  c");
  std::vector<std::string> toks;
  ForEachMetaToken(r.meta.tokens, [&](std::string_view t) { toks.emplace_back(t); });
  EXPECT_EQ(toks, (std::vector<std::string>{"T5", "Oab", "c"}));
  ASSERT_EQ(ParseTextRequest("mg k\r\n", &r).status, kParseOk);
  EXPECT_TRUE(r.meta.tokens.empty());
}

// Pelikan's test_partial_header: every strict prefix of a line is kNeedMore
// and consumes nothing.
TEST(MetaParserTest, PartialLineConsumesNothing) {
  for (const Case& c : AllCases()) {
    const size_t nl = c.input.find('\n');
    for (size_t len = 0; len <= nl; ++len) {
      Request r;
      const ParseResult res = ParseTextRequest(std::string_view(c.input).substr(0, len), &r);
      ASSERT_EQ(res.status, kNeedMore) << c.name << " len " << len;
      ASSERT_EQ(res.consumed, 0u);
    }
  }
}

// --- fragment sweep (Seastar's for_each_fragment_size) ---

struct Event {
  ParseStatus status;
  ParseError error;
  Command command;
  std::string key;
  std::string tokens;
  std::string data;  // ms: the data block read after the line (or swallowed)
  bool operator==(const Event&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Event& e) {
  return os << "{status " << static_cast<int>(e.status) << " error " << static_cast<int>(e.error)
            << " cmd " << static_cast<int>(e.command) << " key '" << e.key << "' tokens '"
            << e.tokens << "' data '" << e.data << "'}";
}

struct Trace {
  std::vector<Event> events;
  size_t leftover = 0;
  bool operator==(const Trace&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Trace& t) {
  os << t.events.size() << " events, " << t.leftover << " left over:";
  for (const Event& e : t.events) os << " " << e;
  return os;
}

bool IsStorage(Command c) { return c >= Command::kSet && c <= Command::kCas; }

// Feeds `input` in `piece`-byte pieces like a connection: parse until
// kNeedMore; after an accepted storage line (set ... or ms) or an ms error
// with swallow_data, take value_bytes + 2 bytes before parsing on.
Trace Drive(std::string_view input, size_t piece) {
  Trace t;
  std::string buf;
  size_t awaiting = 0;
  bool in_value = false;
  for (size_t fed = 0; fed < input.size();) {
    const size_t n = std::min(piece, input.size() - fed);
    buf.append(input.substr(fed, n));
    fed += n;
    while (true) {
      if (in_value) {
        if (buf.size() < awaiting) break;
        t.events.back().data = buf.substr(0, awaiting);
        buf.erase(0, awaiting);
        in_value = false;
      }
      Request r;
      const ParseResult res = ParseTextRequest(buf, &r);
      if (res.status == kNeedMore) break;
      t.events.push_back(
          {res.status, res.error, r.command, std::string(r.key), std::string(r.meta.tokens), ""});
      if (res.status == ParseStatus::kClose) return t;
      buf.erase(0, res.consumed);
      const bool ok_block = res.status == kParseOk && (r.command == kMs || IsStorage(r.command));
      if (ok_block || r.meta.swallow_data) {
        in_value = true;
        awaiting = size_t{r.value_bytes} + 2;
      }
    }
  }
  t.leftover = buf.size();
  return t;
}

std::vector<std::string> SweepInputs() {
  std::vector<std::string> inputs;
  for (const Case& c : AllCases()) inputs.push_back(c.input);
  // Quiet pipelines ended by mn, data blocks holding "\r\n" and command text.
  inputs.push_back("mg a q v\r\nmg b q v k O1\r\nms c 5 q T0\r\nmn\r\n\r\nmn\r\nmn\r\n");
  inputs.push_back("ms a 2\r\n\r\n\r\nmg a v\r\nset b 0 0 4\r\nms x\r\nms b 0 MA\r\n\r\nmn\r\n");
  // Rejected ms lines: after <datalen> the block is swallowed, before not.
  inputs.push_back("ms a 3 zz\r\nmn\r\nms a x\r\nmn\r\nms a 3 MX O1\r\nabc\r\nmd a q\r\nmn\r\n");
  inputs.push_back("ma n N0 J5 v\r\nma n MD D2 q\r\nmd n I T30\r\nmg n v c t\r\nme n\r\nmn\r\n");
  inputs.push_back("mg Zm9v b k v\r\nms Zm9v 3 b\r\nbar\r\nmg foo b\r\nmx\r\nget foo\r\nmn\r\n");
  // Ends mid-line and mid-block.
  inputs.push_back("mn\r\nms a 10 T5\r\nhel");
  inputs.push_back("mn\r\nmg a v k O");
  return inputs;
}

TEST(MetaParserTest, FragmentSweep) {
  size_t checked = 0;
  for (const std::string& input : SweepInputs()) {
    const Trace whole = Drive(input, input.size());
    for (size_t piece : {1, 2, 5, 10, 100}) {
      ASSERT_EQ(Drive(input, piece), whole)
          << "piece " << piece << " input '" << input.substr(0, 80) << "'";
      ++checked;
    }
  }
  EXPECT_GT(checked, 1000u);
}

TEST(MetaParserTest, FragmentSweepPipelineEvents) {
  const Trace t =
      Drive("ms a 2 zz\r\nmn\r\nms a x\r\nmn\r\nms b 2 T5\r\nhi\r\nmg b q v\r\nmn\r\n", 3);
  ASSERT_EQ(t.events.size(), 6u) << t;
  EXPECT_EQ(t.events[0].error, kInvalid);
  EXPECT_EQ(t.events[0].data, "mn\r\n");     // swallowed, as memcached
  EXPECT_EQ(t.events[1].error, kBadFormat);  // nothing swallowed
  EXPECT_EQ(t.events[2].command, kMn);
  EXPECT_EQ(t.events[3].command, kMs);
  EXPECT_EQ(t.events[3].data, "hi\r\n");
  EXPECT_EQ(t.events[4].command, kMg);
  EXPECT_EQ(t.events[5].command, kMn);
  EXPECT_EQ(t.leftover, 0u);
}

// --- compose -> parse round trips (Pelikan's check_memcache) ---

void ExpectSameMeta(const Request& a, const Request& b, const std::string& name) {
  EXPECT_EQ(a.command, b.command) << name;
  EXPECT_EQ(a.key, b.key) << name;
  EXPECT_EQ(a.value_bytes, b.value_bytes) << name;
  EXPECT_TRUE(a.meta.set == b.meta.set) << name;
  EXPECT_EQ(a.meta.opaque, b.meta.opaque) << name;
  EXPECT_EQ(a.meta.mode, b.meta.mode) << name;
  EXPECT_EQ(a.meta.ttl, b.meta.ttl) << name;
  EXPECT_EQ(a.meta.vivify_ttl, b.meta.vivify_ttl) << name;
  EXPECT_EQ(a.meta.recache_ttl, b.meta.recache_ttl) << name;
  EXPECT_EQ(a.meta.client_flags, b.meta.client_flags) << name;
  EXPECT_EQ(a.meta.compare_cas, b.meta.compare_cas) << name;
  EXPECT_EQ(a.meta.new_cas, b.meta.new_cas) << name;
  EXPECT_EQ(a.meta.initial, b.meta.initial) << name;
  EXPECT_EQ(a.meta.delta, b.meta.delta) << name;
}

TEST(MetaParserTest, RoundTripEveryParsedRequest) {
  size_t n = 0;
  for (const Case& c : AllCases()) {
    if (c.want.status != kParseOk) continue;
    Request first;
    ASSERT_EQ(ParseTextRequest(c.input, &first).status, kParseOk) << c.name;
    std::string line;
    ASSERT_TRUE(AppendMetaRequest(&line, first)) << c.name;
    Request second;
    const ParseResult res = ParseTextRequest(line, &second);
    ASSERT_EQ(res.status, kParseOk) << c.name << ": " << line;
    EXPECT_EQ(res.consumed, line.size()) << c.name;
    ExpectSameMeta(first, second, c.name);
    ++n;
  }
  EXPECT_GT(n, 60u);
}

TEST(MetaParserTest, RoundTripFromFields) {
  Request ms;
  ms.command = kMs;
  ms.key = "user:42";
  ms.value_bytes = 2147483645u;
  ms.meta.set = SetOf("qkcbCEFIMNOT");
  ms.meta.compare_cas = UINT64_MAX;
  ms.meta.new_cas = 7;
  ms.meta.client_flags = 4294967295u;
  ms.meta.mode = 'A';
  ms.meta.vivify_ttl = -2147483647 - 1;
  ms.meta.opaque = "Oxyz";
  ms.meta.ttl = 30;
  std::string line;
  ASSERT_TRUE(AppendMetaRequest(&line, ms));
  EXPECT_EQ(line,
            "ms user:42 2147483645 b c I k q C18446744073709551615 E7 F4294967295 MA "
            "N-2147483648 Oxyz T30\r\n");
  // "user:42" is not base64: the b flag makes it a decode error.
  Request back;
  EXPECT_EQ(ParseTextRequest(line, &back).error, kDecode);
  ms.key = "dXNlcjo0Mg==";
  line.clear();
  ASSERT_TRUE(AppendMetaRequest(&line, ms));
  ASSERT_EQ(ParseTextRequest(line, &back).status, kParseOk) << line;
  ExpectSameMeta(ms, back, "ms");

  Request mn;
  mn.command = kMn;
  line.clear();
  ASSERT_TRUE(AppendMetaRequest(&line, mn));
  EXPECT_EQ(line, "mn\r\n");
  line.clear();
  EXPECT_FALSE(AppendMetaRequest(&line, Request{}));
  EXPECT_TRUE(line.empty());
}

}  // namespace
}  // namespace slabcached::proto
