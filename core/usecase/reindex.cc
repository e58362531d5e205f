#include "core/usecase/reindex.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "core/base/limits.h"
#include "core/resource/index_entries.h"
#include "core/resource/schema.h"
#include "core/resource/stored_value.h"
#include "core/tenancy/tenant_index.h"

namespace scimd::core {

Result<IndexEntries> DeriveStoredEntries(Store& store, TenantId tenant, ResourceType type,
                                         const ResourceId& id,
                                         const std::vector<IndexedAttr>& indexed) {
  Result<std::string> value = store.GetResource(tenant, type, id);
  if (!value.ok()) {
    if (value.status().Is(Status::Code::kNotFound)) return IndexEntries();
    return value.status();
  }
  SCIMD_ASSIGN_OR_RETURN(auto split, SplitStored(*value));
  auto attrs = Json::Parse(split.second);
  if (!attrs.ok()) {
    return Status::Corruption("stored resource " + id.ToString() + " is not valid JSON");
  }
  return IndexEntriesOf(type, *attrs, indexed);
}

namespace {

// One kind of existing entry of one attribute, as (value, id); value unused for presence.
struct Entry {
  IndexValue value;
  ResourceId id;
};
enum class EntryFamily { kValue, kPresence, kUnique };

// Removes the entries of `family` for `ia` that the resource they name does not derive
// with `indexed` (empty: every entry goes). Entries are checked and removed kReindexBatch
// at a time, each batch in one transaction (removing behind a running scan is safe: the
// scan reads an implicit snapshot).
Status RemoveStale(Store& store, TenantId tenant, const IndexedAttr& ia, EntryFamily family,
                   const std::vector<IndexedAttr>& indexed, ReindexStats* stats) {
  std::vector<Entry> batch;
  auto flush = [&]() -> Status {
    std::map<ResourceId, IndexEntries> derived;
    std::unique_ptr<Transaction> txn;
    for (const Entry& e : batch) {
      auto it = derived.find(e.id);
      if (it == derived.end()) {
        // Nothing indexed (a dropped attribute): every entry goes, no resource is read.
        SCIMD_ASSIGN_OR_RETURN(IndexEntries entries,
                               indexed.empty()
                                   ? IndexEntries()
                                   : DeriveStoredEntries(store, tenant, ia.type, e.id, indexed));
        it = derived.emplace(e.id, std::move(entries)).first;
      }
      const IndexEntries& d = it->second;
      const IndexTerm term{ia.id, e.value};
      bool keep = false;
      switch (family) {
        case EntryFamily::kValue:
          keep = std::find(d.values.begin(), d.values.end(), term) != d.values.end();
          break;
        case EntryFamily::kPresence:
          keep = std::find(d.presence.begin(), d.presence.end(), ia.id) != d.presence.end();
          break;
        case EntryFamily::kUnique:
          keep = std::find(d.unique.begin(), d.unique.end(), term) != d.unique.end();
          break;
      }
      if (keep) continue;
      if (!txn) txn = store.Begin(tenant);
      switch (family) {
        case EntryFamily::kValue:
          SCIMD_RETURN_IF_ERROR(txn->RemoveIndex(ia.type, term, e.id));
          break;
        case EntryFamily::kPresence:
          SCIMD_RETURN_IF_ERROR(txn->RemovePresence(ia.type, ia.id, e.id));
          break;
        case EntryFamily::kUnique: SCIMD_RETURN_IF_ERROR(txn->ReleaseUnique(ia.type, term)); break;
      }
      ++stats->stale_removed;
    }
    batch.clear();
    return txn ? txn->Commit() : Status::Ok();
  };
  Status error;
  auto add = [&](const IndexValue& value, const ResourceId& id) {
    batch.push_back({value, id});
    if (batch.size() < kReindexBatch) return true;
    error = flush();
    return error.ok();
  };
  Status s;
  switch (family) {
    case EntryFamily::kValue: s = store.ScanIndexEntries(tenant, ia.type, ia.id, add); break;
    case EntryFamily::kPresence:
      s = store.ScanPresence(tenant, ia.type, ia.id,
                             [&](const ResourceId& id) { return add(IndexValue(), id); });
      break;
    case EntryFamily::kUnique: s = store.ScanUniqueEntries(tenant, ia.type, ia.id, add); break;
  }
  SCIMD_RETURN_IF_ERROR(s);
  SCIMD_RETURN_IF_ERROR(error);
  return flush();
}

// Writes every entry the resources of `type` derive with `indexed`, kReindexBatch
// resources per transaction. Writing an entry that exists already changes nothing.
// InvalidValue for a value too long to index (the write path refuses those).
Status WriteDerived(Store& store, TenantId tenant, ResourceType type,
                    const std::vector<IndexedAttr>& indexed, ReindexStats* stats) {
  std::unique_ptr<Transaction> txn;
  size_t in_batch = 0;
  Status error;
  auto write = [&](const ResourceId& id, std::string_view stored) -> Status {
    SCIMD_ASSIGN_OR_RETURN(auto split, SplitStored(stored));
    auto attrs = Json::Parse(split.second);
    if (!attrs.ok()) {
      return Status::Corruption("stored resource " + id.ToString() + " is not valid JSON");
    }
    const IndexEntries entries = IndexEntriesOf(type, *attrs, indexed);
    for (const auto& t : entries.values) {
      if (t.value.string.size() > kMaxIndexedValueBytes) {
        return Status::InvalidValue(std::string(ResourceTypeName(type)) + " " + id.ToString() +
                                    " has a value longer than " +
                                    std::to_string(kMaxIndexedValueBytes) +
                                    " bytes, too long to index");
      }
    }
    if (!txn) txn = store.Begin(tenant);
    for (const auto& t : entries.unique) {
      Status claim = txn->ClaimUnique(type, t, id);
      if (claim.Is(Status::Code::kUniqueness)) {
        return Status::Uniqueness("two " + std::string(ResourceTypeName(type)) +
                                  " resources hold one unique value; " + id.ToString() +
                                  " is one of them");
      }
      SCIMD_RETURN_IF_ERROR(claim);
    }
    for (const auto& t : entries.values) SCIMD_RETURN_IF_ERROR(txn->AddIndex(type, t, id));
    for (AttrId a : entries.presence) SCIMD_RETURN_IF_ERROR(txn->AddPresence(type, a, id));
    stats->entries_written +=
        entries.unique.size() + entries.values.size() + entries.presence.size();
    ++stats->resources;
    if (++in_batch < kReindexBatch) return Status::Ok();
    in_batch = 0;
    Status commit = txn->Commit();
    txn.reset();
    return commit;
  };
  SCIMD_RETURN_IF_ERROR(store.ScanResources(tenant, type, std::nullopt,
                                            [&](const ResourceId& id, std::string_view stored) {
                                              error = write(id, stored);
                                              return error.ok();
                                            }));
  SCIMD_RETURN_IF_ERROR(error);
  return txn ? txn->Commit() : Status::Ok();
}

}  // namespace

Status Reindex(Store& store, TenantId tenant, ReindexStats* stats) {
  SCIMD_ASSIGN_OR_RETURN(auto indexed, TenantIndexed(store, tenant));
  return Reindex(store, tenant, *indexed, stats);
}

Status Reindex(Store& store, TenantId tenant, const std::vector<IndexedAttr>& indexed,
               ReindexStats* stats) {
  ReindexStats local;
  if (stats == nullptr) stats = &local;
  *stats = ReindexStats();
  // Stale entries first, so that a stale unique claim cannot block the resource that
  // now holds the value.
  for (const IndexedAttr& ia : indexed) {
    SCIMD_RETURN_IF_ERROR(RemoveStale(store, tenant, ia, EntryFamily::kValue, indexed, stats));
    SCIMD_RETURN_IF_ERROR(RemoveStale(store, tenant, ia, EntryFamily::kPresence, indexed, stats));
    if (ia.unique) {
      SCIMD_RETURN_IF_ERROR(RemoveStale(store, tenant, ia, EntryFamily::kUnique, indexed, stats));
    }
  }
  for (ResourceType type : {ResourceType::kUser, ResourceType::kGroup}) {
    const bool any = std::any_of(indexed.begin(), indexed.end(),
                                 [&](const IndexedAttr& ia) { return ia.type == type; });
    if (any) SCIMD_RETURN_IF_ERROR(WriteDerived(store, tenant, type, indexed, stats));
  }
  return Status::Ok();
}

Status RemoveIndexEntries(Store& store, TenantId tenant, const IndexedAttr& ia,
                          ReindexStats* stats) {
  ReindexStats local;
  if (stats == nullptr) stats = &local;
  *stats = ReindexStats();
  const std::vector<IndexedAttr> none;
  SCIMD_RETURN_IF_ERROR(RemoveStale(store, tenant, ia, EntryFamily::kValue, none, stats));
  SCIMD_RETURN_IF_ERROR(RemoveStale(store, tenant, ia, EntryFamily::kPresence, none, stats));
  if (ia.unique) {
    SCIMD_RETURN_IF_ERROR(RemoveStale(store, tenant, ia, EntryFamily::kUnique, none, stats));
  }
  return Status::Ok();
}

namespace {

// The attribute `path` of `type` checked and numbered for the tenant: Uniqueness when it is
// indexed or being built already, InvalidValue when it cannot be (ResolveIndexable) or the
// tenant has kMaxTenantIndexes. Numbers of both lists are taken.
Result<IndexedAttr> NumberNewIndex(const TenantRecord& record, ResourceType type,
                                   std::string_view path) {
  SCIMD_ASSIGN_OR_RETURN(std::vector<IndexedAttr> extra, ExtraIndexed(record));
  SCIMD_ASSIGN_OR_RETURN(std::vector<IndexedAttr> building, BuildingIndexed(record));
  SCIMD_ASSIGN_OR_RETURN(IndexedAttr ia, ResolveIndexable(type, path));
  AttrId next = kFirstTenantAttrId;
  for (const auto* list : {&extra, &building}) {
    for (const auto& e : *list) {
      if (e.type == type && e.path == ia.path) {
        return Status::Uniqueness(std::string(ResourceTypeName(type)) + " " + ia.path +
                                  (list == &extra ? " is indexed already" : " is being indexed"));
      }
      if (e.type == type) next = std::max<AttrId>(next, e.id + 1);
    }
  }
  if (extra.size() + building.size() >= kMaxTenantIndexes) {
    return Status::InvalidValue("the tenant indexes " + std::to_string(kMaxTenantIndexes) +
                                " attributes already; drop one first");
  }
  ia.id = next;
  return ia;
}

// The tenant's `list` with `ia` taken out (by type and path).
std::vector<IndexedAttr> Without(std::vector<IndexedAttr> list, const IndexedAttr& ia) {
  list.erase(
      std::remove_if(list.begin(), list.end(),
                     [&](const IndexedAttr& e) { return e.type == ia.type && e.path == ia.path; }),
      list.end());
  return list;
}

}  // namespace

Result<IndexedAttr> AddTenantIndex(Store& store, TenantId tenant, ResourceType type,
                                   std::string_view path, ReindexStats* stats) {
  SCIMD_ASSIGN_OR_RETURN(TenantRecord record, GetTenantRecord(store, tenant));
  SCIMD_ASSIGN_OR_RETURN(IndexedAttr ia, NumberNewIndex(record, type, path));
  // Backfill before the attribute is listed: until then no reader plans with it. The
  // number may hold leftovers of an interrupted drop or add: Reindex removes those first.
  Status built = Reindex(store, tenant, {ia}, stats);
  if (!built.ok()) {
    (void)RemoveIndexEntries(store, tenant, ia, nullptr);
    return built;
  }
  SCIMD_ASSIGN_OR_RETURN(std::vector<IndexedAttr> extra, ExtraIndexed(record));
  extra.push_back(ia);
  SCIMD_RETURN_IF_ERROR(PutExtraIndexed(store, record, extra));
  return ia;
}

Result<IndexedAttr> BeginTenantIndex(Store& store, TenantId tenant, ResourceType type,
                                     std::string_view path) {
  SCIMD_ASSIGN_OR_RETURN(TenantRecord record, GetTenantRecord(store, tenant));
  SCIMD_ASSIGN_OR_RETURN(IndexedAttr ia, NumberNewIndex(record, type, path));
  // Leftovers of an interrupted drop or build under this number: nobody writes it yet.
  SCIMD_RETURN_IF_ERROR(RemoveIndexEntries(store, tenant, ia, nullptr));
  SCIMD_ASSIGN_OR_RETURN(std::vector<IndexedAttr> building, BuildingIndexed(record));
  building.push_back(ia);
  SCIMD_RETURN_IF_ERROR(PutBuildingIndexed(store, record, building));
  return ia;
}

Status BackfillTenantIndex(Store& store, TenantId tenant, const IndexedAttr& ia,
                           ReindexStats* stats) {
  ReindexStats local;
  if (stats == nullptr) stats = &local;
  *stats = ReindexStats();
  const std::vector<IndexedAttr> only = {ia};
  std::optional<ResourceId> after;
  for (;;) {
    std::vector<ResourceId> batch;
    SCIMD_RETURN_IF_ERROR(
        store.ScanResources(tenant, ia.type, after, [&](const ResourceId& id, std::string_view) {
          batch.push_back(id);
          return batch.size() < kReindexBatch;
        }));
    if (batch.empty()) return Status::Ok();
    after = batch.back();
    // Each resource is read and written under its lock, so a write of it waits for this
    // batch or this batch for the write (Busy: the batch is retried, after a pause).
    uint64_t written = 0, resources = 0;
    Status s;
    for (int attempt = 0;; ++attempt) {
      written = resources = 0;
      auto txn = store.Begin(tenant);
      s = Status::Ok();
      for (const ResourceId& id : batch) {
        auto value = txn->GetResourceForUpdate(ia.type, id);
        if (!value.ok()) {
          if (value.status().Is(Status::Code::kNotFound)) continue;  // deleted meanwhile
          s = value.status();
          break;
        }
        auto split = SplitStored(*value);
        auto attrs = split.ok() ? Json::Parse(split->second) : Result<Json>(split.status());
        if (!attrs.ok()) {
          s = Status::Corruption("stored resource " + id.ToString() + " does not decode");
          break;
        }
        const IndexEntries entries = IndexEntriesOf(ia.type, *attrs, only);
        for (const auto& t : entries.values) {
          if (t.value.string.size() > kMaxIndexedValueBytes) {
            s = Status::InvalidValue(std::string(ResourceTypeName(ia.type)) + " " + id.ToString() +
                                     " has a value longer than " +
                                     std::to_string(kMaxIndexedValueBytes) +
                                     " bytes, too long to index");
            break;
          }
          if (s.ok()) s = txn->AddIndex(ia.type, t, id);
        }
        for (AttrId a : entries.presence) {
          if (s.ok()) s = txn->AddPresence(ia.type, a, id);
        }
        if (!s.ok()) break;
        written += entries.values.size() + entries.presence.size();
        ++resources;
      }
      if (s.ok()) s = txn->Commit();
      if (!s.Is(Status::Code::kBusy) || attempt >= kMaxBackfillAttempts) break;
      txn.reset();
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1000, 10 << attempt)));
    }
    SCIMD_RETURN_IF_ERROR(s);
    stats->entries_written += written;
    stats->resources += resources;
    if (batch.size() < kReindexBatch) return Status::Ok();
  }
}

