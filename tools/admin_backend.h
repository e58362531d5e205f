// What scimctl asks of a tenant store, whichever way it reaches it: a stopped server's data
// directory (LocalBackend, --data) or a running server's admin API (RemoteBackend,
// --server). Both return the same typed results, which scimctl prints one way, so the two
// modes have the same subcommands and the same output.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/clock.h"
#include "core/base/status.h"
#include "core/base/store.h"
#include "core/filter/filter.h"
#include "core/resource/schema.h"
#include "core/scim/export.h"
#include "core/scim/import.h"
#include "core/tenancy/activity.h"
#include "core/tenancy/tenant_index.h"
#include "core/tenancy/tenant_stats.h"
#include "core/tenancy/tokens.h"
#include "core/usecase/check.h"
#include "core/usecase/reindex.h"
#include "core/usecase/tenant_admin.h"
#include "net/admin_json.h"
#include "tools/backup.h"

namespace scimd::tools {

template <typename T>
using Result = core::Result<T>;

struct IndexChange {
  core::IndexedAttr attr;
  std::string state;  // "ready" (built, offline) or "building" (in the server's background)
  core::ReindexStats stats;
};

struct ActivityRequest {
  std::string since;  // a duration ("2h"), empty for all
  std::string resource_id;
  bool failed_only = false;
  size_t limit = 100;
  uint64_t before = 0;
};

struct ImportRequest {
  std::string file;  // a path, or "-" for stdin
  uint64_t max_errors = 0;
  // Called as the import goes: records so far, input bytes read of `total` (0: unknown),
  // and whether it is writing the load out (after the last record).
  std::function<void(const core::ImportSummary& so_far, uint64_t bytes, uint64_t total,
                     bool writing)>
      progress;
};

class AdminBackend {
 public:
  virtual ~AdminBackend() = default;

  virtual Result<core::TenantRecord> TenantCreate(std::string_view name) = 0;
  virtual Result<std::vector<core::TenantRecord>> TenantList() = 0;
  virtual Result<core::TenantInfo> TenantShow(std::string_view name) = 0;
  // All the changes or, when one is refused, none.
  virtual core::Status TenantSet(std::string_view name, const core::SettingChanges& changes) = 0;
  virtual Result<std::vector<std::string>> TenantCopyConfig(std::string_view from,
                                                            std::string_view to) = 0;
  virtual Result<core::PurgeStats> TenantPurge(std::string_view name, std::string_view older) = 0;
  virtual core::Status TenantDelete(std::string_view name) = 0;

  virtual Result<core::IssuedToken> TokenIssue(std::string_view name, std::string_view scope,
                                               std::string_view description,
                                               std::string_view expires) = 0;
  virtual Result<std::vector<core::TokenRecord>> TokenList(std::string_view name) = 0;
  virtual core::Status TokenRevoke(std::string_view name, std::string_view token_id) = 0;
  virtual Result<core::Rotation> TokenRotate(std::string_view name, std::string_view token_id,
                                             std::string_view grace) = 0;

  virtual Result<IndexChange> IndexAdd(std::string_view name, core::ResourceType type,
                                       std::string_view path) = 0;
  virtual Result<uint64_t> IndexDrop(std::string_view name, core::ResourceType type,
                                     std::string_view path) = 0;
  virtual Result<std::vector<core::TenantIndexState>> IndexList(std::string_view name) = 0;
  virtual Result<core::ReindexStats> Reindex(std::string_view name) = 0;
  // core::CheckTenant; each problem is handed to `problem` as it is found.
  virtual Result<core::CheckReport> Check(std::string_view name, bool repair,
                                          const core::ProblemVisitor& problem) = 0;
  virtual Result<core::FilterExplanation> Explain(std::string_view name, core::ResourceType type,
                                                  std::string_view filter) = 0;

  virtual Result<std::vector<core::ActivityEntry>> Activity(std::string_view name,
                                                            const ActivityRequest& request) = 0;
  virtual Result<core::TenantStats> Stats(std::string_view name) = 0;
  // The storage engine's backlog (compaction debt, level-0 files, memtables, stalls).
  virtual Result<core::StoreEngineStats> EngineStats() = 0;

  // Loads a file of Users and Groups into the tenant (core/scim/import.h): all or nothing.
  // The summary lists rejected records; an error names the line that stopped it.
  virtual Result<core::ImportSummary> Import(std::string_view name,
                                             const ImportRequest& request) = 0;
  // The tenant as NDJSON (core/scim/export.h), handed to `write` piece by piece.
  virtual Result<core::ExportSummary> Export(
      std::string_view name, const core::ExportOptions& options,
      const std::function<bool(std::string_view)>& write) = 0;
  // A backup of the whole store into `dir` (tools/backup.h), which must not exist or be
  // empty; `progress` gets the bytes written so far and the total.
  virtual Result<BackupManifest> Backup(
      const std::string& dir,
      const std::function<void(uint64_t done, uint64_t total)>& progress) = 0;
};

// On a data directory no server holds (`create` creates it if missing); `clock` for
// token expiry, purges and activity windows. A directory a running scimd holds fails with
// a detail that says to stop the server or use --server.
Result<std::unique_ptr<AdminBackend>> OpenLocal(const std::string& data_dir, bool create,
                                                const core::Clock& clock);
// Through the admin API at `url` ("http://127.0.0.1:8081", or https://) with `admin_token`;
// `ca_file`, when not empty, is the PEM file of the certificates that an https server's
// chain must lead to (else the system's).
std::unique_ptr<AdminBackend> OpenRemote(std::string url, std::string admin_token,
                                         std::string ca_file = "");

}  // namespace scimd::tools
