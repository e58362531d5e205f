#include "core/usecase/tenant_admin.h"

#include <algorithm>
#include <map>

#include "core/base/clock.h"
#include "core/filter/filter.h"
#include "core/resource/stored_value.h"
#include "core/tenancy/tenant_index.h"
#include "core/tenancy/tenant_settings.h"
#include "core/usecase/reindex.h"
#include "core/usecase/service.h"

namespace scimd::core {

namespace {

constexpr std::string_view kHostSetting = "host";

Result<TenantRecord> Tenant(Store& store, TenantId id) { return GetTenantRecord(store, id); }

// What copy-config leaves as the target has it: host names belong to one tenant, indexes
// are copied by building them, and injected faults are for the tenant a client developer
// tests against, never to be carried to production with the rest of a QA configuration.
bool KeptByCopy(std::string_view setting) {
  return setting == kHostSetting || setting == kIndexedAttributesSetting ||
         setting == kBuildingIndexesSetting || setting.starts_with("fault-");
}

}  // namespace

Status ValidateTenantName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 253;
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-' || c == '_');
  }
  if (ok) return Status::Ok();
  return Status::InvalidValue(
      "a tenant name is 1 to 253 letters, digits, '.', '-' or '_' "
      "(e.g. acme or acme.qa)");
}

Result<TenantRecord> CreateTenant(Store& store, std::string_view name) {
  SCIMD_RETURN_IF_ERROR(ValidateTenantName(name));
  return store.CreateTenant(name);
}

Result<TenantInfo> ShowTenant(Store& store, TenantId tenant) {
  TenantInfo info;
  SCIMD_ASSIGN_OR_RETURN(info.record, Tenant(store, tenant));
  SCIMD_ASSIGN_OR_RETURN(info.users, store.CountResources(tenant, ResourceType::kUser));
  SCIMD_ASSIGN_OR_RETURN(info.groups, store.CountResources(tenant, ResourceType::kGroup));
  SCIMD_ASSIGN_OR_RETURN(std::vector<TokenRecord> tokens, store.ListTokens(tenant));
  info.tokens = tokens.size();
  SCIMD_ASSIGN_OR_RETURN(info.activity, store.LastActivitySequence(tenant));
  return info;
}

namespace {

// Applies `name=value` (or removes `name` when `value` is empty) to `record`'s settings,
// validated; nothing is written.
Status ApplySetting(Store& store, TenantRecord& record, std::string_view name,
                    std::string_view value) {
  if (value.empty()) {
    if (name == kIndexedAttributesSetting || name == kBuildingIndexesSetting) {
      SCIMD_RETURN_IF_ERROR(ValidateSetting(name, value));
    }
    record.settings.erase(std::string(name));
    return Status::Ok();
  }
  SCIMD_RETURN_IF_ERROR(ValidateSetting(name, value));
  std::string stored(value);
  if (name == kHostSetting) {
    // One tenant per host name: the host decides whose tokens are admitted there.
    SCIMD_ASSIGN_OR_RETURN(std::vector<std::string> hosts, ParseHostList(value));
    SCIMD_ASSIGN_OR_RETURN(std::vector<TenantRecord> all, store.ListTenants());
    for (const TenantRecord& other : all) {
      if (other.id == record.id) continue;
      auto it = other.settings.find(std::string(kHostSetting));
      if (it == other.settings.end()) continue;
      auto theirs = ParseHostList(it->second);
      if (!theirs.ok()) continue;
      for (const auto& h : hosts) {
        if (std::find(theirs->begin(), theirs->end(), h) != theirs->end()) {
          return Status::Uniqueness("host " + h + " belongs to tenant " + other.name);
        }
      }
    }
    stored.clear();
    for (const auto& h : hosts) stored += (stored.empty() ? "" : ",") + h;
  }
  record.settings[std::string(name)] = stored;
  return Status::Ok();
}

}  // namespace

Status SetTenantSettings(Store& store, TenantId tenant, const SettingChanges& changes) {
  SCIMD_ASSIGN_OR_RETURN(TenantRecord record, Tenant(store, tenant));
  for (const auto& [name, value] : changes) {
    SCIMD_RETURN_IF_ERROR(ApplySetting(store, record, name, value));
  }
  SCIMD_RETURN_IF_ERROR(CheckFaultShares(record.settings));
  return store.PutTenantSettings(tenant, record.settings);
}