Status FinishTenantIndex(Store& store, TenantId tenant, const IndexedAttr& ia) {
  SCIMD_ASSIGN_OR_RETURN(TenantRecord record, GetTenantRecord(store, tenant));
  SCIMD_ASSIGN_OR_RETURN(std::vector<IndexedAttr> extra, ExtraIndexed(record));
  SCIMD_ASSIGN_OR_RETURN(std::vector<IndexedAttr> building, BuildingIndexed(record));
  extra.push_back(ia);
  SCIMD_RETURN_IF_ERROR(PutExtraIndexed(store, record, extra));
  SCIMD_ASSIGN_OR_RETURN(record, GetTenantRecord(store, tenant));
  return PutBuildingIndexed(store, record, Without(std::move(building), ia));
}

Status AbandonTenantIndex(Store& store, TenantId tenant, const IndexedAttr& ia) {
  SCIMD_ASSIGN_OR_RETURN(TenantRecord record, GetTenantRecord(store, tenant));
  SCIMD_ASSIGN_OR_RETURN(std::vector<IndexedAttr> building, BuildingIndexed(record));
  SCIMD_RETURN_IF_ERROR(PutBuildingIndexed(store, record, Without(std::move(building), ia)));
  return RemoveIndexEntries(store, tenant, ia, nullptr);
}

