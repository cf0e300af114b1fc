#include "src/sasl.h"

#include <fstream>

namespace slabcached {
namespace {

// Compares without an early exit, so the time taken does not reveal how
// much of a password matched.
bool SameSecret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i < b.size() ? i : 0]);
  }
  return diff == 0 && !b.empty();
}

}  // namespace

bool LoadSaslPasswords(const std::string& path, SaslUsers* users, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read the SASL password file " + path;
    return false;
  }
  users->clear();
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      *error = path + ":" + std::to_string(number) + ": expected \"user:password\"";
      return false;
    }
    (*users)[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return true;
}

bool PasswordFile::Load(std::string* error) {
  SaslUsers users;
  if (!LoadSaslPasswords(path_, &users, error)) return false;
  users_.store(std::make_shared<const SaslUsers>(std::move(users)));
  return true;
}

bool PasswordFile::Check(std::string_view user, std::string_view password) const {
  const std::shared_ptr<const SaslUsers> users = users_.load();
  const auto it = users->find(user);
  return it != users->end() && SameSecret(password, it->second);
}

bool CheckPlain(const SaslUsers& users, std::string_view data) {
  const size_t first = data.find('\0');
  if (first == std::string_view::npos) return false;
  const size_t second = data.find('\0', first + 1);
  if (second == std::string_view::npos) return false;
  const std::string_view authzid = data.substr(0, first);
  const std::string_view user = data.substr(first + 1, second - first - 1);
  const std::string_view password = data.substr(second + 1);
  if (!authzid.empty() && authzid != user) return false;
  const auto it = users.find(user);
  if (it == users.end()) return false;
  return SameSecret(password, it->second);
}

}  // namespace slabcached
