#include "core/tenancy/auth.h"

#include <sodium.h>

#include <chrono>

#include "core/base/json.h"
#include "core/base/strings.h"

namespace scimd::core {

namespace {

constexpr std::string_view kPrefix = "scimd_";
constexpr size_t kIdHexChars = 16;      // 64-bit public id
constexpr size_t kSecretBytes = 32;     // 256 bits
constexpr size_t kMaxTokenChars = 256;  // anything longer is not ours

std::string Sha256(std::string_view data) {
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                     reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return out;
}

}  // namespace

// Argon2id cost. scimd stores passwords that provisioning clients send (Okta's password
// sync) but never checks them, so the hash only has to make a leaked store expensive to
// attack, and it runs inline for every user an initial sync creates: 2 passes over 1 MiB
// takes ~0.7 ms here (libsodium's "interactive" level, 64 MiB, would take ~70 ms).
constexpr unsigned long long kPasswordOpsLimit = 2;
constexpr size_t kPasswordMemLimit = size_t{1} << 20;
// RFC 7643 sets no limit; directory products cap passwords at 256 characters.
constexpr size_t kMaxPasswordBytes = 1024;

Result<std::string> HashPassword(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) {
    return Status::InvalidValue("\"password\" is longer than " + std::to_string(kMaxPasswordBytes) +
                                " bytes");
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), kPasswordOpsLimit,
                            kPasswordMemLimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::Internal("password hashing failed (out of memory)");
  }
  return std::string(out);
}

Status InitCrypto() {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialize");
  return Status::Ok();
}

IssuedToken MakeToken(TenantId tenant, int64_t created_unix) {
  unsigned char id_raw[kIdHexChars / 2];
  unsigned char secret[kSecretBytes];
  randombytes_buf(id_raw, sizeof id_raw);
  randombytes_buf(secret, sizeof secret);
  char id_hex[kIdHexChars + 1];
  sodium_bin2hex(id_hex, sizeof id_hex, id_raw, sizeof id_raw);
  char b64[sodium_base64_ENCODED_LEN(kSecretBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(b64, sizeof b64, secret, sizeof secret,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(secret, sizeof secret);
  IssuedToken t;
  t.token = std::string(kPrefix) + id_hex + "_" + b64;
  t.record.token_id = id_hex;
  t.record.hash = Sha256(t.token);
  t.record.tenant = tenant;
  t.record.created_unix = created_unix != 0
                              ? created_unix
                              : std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
  return t;
}

std::string HashSecret(std::string_view secret) { return Sha256(secret); }

bool SecretMatches(std::string_view secret, std::string_view hash) {
  const std::string h = Sha256(secret);
  return hash.size() == h.size() && sodium_memcmp(h.data(), hash.data(), h.size()) == 0;
}

std::string_view BearerSecret(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (!StartsWithCi(authorization, kScheme)) return {};
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  return token;
}

Result<TokenRecord> Authenticate(const TokenLookup& lookup, std::string_view authorization) {
  const std::string_view token = BearerSecret(authorization);
  if (token.empty()) {
    return Status::Unauthorized("missing bearer token: send Authorization: Bearer <token>");
  }
  if (token.size() > kMaxTokenChars || token.substr(0, kPrefix.size()) != kPrefix ||
      token.size() < kPrefix.size() + kIdHexChars + 2 ||
      token[kPrefix.size() + kIdHexChars] != '_') {
    return Status::Unauthorized("invalid bearer token");
  }
  const std::string_view token_id = token.substr(kPrefix.size(), kIdHexChars);
  SCIMD_ASSIGN_OR_RETURN(std::optional<TokenRecord> record, lookup(token_id));
  const std::string hash = Sha256(token);
  if (!record || record->hash.size() != hash.size() ||
      sodium_memcmp(record->hash.data(), hash.data(), hash.size()) != 0) {
    return Status::Unauthorized("invalid bearer token");
  }
  return *record;
}

}  // namespace scimd::core
