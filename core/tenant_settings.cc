#include "core/tenant_settings.h"

namespace scimd::core {

namespace {
struct SettingDef {
  std::string_view name;
  std::string_view values[2];
};
constexpr SettingDef kSettings[] = {
    {"patch-response", {"resource", "no-content"}},
    {"unknown-attributes", {"reject", "ignore"}},
};
}  // namespace

Status ValidateSetting(std::string_view name, std::string_view value) {
  for (const auto& def : kSettings) {
    if (def.name != name) continue;
    for (const auto& v : def.values) {
      if (v == value) return Status::Ok();
    }
    return Status::InvalidValue("setting " + std::string(name) + " takes " +
                                std::string(def.values[0]) + " or " +
                                std::string(def.values[1]));
  }
  std::string names;
  for (const auto& def : kSettings) names += (names.empty() ? "" : ", ") + std::string(def.name);
  return Status::InvalidValue("unknown setting \"" + std::string(name) + "\"; known: " + names);
}

Result<TenantSettings> TenantSettings::FromMap(const std::map<std::string, std::string>& m) {
  TenantSettings s;
  for (const auto& [name, value] : m) {
    SCIMD_RETURN_IF_ERROR(ValidateSetting(name, value));
    if (name == "patch-response") s.patch_no_content = value == "no-content";
    if (name == "unknown-attributes") s.decode.ignore_unknown_attributes = value == "ignore";
  }
  return s;
}

}  // namespace scimd::core
