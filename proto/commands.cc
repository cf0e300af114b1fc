// FindCommand(): an open-addressing index over the names of kCommands and
// kCommandAliases, built at compile time. The hash reads the first two
// bytes and the length, which tell today's names apart (each sits in its
// own slot, so a known name costs one probe and one compare); a new name
// that collides only costs a second probe.
#include "proto/commands.h"

namespace slabcached::proto {
namespace {

constexpr bool RowsInEnumOrder() {
  for (size_t i = 0; i < kCommands.size(); ++i) {
    if (static_cast<size_t>(kCommands[i].command) != i) return false;
  }
  return true;
}
static_assert(RowsInEnumOrder(), "kCommands must list the commands in enum order");

constexpr size_t kSlots = 128;  // a power of two, over three times the names
constexpr size_t kNamedCount = kCommands.size() + kCommandAliases.size();
static_assert(kNamedCount < kSlots / 2);

// Names must be at least two bytes (no command is shorter).
constexpr size_t Hash(std::string_view name) {
  const auto first = static_cast<unsigned char>(name[0]);
  const auto second = static_cast<unsigned char>(name[1]);
  return (first + second * 3 + name.size() * 8) & (kSlots - 1);
}

// Each slot holds a name and 1 + its command's row in kCommands (0: empty).
struct NameIndex {
  std::array<uint8_t, kSlots> row{};
  std::array<std::string_view, kSlots> name{};
};

constexpr NameIndex BuildIndex() {
  NameIndex index;
  auto add = [&index](std::string_view name, Command command) {
    size_t slot = Hash(name);
    while (index.row[slot] != 0) slot = (slot + 1) & (kSlots - 1);
    index.row[slot] = static_cast<uint8_t>(static_cast<size_t>(command) + 1);
    index.name[slot] = name;
  };
  for (const CommandInfo& info : kCommands) {
    if (!info.name.empty()) add(info.name, info.command);
  }
  for (const CommandAlias& alias : kCommandAliases) add(alias.name, alias.command);
  return index;
}

constexpr NameIndex kIndex = BuildIndex();

// Names are a few bytes: a loop beats a call to memcmp.
bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace

const CommandInfo* FindCommand(std::string_view name) {
  if (name.size() < 2) return nullptr;
  for (size_t slot = Hash(name); kIndex.row[slot] != 0; slot = (slot + 1) & (kSlots - 1)) {
    if (SameName(kIndex.name[slot], name)) return &kCommands[kIndex.row[slot] - 1];
  }
  return nullptr;
}

}  // namespace slabcached::proto
