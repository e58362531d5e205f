// The JSON of the admin API (/admin/v1/, docs/ADMIN.md): tenants, tokens, indexes,
// activity, stats and errors, written by the server (net/admin_api.h) and read back by
// `scimctl --server`, so that both ends agree by construction. Times are RFC 3339 UTC
// strings ("2027-01-15T08:00:00Z"), absent ones null. A token's secret appears only in
// the answer that issued it. Pure functions; safe on any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/json.h"
#include "core/base/status.h"
#include "core/base/store.h"
#include "core/resource/schema.h"
#include "core/scim/import.h"
#include "core/tenancy/activity.h"
#include "core/tenancy/auth.h"
#include "core/tenancy/tenant_index.h"
#include "core/tenancy/tenant_stats.h"
#include "core/tenancy/tokens.h"
#include "core/usecase/reindex.h"
#include "core/usecase/tenant_admin.h"

namespace scimd::net::admin {

// Whole seconds <-> "2027-01-15T08:00:00Z" (null for 0).
core::Json TimeJson(int64_t unix_seconds);
int64_t TimeFrom(const core::Json* v);

core::Json TenantJson(const core::TenantRecord& t);
core::Result<core::TenantRecord> TenantFrom(const core::Json& j);
core::Json TenantInfoJson(const core::TenantInfo& info);
core::Result<core::TenantInfo> TenantInfoFrom(const core::Json& j);

core::Json TokenJson(const core::TokenRecord& t);  // never the hash
core::Result<core::TokenRecord> TokenFrom(const core::Json& j);
// An issued token: {"token": secret, "record": {...}} (rotation adds "old").
core::Json IssuedJson(const core::IssuedToken& issued);
core::Result<core::IssuedToken> IssuedFrom(const core::Json& j);

core::Json IndexedJson(const core::TenantIndexState& index);
core::Result<core::TenantIndexState> IndexedFrom(const core::Json& j);

core::Result<core::ActivityEntry> ActivityFrom(const core::Json& j);

core::Json StatsJson(const core::TenantStats& s);
core::TenantStats StatsFrom(const core::Json& j);
// GET /admin/v1/store: the storage engine's backlog (core::StoreEngineStats).
core::Json EngineStatsJson(const core::StoreEngineStats& s);
core::StoreEngineStats EngineStatsFrom(const core::Json& j);

// An import run by the server (POST /tenants/T/imports, net/admin_transfer.h): its state
// ("uploading", "waiting", "running", "writing", "done", "failed"), the bytes uploaded and
// read, the summary so far (or at the end), and why it failed.
struct ImportState {
  std::string id;
  std::string state;
  uint64_t uploaded = 0;  // bytes received
  uint64_t read = 0;      // bytes of the upload the import has read
  core::ImportSummary summary;
  std::string error;     // when failed: nothing was loaded
  int error_status = 0;  // when failed: the HTTP status of the error (400: a rejected file)
};
core::Json ImportStateJson(const ImportState& s);
ImportState ImportStateFrom(const core::Json& j);

// {"error": {"status": 404, "message": "..."}} and back to a Status (the code from the
// HTTP status: 400 InvalidValue, 401, 403, 404, 409 Uniqueness, else Internal/IoError).
std::string ErrorJson(int http_status, std::string_view message);
core::Status StatusFromError(int http_status, const core::Json& body);

}  // namespace scimd::net::admin
