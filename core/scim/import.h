// Importing a tenant's Users and Groups in bulk (scimctl import, the admin API's imports):
// records are decoded and checked as a POST would be (schema, the tenant's policies and
// required attributes, userName unique across the file and the tenant), handed to a
// Store::BulkLoad, and made visible together at Finish, or not at all. Ids, meta.created,
// meta.lastModified and meta.version are kept when given (an export of this tenant or of
// another scimd imports as it was), assigned otherwise. Group members are resolved at
// Finish, so they may name users and groups anywhere in the file: by id, by externalId,
// or by "bulkId:..." in a Bulk request file.
// Thread rules: one thread at a time; nothing else may write to the tenant meanwhile
// (scimctl imports into a stopped server's store; scimd holds the tenant's writes).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/clock.h"
#include "core/base/ids.h"
#include "core/base/status.h"
#include "core/base/store.h"
#include "core/resource/decode.h"
#include "core/resource/index_entries.h"
#include "core/resource/stored_value.h"
#include "core/scim/import_table.h"
#include "core/tenancy/activity.h"
#include "core/tenancy/tenant_settings.h"

namespace scimd::core {

struct ImportOptions {
  // Records that may be rejected (each reported with its line) before the import stops;
  // 0: the first bad record stops it. Either way a stopped import loads nothing.
  uint64_t max_errors = 0;
  const Clock* clock = &Clock::System();
};

struct ImportRecordError {
  uint64_t line = 0;  // where the record starts in the file (1-based)
  std::string reason;
};

struct ImportSummary {
  uint64_t records = 0;  // seen, rejected ones included
  uint64_t users = 0;    // loaded
  uint64_t groups = 0;
  uint64_t members = 0;  // edges loaded
  uint64_t rejected = 0;
  uint64_t warnings = 0;                     // e.g. a member that does not exist, skipped
  std::vector<ImportRecordError> errors;     // the rejected records, first ones
  std::vector<std::string> warning_samples;  // the first warnings
  uint64_t bytes_loaded = 0;                 // entries handed to the store
};

// A record decoded and checked on its own (Importer::Prepare), ready for the checks against
// the rest of the file and the tenant (Importer::Accept). Preparing is most of the work
// and needs no state of the import, so several threads may prepare records at once.
struct PreparedRecord {
  uint64_t line = 0;
  Status error;  // why the record is rejected, if it is
  ResourceType type = ResourceType::kUser;
  ResourceId id;
  bool given_id = false;
  StoredHeader header;
  std::string value;  // Users: the stored value
  Json attrs;         // Groups: the attributes, stored once the members are known
  std::vector<MemberRef> members;
  IndexEntries entries;
  std::optional<std::string> external_id;
  std::string bulk_id;
  // Prepare(..., detect_containers): a ListResponse or Bulk request (a key "Resources" or
  // "Operations" at its top), or text that did not parse and names either: not a record,
  // the caller reads it as a document. Nothing else is set.
  bool container = false;
};

// The activity log's entry for an import (method IMPORT, path /import): its outcome, what
// it loaded and rejected, the first warnings. `source` names the file.
ActivityEntry ImportActivityEntry(const Result<ImportSummary>& result, std::string_view source,
                                  int64_t started_us, int64_t ended_us);

class Importer {
 public:
  static Result<std::unique_ptr<Importer>> Start(Store& store, TenantId tenant,
                                                 const TenantSettings& settings,
                                                 ImportOptions options);
  ~Importer();
  Importer(const Importer&) = delete;
  Importer& operator=(const Importer&) = delete;

  // One record: a User or Group as JSON text. Its type comes from `type` when given (a
  // Bulk operation's path), else from its "schemas" or meta.resourceType. `bulk_id` names
  // it for "bulkId:..." member references. Ok when the record was taken or rejected within
  // max_errors; otherwise the reason to stop (InvalidValue "line N: ...", or the store's
  // error).
  Status Add(std::string_view json, uint64_t line, std::optional<ResourceType> type = {},
             std::string_view bulk_id = {});
  // Add in two steps: Prepare (safe on any number of threads at once), then Accept, in
  // the file's order, on the import's one thread.
  PreparedRecord Prepare(std::string_view json, uint64_t line,
                         std::optional<ResourceType> type = {}, std::string_view bulk_id = {},
                         bool detect_containers = false) const;
  Status Accept(PreparedRecord prepared);
  // Rejects a record that could not even be read (e.g. a line that is not JSON).
  Status Reject(uint64_t line, std::string reason);
  // Resolves the groups' members, loads the groups, and makes everything visible at once.
  // An error means nothing was loaded.
  Result<ImportSummary> Finish();

  const ImportSummary& summary() const { return summary_; }

 private:
  struct Ref {  // a resource of the file
    ResourceId id;
    uint8_t type = 0;    // ResourceType; 0: several resources have this externalId
    uint32_t group = 0;  // for a group: its index in groups_ + 1
  };
  struct PendingGroup;
  class Loader;

  Importer(Store& store, TenantId tenant, const TenantSettings& settings, ImportOptions options,
           std::unique_ptr<BulkLoad> load, bool tenant_empty);
  Status PrepareInto(std::string_view json, std::optional<ResourceType> type,
                     bool detect_containers, PreparedRecord& r) const;
  // The checks against the file so far and the tenant; then the record is loaded (a
  // user) or kept for Finish (a group).
  Status Take(PreparedRecord& r);
  Status Warn(std::string warning);
  // The resource a member value names (file first, then the tenant), or a reason why none.
  Result<Ref> ResolveMember(const MemberRef& m);
  Result<std::optional<ResourceId>> FindStoredByExternalId(ResourceType type,
                                                           std::string_view external_id);
  // Rejects groups with a member that cannot be resolved (when the tenant rejects unknown
  // members), that names a rejected group, or that closes a cycle, until none is left.
  Status SettleGroups();
  Status LoadGroup(PendingGroup& g);

  Store& store_;
  const TenantId tenant_;
  const TenantSettings settings_;
  const ImportOptions options_;
  std::unique_ptr<BulkLoad> load_;
  // Users taken go to load_ through it, on a thread of its own, until Finish; then load_
  // is the import's thread's again.
  std::unique_ptr<Loader> loader_;
  const bool tenant_empty_;      // no store lookups needed
  const IndexPaths user_index_;  // the tenant's indexed attributes of Users, resolved
  ImportSummary summary_;

  ImportTable<uint64_t> unique_;  // type, attr, value -> line
  ImportTable<Ref> ids_;          // id bytes -> the resource
  ImportTable<Ref> external_;     // type byte + externalId -> the resource
  ImportTable<Ref> bulk_ids_;     // bulkId -> the resource
  std::vector<std::unique_ptr<PendingGroup>> groups_;
  std::vector<std::string> unique_keys_;  // Take's scratch: the record's unique keys
  std::string external_key_;              // Take's scratch: type byte + externalId
  bool finished_ = false;
};

}  // namespace scimd::core