Status DropTenantIndex(Store& store, TenantId tenant, ResourceType type, std::string_view path,
                       ReindexStats* stats) {
  SCIMD_ASSIGN_OR_RETURN(TenantRecord record, GetTenantRecord(store, tenant));
  SCIMD_ASSIGN_OR_RETURN(std::vector<IndexedAttr> extra, ExtraIndexed(record));
  if (SchemaRegistry::Default().FindIndexed(type, path) != nullptr) {
    return Status::InvalidValue(std::string(ResourceTypeName(type)) + " " + std::string(path) +
                                " is a built-in index and cannot be dropped");
  }
  SCIMD_ASSIGN_OR_RETURN(IndexedAttr wanted, ResolveIndexable(type, path));
  auto it = std::find_if(extra.begin(), extra.end(), [&](const IndexedAttr& e) {
    return e.type == type && e.path == wanted.path;
  });
  if (it == extra.end()) {
    return Status::NotFound(std::string(ResourceTypeName(type)) + " " + wanted.path +
                            " is not indexed for this tenant");
  }
  const IndexedAttr gone = *it;
  extra.erase(it);
  // Forgotten first, so that no plan uses entries while they are being deleted; an
  // interrupted delete leaves entries under a free number, which the next add of that
  // number clears before backfilling.
  SCIMD_RETURN_IF_ERROR(PutExtraIndexed(store, record, extra));
  return RemoveIndexEntries(store, tenant, gone, stats);
}

}  // namespace scimd::core
