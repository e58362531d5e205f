// The one entry point that turns a request's credentials into a RequestContext: resolves
// the tenant from the bearer token (later also from the Host or a path segment), loads the
// tenant's settings through a per-thread cache with named bounds (core/base/limits.h), checks
// the token's scope and applies the tenant's rate limit. The router calls Admit once per
// request; nothing outside core reads tenants or tokens from the store. Safe on any
// thread; Admit takes no lock once a thread has seen a tenant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/clock.h"
#include "core/base/status.h"
#include "core/base/store.h"
#include "core/tenancy/rate_limiter.h"
#include "core/tenancy/request_context.h"
#include "core/tenancy/token_usage.h"

namespace scimd::core {

// What a request presents.
struct Credentials {
  std::string_view authorization;   // the Authorization header, "Bearer <token>"
  std::string_view client_address;  // the peer's IP address
  // Whether the request changes data: a token of scope "scim:read" may not (403).
  bool writes = false;
};

class Gate {
 public:
  explicit Gate(Store& store, const Clock& clock = Clock::System());
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;

  // The context of a request, or Unauthorized (401: missing, malformed, unknown, revoked or
  // expired token, or a token of a deleted tenant), Forbidden (403: a write with a
  // read-only token), TooManyRequests (429 with retry_after()), or the store's error. The
  // context's may_wait is false (a reactor's request). Notes the token's use (usage()).
  Result<RequestContext> Admit(const Credentials& credentials);

  // When each token was last used here (scimd flushes it to the store periodically).
  TokenUsage& usage() { return usage_; }

  // A new bearer token of the tenant named `tenant_name` (the insecure /Token endpoint of
  // test suites): NotFound if there is no such tenant.
  Result<std::string> IssueToken(std::string_view tenant_name);

 private:
  // The tenant's settings, from this thread's cache or the store.
  Result<TenantSettings> Settings(TenantId tenant);

  Store& store_;
  const Clock& clock_;
  RateLimiter limiter_;
  TokenUsage usage_;
  const uint64_t id_;  // tells this gate's entries in the per-thread cache from another's
};

}  // namespace scimd::core
