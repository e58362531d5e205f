#include "core/tenancy/tokens.h"

#include <algorithm>

#include "core/tenancy/tenant_settings.h"

namespace scimd::core {

namespace {

Result<TenantSettings> SettingsOf(Store& store, TenantId tenant) {
  SCIMD_ASSIGN_OR_RETURN(std::optional<TenantRecord> record, store.GetTenant(tenant));
  if (!record) return Status::NotFound("no tenant with id " + std::to_string(tenant));
  return TenantSettings::FromMap(record->settings);
}

// The tenant's token `token_id`; NotFound also for another tenant's.
Result<TokenRecord> TenantToken(Store& store, TenantId tenant, std::string_view token_id) {
  SCIMD_ASSIGN_OR_RETURN(std::optional<TokenRecord> token, store.LookupToken(token_id));
  if (!token || token->tenant != tenant) {
    return Status::NotFound("the tenant has no token \"" + std::string(token_id) + "\"");
  }
  return std::move(*token);
}

}  // namespace

std::string_view ScopeName(TokenRecord::Scope scope) {
  return scope == TokenRecord::Scope::kScimRead ? "scim:read" : "scim";
}

Result<TokenRecord::Scope> ParseScope(std::string_view name) {
  if (name == "scim") return TokenRecord::Scope::kScim;
  if (name == "scim:read") return TokenRecord::Scope::kScimRead;
  return Status::InvalidValue("unknown scope \"" + std::string(name) +
                              "\": scim (read and write) or scim:read (read only)");
}

bool IsExpired(const TokenRecord& token, int64_t now) {
  return token.expires_unix != 0 && now >= token.expires_unix;
}

bool ExpiresSoon(const TokenRecord& token, int64_t now) {
  return token.expires_unix != 0 && !IsExpired(token, now) &&
         token.expires_unix - now <= kExpiryWarningSeconds;
}

std::string_view TokenState(const TokenRecord& token, int64_t now) {
  if (IsExpired(token, now)) return "expired";
  if (ExpiresSoon(token, now)) return "expires within 7 days";
  return "valid";
}

Result<IssuedToken> IssueToken(Store& store, TenantId tenant, const TokenOptions& options,
                               int64_t now) {
  int64_t lifetime = 0;
  if (options.lifetime) {
    lifetime = *options.lifetime;
  } else {
    SCIMD_ASSIGN_OR_RETURN(TenantSettings settings, SettingsOf(store, tenant));
    lifetime = settings.token_lifetime;
  }
  if (lifetime < 0 || lifetime > kMaxDurationSeconds) {
    return Status::InvalidValue("a token's lifetime is 0 (never expires) to 100 years");
  }
  IssuedToken issued = MakeToken(tenant, now);
  issued.record.scope = options.scope;
  issued.record.description = options.description;
  issued.record.expires_unix = lifetime == 0 ? 0 : now + lifetime;
  SCIMD_RETURN_IF_ERROR(store.PutToken(issued.record));
  return issued;
}

Result<std::vector<TokenRecord>> ListTenantTokens(Store& store, TenantId tenant) {
  SCIMD_ASSIGN_OR_RETURN(std::vector<TokenRecord> tokens, store.ListTokens(tenant));
  std::stable_sort(tokens.begin(), tokens.end(), [](const TokenRecord& a, const TokenRecord& b) {
    return a.created_unix < b.created_unix;
  });
  return tokens;
}

Status RevokeToken(Store& store, TenantId tenant, std::string_view token_id) {
  SCIMD_RETURN_IF_ERROR(TenantToken(store, tenant, token_id).status());
  return store.DeleteToken(token_id);
}

Result<Rotation> RotateToken(Store& store, TenantId tenant, std::string_view token_id,
                             int64_t grace, int64_t now) {
  if (grace < 0 || grace > kMaxDurationSeconds) {
    return Status::InvalidValue("a grace period is 0 to 100 years");
  }
  TokenRecord old;
  if (!token_id.empty()) {
    SCIMD_ASSIGN_OR_RETURN(old, TenantToken(store, tenant, token_id));
  } else {
    SCIMD_ASSIGN_OR_RETURN(std::vector<TokenRecord> tokens, ListTenantTokens(store, tenant));
    std::vector<TokenRecord> valid;
    for (auto& t : tokens) {
      if (!IsExpired(t, now)) valid.push_back(std::move(t));
    }
    if (valid.empty()) return Status::NotFound("the tenant has no valid token to rotate");
    if (valid.size() > 1) {
      std::string ids;
      for (const auto& t : valid) ids += (ids.empty() ? "" : ", ") + t.token_id;
      return Status::InvalidValue("the tenant has " + std::to_string(valid.size()) +
                                  " valid tokens (" + ids + "); name the one to rotate");
    }
    old = std::move(valid.front());
  }
  if (IsExpired(old, now)) {
    return Status::InvalidValue("token \"" + old.token_id + "\" has expired; issue a new one");
  }
  SCIMD_ASSIGN_OR_RETURN(TenantSettings settings, SettingsOf(store, tenant));
  TokenOptions options;
  options.scope = old.scope;
  options.description = old.description;
  options.lifetime = settings.token_lifetime != 0 ? settings.token_lifetime
                     : old.expires_unix != 0      ? old.expires_unix - old.created_unix
                                                  : 0;
  Rotation r;
  SCIMD_ASSIGN_OR_RETURN(r.fresh, IssueToken(store, tenant, options, now));
  const int64_t until = now + grace;
  SCIMD_RETURN_IF_ERROR(store.UpdateToken(old.token_id, [&](TokenRecord& token) {
    token.expires_unix = token.expires_unix == 0 ? until : std::min(token.expires_unix, until);
    r.old = token;
    return Status::Ok();
  }));
  return r;
}

}  // namespace scimd::core
