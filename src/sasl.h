// SASL for the binary protocol (-S): the PLAIN mechanism (RFC 4616)
// checked against a password file.
//
// The password file holds one "user:password" per line (memcached's -Y
// auth file format); blank lines and lines starting with '#' are ignored.
// Passwords may contain ':' (only the first one separates).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace slabcached {

using SaslUsers = std::map<std::string, std::string, std::less<>>;

// What SASL list mechs answers.
inline constexpr std::string_view kSaslMechanisms = "PLAIN";

// Reads `path`; false with `error` set if it cannot be read or a line has no ':'.
bool LoadSaslPasswords(const std::string& path, SaslUsers* users, std::string* error);

// Checks PLAIN client data: "[authzid] NUL user NUL password". The
// authorization id must be empty or equal to the user.
bool CheckPlain(const SaslUsers& users, std::string_view data);

}  // namespace slabcached
