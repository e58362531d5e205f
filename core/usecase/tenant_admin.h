// What a provider's operator does to a tenant's configuration: set one setting (checked,
// and a host name claimed by one tenant only), copy a tenant's configuration to another
// (QA to production), and purge the users a soft-delete policy kept. Shared by scimctl and
// the admin API. Times are whole seconds since the Unix epoch. Safe on any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/base/store.h"
#include "core/tenancy/request_context.h"

namespace scimd::core {

// Tenant names are host-like labels ("acme", "acme.qa", "demo0-qa"): letters, digits,
// '.', '-' and '_', 1 to 253 bytes. InvalidValue otherwise.
Status ValidateTenantName(std::string_view name);
// A new tenant: ValidateTenantName, then Uniqueness if the name is taken.
Result<TenantRecord> CreateTenant(Store& store, std::string_view name);

// A tenant and what it holds.
struct TenantInfo {
  TenantRecord record;
  uint64_t users = 0;
  uint64_t groups = 0;
  uint64_t tokens = 0;
  uint64_t activity = 0;  // the number of its last activity entry (0: none yet)
};
Result<TenantInfo> ShowTenant(Store& store, TenantId tenant);

// Sets `name=value` on the tenant, or removes the setting when `value` is empty (back to
// the profile's or the built-in default). InvalidValue for an unknown name or a bad value
// (ValidateSetting) or for fault shares that add up to more than 1 (CheckFaultShares),
// Uniqueness for a host another tenant claims.
Status SetTenantSetting(Store& store, TenantId tenant, std::string_view name,
                        std::string_view value);
// Several settings at once, in order: all of them or, when one is refused, none.
using SettingChanges = std::vector<std::pair<std::string, std::string>>;
Status SetTenantSettings(Store& store, TenantId tenant, const SettingChanges& changes);

// Makes `to`'s configuration that of `from`: every setting (profile, client settings,
// policies, required attributes, token expiry, rate limit) except the host names, which
// belong to one tenant, and the injected faults (fault-*), which belong to a test tenant;
// `to` keeps its own of both. And the same indexed attributes (added ones are built for `to`'s
// data, missing ones dropped). Never data or tokens. Returns what changed, one line each.
Result<std::vector<std::string>> CopyTenantConfig(Store& store, TenantId from, TenantId to);

struct PurgeStats {
  uint64_t examined = 0;  // inactive users found
  uint64_t purged = 0;    // of those, deleted
};
// Deletes for good the users of the tenant that are inactive (active=false: what a DELETE
// leaves under delete-policy=soft, or a deprovisioning) and unchanged since `before`
// (lastModified < before), with their memberships.
Result<PurgeStats> PurgeInactiveUsers(Store& store, const RequestContext& ctx, int64_t before);

}  // namespace scimd::core
