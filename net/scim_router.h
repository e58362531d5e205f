// Routes HTTP requests to core's SCIM service: base paths (/scim/v2, /scim, a configured
// prefix, or none), case-insensitive resource names, bearer-token auth to a tenant, query
// parameters. One router serves all reactor threads; per-thread caches are thread_local.
// Authentication, tenant settings and rate limiting always run on the reactor; requests
// that can take long (see Handle) are then deferred to the server's blocking threads; such
// a job uses only the service (safe from any thread), the request and its own copies.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/rate_limiter.h"
#include "core/service.h"
#include "core/store.h"
#include "net/http_types.h"

namespace scimd::net {

class ScimRouter {
 public:
  struct Options {
    // Prefixes the API is served under, besides the bare root. Compared
    // case-insensitively; longest first.
    std::vector<std::string> base_paths = {"/scim/v2", "/scim"};
    // Host used in meta.location when a request has no usable Host header.
    std::string default_host = "127.0.0.1";
    // When set, `GET|POST <base>/Token` hands a new bearer token for this tenant to anyone
    // who asks, as the server of Microsoft's SCIM reference suite does. Only for running
    // such test suites against a throw-away tenant; never in production.
    std::string insecure_token_tenant;
    // Set when every commit is fsynced (scimd --sync): each write request then waits on
    // the disk and runs off the reactor.
    bool sync_writes = false;
  };

  ScimRouter(core::Store& store, Options options);

  // Answers `request`, or defers the work (HttpResponse::deferred) when it can take long:
  // writes to /Groups (PUT, PATCH, DELETE: a membership change can be a million rows in
  // one transaction), POST /Bulk, and with Options::sync_writes every write.
  void Handle(const HttpRequest& request, HttpResponse& response);

 private:
  using Job = std::function<core::Response()>;

  // Answers the request, or sets *deferred to the job that answers it and returns nothing
  // of use. A job may keep references into `request` (HttpResponse::deferred's contract).
  core::Response Route(const HttpRequest& request, Job* deferred);

  core::Store& store_;
  core::Service service_;
  core::RateLimiter limiter_;
  Options options_;
};

// Decodes %XX escapes (and '+' as space when `plus_is_space`). Malformed escapes are
// kept literally.
std::string PercentDecode(std::string_view s, bool plus_is_space);

}  // namespace scimd::net
