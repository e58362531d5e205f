#include "core/tenancy/tenant_settings.h"

#include <charconv>

#include "core/tenancy/tenant_index.h"

namespace scimd::core {

namespace {

// A setting takes one of two words, or (when `numeric`) a whole number up to `max`.
struct SettingDef {
  std::string_view name;
  std::string_view values[2];
  bool numeric = false;
  uint32_t max = 0;
};

// Largest rate limit: far above what one tenant's client can send (Entra's gallery asks
// for 25 requests/s); bounds the arithmetic of the limiter.
constexpr uint32_t kMaxRateLimit = 1'000'000;

constexpr SettingDef kSettings[] = {
    {"patch-response", {"resource", "no-content"}},
    {"unknown-attributes", {"reject", "ignore"}},
    {"delete-policy", {"hard", "soft"}},
    {"unknown-members", {"reject", "ignore"}},
    {"rate-limit", {}, true, kMaxRateLimit},
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
    if (def.numeric) {
      uint32_t v;
      if (ParseUint(value, def.max, &v)) return Status::Ok();
      return Status::InvalidValue("setting " + std::string(name) +
                                  " takes a whole number from 0 to " + std::to_string(def.max));
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
  }
  if (s.indexed) s.decode.indexed = s.indexed.get();
  return s;
}

}  // namespace scimd::core
