// The admin API (/admin/v1/, docs/ADMIN.md): tenants, their settings, tokens, indexes,
// activity and stats, for a provider's operator and `scimctl --server`, on a listener of
// its own (scimd --admin-listen). JSON in and out; every answer but a refused token runs
// on the blocking pool (admin writes may wait for the store's admin lock; an index
// backfill takes long and runs on a thread of its own). Authenticated by one admin token,
// configured and kept only as a hash; a SCIM token is never an admin token. Changes
// apply at once to the SCIM endpoints (core::Gate::InvalidateSettings).
#pragma once

#include <atomic>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/base/clock.h"
#include "core/base/store.h"
#include "net/admin_backup.h"
#include "net/admin_history.h"
#include "net/admin_move.h"
#include "net/admin_transfer.h"
#include "net/http_types.h"
#include "net/prometheus.h"
#include "net/scim_router.h"

namespace scimd::net {

class HttpServer;

// The figures of HTTP listeners (connections, answers, refusals), labelled by name
// ("scim", "admin"); a null server is left out. For AdminApi::Options::server_metrics.
void WriteListenerMetrics(
    PrometheusText& out,
    std::initializer_list<std::pair<std::string_view, const HttpServer*>> listeners);

class AdminApi {
 public:
  struct Options {
    std::string token_hash;  // core::HashSecret of the admin token
    const core::Clock* clock = &core::Clock::System();
    // Where uploads for imports are kept (emptied at start); scimd uses <data>/imports.
    std::string staging_dir;
    // Where backups' checkpoints are made (emptied at start); scimd uses <data>/backups.
    std::string backup_dir;
    // True once the SCIM listener stops (drains): /readyz then answers 503. Unset: never.
    std::function<bool()> stopping;
    // Adds the HTTP listeners' figures (connections, refusals) to a /metrics answer.
    std::function<void(PrometheusText&)> server_metrics;
    // Where identity providers reach the SCIM listener (scheme://host[:port], no path), for
    // the console's "Tenant URL" (scimd --public-url, else its listen address).
    std::string scim_url;
    // A member of a replica group (tools/replica_node.h). `not_leader` says why this node
    // may not take writes now (empty: it may): /readyz then answers 503 with it (and writes
    // no probe), and every request but the probes, /metrics and GET /admin/v1/cluster is
    // refused with 503 and that reason (which names the leader). `replica_status` is the
    // JSON of GET /admin/v1/cluster. Unset: a node alone.
    std::function<std::string()> not_leader;
    std::function<std::string()> replica_status;
  };
  AdminApi(core::Store& store, ScimRouter& scim, Options options);
  // Waits for index builds and imports in progress to finish (they hold the store).
  ~AdminApi();
  AdminApi(const AdminApi&) = delete;
  AdminApi& operator=(const AdminApi&) = delete;

  void Handle(const HttpRequest& request, HttpResponse& response);

  // Index builds started and not finished yet (for tests and a clean stop).
  int BuildsRunning() const { return builds_running_.load(); }
  // Blocks until no index build runs.
  void WaitForBuilds();
  // Periodic work (scimd's upkeep thread, every few hundred ms): once a minute, tenants'
  // answers noted for the console's history and tenant moves whose client went away
  // abandoned.
  void Upkeep();

 private:
  struct Answer {
    Answer() = default;
    Answer(int s, std::string b) : status(s), body(std::move(b)) {}
    int status = 200;
    std::string body;                              // JSON, unless `stream` is set
    std::function<bool(std::string& out)> stream;  // an export
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
  };
  Answer Route(const HttpRequest& request);
  // GET /console/... (issue #22): the console's files, without the token (they hold none;
  // the page asks for it and sends it with each API call).
  void Console(const HttpRequest& request, HttpResponse& response);
  // GET /healthz (the process answers) and /readyz (it takes writes now, and its SCIM
  // listener is not stopping), without the token: for load balancers and orchestrators.
  void Probe(const HttpRequest& request, HttpResponse& response);
  // GET /metrics (with the token): Prometheus text of the SCIM answers, tenants' limits
  // and faults, the store's engine, imports, and Options::server_metrics
  // (net/admin_metrics.cc). Reads the store: runs on a blocking thread.
  std::string Metrics();
  // POST .../indexes: marks the index building and backfills it on a thread of its own.
  Answer StartIndexBuild(const core::TenantRecord& tenant, const core::Json& body);

  core::Store& store_;
  ScimRouter& scim_;
  Options options_;
  std::atomic<int> builds_running_{0};
  std::mutex builds_mu_;  // guards builds_
  std::vector<std::thread> builds_;
  AdminTransfers transfers_;
  AdminBackups backups_;
  AdminMoves moves_;
  TenantHistory history_;
  std::atomic<int64_t> sampled_minute_{0};  // Upkeep's last
};

// Reads the admin token from SCIMD_ADMIN_TOKEN or `file` (trailing whitespace dropped):
// InvalidValue if neither is set, if the token is shorter than 32 characters, or if it is
// a SCIM token (scimd_...). Returns its hash.
core::Result<std::string> LoadAdminTokenHash(const std::string& file);

}  // namespace scimd::net
