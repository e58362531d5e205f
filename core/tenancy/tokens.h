// The life of a tenant's bearer tokens: issue (the secret is shown once and only its hash
// is stored), list, revoke, rotate (a new token now, the old one valid for a grace
// period), expiry per token or by the tenant's default ("token-expiry"), and scopes
// ("scim" read-write, "scim:read" read-only). core::Gate enforces expiry and scope on
// every request. Times are whole seconds since the Unix epoch from the caller's clock.
// Safe on any thread (the store serializes admin writes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/clock.h"
#include "core/base/status.h"
#include "core/base/store.h"
#include "core/tenancy/auth.h"

namespace scimd::core {

// How long a rotated token keeps working by default (the common SaaS practice).
inline constexpr int64_t kDefaultRotationGraceSeconds = 30 * kSecondsPerDay;
// `token list` and the admin API flag tokens that expire within this.
inline constexpr int64_t kExpiryWarningSeconds = 7 * kSecondsPerDay;

// "scim" / "scim:read".
std::string_view ScopeName(TokenRecord::Scope scope);
Result<TokenRecord::Scope> ParseScope(std::string_view name);

struct TokenOptions {
  TokenRecord::Scope scope = TokenRecord::Scope::kScim;
  std::string description;
  // Lifetime in seconds: nullopt takes the tenant's "token-expiry" setting (never when
  // unset), 0 never expires.
  std::optional<int64_t> lifetime;
};

// A new token of `tenant`. NotFound for an unknown tenant, InvalidValue for an over-long
// description.
Result<IssuedToken> IssueToken(Store& store, TenantId tenant, const TokenOptions& options,
                               int64_t now);

// The tenant's tokens, oldest first; never a secret.
Result<std::vector<TokenRecord>> ListTenantTokens(Store& store, TenantId tenant);

// Deletes a token of `tenant` at once. NotFound when the tenant has no such token (another
// tenant's token is not found either).
Status RevokeToken(Store& store, TenantId tenant, std::string_view token_id);

struct Rotation {
  IssuedToken fresh;  // the new token, with the old one's scope and description
  TokenRecord old;    // the old token as it is now stored (its new expiry)
};
// Issues a new token like `token_id` (or, when empty, like the tenant's only token that
// is still valid: InvalidValue naming the ids when there are several, NotFound when none)
// and lets the old one expire `grace` seconds from `now` (sooner if it expired sooner
// anyway). The new token's lifetime is the tenant's "token-expiry", else the old token's.
Result<Rotation> RotateToken(Store& store, TenantId tenant, std::string_view token_id,
                             int64_t grace, int64_t now);

bool IsExpired(const TokenRecord& token, int64_t now);
// Still valid, and expiring within kExpiryWarningSeconds.
bool ExpiresSoon(const TokenRecord& token, int64_t now);
// "expired", "expires within 7 days" or "valid": what `token list` and the admin API show.
std::string_view TokenState(const TokenRecord& token, int64_t now);

}  // namespace scimd::core
