// SASL for the binary protocol (-S): the PLAIN mechanism (RFC 4616)
// checked against a password file.
//
// The password file holds one "user:password" per line (memcached's -Y
// auth file format); blank lines and lines starting with '#' are ignored.
// Passwords may contain ':' (only the first one separates).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace slabcached {

using SaslUsers = std::map<std::string, std::string, std::less<>>;

// What SASL list mechs answers.
inline constexpr std::string_view kSaslMechanisms = "PLAIN";

// Reads `path`; false with `error` set if it cannot be read or a line has no ':'.
bool LoadSaslPasswords(const std::string& path, SaslUsers* users, std::string* error);

// Checks PLAIN client data: "[authzid] NUL user NUL password". The
// authorization id must be empty or equal to the user.
bool CheckPlain(const SaslUsers& users, std::string_view data);

// The users of memcached's -Y auth file (ASCII authentication), which SIGHUP
// reloads while workers check passwords against it.
class PasswordFile {
 public:
  explicit PasswordFile(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }
  // (Re)reads the file; on failure the users loaded before stay.
  bool Load(std::string* error);
  bool Check(std::string_view user, std::string_view password) const;

 private:
  const std::string path_;
  std::atomic<std::shared_ptr<const SaslUsers>> users_{std::make_shared<const SaslUsers>()};
};

}  // namespace slabcached
