// Routes HTTP requests to the SCIM adapter: the target is parsed (net/scim_target.h), a
// dispatch table gives the endpoint's methods, whether it needs a token and where it runs,
// core::Gate admits the request (token, tenant settings, rate limit), the tenant's fault
// settings may answer it with an injected error instead or delay the answer
// (core/tenancy/faults.h), and the adapter answers. Reads run on the reactor; writes too, unless
// they can take long or meet another writer's lock, in which case they are deferred to the server's
// blocking threads (HttpResponse::deferred): a reactor thread never waits for a lock. One router
// serves all reactor threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/store.h"
#include "core/tenancy/activity.h"
#include "core/tenancy/faults.h"
#include "core/tenancy/gate.h"
#include "core/tenancy/tenant_stats.h"
#include "core/usecase/service.h"
#include "net/http_types.h"
#include "net/request_metrics.h"
#include "net/scim_adapter.h"
#include "net/scim_target.h"

namespace scimd::net {

// The header that marks an answer (or the head of a dropped connection) as a fault
// injected on purpose, with its kind ("429", "500", "503", "drop"), so that a test client
// (tools/scimload) counts it apart from the server's own errors. A normal answer held back
// by fault-latency does not carry it: it is the real answer, not to be retried.
inline constexpr std::string_view kInjectedFaultHeader = "X-Scimd-Injected-Fault";

class ScimRouter {
 public:
  struct Options {
    // Prefixes the API is served under, besides the bare root. Compared
    // case-insensitively; the longest that matches wins.
    std::vector<std::string> base_paths = {"/scim/v2", "/scim", "/api/scim"};
    // Host used in meta.location when a request has no usable Host header.
    std::string default_host = "127.0.0.1";
    // When set, `GET|POST <base>/Token` hands a new bearer token for this tenant to anyone
    // who asks, as the server of Microsoft's SCIM reference suite does. Only for running
    // such test suites against a throw-away tenant; never in production.
    std::string insecure_token_tenant;
    // Set when every commit is fsynced (scimd --sync): each write request then waits on
    // the disk and runs off the reactor.
    bool sync_writes = false;
    // The clock requests read (tests move time by hand).
    const core::Clock* clock = &core::Clock::System();
  };

  ScimRouter(core::Store& store, Options options);

  // Answers `request`, or defers the work (HttpResponse::deferred) when it can take long
  // or has met another writer's lock: writes to /Groups (PUT, PATCH, DELETE: a membership
  // change can be a million rows in one transaction), POST /Bulk, every write with
  // Options::sync_writes, and any write that lost a lock race on the reactor.
  void Handle(const HttpRequest& request, HttpResponse& response);

  // Where an endpoint's handler runs.
  enum class Placement {
    kReactor,   // reads: microseconds, never a lock
    kWrite,     // on the reactor, moved to a blocking thread by --sync, by a Group target
                // (membership changes can be large) or by a lost lock race
    kBlocking,  // always on a blocking thread (/Bulk: up to 1,000 writes)
  };
  using Handler = bool (ScimAdapter::*)(const ScimCall& call, HttpResponse& out);
  struct Route {
    ScimEndpoint endpoint;
    std::string_view method;  // "GET" also serves HEAD
    bool needs_token;
    Placement placement;
    Handler handler;
  };
  // The admission point; scimd flushes its token usage periodically.
  core::Gate& gate() { return gate_; }
  // The tenants' activity log; scimd writes it to the store periodically.
  core::ActivityLog& activity() { return activity_; }
  // Per-tenant request counters since start (the admin API's stats).
  core::TenantCounters& counters() { return counters_; }
  // Every answer by tenant, method, resource and status, and latencies (/metrics).
  const RequestMetrics& metrics() const { return metrics_; }

  // The dispatch table, in the order Allow lists methods.
  static const std::vector<Route>& Routes();

 private:
  // Runs `route`'s handler for `call` on a blocking thread.
  void Defer(const Route& route, ScimCall call, HttpResponse& response);
  // Answers call.fault's injected error (or the head of a drop) without running the call.
  void InjectFault(const Route& route, const ScimCall& call, HttpResponse& response);
  // Counts an answered call of a known tenant, and puts it in the tenant's activity log
  // when it wrote or failed.
  // Names the tenant and token in `response` for the access log.
  void Record(const Route& route, const ScimCall& call, HttpResponse& response);
  // Counts an answer in metrics_ (Record does for the calls that reach it).
  void Measure(const HttpRequest& request, const ScimTarget* target, core::TenantId tenant,
               int status, std::chrono::steady_clock::time_point started);

  core::Service service_;
  core::Gate gate_;
  core::ActivityLog activity_;
  core::TenantCounters counters_;
  RequestMetrics metrics_;
  ScimAdapter adapter_;
  TargetRules rules_;
  bool sync_writes_;
};

}  // namespace scimd::net
