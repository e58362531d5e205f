// scimd: the SCIM server. Wires the RocksDB store, the SCIM router and the HTTP server;
// handles flags, the demo tenant of `make run`, and an orderly shutdown on SIGINT/SIGTERM
// (stop accepting, finish in-flight requests, close the store).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/base/limits.h"
#include "core/scim/scim_error.h"
#include "core/tenancy/activity.h"
#include "core/tenancy/auth.h"
#include "core/tenancy/tenant_settings.h"
#include "core/tenancy/token_usage.h"
#include "net/access_log.h"
#include "net/admin_api.h"
#include "net/http_server.h"
#include "net/http_wire.h"
#include "net/replication_leader.h"
#include "net/scim_router.h"
#include "net/tls.h"
#include "storage/rocks_store.h"
#include "tools/file_clock.h"
#include "tools/replica_node.h"
#include "tools/toml_config.h"

namespace {

using scimd::core::Status;

// Writes `port` to `file` (when set) through a temporary file renamed into place, so that
// a reader sees the whole number or nothing.
void WritePortFile(const std::string& file, uint16_t port) {
  if (file.empty()) return;
  const std::string tmp = file + ".tmp";
  std::ofstream(tmp) << port << "\n";
  std::rename(tmp.c_str(), file.c_str());
}

bool ParseListen(const std::string& listen, std::string* host, uint16_t* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  std::string h = listen.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty()) return false;
  int p = 0;
  try {
    size_t used = 0;
    p = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1) return false;
  } catch (...) {
    return false;
  }
  if (p < 0 || p > 65535) return false;
  *host = h;
  *port = static_cast<uint16_t>(p);
  return true;
}

// Creates the demo tenant on first start; returns the new token, or nothing if the tenant
// already existed.
scimd::core::Result<std::optional<std::string>> EnsureDemoTenant(scimd::core::Store& store,
                                                                 const std::string& name) {
  SCIMD_ASSIGN_OR_RETURN(auto existing, store.FindTenant(name));
  if (existing) return std::optional<std::string>();
  SCIMD_ASSIGN_OR_RETURN(auto tenant, store.CreateTenant(name));
  auto issued = scimd::core::MakeToken(tenant.id);
  SCIMD_RETURN_IF_ERROR(store.PutToken(issued.record));
  return std::optional<std::string>(issued.token);
}

struct Flags {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./data";
  std::vector<std::string> base_paths;
  std::string port_file;
  std::string demo_tenant;
  bool sync = false;
  scimd::net::HttpServer::Options http;
  int64_t header_timeout_ms = scimd::net::HttpServer::Options().header_timeout.count();
  int64_t idle_timeout_ms = scimd::net::HttpServer::Options().idle_timeout.count();
  std::string admin_listen;
  std::string public_url;
  std::string admin_token_file;
  std::string admin_port_file;
  std::string tls_cert;
  std::string tls_key;
  std::string log_level = "info";
  std::string log_file;
  std::string log_access;
  std::string insecure_token_tenant;
  bool print_config = false;
  std::vector<std::string> trusted_proxies;
  size_t rocksdb_block_cache_mb = scimd::storage::RocksStore::Options().block_cache_bytes >> 20;
  size_t rocksdb_write_buffer_mb = scimd::storage::RocksStore::Options().write_buffer_bytes >> 20;
  std::string rocksdb_compression = scimd::storage::RocksStore::Options().compression;
  uint32_t node_id = 0;
  std::string cluster_file;
  std::string etcd_url;
};

