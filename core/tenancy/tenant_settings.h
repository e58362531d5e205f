// Per-tenant settings: the typed view of TenantRecord::settings, with validation for
// `scimctl tenant set`. Unknown names and values are refused so typos do not pass silently.
// Where clients disagree (shared/IDP-BEHAVIOUR.md), the default suits most of them and
// a setting serves the others.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/resource/decode.h"

namespace scimd::core {

struct TenantSettings {
  // "patch-response": "resource" (200 with the resource, the default) or "no-content"
  // (204, as Microsoft's reference suite expects).
  bool patch_no_content = false;
  // "unknown-attributes": "reject" (400, the default) or "ignore".
  DecodeOptions decode;
  // "delete-policy": "hard" (DELETE removes a user, the default) or "soft" (DELETE sets
  // active=false and keeps the user, for products that never hard-delete). Groups are
  // always removed.
  bool soft_delete = false;
  // "unknown-members": "reject" (a member id that does not exist is a 400 naming it, the
  // default) or "ignore" (such members are skipped): in `decode`.
  // "rate-limit": requests per second for the tenant, 0 (the default) for no limit.
  // Over it: 429 with Retry-After (Entra backs off and retries).
  uint32_t rate_limit = 0;
  // "token-expiry": the lifetime of a new token in seconds, 0 (the default) for never.
  int64_t token_lifetime = 0;
  // "indexed-attributes" (core/tenancy/tenant_index.h, changed only by `scimctl index`): the
  // attributes this tenant's index holds, built-ins first; null means the built-ins.
  // decode.indexed points into it.
  std::shared_ptr<const std::vector<IndexedAttr>> indexed;

  const std::vector<IndexedAttr>& Indexed() const {
    return indexed ? *indexed : SchemaRegistry::Default().indexed();
  }

  static Result<TenantSettings> FromMap(const std::map<std::string, std::string>& settings);
};

// Checks one name=value pair; the detail lists the allowed names/values.
Status ValidateSetting(std::string_view name, std::string_view value);

}  // namespace scimd::core
