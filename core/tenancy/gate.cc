#include "core/tenancy/gate.h"

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/base/limits.h"
#include "core/base/strings.h"
#include "core/tenancy/auth.h"
#include "core/tenancy/tokens.h"

namespace scimd::core {

namespace {

std::atomic<uint64_t> next_gate_id{1};

struct CachedSettings {
  TenantSettings settings;
  std::string name;
  int64_t expires_us = 0;
};

struct CachedToken {
  TokenRecord record;
  int64_t expires_us = 0;
};

// Token ids looked up as the string_view they arrive as (no string made per request).
struct IdHash {
  using is_transparent = void;
  size_t operator()(std::string_view id) const { return std::hash<std::string_view>{}(id); }
};

// One reactor thread's cache: the settings of the tenants it served lately and the records
// of the tokens it saw, for one gate (a thread that meets another gate starts over; a
// server has one).
struct ThreadCache {
  uint64_t gate = 0;
  uint64_t generation = 0;
  std::unordered_map<TenantId, CachedSettings> tenants;
  std::unordered_map<std::string, CachedToken, IdHash, std::equal_to<>> tokens;
};

// Makes room for one more entry in a full cache: drops what expired, else the entry
// closest to expiry.
template <typename Map>
void MakeRoom(Map& map, size_t max, int64_t now) {
  if (map.size() < max) return;
  std::erase_if(map, [&](const auto& e) { return e.second.expires_us <= now; });
  if (map.size() < max) return;
  auto oldest = map.begin();
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->second.expires_us < oldest->second.expires_us) oldest = it;
  }
  map.erase(oldest);
}

// This thread's cache, emptied when it was another gate's or `generation` moved on.
ThreadCache& CacheOf(uint64_t gate, const std::atomic<uint64_t>& generation_now) {
  thread_local ThreadCache cache;
  const uint64_t generation = generation_now.load(std::memory_order_acquire);
  if (cache.gate != gate || cache.generation != generation) {
    cache.tenants.clear();
    cache.tokens.clear();
    cache.gate = gate;
    cache.generation = generation;
  }
  return cache;
}

}  // namespace

Gate::Gate(Store& store, const Clock& clock)
    : store_(store), clock_(clock), id_(next_gate_id.fetch_add(1)) {}

Result<std::optional<TokenRecord>> Gate::LookupToken(std::string_view token_id) {
  ThreadCache& cache = CacheOf(id_, generation_);
  const int64_t now = clock_.NowMicros();
  auto it = cache.tokens.find(token_id);
  if (it != cache.tokens.end() && it->second.expires_us > now) {
    return std::optional<TokenRecord>(it->second.record);
  }
  if (it != cache.tokens.end()) cache.tokens.erase(it);  // expired: read again below
  SCIMD_ASSIGN_OR_RETURN(std::optional<TokenRecord> record, store_.LookupToken(token_id));
  if (!record) return record;
  MakeRoom(cache.tokens, kMaxCachedTokens, now);
  cache.tokens.emplace(std::string(token_id), CachedToken{*record, now + kTenantSettingsTtlMicros});
  return record;
}

Result<TenantSettings> Gate::Settings(TenantId tenant, std::string* name) {
  ThreadCache& cache = CacheOf(id_, generation_);
  const int64_t now = clock_.NowMicros();
  if (auto it = cache.tenants.find(tenant);
      it != cache.tenants.end() && it->second.expires_us > now) {
    if (name != nullptr) *name = it->second.name;
    return it->second.settings;
  }
  SCIMD_ASSIGN_OR_RETURN(std::optional<TenantRecord> record, store_.GetTenant(tenant));
  // A token that outlived its tenant authenticates nothing.
  if (!record) return Status::Unauthorized("invalid bearer token");
  SCIMD_ASSIGN_OR_RETURN(TenantSettings settings, TenantSettings::FromMap(record->settings));
  MakeRoom(cache.tenants, kMaxCachedTenants, now);
  cache.tenants.insert_or_assign(
      tenant, CachedSettings{settings, record->name, now + kTenantSettingsTtlMicros});
  if (name != nullptr) *name = record->name;
  return settings;
}

Status Gate::RefreshDirectory() {
  SCIMD_ASSIGN_OR_RETURN(std::vector<TenantRecord> tenants, store_.ListTenants());
  auto d = std::make_shared<Directory>();
  d->loaded_us = clock_.NowMicros();
  for (const TenantRecord& t : tenants) {
    d->by_name.emplace(t.name, t.id);
    if (auto h = t.settings.find("host"); h != t.settings.end()) {
      auto hosts = ParseHostList(h->second);
      if (!hosts.ok()) continue;  // refused when set; a broken record claims nothing
      for (auto& host : *hosts) d->by_host.emplace(std::move(host), t.id);
    }
  }
  directory_.store(std::move(d));
  return Status::Ok();
}