// Every flag of scimd, bound to `f`; also what a SIGHUP parses again (tools/toml_config.h:
// each is a setting of the --config file too).
void DefineFlags(CLI::App& app, Flags& f) {
  app.add_option("--listen", f.listen, "address:port to listen on")->capture_default_str();
  app.add_option("--data", f.data_dir, "data directory (created if missing)")
      ->capture_default_str();
  app.add_option("--threads", f.http.threads, "reactor threads (0 = one per hardware thread)")
      ->capture_default_str();
  app.add_option("--base-path", f.base_paths,
                 "extra URL prefix to serve the API under, e.g. /identity/scim (repeatable); "
                 "/scim/v2, /scim, /api/scim and the bare root are always served, each also after "
                 "/t/{tenant}");
  app.add_option("--max-body-bytes", f.http.max_body_bytes, "largest request body (413 above)")
      ->capture_default_str();
  app.add_option("--max-header-bytes", f.http.max_header_bytes, "largest request head (431 above)")
      ->capture_default_str();
  app.add_option("--header-timeout-ms", f.header_timeout_ms,
                 "time to receive a request head before the connection is closed")
      ->capture_default_str();
  app.add_option("--idle-timeout-ms", f.idle_timeout_ms,
                 "keep-alive idle time before the connection is closed")
      ->capture_default_str();
  app.add_option("--max-connections", f.http.max_connections,
                 "open connections across all threads (503 above)")
      ->capture_default_str();
  app.add_option("--blocking-threads", f.http.blocking_threads,
                 "threads for long requests (group writes, /Bulk, writes with --sync), kept off "
                 "the reactor threads; 0 runs them on the reactor")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  app.add_option("--tls-handshake-threads", f.http.tls_handshake_threads,
                 "threads for TLS handshakes, off the reactors so that a burst of new "
                 "connections does not queue ahead of requests; -1: half the reactor threads, "
                 "at least one; 0: on the reactor")
      ->capture_default_str()
      ->check(CLI::Range(-1, 256));
  app.add_option("--refused-input-per-second", f.http.refused_input_per_second,
                 "per client address: after a burst of " +
                     std::to_string(scimd::net::kDefaultRefusedInputBurst) +
                     " requests refused as malformed or oversized (400 invalidSyntax or "
                     "invalidFilter, 413, 431), this many a second; over it, 429 before the "
                     "request is read; 0 turns the limit off")
      ->capture_default_str();
  app.add_flag("--sync", f.sync,
               "fsync each acknowledged write (survives power loss; without it a write "
               "survives a process crash)");
  app.add_option("--port-file", f.port_file, "write the bound port to this file once listening");
  app.add_option("--demo-tenant", f.demo_tenant,
                 "create this tenant on first start and print its base URL and token");
  app.add_option("--public-url", f.public_url,
                 "where identity providers reach the SCIM listener (scheme://host[:port], e.g. "
                 "https://scim.example.com behind a proxy), shown by the admin console; "
                 "default: the listen address");
  app.add_option("--admin-listen", f.admin_listen,
                 "address:port of the admin API (/admin/v1/, docs/ADMIN.md), e.g. "
                 "127.0.0.1:8081; off when not given");
  app.add_option("--admin-token-file", f.admin_token_file,
                 "file holding the admin API's token (else SCIMD_ADMIN_TOKEN)");
  app.add_option("--admin-port-file", f.admin_port_file,
                 "write the admin API's bound port to this file once listening");
  app.add_option("--tls-cert", f.tls_cert,
                 "PEM certificate chain (leaf first): both listeners speak HTTPS only (TLS 1.2 "
                 "and 1.3); needs --tls-key")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", f.tls_key, "PEM private key of --tls-cert")->check(CLI::ExistingFile);
  app.add_option("--log-level", f.log_level,
                 "server log level: trace, debug, info, warn, error, off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--log-file", f.log_file,
                 "server log (leveled lines with UTC times); standard error when not given");
  app.add_option("--log-access", f.log_access,
                 "access log: one JSON line per answered request (request id, tenant, token id, "
                 "method, path, query parameter names, status, bytes, duration); '-' for "
                 "standard output; off when not given");
  app.add_option("--trusted-proxy", f.trusted_proxies,
                 "a proxy (address or network, e.g. 10.0.0.0/8; repeatable) whose "
                 "X-Forwarded-For names the client: per-address limits and logs then see the "
                 "client; from other peers the header is ignored");
  app.add_option("--rocksdb-block-cache-mb", f.rocksdb_block_cache_mb,
                 "RocksDB's block cache, shared by every column family (docs/CONFIG.md has a "
                 "guide by machine size)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{8}, size_t{1} << 20));
  app.add_option("--rocksdb-write-buffer-mb", f.rocksdb_write_buffer_mb,
                 "memtables across all column families before they are flushed")
      ->capture_default_str()
      ->check(CLI::Range(size_t{16}, size_t{1} << 20));
  app.add_option("--rocksdb-compression", f.rocksdb_compression,
                 "compression of the store's lower levels: lz4, zstd, snappy or none")
      ->capture_default_str()
      ->check(CLI::IsMember({"lz4", "zstd", "snappy", "none"}));
  app.add_option("--node-id", f.node_id,
                 "this node's id in the --cluster file (a replica group, docs/SCALING.md)");
  app.add_option("--cluster", f.cluster_file,
                 "TOML file of the replica group: one [[node]] table per node (id, listen, "
                 "admin, replication); the node's own listen and admin addresses come from it. "
                 "Without it scimd runs alone");
  app.add_option("--etcd", f.etcd_url,
                 "etcd's client URL, for the replica group's leader election (with --cluster)");
  app.add_option("--insecure-token-endpoint", f.insecure_token_tenant,
                 "serve GET /Token handing out tokens of this tenant to anyone (only for "
                 "Microsoft's SCIM reference test suite; never in production)");
  // Every flag above is also a setting of the file (tools/toml_config.h, docs/CONFIG.md);
  // a flag given on the command line wins.
  app.set_config("--config", "",
                 "TOML file of settings: `[admin] listen = \"...\"` is "
                 "--admin-listen, a top-level `max-body-bytes = N` is --max-body-bytes "
                 "(docs/CONFIG.md); flags given here win over it");
  app.config_formatter(std::make_shared<scimd::tools::TomlConfig>(app, "config"));
  app.add_flag("--print-config", f.print_config,
               "print every setting with its value (the defaults, the file and the flags "
               "applied) as a TOML file, then exit");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"scimd: a multi-tenant SCIM 2.0 server"};
  Flags f;
  DefineFlags(app, f);
  auto& listen = f.listen;
  auto& data_dir = f.data_dir;
  auto& base_paths = f.base_paths;
  auto& port_file = f.port_file;
  auto& demo_tenant = f.demo_tenant;
  auto& sync = f.sync;
  auto& http = f.http;
  auto& header_timeout_ms = f.header_timeout_ms;
  auto& idle_timeout_ms = f.idle_timeout_ms;
  auto& admin_listen = f.admin_listen;
  auto& admin_token_file = f.admin_token_file;
  auto& admin_port_file = f.admin_port_file;
  auto& tls_cert = f.tls_cert;
  auto& tls_key = f.tls_key;
  auto& log_level = f.log_level;
  auto& log_file = f.log_file;
  auto& log_access = f.log_access;
  auto& insecure_token_tenant = f.insecure_token_tenant;
  auto& print_config = f.print_config;
  CLI11_PARSE(app, argc, argv);
  if (print_config) {
    std::cout << app.config_to_str(true, true);
    return 0;
  }

  // A replica group's member takes its addresses from the cluster file.
  std::optional<scimd::tools::ClusterConfig> cluster;
  if (!f.cluster_file.empty()) {
    auto loaded = scimd::tools::LoadClusterFile(f.cluster_file);
    if (!loaded.ok()) {
      std::cerr << "scimd: --cluster: " << loaded.status().detail() << "\n";
      return 2;
    }
    const scimd::tools::ClusterNode* self = loaded->Find(f.node_id);
    if (self == nullptr || f.etcd_url.empty()) {
      std::cerr << "scimd: --cluster needs --node-id (one of the file's nodes) and --etcd\n";
      return 2;
    }
    listen = self->listen;
    admin_listen = self->admin;
    cluster = std::move(loaded).value();
  }
  if (!ParseListen(listen, &http.host, &http.port)) {
    std::cerr << "scimd: --listen takes address:port, e.g. 127.0.0.1:8080\n";
    return 2;
  }
  if (tls_cert.empty() != tls_key.empty()) {
    std::cerr << "scimd: --tls-cert and --tls-key go together\n";
    return 2;
  }
  if (!tls_cert.empty()) {
    auto tls = scimd::net::TlsContext::Load(tls_cert, tls_key);
    if (!tls.ok()) {
      std::cerr << "scimd: " << tls.status().detail() << "\n";
      return 1;
    }
    http.tls = std::move(tls).value();
  }
  // The server log: what happens after the start (failures of background work, signals).
  std::shared_ptr<spdlog::logger> slog;
  auto slog_sink =
      std::make_shared<scimd::net::LogFileSink>(log_file.empty() ? "stderr" : log_file);
  try {
    slog_sink->Open();
    slog = std::make_shared<spdlog::logger>("scimd", slog_sink);
    slog->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l scimd: %v", spdlog::pattern_time_type::utc);
    slog->set_level(spdlog::level::from_str(log_level));
    slog->flush_on(spdlog::level::trace);  // rare lines: each goes out at once
  } catch (const spdlog::spdlog_ex& e) {
    std::cerr << "scimd: cannot open the server log " << log_file << ": " << e.what() << "\n";
    return 1;
  }
  if (!log_access.empty()) {
    auto access = scimd::net::AccessLog::Open(log_access);
    if (!access.ok()) {
      std::cerr << "scimd: " << access.status().detail() << "\n";
      return 1;
    }
    http.access_log = std::shared_ptr<scimd::net::AccessLog>(std::move(access).value());
  }
  if (auto trust = scimd::net::ProxyTrust::Parse(f.trusted_proxies); !trust.ok()) {
    std::cerr << "scimd: --trusted-proxy: " << trust.status().detail() << "\n";
    return 2;
  } else {
    http.trusted_proxies = *trust;
  }
  http.header_timeout = std::chrono::milliseconds(header_timeout_ms);
  http.idle_timeout = std::chrono::milliseconds(idle_timeout_ms);
  if (Status s = scimd::core::InitCrypto(); !s.ok()) {
    std::cerr << "scimd: " << s.detail() << "\n";
    return 1;
  }
  scimd::net::HttpServer::Options admin_http;
  std::string admin_token_hash;
  if (!admin_listen.empty()) {
    if (!ParseListen(admin_listen, &admin_http.host, &admin_http.port)) {
      std::cerr << "scimd: --admin-listen takes address:port, e.g. 127.0.0.1:8081\n";
      return 2;
    }
    auto hash = scimd::net::LoadAdminTokenHash(admin_token_file);
    if (!hash.ok()) {
      std::cerr << "scimd: " << hash.status().detail() << "\n";
      return 2;
    }
    admin_token_hash = std::move(hash).value();
    // The admin API is small: one reactor, one thread for its (blocking) work.
    admin_http.threads = 1;
    admin_http.tls = http.tls;  // the admin token deserves TLS as much as a tenant's
    admin_http.blocking_threads = 1;
    admin_http.access_log = http.access_log;
    admin_http.trusted_proxies = http.trusted_proxies;
    admin_http.name = "admin";
  }

  scimd::storage::RocksStore::Options store_options;
  store_options.sync = sync;
  store_options.block_cache_bytes = f.rocksdb_block_cache_mb << 20;
  store_options.write_buffer_bytes = f.rocksdb_write_buffer_mb << 20;
  store_options.compression = f.rocksdb_compression;
  if (cluster) {
    store_options.replicated = true;
    // A checkpoint downloaded before the last restart (a re-seed) replaces the store.
    if (Status s = scimd::tools::InstallSeed(data_dir); !s.ok()) {
      std::cerr << "scimd: " << s.detail() << "\n";
      return 1;
    }
  }
  auto store_or = scimd::storage::RocksStore::Open(data_dir, store_options);
  if (!store_or.ok()) {
    std::cerr << "scimd: cannot open the store in " << data_dir << ": "
              << store_or.status().detail() << "\n";
    return 1;
  }
  std::unique_ptr<scimd::storage::RocksStore> store = std::move(store_or).value();

  std::optional<std::string> demo_token;
  if (!demo_tenant.empty() && !cluster) {  // in a group: by the leader, once it leads
    auto t = EnsureDemoTenant(*store, demo_tenant);
    if (!t.ok()) {
      std::cerr << "scimd: cannot create the demo tenant: " << t.status().detail() << "\n";
      return 1;
    }
    demo_token = *t;
  }

  scimd::net::ScimRouter::Options router_options;
  for (const auto& p : base_paths) router_options.base_paths.push_back(p);
  router_options.insecure_token_tenant = insecure_token_tenant;
  router_options.sync_writes = sync;
  if (!insecure_token_tenant.empty()) {
    std::cerr << "scimd: WARNING: --insecure-token-endpoint gives anyone who can reach this "
                 "server a token of tenant \""
              << insecure_token_tenant << "\"; use it only for test suites\n";
  }
  router_options.default_host =
      http.host == "0.0.0.0" || http.host == "::" ? "127.0.0.1" : http.host;
  std::unique_ptr<scimd::tools::FileClock> file_clock;
  router_options.clock = &scimd::tools::ProcessClock(file_clock);
  if (file_clock) {
    std::cerr << "scimd: WARNING: SCIMD_CLOCK_FILE is set: time comes from a file (tests "
                 "only; token expiry follows it)\n";
  }
  {
    scimd::net::ScimRouter router(*store, router_options);
    std::unique_ptr<scimd::tools::ReplicaNode> node;
    // What the handlers see: set once the node has started (the listeners serve before).
    std::atomic<scimd::tools::ReplicaNode*> live{nullptr};
    const bool grouped = cluster.has_value();
    // In a replica group: writes wait for a majority; a follower (or a node still
    // starting: it must write nothing of its own) answers 503 naming the leader.
    auto replicated = [&live, grouped, &store](const scimd::net::HttpRequest& request,
                                               scimd::net::HttpResponse& response, auto&& handle) {
      if (!grouped) return handle();
      scimd::tools::ReplicaNode* n = live.load();
      if (std::string why =
              n != nullptr ? n->NotLeader() : "this node of a replica group is starting";
          !why.empty()) {
        response.status = 503;
        response.SetHeader("Content-Type", std::string(scimd::core::kScimMediaType));
        response.SetHeader("Retry-After", "1");
        response.body = scimd::net::ScimErrorBody(503, why);
        return;
      }
      handle();
      if (scimd::net::ReplicationLeader* leader = n->leader()) {
        scimd::net::HoldUntilReplicated(request.method, response, *leader, *store);
      }
    };
    scimd::net::HttpServer server(
        http, [&router, &replicated](const scimd::net::HttpRequest& request,
                                     scimd::net::HttpResponse& response) {
          replicated(request, response, [&] { router.Handle(request, response); });
        });
    // SIGHUP: the reactor only raises the flag; the upkeep thread below does the work.
    std::mutex upkeep_mu;
    std::condition_variable upkeep_cv;
    bool stopping = false;
    std::atomic<bool> reload_requested{false};
    server.InstallSignalHandlers([&] {
      reload_requested = true;
      upkeep_cv.notify_one();
    });
    std::string error;
    if (!server.Start(&error)) {
      std::cerr << "scimd: cannot listen on " << listen << ": " << error << "\n";
      return 1;
    }
    const std::string host = http.host.find(':') != std::string::npos ? "[" + http.host + "]"
                                                                      : router_options.default_host;
    const std::string scheme = http.tls ? "https://" : "http://";
    const std::string public_url = scheme + host + ":" + std::to_string(server.port());
    const std::string base_url = public_url + "/scim/v2";
    std::cout << "scimd: listening on " << host << ":" << server.port() << " with "
              << server.threads() << " threads; data in " << data_dir
              << (sync ? " (fsync per write)" : "") << std::endl;
    if (!demo_tenant.empty()) {
      std::cout << "scimd: demo tenant \"" << demo_tenant << "\"\n"
                << "  SCIM base URL: " << base_url << "\n";
      if (demo_token) {
        std::cout << "  Bearer token (shown only this once, keep it): " << *demo_token << std::endl;
      } else {
        std::cout << "  Its token was printed when it was created. To issue another, stop "
                     "scimd and run: scimctl --data "
                  << data_dir << " token issue " << demo_tenant << std::endl;
      }
    }
    std::unique_ptr<scimd::net::AdminApi> admin;
    std::unique_ptr<scimd::net::HttpServer> admin_server;
    if (!admin_listen.empty()) {
      scimd::net::AdminApi::Options admin_options;
      admin_options.token_hash = admin_token_hash;
      admin_options.clock = router_options.clock;
      admin_options.staging_dir = data_dir + "/imports";
      admin_options.backup_dir = data_dir + "/backups";
      admin_options.stopping = [&server] { return server.Stopping(); };
      admin_options.scim_url = f.public_url.empty() ? public_url : f.public_url;
      while (!admin_options.scim_url.empty() && admin_options.scim_url.back() == '/') {
        admin_options.scim_url.pop_back();
      }
      admin_options.server_metrics = [&server, &admin_server,
                                      &live](scimd::net::PrometheusText& out) {
        scimd::net::WriteListenerMetrics(out, {{"scim", &server}, {"admin", admin_server.get()}});
        if (scimd::tools::ReplicaNode* n = live.load()) n->WriteMetrics(out);
      };
      if (cluster) {
        admin_options.not_leader = [&live] {
          scimd::tools::ReplicaNode* n = live.load();
          return n != nullptr ? n->NotLeader() : "this node of a replica group is starting";
        };
        admin_options.replica_status = [&live] {
          scimd::tools::ReplicaNode* n = live.load();
          return n != nullptr ? n->StatusJson() : std::string(R"({"role":"starting"})");
        };
      }
      admin = std::make_unique<scimd::net::AdminApi>(*store, router, admin_options);
      admin_server = std::make_unique<scimd::net::HttpServer>(
          admin_http, [&admin, &live, &store](const scimd::net::HttpRequest& request,
                                              scimd::net::HttpResponse& response) {
            admin->Handle(request, response);
            // The API's own writes (tenants, tokens) wait for a majority as well.
            scimd::tools::ReplicaNode* n = live.load();
            if (scimd::net::ReplicationLeader* leader = n != nullptr ? n->leader() : nullptr) {
              if (request.path.rfind("/admin/v1/", 0) == 0 && response.status < 500) {
                scimd::net::HoldUntilReplicated(request.method, response, *leader, *store);
              }
            }
          });
      if (!admin_server->Start(&error)) {
        std::cerr << "scimd: cannot listen on " << admin_listen << " (admin API): " << error
                  << "\n";
        server.Stop();
        server.Wait();
        return 1;
      }
      std::cout << "scimd: admin API on " << admin_http.host << ":" << admin_server->port()
                << "/admin/v1/" << std::endl;
      WritePortFile(admin_port_file, admin_server->port());
    }
    if (cluster) {
      scimd::tools::ReplicaNode::Options o;
      o.node_id = f.node_id;
      o.cluster = *cluster;
      o.etcd_url = f.etcd_url;
      o.data_dir = data_dir;
      o.log = [&slog](const std::string& line) { slog->info("replication: {}", line); };
      o.on_exit = [&slog](const std::string& why) {
        slog->warn("replication: {}; ending the process (its supervisor starts it again)", why);
        slog->flush();
        std::cout << "scimd: " << why << "; exiting" << std::endl;
        std::_Exit(75);  // EX_TEMPFAIL
      };
      o.on_promote = [&](uint64_t term) {
        (void)router.gate().RefreshDirectory();
        if (!demo_tenant.empty()) {
          auto t = EnsureDemoTenant(*store, demo_tenant);
          if (t.ok() && *t) {
            std::cout << "scimd: demo tenant \"" << demo_tenant << "\" created in term " << term
                      << "\n  Bearer token (shown only this once, keep it): " << **t << std::endl;
          }
        }
        std::cout << "scimd: node " << f.node_id << " leads term " << term << std::endl;
      };
      node = std::make_unique<scimd::tools::ReplicaNode>(*store, o);
      if (Status s = node->Start(); !s.ok()) {
        std::cerr << "scimd: cannot join the replica group: " << s.detail() << "\n";
        server.Stop();
        server.Wait();
        if (admin_server) {
          admin_server->Stop();
          admin_server->Wait();
        }
        return 1;
      }
      live = node.get();
      std::cout << "scimd: node " << f.node_id << " of replica group \"" << cluster->group
                << "\"; replication on " << cluster->Find(f.node_id)->replication << std::endl;
    }
    WritePortFile(port_file, server.port());
    // SIGHUP (docs/CONFIG.md, "Reloading"): the flags and the --config file are read again
    // and what can change while serving is applied: the log level, the log files reopened
    // (after a rotation), the TLS certificate and key read again. The rest waits for a
    // restart; a file that no longer parses changes nothing.
    auto reload = [&] {
      // The logs first, so that what follows goes to the new files.
      try {
        slog_sink->Reopen();
      } catch (const spdlog::spdlog_ex& e) {
        std::cerr << "scimd: cannot reopen the server log: " << e.what() << "\n";
      }
      if (http.access_log) {
        if (Status s = http.access_log->Reopen(); !s.ok()) slog->error("SIGHUP: {}", s.detail());
      }
      Flags fresh;
      CLI::App again{"scimd"};
      DefineFlags(again, fresh);
      try {
        again.parse(argc, argv);
      } catch (const CLI::ParseError& e) {
        slog->error("SIGHUP: the settings do not parse ({}); nothing changed", e.what());
        return;
      }
      if (fresh.log_level != log_level) {
        slog->set_level(spdlog::level::from_str(fresh.log_level));
        slog->info("SIGHUP: log level {} (was {})", fresh.log_level, log_level);
        log_level = fresh.log_level;
      }
      // The SCIM listener's limits (the admin listener keeps its own).
      scimd::net::HttpServer::Limits limits{fresh.http.max_header_bytes, fresh.http.max_body_bytes,
                                            std::chrono::milliseconds(fresh.header_timeout_ms),
                                            std::chrono::milliseconds(fresh.idle_timeout_ms),
                                            fresh.http.max_connections};
      if (limits.header_timeout.count() <= 0 || limits.idle_timeout.count() <= 0 ||
          limits.max_connections == 0 || limits.max_body_bytes == 0 ||
          limits.max_header_bytes == 0) {
        slog->error("SIGHUP: a limit of 0 is refused; the limits were not changed");
      } else {
        server.SetLimits(limits);
        slog->info(
            "SIGHUP: limits: max-body-bytes {}, max-header-bytes {}, header-timeout-ms {}, "
            "idle-timeout-ms {}, max-connections {}",
            limits.max_body_bytes, limits.max_header_bytes, limits.header_timeout.count(),
            limits.idle_timeout.count(), limits.max_connections);
      }
      if (http.tls) {
        if (fresh.tls_cert.empty()) {
          slog->error("SIGHUP: TLS stays on with its certificate: turning it off needs a restart");
        } else if (auto tls = scimd::net::TlsContext::Load(fresh.tls_cert, fresh.tls_key);
                   !tls.ok()) {
          slog->error("SIGHUP: the TLS certificate was not changed: {}", tls.status().detail());
        } else {
          std::shared_ptr<const scimd::net::TlsContext> context = std::move(tls).value();
          server.SetTls(context);
          if (admin_server) admin_server->SetTls(context);
          slog->info("SIGHUP: new TLS connections get the certificate in {}", fresh.tls_cert);
        }
      }
      slog->info("SIGHUP: settings reloaded");
    };
    // Background upkeep, off the reactors: the activity log's queue goes to the store
    // every 200 ms; which tenant claims which host is reloaded every 5 s; tokens' last use
    // is written and old activity pruned once a minute; a SIGHUP's reload.
    auto flush = [&] {
      if (auto n = router.activity().Flush(*store); !n.ok()) {
        slog->error("writing the activity log failed: {}", n.status().detail());
      }
      if (auto n = router.gate().usage().Flush(*store); !n.ok()) {
        slog->error("writing tokens' last use failed: {}", n.status().detail());
      }
    };
    auto prune = [&] {
      auto tenants = store->ListTenants();
      if (!tenants.ok()) return;
      const int64_t now = router_options.clock->NowMicros();
      for (const auto& t : *tenants) {
        auto settings = scimd::core::TenantSettings::FromMap(t.settings);
        if (!settings.ok()) continue;
        if (Status s = router.activity().Prune(*store, t.id, *settings, now); !s.ok()) {
          slog->error("pruning the activity of {} failed: {}", t.name, s.detail());
        }
      }
    };
    std::thread upkeep([&] {
      using Clock = std::chrono::steady_clock;
      const auto tick = std::chrono::milliseconds(scimd::core::kActivityFlushMillis);
      const auto refresh_every = std::chrono::microseconds(scimd::core::kTenantSettingsTtlMicros);
      const auto minute = std::chrono::seconds(scimd::core::kTokenUsageFlushSeconds);
      auto next_refresh = Clock::now() + refresh_every;
      auto next_minute = Clock::now() + minute;
      std::unique_lock<std::mutex> lock(upkeep_mu);
      for (;;) {
        // A missed notify (the flag raised between the check and the wait) costs one tick.
        upkeep_cv.wait_for(lock, tick, [&] { return stopping || reload_requested.load(); });
        if (stopping) break;
        lock.unlock();
        if (reload_requested.exchange(false)) reload();
        if (node && node->leader() == nullptr) {  // a follower writes nothing of its own
          lock.lock();
          continue;
        }
        if (auto n = router.activity().Flush(*store); !n.ok()) {
          slog->error("writing the activity log failed: {}", n.status().detail());
        }
        if (http.access_log) http.access_log->Flush();
        if (admin) admin->Upkeep();  // once a minute: the console's history, idle moves
        if (Clock::now() >= next_refresh) {
          if (Status s = router.gate().RefreshDirectory(); !s.ok()) {
            slog->error("reading the tenants failed: {}", s.detail());
          }
          next_refresh = Clock::now() + refresh_every;
        }
        if (Clock::now() >= next_minute) {
          flush();
          prune();
          next_minute = Clock::now() + minute;
        }
        lock.lock();
      }
    });
    // Returns once the reactors and the blocking threads are gone: no job touches the store.
    server.Wait();
    {
      std::lock_guard<std::mutex> lock(upkeep_mu);
      stopping = true;
    }
    upkeep_cv.notify_one();
    upkeep.join();
    if (node) node->Stop();  // a leader gives its key back: another node takes over at once
    if (admin_server) {
      admin_server->Stop();
      admin_server->Wait();
      admin->WaitForBuilds();
    }
    if (!node || node->leader() != nullptr) flush();
    std::cout << "scimd: stopped; closing the store" << std::endl;
  }
  store.reset();
  return 0;
}
