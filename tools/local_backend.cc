// scimctl on a stopped server's data directory: the admin use cases of core, called
// directly on a RocksStore.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/filter/filter.h"
#include "core/scim/import_reader.h"
#include "core/tenancy/tenant_index.h"
#include "core/tenancy/tenant_settings.h"
#include "storage/rocks_store.h"
#include "tools/admin_backend.h"
#include "tools/import_input.h"

namespace scimd::tools {

namespace {

using core::Status;

class LocalBackend final : public AdminBackend {
 public:
  LocalBackend(std::unique_ptr<storage::RocksStore> store, const core::Clock& clock)
      : store_(std::move(store)), clock_(clock) {}

  Result<core::TenantRecord> TenantCreate(std::string_view name) override {
    return core::CreateTenant(*store_, name);
  }
  Result<std::vector<core::TenantRecord>> TenantList() override { return store_->ListTenants(); }
  Result<core::TenantInfo> TenantShow(std::string_view name) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(name));
    return core::ShowTenant(*store_, t.id);
  }
  Status TenantSet(std::string_view name, const core::SettingChanges& changes) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(name));
    return core::SetTenantSettings(*store_, t.id, changes);
  }
  Result<std::vector<std::string>> TenantCopyConfig(std::string_view from,
                                                    std::string_view to) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord f, Find(from));
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(to));
    return core::CopyTenantConfig(*store_, f.id, t.id);
  }
  Result<core::PurgeStats> TenantPurge(std::string_view name, std::string_view older) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(name));
    SCIMD_ASSIGN_OR_RETURN(int64_t age, core::ParseDurationSeconds(older));
    SCIMD_ASSIGN_OR_RETURN(core::TenantSettings settings,
                           core::TenantSettings::FromMap(t.settings));
    core::RequestContext ctx;
    ctx.tenant = t.id;
    ctx.settings = std::move(settings);
    ctx.clock = &clock_;
    return core::PurgeInactiveUsers(*store_, ctx, Now() - age);
  }
  Status TenantDelete(std::string_view name) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(name));
    return store_->DeleteTenant(t.id).status();
  }

  Result<core::IssuedToken> TokenIssue(std::string_view name, std::string_view scope,
                                       std::string_view description,
                                       std::string_view expires) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(name));
    core::TokenOptions options;
    SCIMD_ASSIGN_OR_RETURN(options.scope, core::ParseScope(scope));
    options.description = std::string(description);
    if (!expires.empty()) {
      SCIMD_ASSIGN_OR_RETURN(int64_t lifetime, core::ParseDurationSeconds(expires));
      options.lifetime = lifetime;
    }
    return core::IssueToken(*store_, t.id, options, Now());
  }
  Result<std::vector<core::TokenRecord>> TokenList(std::string_view name) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(name));
    return core::ListTenantTokens(*store_, t.id);
  }
  Status TokenRevoke(std::string_view name, std::string_view token_id) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(name));
    return core::RevokeToken(*store_, t.id, token_id);
  }
  Result<core::Rotation> TokenRotate(std::string_view name, std::string_view token_id,
                                     std::string_view grace) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(name));
    SCIMD_ASSIGN_OR_RETURN(int64_t grace_s, core::ParseDurationSeconds(grace));
    return core::RotateToken(*store_, t.id, token_id, grace_s, Now());
  }

  Result<IndexChange> IndexAdd(std::string_view name, core::ResourceType type,
                               std::string_view path) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(name));
    IndexChange change;
    SCIMD_ASSIGN_OR_RETURN(change.attr,
                           core::AddTenantIndex(*store_, t.id, type, path, &change.stats));
    change.state = "ready";
    return change;
  }
  Result<uint64_t> IndexDrop(std::string_view name, core::ResourceType type,
                             std::string_view path) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(name));
    core::ReindexStats stats;
    SCIMD_RETURN_IF_ERROR(core::DropTenantIndex(*store_, t.id, type, path, &stats));
    return stats.stale_removed;
  }
  Result<std::vector<core::TenantIndexState>> IndexList(std::string_view name) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(name));
    return core::ListTenantIndexes(t);
  }
  Result<core::ReindexStats> Reindex(std::string_view name) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(name));
    core::ReindexStats stats;
    SCIMD_RETURN_IF_ERROR(core::Reindex(*store_, t.id, &stats));
    return stats;
  }
  Result<core::CheckReport> Check(std::string_view name, bool repair,
                                  const core::ProblemVisitor& problem) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(name));
    return core::CheckTenant(*store_, t.id, repair, problem);
  }
  Result<core::FilterExplanation> Explain(std::string_view name, core::ResourceType type,
                                          std::string_view filter_text) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(name));
    SCIMD_ASSIGN_OR_RETURN(auto indexed, core::TenantIndexed(*store_, t.id));
    return core::ExplainFilter(*store_, t.id, type, filter_text, *indexed);
  }

  Result<std::vector<core::ActivityEntry>> Activity(std::string_view name,
                                                    const ActivityRequest& r) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(name));
    core::ActivityQuery q;
    if (!r.since.empty()) {
      SCIMD_ASSIGN_OR_RETURN(int64_t window, core::ParseDurationSeconds(r.since));
      q.since_us = clock_.NowMicros() - window * 1'000'000;
    }
    q.resource_id = r.resource_id;
    q.failed_only = r.failed_only;
    q.limit = r.limit;
    q.before = r.before;
    return core::ReadActivity(*store_, t.id, q);
  }
  Result<core::TenantStats> Stats(std::string_view) override {
    return Status::NotImplemented(
        "request counters live in a running server: use scimctl --server");
  }
  Result<core::StoreEngineStats> EngineStats() override { return store_->EngineStats(); }

  Result<core::ImportSummary> Import(std::string_view name, const ImportRequest& r) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(name));
    SCIMD_ASSIGN_OR_RETURN(core::TenantSettings settings,
                           core::TenantSettings::FromMap(t.settings));
    SCIMD_ASSIGN_OR_RETURN(std::unique_ptr<ImportInput> in, ImportInput::Open(r.file));
    const uint64_t total = in->size();
    uint64_t consumed = 0;
    core::ImportOptions options;
    options.max_errors = r.max_errors;
    options.clock = &clock_;
    const int64_t started = clock_.NowMicros();
    auto result =
        core::RunImport(*store_, t.id, settings, options, core::FileSource(in->fd(), &consumed),
                        [&](const core::ImportSummary& so_far, bool writing) {
                          if (r.progress) r.progress(so_far, consumed, total, writing);
                        });
    // In the tenant's activity log, as an import through the admin API is.
    core::ActivityLog log;
    log.Record(t.id, core::ImportActivityEntry(result, in->name(), started, clock_.NowMicros()));
    if (auto flushed = log.Flush(*store_); !flushed.ok() && result.ok()) return flushed.status();
    return result;
  }
  Result<core::ExportSummary> Export(std::string_view name, const core::ExportOptions& options,
                                     const std::function<bool(std::string_view)>& write) override {
    SCIMD_ASSIGN_OR_RETURN(core::TenantRecord t, Find(name));
    return core::ExportTenant(store_->View(t.id), options, write);
  }

  Result<BackupManifest> Backup(const std::string& dir,
                                const std::function<void(uint64_t, uint64_t)>& progress) override {
    SCIMD_ASSIGN_OR_RETURN(BackupManifest m, BackupStore(*store_, dir, Now()));
    if (progress) progress(m.TotalBytes(), m.TotalBytes());
    return m;
  }

 private:
  int64_t Now() const { return clock_.NowMicros() / 1'000'000; }
  Result<core::TenantRecord> Find(std::string_view name) {
    SCIMD_ASSIGN_OR_RETURN(std::optional<core::TenantRecord> t, store_->FindTenant(name));
    if (!t) {
      return Status::NotFound("no tenant named \"" + std::string(name) +
                              "\" (see: scimctl tenant list)");
    }
    return std::move(*t);
  }

  std::unique_ptr<storage::RocksStore> store_;
  const core::Clock& clock_;
};

}  // namespace

Result<std::unique_ptr<AdminBackend>> OpenLocal(const std::string& data_dir, bool create,
                                                const core::Clock& clock) {
  storage::RocksStore::Options options;
  options.create_if_missing = create;
  auto store = storage::RocksStore::Open(data_dir, options);
  if (!store.ok()) {
    if (store.status().detail().find("lock") != std::string::npos) {
      return Status::IoError("the data directory " + data_dir +
                             " is in use by a running scimd: stop it first, or reach it with "
                             "scimctl --server http://ADMIN_ADDR (SCIMD_ADMIN_TOKEN)");
    }
    return store.status();
  }
  return std::unique_ptr<AdminBackend>(
      std::make_unique<LocalBackend>(std::move(store).value(), clock));
}

}  // namespace scimd::tools
