// slabcache-cli: placement queries and simple commands against a server list.
//
//   slabcache-cli locate --servers h:p[:w],... [--distribution MODE] [--hash H]  < keys
//   slabcache-cli ring   --servers h:p[:w],... [--distribution MODE] [--hash H]
//   slabcache-cli get KEY... | set KEY VALUE | delete KEY... | stats [ARGS]  --servers ...
//   slabcache-cli load --servers ... [--exptime N] [--binary]  < key<TAB>value lines
//   slabcache-cli invalidate --servers ... --spool DIR [--input PATH]  < events
//   every command that talks to servers takes --tls [--tls-ca F ...] and --sasl-user U
//   (password in $SLABCACHE_SASL_PASSWORD) for -Z and -S daemons.
//
// locate reads keys, one per line (raw bytes; a trailing \r is dropped), and
// prints "<index> <host:port>" per key, the 0-based index in --servers.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/bulk_writer.h"
#include "client/cli/load_line.h"
#include "client/client.h"
#include "client/continuum.h"
#include "client/invalidator.h"

namespace slabcached::client {
namespace {

constexpr char kUsage[] =
    "usage: slabcache-cli COMMAND --servers h:p[:w],... [options]\n"
    "commands:\n"
    "  locate   read keys (one per line) on stdin, print \"<index> <host:port>\" for each\n"
    "  ring     print each server's point count and share of the key space\n"
    "  get KEY...         print \"VALUE <key> <flags> <bytes>\" and the value of each hit\n"
    "  set KEY VALUE      store VALUE (\"-\": read it from stdin) with --flags, --exptime\n"
    "  delete KEY...      delete keys\n"
    "  stats [ARGS]       \"stats ARGS\" of every server\n"
    "  load               read \"key<TAB>value\" lines on stdin, set each on its server,\n"
    "                     pipelined (text noreply, or binary setq with --binary), with\n"
    "                     --flags, --exptime; print \"stored N failed N malformed N\";\n"
    "                     malformed lines are reported with their number and skipped.\n"
    "                     Text noreply cannot report a refused item (counted stored);\n"
    "                     --binary counts every refusal\n"
    "  invalidate         read invalidation events on stdin (or --input PATH, a file or\n"
    "                     FIFO): a key per line or {\"event\": \"...\", \"keys\": [...]};\n"
    "                     delete each key on its server; deletes a server cannot take\n"
    "                     go to the spool in --spool DIR and are retried with back-off\n"
    "                     (also after a restart); at end of input wait for the spool\n"
    "                     to drain (--drain-timeout MS, default: forever); print\n"
    "                     \"events N deleted N spooled N retried N pending N malformed N\"\n"
    "exit status: 0 success, 1 a miss or NOT_STORED/NOT_FOUND (load, invalidate:\n"
    "             malformed lines), 2 usage, 3 server errors (load: failed items;\n"
    "             invalidate: deletes left in the spool)\n"
    "options:\n"
    "  --servers LIST        servers: host[:port[:weight]] separated by commas\n"
    "  --distribution MODE   ketama-weighted (default), ketama-compat-libmemcached,\n"
    "                        ketama-compat-spy, modula\n"
    "  --hash H              key hash: md5, one_at_a_time, fnv1a_64, crc32\n"
    "                        (default: md5, or one_at_a_time for modula)\n"
    "  --flags N, --exptime N   for set and load\n"
    "  --timeout MS          per-operation timeout (default 1000)\n"
    "  --binary              use the binary protocol\n"
    "  --tls                 TLS to every server (daemons started with -Z); with\n"
    "                        --tls-ca FILE (default: the system's CAs), --tls-cert FILE\n"
    "                        and --tls-key FILE (a client certificate), --tls-name NAME\n"
    "                        (SNI and the certificate's name), --tls-no-verify\n"
    "  --sasl-user USER      SASL PLAIN login (daemons started with -S; implies\n"
    "                        --binary); the password is read from $SLABCACHE_SASL_PASSWORD\n"
    "  --spool DIR, --input PATH, --drain-timeout MS, --spool-max-bytes N  for invalidate\n";

struct Options {
  std::string command;
  std::string servers;
  PlacementConfig placement;
  std::vector<std::string> args;  // positional arguments after the command
  uint32_t flags = 0;
  int64_t exptime = 0;
  int64_t timeout_ms = 1000;
  bool binary = false;
  TlsOptions tls;
  std::string sasl_user;
  std::string spool_dir;  // invalidate
  std::string input;      // invalidate; "" is stdin
  int64_t drain_timeout_ms = -1;
  int64_t spool_max_bytes = 64 << 20;
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
      } else if (arg == "--binary") {
        opt->binary = true;
      } else if (arg == "--tls") {
        opt->tls.enabled = true;
      } else if (arg == "--tls-no-verify") {
        opt->tls.verify_peer = false;
      } else if (arg == "--tls-ca" || arg == "--tls-cert" || arg == "--tls-key" ||
                 arg == "--tls-name" || arg == "--sasl-user") {
        if (!take()) return UsageError(std::string(arg) + " needs a value");
        std::string* field = arg == "--tls-ca"     ? &opt->tls.ca_file
                             : arg == "--tls-cert" ? &opt->tls.cert_file
                             : arg == "--tls-key"  ? &opt->tls.key_file
                             : arg == "--tls-name" ? &opt->tls.server_name
                                                   : &opt->sasl_user;
        *field = std::string(value);
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
      } else if (arg == "--spool" || arg == "--input") {
        if (!take()) return UsageError(std::string(arg) + " needs a value");
        (arg == "--spool" ? opt->spool_dir : opt->input) = std::string(value);
      } else if (arg == "--flags" || arg == "--exptime" || arg == "--timeout" ||
                 arg == "--drain-timeout" || arg == "--spool-max-bytes") {
        if (!take()) return UsageError(std::string(arg) + " needs a value");
        char* end = nullptr;
        const std::string v(value);
        const long long n = std::strtoll(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0') return UsageError("bad number for " + std::string(arg));
        if (arg == "--flags") {
          opt->flags = static_cast<uint32_t>(n);
        } else if (arg == "--exptime") {
          opt->exptime = n;
        } else if (arg == "--drain-timeout") {
          opt->drain_timeout_ms = n;
        } else if (arg == "--spool-max-bytes") {
          opt->spool_max_bytes = n;
        } else {
          opt->timeout_ms = n;
        }
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

int ExitFor(Status s) {
  switch (s) {
    case Status::kOk:
      return 0;
    case Status::kNotFound:
    case Status::kNotStored:
    case Status::kExists:
      return 1;
    default:
      return 3;
  }
}

// load: pipelined sets of "key<TAB>value" lines from stdin.
int Load(const Options& opt, Client* client) {
  BulkWriter writer(client);
  uint64_t line_number = 0, malformed = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    ++line_number;
    const LoadLine parsed = ParseLoadLine(line);
    if (!parsed.error.empty()) {
      ++malformed;
      std::fprintf(stderr, "slabcache-cli: load: line %llu: %.*s, skipped\n",
                   static_cast<unsigned long long>(line_number),
                   static_cast<int>(parsed.error.size()), parsed.error.data());
      continue;
    }
    writer.Set(parsed.key, parsed.value, opt.flags, opt.exptime);
  }
  const BulkCounts counts = writer.Flush();
  if (counts.failed > 0 && writer.last_error().status != Status::kOk) {
    std::fprintf(stderr, "slabcache-cli: load: %s\n", writer.last_error().Describe().c_str());
  }
  std::printf(
      "stored %llu failed %llu malformed %llu\n", static_cast<unsigned long long>(counts.stored),
      static_cast<unsigned long long>(counts.failed), static_cast<unsigned long long>(malformed));
  if (counts.failed > 0) return 3;
  return malformed > 0 ? 1 : 0;
}

// How the command's connections talk: --binary, --tls*, --sasl-user (the
// password from $SLABCACHE_SASL_PASSWORD).
struct Wire {
  Protocol protocol = Protocol::kText;
  TlsOptions tls;
  std::string sasl_username;
  std::string sasl_password;
};

Wire WireOf(const Options& opt) {
  Wire wire;
  if (opt.binary) wire.protocol = Protocol::kBinary;
  wire.tls = opt.tls;
  if (!opt.sasl_user.empty()) {
    const char* password = std::getenv("SLABCACHE_SASL_PASSWORD");
    wire.sasl_username = opt.sasl_user;
    wire.sasl_password = password != nullptr ? password : "";
    wire.protocol = Protocol::kBinary;  // a -S daemon speaks nothing else
  }
  return wire;
}

// invalidate: reliable deletes of event keys (client/invalidator.h).
int Invalidate(const Options& opt, std::vector<ServerSpec> servers) {
  if (opt.spool_dir.empty()) return UsageError("invalidate needs --spool DIR");
  if (!opt.args.empty()) return UsageError("invalidate reads its events from stdin or --input");
  InvalidatorConfig config;
  config.servers = std::move(servers);
  config.placement = opt.placement;
  config.timeout = std::chrono::milliseconds(opt.timeout_ms);
  config.spool_dir = opt.spool_dir;
  mkdir(opt.spool_dir.c_str(), 0755);  // the last component may be missing; errors show at Open
  config.spool_max_bytes = static_cast<uint64_t>(opt.spool_max_bytes);
  Wire wire = WireOf(opt);
  config.protocol = wire.protocol;
  config.tls = std::move(wire.tls);
  config.sasl_username = std::move(wire.sasl_username);
  config.sasl_password = std::move(wire.sasl_password);
  std::string error;
  auto invalidator = Invalidator::Open(std::move(config), &error);
  if (invalidator == nullptr) {
    std::fprintf(stderr, "slabcache-cli: invalidate: %s\n", error.c_str());
    return 3;
  }
  int fd = STDIN_FILENO;
  if (!opt.input.empty() && (fd = open(opt.input.c_str(), O_RDONLY | O_CLOEXEC)) < 0) {
    std::fprintf(stderr, "slabcache-cli: invalidate: %s: %s\n", opt.input.c_str(),
                 std::strerror(errno));
    return 3;
  }
  Invalidator::RunOptions run;
  run.drain_timeout = std::chrono::milliseconds(opt.drain_timeout_ms);
  run.on_malformed = [](uint64_t line, std::string_view why) {
    std::fprintf(stderr, "slabcache-cli: invalidate: line %llu: %.*s, skipped\n",
                 static_cast<unsigned long long>(line), static_cast<int>(why.size()), why.data());
  };
  const bool drained = invalidator->Run(fd, run, &error);
  if (fd != STDIN_FILENO) close(fd);
  if (!drained) std::fprintf(stderr, "slabcache-cli: invalidate: %s\n", error.c_str());
  const InvalidatorCounts& c = invalidator->counts();
  auto n = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf("events %llu deleted %llu spooled %llu retried %llu pending %llu malformed %llu\n",
              n(c.events), n(c.deleted), n(c.spooled), n(c.retried), n(invalidator->Pending()),
              n(c.malformed));
  if (!drained) return 3;
  return c.malformed > 0 ? 1 : 0;
}

int RunCommand(const Options& opt, std::vector<ServerSpec> servers) {
  ClientConfig config;
  config.servers = std::move(servers);
  config.placement = opt.placement;
  config.timeout = std::chrono::milliseconds(opt.timeout_ms);
  Wire wire = WireOf(opt);
  config.protocol = wire.protocol;
  config.tls = std::move(wire.tls);
  config.sasl_username = std::move(wire.sasl_username);
  config.sasl_password = std::move(wire.sasl_password);
  Client client(config);
  if (opt.command == "load") {
    if (!opt.args.empty()) return UsageError("load reads its items from stdin");
    return Load(opt, &client);
  }
  if (opt.command == "get") {
    if (opt.args.empty()) return UsageError("get needs keys");
    std::map<std::string, Item> found;
    const Status s = client.MultiGet(opt.args, &found);
    for (const std::string& key : opt.args) {
      auto it = found.find(key);
      if (it == found.end()) continue;
      std::printf("VALUE %s %u %zu\n", key.c_str(), it->second.flags, it->second.value.size());
      std::fwrite(it->second.value.data(), 1, it->second.value.size(), stdout);
      std::fputc('\n', stdout);
    }
    if (s != Status::kOk) {
      std::fprintf(stderr, "slabcache-cli: get: %s\n", std::string(StatusName(s)).c_str());
      return ExitFor(s);
    }
    const bool all_hit = std::all_of(opt.args.begin(), opt.args.end(),
                                     [&](const std::string& k) { return found.count(k) > 0; });
    return all_hit ? 0 : 1;
  }
  if (opt.command == "set") {
    if (opt.args.size() != 2) return UsageError("set needs KEY VALUE");
    std::string value = opt.args[1];
    if (value == "-") {
      value.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    }
    const Status s = client.Set(opt.args[0], value, opt.flags, opt.exptime);
    std::printf("%s\n", std::string(StatusName(s)).c_str());
    return ExitFor(s);
  }
  if (opt.command == "delete") {
    if (opt.args.empty()) return UsageError("delete needs keys");
    int rc = 0;
    for (const std::string& key : opt.args) {
      const Status s = client.Delete(key);
      std::printf("%s %s\n", key.c_str(), std::string(StatusName(s)).c_str());
      rc = std::max(rc, ExitFor(s));
    }
    return rc;
  }
  if (opt.command == "stats") {
    std::string args;
    for (const std::string& a : opt.args) args += (args.empty() ? "" : " ") + a;
    int rc = 0;
    for (uint32_t i = 0; i < client.config().servers.size(); ++i) {
      std::vector<std::pair<std::string, std::string>> stats;
      const Status s = client.Stats(i, args, &stats);
      std::printf("# %s %s\n", client.config().servers[i].Address().c_str(),
                  std::string(StatusName(s)).c_str());
      for (const auto& [name, value] : stats) std::printf("%s %s\n", name.c_str(), value.c_str());
      rc = std::max(rc, ExitFor(s));
    }
    return rc;
  }
  return UsageError("unknown command \"" + opt.command + "\"");
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
  if (opt.command == "invalidate") return Invalidate(opt, std::move(*servers));
  return RunCommand(opt, std::move(*servers));
}

}  // namespace
}  // namespace slabcached::client

int main(int argc, char** argv) { return slabcached::client::Main(argc, argv); }
