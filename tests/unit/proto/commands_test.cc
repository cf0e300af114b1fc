// The command table: one row per Command, and every name goes through the
// parser and the encoders unchanged.
#include "proto/commands.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "proto/meta_encoder.h"
#include "proto/meta_parser.h"
#include "proto/text_encoder.h"
#include "proto/text_parser.h"

namespace slabcached::proto {
namespace {

TEST(CommandsTest, EveryCommandHasExactlyOneRow) {
  std::map<Command, int> rows;
  for (const CommandInfo& info : kCommands) ++rows[info.command];
  for (size_t i = 0; i <= static_cast<size_t>(Command::kMetaDebug); ++i) {
    const auto command = static_cast<Command>(i);
    EXPECT_EQ(rows[command], 1) << "command " << i;
    EXPECT_EQ(InfoOf(command).command, command) << "command " << i;
  }
  EXPECT_EQ(rows.size(), kCommands.size());
}

TEST(CommandsTest, NamesAreUniqueAndFoundAgain) {
  std::map<std::string_view, int> names;
  for (const CommandInfo& info : kCommands) {
    if (info.name.empty()) continue;
    EXPECT_EQ(++names[info.name], 1) << info.name;
    const CommandInfo* found = FindCommand(info.name);
    ASSERT_NE(found, nullptr) << info.name;
    EXPECT_EQ(found->command, info.command) << info.name;
    EXPECT_NE(info.Has(kClassic), info.Has(kMeta)) << info.name;
  }
  for (const CommandAlias& alias : kCommandAliases) {
    EXPECT_EQ(names.count(alias.name), 0u) << alias.name;
    ASSERT_NE(FindCommand(alias.name), nullptr) << alias.name;
    EXPECT_EQ(FindCommand(alias.name)->command, alias.command) << alias.name;
  }
}

TEST(CommandsTest, UnknownNamesAreNotFound) {
  for (std::string_view name : {"", "g", "ge", "gett", "GET", "mx", "m", "bge", "extstore", "get ",
                                "lru_crawle", "refresh_certz", "debugtimes"}) {
    EXPECT_EQ(FindCommand(name), nullptr) << '"' << name << '"';
  }
}

TEST(CommandsTest, OnlyWireCommandsHaveNames) {
  for (Command binary_only :
       {Command::kNoop, Command::kSaslListMechs, Command::kSaslAuth, Command::kSaslStep}) {
    EXPECT_TRUE(InfoOf(binary_only).name.empty());
  }
  EXPECT_TRUE(InfoOf(Command::kNone).name.empty());
}

TEST(CommandsTest, FlagsSayWhatFollowsTheLine) {
  EXPECT_TRUE(InfoOf(Command::kGat).Has(kRetrieval));
  EXPECT_FALSE(InfoOf(Command::kMetaGet).Has(kRetrieval));  // one key, no key list
  EXPECT_TRUE(InfoOf(Command::kCas).Has(kStorage));
  EXPECT_TRUE(InfoOf(Command::kMetaSet).Has(kStorage));
  EXPECT_FALSE(InfoOf(Command::kIncr).Has(kStorage));
  EXPECT_TRUE(InfoOf(Command::kGats).Has(kReturnsCas));
  EXPECT_TRUE(InfoOf(Command::kGats).Has(kTouches));
  EXPECT_FALSE(InfoOf(Command::kGets).Has(kTouches));
}

// A request line with the fewest tokens the command accepts, built by the
// encoder from the row, must parse back to the same command.
Request Minimal(Command command) {
  Request req;
  req.command = command;
  req.key = "k";
  req.keys = "k";
  req.value_bytes = 1;
  if (command == Command::kLru) req.args = "mode";
  return req;
}

TEST(CommandsTest, EveryNameRoundTripsThroughEncoderAndParser) {
  int checked = 0;
  for (const CommandInfo& info : kCommands) {
    if (info.name.empty() || info.Has(kTestOnly)) continue;
    const Request req = Minimal(info.command);
    std::string line;
    if (info.Has(kClassic)) {
      ASSERT_TRUE(AppendRequestLine(&line, req)) << info.name;
      EXPECT_EQ(TextCommandName(info.command), info.name);
    } else {
      ASSERT_TRUE(AppendMetaRequest(&line, req)) << info.name;
    }
    EXPECT_EQ(line.substr(0, line.find_first_of(" \r")), info.name);
    Request back;
    const ParseResult parsed = ParseTextRequest(line, &back);
    EXPECT_EQ(parsed.status, ParseStatus::kOk) << line;
    EXPECT_EQ(back.command, info.command) << line;
    EXPECT_EQ(parsed.consumed, line.size()) << line;
    ++checked;
  }
  EXPECT_EQ(checked, 32);  // 26 classic + 6 meta
}

TEST(CommandsTest, ArityIsWhatTheParserEnforces) {
  for (const CommandInfo& info : kCommands) {
    if (!info.Has(kClassic) || info.min_ntokens <= 2) continue;
    // One token fewer than the minimum: "ERROR", rejected before the handler.
    std::string line(info.name);
    for (size_t n = 2; n + 1 < info.min_ntokens; ++n) line += " 1";
    line += "\r\n";
    Request back;
    const ParseResult parsed = ParseTextRequest(line, &back);
    EXPECT_EQ(parsed.status, ParseStatus::kError) << line;
    EXPECT_EQ(parsed.error, ParseError::kUnknownCommand) << line;
    EXPECT_EQ(back.command, Command::kNone) << line;
  }
  for (const CommandInfo& info : kCommands) {
    if (!info.Has(kClassic) || info.max_ntokens >= kAnyNtokens) continue;
    std::string line(info.name);
    for (size_t n = 1; n < info.max_ntokens; ++n) line += " 1";  // one token too many
    line += "\r\n";
    Request back;
    const ParseResult parsed = ParseTextRequest(line, &back);
    EXPECT_EQ(parsed.error, ParseError::kUnknownCommand) << line;
    EXPECT_EQ(back.command, Command::kNone) << line;
  }
}

}  // namespace
}  // namespace slabcached::proto