Status SetTenantSetting(Store& store, TenantId tenant, std::string_view name,
                        std::string_view value) {
  return SetTenantSettings(store, tenant, {{std::string(name), std::string(value)}});
}

Result<std::vector<std::string>> CopyTenantConfig(Store& store, TenantId from, TenantId to) {
  if (from == to) return Status::InvalidValue("a tenant's configuration is already its own");
  SCIMD_ASSIGN_OR_RETURN(TenantRecord source, Tenant(store, from));
  SCIMD_ASSIGN_OR_RETURN(TenantRecord target, Tenant(store, to));
  std::vector<std::string> changes;

  // Indexes first: each is built for the target's data (or dropped) before it is listed.
  SCIMD_ASSIGN_OR_RETURN(std::vector<IndexedAttr> want, ExtraIndexed(source));
  SCIMD_ASSIGN_OR_RETURN(std::vector<IndexedAttr> have, ExtraIndexed(target));
  auto same = [](const IndexedAttr& a, const IndexedAttr& b) {
    return a.type == b.type && a.path == b.path;
  };
  for (const IndexedAttr& h : have) {
    if (std::any_of(want.begin(), want.end(), [&](const auto& w) { return same(w, h); })) continue;
    SCIMD_RETURN_IF_ERROR(DropTenantIndex(store, to, h.type, h.path, nullptr));
    changes.push_back("index dropped: " + std::string(ResourceTypeName(h.type)) + " " + h.path);
  }
  for (const IndexedAttr& w : want) {
    if (std::any_of(have.begin(), have.end(), [&](const auto& h) { return same(w, h); })) continue;
    ReindexStats stats;
    SCIMD_RETURN_IF_ERROR(AddTenantIndex(store, to, w.type, w.path, &stats).status());
    changes.push_back("index added: " + std::string(ResourceTypeName(w.type)) + " " + w.path +
                      " (" + std::to_string(stats.resources) + " resources)");
  }

  // Then the settings, read again (the index changes rewrote indexed-attributes).
  SCIMD_ASSIGN_OR_RETURN(target, Tenant(store, to));
  std::map<std::string, std::string> settings;
  for (const auto& [k, v] : source.settings) {
    if (!KeptByCopy(k)) settings.emplace(k, v);
  }
  for (const auto& [k, v] : target.settings) {
    if (KeptByCopy(k)) settings.emplace(k, v);
  }
  for (const auto& [k, v] : settings) {
    auto it = target.settings.find(k);
    if (it == target.settings.end() || it->second != v) changes.push_back(k + "=" + v);
  }
  for (const auto& [k, v] : target.settings) {
    if (settings.count(k) == 0) changes.push_back(k + " unset");
  }
  SCIMD_RETURN_IF_ERROR(store.PutTenantSettings(to, settings));
  return changes;
}

Result<PurgeStats> PurgeInactiveUsers(Store& store, const RequestContext& ctx, int64_t before) {
  const std::string filter_text =
      "active eq false and meta.lastModified lt \"" + FormatDateTime(before * 1'000'000) + "\"";
  SCIMD_ASSIGN_OR_RETURN(CompiledFilter filter,
                         CompileFilter(ResourceType::kUser, filter_text, ctx.settings.Indexed()));
  // Each with the version it was found at: one changed since (re-activated by its client)
  // fails its If-Match and stays.
  std::vector<std::pair<ResourceId, std::string>> ids;
  FilterStats stats;
  SCIMD_RETURN_IF_ERROR(RunFilter(
      store, ctx.tenant, filter,
      [&](const ResourceId& id, std::string_view value) {
        auto split = SplitStored(value);
        if (split.ok()) ids.emplace_back(id, WeakEtag(split->first.version));
        return true;
      },
      &stats));
  PurgeStats out;
  out.examined = ids.size();
  RequestContext hard = ctx;
  hard.settings.soft_delete = false;  // this delete is the real one
  hard.may_wait = true;
  Service service(store);
  for (const auto& [id, etag] : ids) {
    Status s = service.Delete(hard, ResourceType::kUser, id, etag).status();
    // Deleted or changed meanwhile: not this purge's to remove.
    if (s.Is(Status::Code::kNotFound) || s.Is(Status::Code::kPreconditionFailed)) continue;
    SCIMD_RETURN_IF_ERROR(s);
    ++out.purged;
  }
  return out;
}

}  // namespace scimd::core
