#include "core/tenancy/tenant_settings.h"

#include <charconv>

#include "core/base/clock.h"
#include "core/tenancy/tenant_index.h"

namespace scimd::core {

namespace {

// What a setting's value is: one of a few words, a whole number up to `max`, or a
// duration (core/base/clock.h: "30d", "never").
enum class Kind { kWords, kNumber, kDuration };
struct SettingDef {
  std::string_view name;
  Kind kind = Kind::kWords;
  std::string_view values[2] = {};
  uint32_t max = 0;
};

// Largest rate limit: far above what one tenant's client can send (Entra's gallery asks
// for 25 requests/s); bounds the arithmetic of the limiter.
constexpr uint32_t kMaxRateLimit = 1'000'000;

constexpr SettingDef kSettings[] = {
    {"patch-response", Kind::kWords, {"resource", "no-content"}},
    {"unknown-attributes", Kind::kWords, {"reject", "ignore"}},
    {"delete-policy", Kind::kWords, {"hard", "soft"}},
    {"unknown-members", Kind::kWords, {"reject", "ignore"}},
    {"rate-limit", Kind::kNumber, {}, kMaxRateLimit},
    // The lifetime of a new token when `token issue` names none (core/tenancy/tokens.h).
    {"token-expiry", Kind::kDuration},
};

bool ParseUint(std::string_view s, uint32_t max, uint32_t* out) {
  uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty() || v > max) return false;
  *out = v;
  return true;
}

}  // namespace

Status ValidateSetting(std::string_view name, std::string_view value) {
  if (name == kIndexedAttributesSetting) {
    return Status::InvalidValue(
        "indexed-attributes is changed with `scimctl index add|drop TENANT User|Group ATTR`, "
        "which also builds or removes the index");
  }
  for (const auto& def : kSettings) {
    if (def.name != name) continue;
    if (def.kind == Kind::kNumber) {
      uint32_t v;
      if (ParseUint(value, def.max, &v)) return Status::Ok();
      return Status::InvalidValue("setting " + std::string(name) +
                                  " takes a whole number from 0 to " + std::to_string(def.max));
    }
    if (def.kind == Kind::kDuration) {
      auto d = ParseDurationSeconds(value);
      if (d.ok()) return Status::Ok();
      return Status::InvalidValue("setting " + std::string(name) + ": " + d.status().detail());
    }
    for (const auto& v : def.values) {
      if (v == value) return Status::Ok();
    }
    return Status::InvalidValue("setting " + std::string(name) + " takes " +
                                std::string(def.values[0]) + " or " + std::string(def.values[1]));
  }
  std::string names;
  for (const auto& def : kSettings) names += (names.empty() ? "" : ", ") + std::string(def.name);
  return Status::InvalidValue("unknown setting \"" + std::string(name) + "\"; known: " + names);
}

Result<TenantSettings> TenantSettings::FromMap(const std::map<std::string, std::string>& m) {
  TenantSettings s;
  for (const auto& [name, value] : m) {
    if (name == kIndexedAttributesSetting) {
      SCIMD_ASSIGN_OR_RETURN(std::vector<IndexedAttr> extra, ParseIndexedAttributes(value));
      s.indexed = WithBuiltins(std::move(extra));
      continue;
    }
    SCIMD_RETURN_IF_ERROR(ValidateSetting(name, value));
    if (name == "patch-response") s.patch_no_content = value == "no-content";
    if (name == "unknown-attributes") s.decode.ignore_unknown_attributes = value == "ignore";
    if (name == "delete-policy") s.soft_delete = value == "soft";
    if (name == "unknown-members") s.decode.ignore_unknown_members = value == "ignore";
    if (name == "rate-limit") ParseUint(value, kMaxRateLimit, &s.rate_limit);
    if (name == "token-expiry") s.token_lifetime = *ParseDurationSeconds(value);
  }
  if (s.indexed) s.decode.indexed = s.indexed.get();
  return s;
}

}  // namespace scimd::core