Status Gate::CheckPlace(const Credentials& credentials, TenantId tenant) {
  // The Host without a port (names are claimed lower case; an IPv6 literal claims nothing).
  std::string host = ToLowerAscii(credentials.host);
  if (const size_t colon = host.rfind(':');
      colon != std::string::npos && host.find(']') == std::string::npos) {
    host.resize(colon);
  }
  if (credentials.path_tenant.empty() && host.empty()) return Status::Ok();
  std::shared_ptr<const Directory> d = directory_.load();
  if (d == nullptr || clock_.NowMicros() - d->loaded_us > 2 * kTenantSettingsTtlMicros) {
    SCIMD_RETURN_IF_ERROR(RefreshDirectory());
    d = directory_.load();
  }
  if (!credentials.path_tenant.empty()) {
    auto it = d->by_name.find(std::string(credentials.path_tenant));
    if (it == d->by_name.end() || it->second != tenant) {
      return Status::Unauthorized("this token is not valid for the tenant the path names");
    }
  }
  if (auto it = d->by_host.find(host); it != d->by_host.end() && it->second != tenant) {
    return Status::Unauthorized("this token is not valid at host " + host);
  }
  return Status::Ok();
}

void Gate::HoldWrites(TenantId tenant) {
  std::lock_guard<std::mutex> lock(holds_mu_);
  ++holds_[tenant];
  holds_count_.fetch_add(1, std::memory_order_release);
}

void Gate::ReleaseWrites(TenantId tenant) {
  std::lock_guard<std::mutex> lock(holds_mu_);
  auto it = holds_.find(tenant);
  if (it == holds_.end()) return;
  if (--it->second == 0) holds_.erase(it);
  holds_count_.fetch_sub(1, std::memory_order_release);
}

bool Gate::WritesHeld(TenantId tenant) {
  if (holds_count_.load(std::memory_order_acquire) == 0) return false;
  std::lock_guard<std::mutex> lock(holds_mu_);
  return holds_.count(tenant) > 0;
}

Result<RequestContext> Gate::Admit(const Credentials& credentials, TenantId* identified) {
  // An address that failed too often is refused before its token is looked at.
  if (const int64_t wait = failures_.Blocked(credentials.client_address); wait > 0) {
    return Status::TooManyRequests(
        "too many failed authentications from this address; retry after " + std::to_string(wait) +
            " s",
        wait);
  }
  Result<TokenRecord> authenticated = AuthenticateAt(credentials, identified);
  if (!authenticated.ok()) {
    if (authenticated.status().Is(Status::Code::kUnauthorized)) {
      failures_.Fail(credentials.client_address);
    }
    return authenticated.status();
  }
  const TokenRecord& token = *authenticated;
  const int64_t now = clock_.NowMicros() / 1'000'000;
  if (credentials.writes && token.scope == TokenRecord::Scope::kScimRead) {
    return Status::Forbidden(
        "this token is read-only (scope scim:read); writes need a token "
        "of scope scim");
  }
  if (credentials.writes && WritesHeld(token.tenant)) {
    return Status::BusyFor("this tenant is being imported; writes resume when the import is done",
                           kHeldWritesRetryAfterSeconds);
  }
  usage_.Touch(token.token_id, now);
  RequestContext ctx;
  ctx.tenant = token.tenant;
  ctx.token_id = token.token_id;
  ctx.client_address = std::string(credentials.client_address);
  ctx.clock = &clock_;
  SCIMD_ASSIGN_OR_RETURN(ctx.settings, Settings(ctx.tenant, &ctx.tenant_name));
  if (ctx.settings.rate_limit > 0) {
    if (const int64_t wait = limiter_.Check(ctx.tenant, ctx.settings.rate_limit); wait > 0) {
      return Status::TooManyRequests(
          "this tenant is limited to " + std::to_string(ctx.settings.rate_limit) +
              " requests per second; retry after " + std::to_string(wait) + " s",
          wait);
    }
  }
  return ctx;
}

Result<TokenRecord> Gate::AuthenticateAt(const Credentials& credentials, TenantId* identified) {
  SCIMD_ASSIGN_OR_RETURN(TokenRecord token,
                         Authenticate([this](std::string_view id) { return LookupToken(id); },
                                      credentials.authorization));
  if (identified != nullptr) *identified = token.tenant;
  SCIMD_RETURN_IF_ERROR(CheckPlace(credentials, token.tenant));
  if (IsExpired(token, clock_.NowMicros() / 1'000'000)) {
    return Status::Unauthorized(
        "the bearer token has expired; the tenant's admin issues a new one");
  }
  return token;
}

Result<std::string> Gate::IssueToken(std::string_view tenant_name) {
  SCIMD_ASSIGN_OR_RETURN(std::optional<TenantRecord> tenant, store_.FindTenant(tenant_name));
  if (!tenant) return Status::NotFound("the token tenant does not exist");
  IssuedToken issued = MakeToken(tenant->id);
  SCIMD_RETURN_IF_ERROR(store_.PutToken(issued.record));
  return std::move(issued.token);
}

}  // namespace scimd::core
