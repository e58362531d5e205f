// Bearer tokens: issuing (random, shown once) and resolving a request's tenant from its
// Authorization header. Only a SHA-256 hash of a token is stored; the hash is compared
// in constant time. A token is "scimd_" + 16 hex chars (its public id) + "_" + 43
// base64url chars (256 random bits). Never log a token or put one in an error detail.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/base/store.h"

namespace scimd::core {

// Call once at start-up before any other function here (initializes libsodium).
Status InitCrypto();

struct IssuedToken {
  std::string token;   // the secret, to show once
  TokenRecord record;  // what is stored
};
// A new random token of `tenant`, created at `created_unix` (default: now), scope "scim",
// never expiring; core/tenancy/tokens.h sets the rest.
IssuedToken MakeToken(TenantId tenant, int64_t created_unix = 0);

// A salted, slow hash of a user's password (Argon2id via libsodium's crypto_pwhash_str,
// parameters in auth.cc), for storage. InvalidValue for an over-long password.
Result<std::string> HashPassword(std::string_view password);

// The SHA-256 of a secret, for keeping a secret that was configured (the admin API's
// token) only as a hash; and a constant-time check of a presented secret against one.
std::string HashSecret(std::string_view secret);
bool SecretMatches(std::string_view secret, std::string_view hash);
// The secret of an "Authorization: Bearer <secret>" header, empty when it is not one.
std::string_view BearerSecret(std::string_view authorization);

// Resolves `authorization` ("Bearer <token>") to its token record, found by `lookup` from
// the token's id (the store's LookupToken, or core::Gate's cache of its records: the
// presented secret is checked against the record's hash either way). Unauthorized (401)
// for a missing, malformed or unknown token; the lookup's error if it failed.
using TokenLookup = std::function<Result<std::optional<TokenRecord>>(std::string_view token_id)>;
Result<TokenRecord> Authenticate(const TokenLookup& lookup, std::string_view authorization);

}  // namespace scimd::core
