// Rebuilding a tenant's index, unique and presence entries from its resources (scimctl
// reindex): the backfill after an attribute becomes indexed (AddTenantIndex, scimctl index
// add), and the repair of an index that drifted. Exact: afterwards the entries of every indexed
// attribute are exactly what IndexEntriesOf derives from the resources. One transaction per batch;
// an interrupted run leaves a mix of old and rebuilt entries and is simply run again. Meant for a
// store no server writes to meanwhile (scimctl holds the store's lock).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/base/ids.h"
#include "core/base/status.h"
#include "core/base/store.h"
#include "core/resource/index_entries.h"
#include "core/resource/schema.h"

namespace scimd::core {

// Resources (or stale entries) handled per transaction: ~10 entries each, so a batch
// writes about 10,000 keys, well within one RocksDB transaction.
inline constexpr size_t kReindexBatch = 1000;
// A backfill batch that keeps meeting writers' locks is retried this often (pauses from
// 10 ms up to 1 s: ~10 s in all) before the build gives up.
inline constexpr int kMaxBackfillAttempts = 16;

// What IndexEntriesOf derives for one stored resource (nothing if it does not exist);
// Corruption if its stored value does not parse.
Result<IndexEntries> DeriveStoredEntries(Store& store, TenantId tenant, ResourceType type,
                                         const ResourceId& id,
                                         const std::vector<IndexedAttr>& indexed);

struct ReindexStats {
  uint64_t resources = 0;        // resources whose entries were written
  uint64_t entries_written = 0;  // value + unique + presence entries written (idempotent)
  uint64_t stale_removed = 0;    // entries no resource derives, removed
};

// Rebuilds every indexed attribute of the tenant (the built-in ones and its
// "indexed-attributes", core/tenancy/tenant_index.h) of both resource types. Uniqueness if two
// resources derive the same unique value (the data itself is broken).
Status Reindex(Store& store, TenantId tenant, ReindexStats* stats);
// The same for the attributes `indexed` only (e.g. one being added).
Status Reindex(Store& store, TenantId tenant, const std::vector<IndexedAttr>& indexed,
               ReindexStats* stats);
// Removes every entry of `ia` (an attribute no longer indexed), in batches.
Status RemoveIndexEntries(Store& store, TenantId tenant, const IndexedAttr& ia,
                          ReindexStats* stats);

// Indexes `path` of `type` for the tenant: writes its entries for every resource (stale
// entries of the chosen number removed first), then records it in the tenant's settings.
// Uniqueness if already indexed; InvalidValue if it cannot be (ResolveIndexable), if the
// tenant has kMaxTenantIndexes, or if a resource holds a value longer than
// kMaxIndexedValueBytes (entries written so far are removed again). Returns the entry.
Result<IndexedAttr> AddTenantIndex(Store& store, TenantId tenant, ResourceType type,
                                   std::string_view path, ReindexStats* stats);
// Building an index while scimd serves, in three steps (net/admin_api.cc runs them):
//  1. BeginTenantIndex: checks and numbers the attribute as AddTenantIndex does, removes
//     leftovers of that number, and lists it as building: from the next request on (the
//     caller invalidates the settings caches) every write keeps its entries, and no plan
//     uses them.
//  2. BackfillTenantIndex: once the writes admitted before step 1 are done (a few
//     seconds), writes the entries of every resource, each batch in one transaction that
//     locks its resources, so that a concurrent write of one of them waits or is waited for.
//  3. FinishTenantIndex: lists it as complete; plans use it from then on. On failure,
//     AbandonTenantIndex unlists it and deletes its entries.
Result<IndexedAttr> BeginTenantIndex(Store& store, TenantId tenant, ResourceType type,
                                     std::string_view path);
Status BackfillTenantIndex(Store& store, TenantId tenant, const IndexedAttr& ia,
                           ReindexStats* stats);
Status FinishTenantIndex(Store& store, TenantId tenant, const IndexedAttr& ia);
Status AbandonTenantIndex(Store& store, TenantId tenant, const IndexedAttr& ia);

// Forgets a tenant-indexed attribute and deletes its entries. NotFound if not indexed
// for the tenant (built-in indexes cannot be dropped).
Status DropTenantIndex(Store& store, TenantId tenant, ResourceType type, std::string_view path,
                       ReindexStats* stats);

}  // namespace scimd::core
