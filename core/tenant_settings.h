// Per-tenant settings: the typed view of TenantRecord::settings, with validation for
// `scimctl tenant set`. Unknown names are refused so typos do not pass silently.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/resource.h"
#include "core/status.h"

namespace scimd::core {

struct TenantSettings {
  // "patch-response": "resource" (200 with the resource, the default) or "no-content"
  // (204, as Microsoft's reference suite expects).
  bool patch_no_content = false;
  // "unknown-attributes": "reject" (400, the default) or "ignore".
  DecodeOptions decode;

  static Result<TenantSettings> FromMap(const std::map<std::string, std::string>& settings);
};

// Checks one name=value pair; the detail lists the allowed names/values.
Status ValidateSetting(std::string_view name, std::string_view value);

}  // namespace scimd::core
