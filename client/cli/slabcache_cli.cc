// slabcache-cli: placement queries and simple commands against a server list.
//
//   slabcache-cli locate --servers h:p[:w],... [--distribution MODE] [--hash H]  < keys
//   slabcache-cli ring   --servers h:p[:w],... [--distribution MODE] [--hash H]
//
// locate reads keys, one per line (raw bytes; a trailing \r is dropped), and
// prints "<index> <host:port>" per key, the 0-based index in --servers.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/continuum.h"

namespace slabcached::client {
namespace {

constexpr char kUsage[] =
    "usage: slabcache-cli COMMAND --servers h:p[:w],... [options]\n"
    "commands:\n"
    "  locate   read keys (one per line) on stdin, print \"<index> <host:port>\" for each\n"
    "  ring     print each server's point count and share of the key space\n"
    "options:\n"
    "  --servers LIST        servers: host[:port[:weight]] separated by commas\n"
    "  --distribution MODE   ketama-weighted (default), ketama-compat-libmemcached,\n"
    "                        ketama-compat-spy, modula\n"
    "  --hash H              key hash: md5, one_at_a_time, fnv1a_64, crc32\n"
    "                        (default: md5, or one_at_a_time for modula)\n";

struct Options {
  std::string command;
  std::string servers;
  PlacementConfig placement;
  std::vector<std::string> args;  // positional arguments after the command
};

int UsageError(const std::string& why) {
  std::fprintf(stderr, "slabcache-cli: %s\n%s", why.c_str(), kUsage);
  return 2;
}

// Returns 0 on success, else an exit code (usage already printed).
int ParseArgs(int argc, char** argv, Options* opt) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool has_value = false;
    if (arg.starts_with("--")) {
      if (size_t eq = arg.find('='); eq != std::string_view::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        has_value = true;
      }
      auto take = [&]() -> bool {
        if (has_value) return true;
        if (i + 1 >= argc) return false;
        value = argv[++i];
        return true;
      };
      if (arg == "--help") {
        std::fputs(kUsage, stdout);
        return -1;
      } else if (arg == "--servers") {
        if (!take()) return UsageError("--servers needs a value");
        opt->servers = std::string(value);
      } else if (arg == "--distribution") {
        if (!take()) return UsageError("--distribution needs a value");
        auto d = ParseDistribution(value);
        if (!d) return UsageError("unknown distribution \"" + std::string(value) + "\"");
        opt->placement.distribution = *d;
      } else if (arg == "--hash") {
        if (!take()) return UsageError("--hash needs a value");
        auto h = ParseKeyHash(value);
        if (!h) return UsageError("unknown hash \"" + std::string(value) + "\"");
        opt->placement.key_hash = *h;
      } else {
        return UsageError("unknown option " + std::string(arg));
      }
    } else if (opt->command.empty()) {
      opt->command = std::string(arg);
    } else {
      opt->args.emplace_back(arg);
    }
  }
  if (opt->command.empty()) return UsageError("no command");
  if (opt->servers.empty()) return UsageError("--servers is required");
  return 0;
}

int Locate(const Continuum& ring) {
  std::string line, out;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const uint32_t index = ring.Pick(line);
    out += std::to_string(index);
    out += ' ';
    out += ring.servers()[index].Address();
    out += '\n';
    if (out.size() > 1 << 16) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

int Ring(const Continuum& ring) {
  const std::vector<ServerShare> shares = ring.Shares();
  std::printf("# distribution %s, key hash %s, %s, %zu points\n",
              std::string(DistributionName(ring.config().distribution)).c_str(),
              std::string(KeyHashName(ring.config().EffectiveKeyHash())).c_str(),
              ring.config().distribution == Distribution::kModula
                  ? "modulo"
                  : (ring.weighted() ? "weighted" : "unweighted"),
              ring.points().size());
  std::printf("# index server weight points share%%\n");
  for (size_t i = 0; i < shares.size(); ++i) {
    const ServerSpec& s = ring.servers()[i];
    std::printf("%zu %s %u %u %.4f\n", i, s.Address().c_str(), s.weight, shares[i].points,
                shares[i].share * 100);
  }
  return 0;
}

int Main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  Options opt;
  if (int rc = ParseArgs(argc, argv, &opt); rc != 0) return rc < 0 ? 0 : rc;
  std::string error;
  auto servers = ParseServerList(opt.servers, &error);
  if (!servers) return UsageError(error);
  if (opt.command == "locate" || opt.command == "ring") {
    const Continuum ring(*servers, opt.placement);
    return opt.command == "locate" ? Locate(ring) : Ring(ring);
  }
  return UsageError("unknown command \"" + opt.command + "\"");
}

}  // namespace
}  // namespace slabcached::client

int main(int argc, char** argv) { return slabcached::client::Main(argc, argv); }
