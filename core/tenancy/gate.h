// The one entry point that turns a request's credentials into a RequestContext: resolves
// the tenant from the bearer token (later also from the Host or a path segment), loads the
// tenant's settings through a per-thread cache with named bounds (core/base/limits.h), checks
// the token's scope and applies the tenant's rate limit. The router calls Admit once per
// request; nothing outside core reads tenants or tokens from the store. Safe on any
// thread; Admit takes no lock once a thread has seen a tenant.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/base/clock.h"
#include "core/base/status.h"
#include "core/base/store.h"
#include "core/tenancy/rate_limiter.h"
#include "core/tenancy/request_context.h"
#include "core/tenancy/token_usage.h"

namespace scimd::core {

// What a write to a tenant that an import holds is told to wait (Retry-After).
inline constexpr int64_t kHeldWritesRetryAfterSeconds = 10;

// What a request presents.
struct Credentials {
  std::string_view authorization;   // the Authorization header, "Bearer <token>"
  std::string_view client_address;  // the peer's IP address
  // The Host header (any case, with or without a port): a host some tenant claims with
  // its "host" setting admits only that tenant's tokens.
  std::string_view host;
  // The tenant a path names (`/t/{tenant}/scim/v2/...`), empty when none: only that
  // tenant's tokens are admitted there.
  std::string_view path_tenant;
  // Whether the request changes data: a token of scope "scim:read" may not (403).
  bool writes = false;
};

class Gate {
 public:
  explicit Gate(Store& store, const Clock& clock = Clock::System());
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;

  // The context of a request, or Unauthorized (401: missing, malformed, unknown, revoked or
  // expired token, a token of a deleted tenant, or of another tenant than the Host or the
  // path names), Forbidden (403: a write with a
  // read-only token), TooManyRequests (429 with retry_after(): the tenant's rate limit, or
  // an address that failed to authenticate more than FailureLimiter allows, refused before
  // its token is looked at), or the store's error. The
  // context's may_wait is false (a reactor's request). Notes the token's use (usage()).
  // `identified`, when given, receives the tenant of a known token even when Admit fails
  // (expired, read-only, wrong place, rate limit): its activity log records the failure.
  Result<RequestContext> Admit(const Credentials& credentials, TenantId* identified = nullptr);

  // The tenant's settings, through the same per-thread cache as Admit.
  Result<TenantSettings> SettingsOf(TenantId tenant, std::string* name = nullptr) {
    return Settings(tenant, name);
  }
  // Makes every thread read tenants' settings from the store again at its next request
  // (after an admin change: settings apply at once, not after kTenantSettingsTtlMicros).
  void InvalidateSettings() { generation_.fetch_add(1, std::memory_order_release); }
  // The same for tokens' records (kept per thread as settings are, for as long): after a
  // token is revoked or rotated here, the next request on every thread reads it again.
  // (The two share one generation: either call drops both caches.)
  void InvalidateTokens() { InvalidateSettings(); }

  // Refuses the tenant's writes (503 with Retry-After) until as many ReleaseWrites: an
  // import is loading the tenant. Reads go on. Admit pays one relaxed atomic load for this
  // while no tenant is held.
  void HoldWrites(TenantId tenant);
  void ReleaseWrites(TenantId tenant);
  bool WritesHeld(TenantId tenant);

  // When each token was last used here (scimd flushes it to the store periodically).
  TokenUsage& usage() { return usage_; }

  // Reloads which tenant each name and claimed host belongs to (one scan of the tenants).
  // scimd calls it every few seconds from a background thread; Admit reloads on its own
  // only when the map is older than twice kTenantSettingsTtlMicros (or was never loaded).
  Status RefreshDirectory();

  // A new bearer token of the tenant named `tenant_name` (the insecure /Token endpoint of
  // test suites): NotFound if there is no such tenant.
  Result<std::string> IssueToken(std::string_view tenant_name);

 private:
  // Tenant names and claimed hosts -> tenant ids, as of `loaded_us`.
  struct Directory {
    std::unordered_map<std::string, TenantId> by_name;
    std::unordered_map<std::string, TenantId> by_host;
    int64_t loaded_us = 0;
  };

  // The tenant's settings (and its name into `name` when given), from this thread's cache
  // or the store.
  Result<TenantSettings> Settings(TenantId tenant, std::string* name = nullptr);
  // A token's record, from this thread's cache or the store (only found records are kept).
  Result<std::optional<TokenRecord>> LookupToken(std::string_view token_id);
  // Unauthorized unless the Host and the path (if they name a tenant) name `tenant`.
  Status CheckPlace(const Credentials& credentials, TenantId tenant);
  // The request's token, checked for its place and expiry: Unauthorized (401) otherwise.
  Result<TokenRecord> AuthenticateAt(const Credentials& credentials, TenantId* identified);

  Store& store_;
  const Clock& clock_;
  RateLimiter limiter_;
  FailureLimiter failures_;  // failed authentications per client address
  TokenUsage usage_;
  std::atomic<std::shared_ptr<const Directory>> directory_;
  std::atomic<uint64_t> generation_{0};  // bumped by InvalidateSettings
  std::atomic<int> holds_count_{0};      // holds of all tenants
  std::mutex holds_mu_;                  // guards holds_
  std::unordered_map<TenantId, int> holds_;
  const uint64_t id_;  // tells this gate's entries in the per-thread cache from another's
};

}  // namespace scimd::core
