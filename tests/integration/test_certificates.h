// Throw-away TLS certificates for the integration tests (the daemon's TLS in
// tls_test.cc, the client's in client/tls_client_test.cc and the C API's):
// a CA "ca" that signs "server-one", "server-two" and "client", and a second
// CA "other-ca" that signs nothing (a server the client must refuse). Made
// with the openssl CLI ($OPENSSL_BIN, else "openssl") in a fresh directory
// that daemons dropping to "nobody" can read. Header-only: both test
// binaries include it.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace slabcached::testing {

class TestCertificates {
 public:
  // ok() is false (see error()) if the openssl CLI failed.
  TestCertificates() {
    char pattern[] = "/tmp/slabcached-tls-test.XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
      error_ = "mkdtemp failed";
      return;
    }
    dir_ = pattern;
    ::chmod(dir_.c_str(), 0755);  // the servers run as "nobody"
    const char* env = std::getenv("OPENSSL_BIN");
    const std::string openssl = env != nullptr && *env != '\0' ? env : "openssl";
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    std::vector<std::string> commands;
    for (const std::string ca : {"ca", "other-ca"}) {
      commands.push_back(openssl + " req -x509" + ec + " -keyout " + Path(ca + ".key") + " -out " +
                         Path(ca + ".crt") + " -days 2 -subj /CN=slabcached-test-" + ca);
    }
    for (const std::string n : {"server-one", "server-two", "client"}) {
      commands.push_back(openssl + " req" + ec + " -keyout " + Path(n + ".key") + " -out " +
                         Path(n + ".csr") + " -subj /CN=" + n);
      commands.push_back(openssl + " x509 -req -in " + Path(n + ".csr") + " -CA " + Path("ca.crt") +
                         " -CAkey " + Path("ca.key") + " -CAcreateserial -days 2 -out " +
                         Path(n + ".crt"));
    }
    for (const std::string& command : commands) {
      if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) {
        error_ = "failed: " + command;
        return;
      }
    }
    std::system(("chmod 0644 " + dir_ + "/*").c_str());
  }
  ~TestCertificates() {
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  TestCertificates(const TestCertificates&) = delete;
  TestCertificates& operator=(const TestCertificates&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // A certificate and key pair under a new name, with the contents of
  // `source` ("server-one"): files a test may overwrite.
  std::string CopyPair(const std::string& source) {
    const std::string name = "live-" + std::to_string(++copies_);
    Install(source, name);
    return name;
  }
  // Overwrites the pair `name` with the contents of `source`.
  void Install(const std::string& source, const std::string& name) const {
    for (const char* ext : {".crt", ".key"}) {
      WriteFile(Path(name + ext), ReadFile(Path(source + ext)));
    }
  }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  static void WriteFile(const std::string& path, const std::string& contents) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
    ::chmod(path.c_str(), 0644);
  }

 private:
  std::string dir_;
  std::string error_;
  int copies_ = 0;
};

}  // namespace slabcached::testing
