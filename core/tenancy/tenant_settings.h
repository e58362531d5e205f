// Per-tenant settings: the typed view of TenantRecord::settings, with validation for
// `scimctl tenant set`. Unknown names and values are refused so typos do not pass silently.
// Where clients disagree (shared/IDP-BEHAVIOUR.md), the default suits most of them, a
// client profile ("profile=entra|okta|strict") presets the settings a client wants, and
// each setting still overrides its profile.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/filter/filter.h"
#include "core/resource/decode.h"
#include "core/resource/required.h"
#include "core/tenancy/faults.h"

namespace scimd::core {

struct TenantSettings {
  // "profile": empty (the default), "entra", "okta" or "strict"; what it presets is in
  // tenant_settings.cc (kProfiles) and docs/ADMIN.md.
  std::string profile;
  // "patch-response": "resource" (200 with the resource, the default) or "no-content"
  // (204, as Microsoft's reference suite expects).
  bool patch_no_content = false;
  // "unknown-attributes": "reject" (400, the default) or "ignore".
  // "unknown-members": "ignore" (a member id that does not exist is skipped and the write
  // reports a warning, the default) or "reject" (400 naming it).
  // An extension object may carry its own "schemas" key (ignored), except under "strict".
  DecodeOptions decode{false, true, nullptr, true};
  // "bare-filter-values": "reject" (a filter value without double quotes is 400
  // invalidFilter, the default) or "accept" (it is a string, as Microsoft's reference
  // client sends them).
  FilterOptions filter{false};
  // "delete-policy": "hard" (DELETE removes a user, the default) or "soft" (DELETE sets
  // active=false and keeps the user, for products that never hard-delete). Groups are
  // always removed.
  bool soft_delete = false;
  // "rate-limit": requests per second for the tenant, 0 (the default) for no limit.
  // Over it: 429 with Retry-After (Entra backs off and retries).
  uint32_t rate_limit = 0;
  // "token-expiry": the lifetime of a new token in seconds, 0 (the default) for never.
  int64_t token_lifetime = 0;
  // "activity": "on" (the default) or "off": whether writes and failures go to the
  // tenant's activity log (core/tenancy/activity.h).
  bool activity = true;
  // "activity-retention" (default 30d; "never" keeps entries forever) and
  // "activity-max-entries" (default 1,000,000; 0 no bound): what pruning keeps.
  int64_t activity_retention_s = 30 * 24 * 3600;
  uint64_t activity_max_entries = 1'000'000;
  // "indexed-attributes" (core/tenancy/tenant_index.h, changed only by `scimctl index`): the
  // attributes this tenant's index holds, built-ins first; null means the built-ins.
  // decode.indexed points into it.
  std::shared_ptr<const std::vector<IndexedAttr>> indexed;
  // Those plus the indexes being built ("building-indexes"): what writes keep up to date.
  // Null means the same as `indexed`. decode.indexed points into it.
  std::shared_ptr<const std::vector<IndexedAttr>> maintained;
  // "required": User attributes every write must leave with a value (core/resource/
  // required.h), e.g. "userName,emails,externalId"; empty: only the schema's own.
  std::shared_ptr<const std::vector<RequiredAttr>> required;
  // "host": the host names (comma-separated, lower case) whose requests belong to this
  // tenant: a token of another tenant presented there is refused (core/tenancy/gate.h).
  std::vector<std::string> hosts;
  // "fault-latency", "fault-429", "fault-500", "fault-503", "fault-drop",
  // "fault-retry-after": misbehaviour on purpose for client testing (core/tenancy/faults.h);
  // none by default.
  FaultSettings faults;

  // What filters, plans and sorts may use: complete indexes only.
  const std::vector<IndexedAttr>& Indexed() const {
    return indexed ? *indexed : SchemaRegistry::Default().indexed();
  }
  // What every write derives and keeps: complete indexes and the ones being built.
  const std::vector<IndexedAttr>& Maintained() const {
    return maintained ? *maintained : Indexed();
  }

  static Result<TenantSettings> FromMap(const std::map<std::string, std::string>& settings);
};

// Checks one name=value pair; the detail lists the allowed names/values.
Status ValidateSetting(std::string_view name, std::string_view value);

// The settings a profile presets, as name=value pairs; empty for an unknown profile.
std::map<std::string, std::string> ProfileSettings(std::string_view profile);

// "a.example, B.example" -> {"a.example", "b.example"}; InvalidValue for a name that is
// not a host name (letters, digits, '-', '.', at most 253 bytes).
Result<std::vector<std::string>> ParseHostList(std::string_view list);

}  // namespace scimd::core
