// RocksTransaction: see rocks_transaction.h for the locking rules.
#include "storage/rocks_transaction.h"

#include <rocksdb/utilities/write_batch_with_index.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <utility>

namespace scimd::storage {

using core::ResourceId;
using core::ResourceType;
using core::Result;
using core::Status;

RocksTransaction::RocksTransaction(const internal::RocksHandles* handles, core::TenantId tenant,
                                   std::unique_ptr<rocksdb::Transaction> txn)
    : handles_(handles), tenant_(tenant), txn_(std::move(txn)) {}

RocksTransaction::~RocksTransaction() {
  if (!finished_) txn_->Rollback().PermitUncheckedError();
}

Status RocksTransaction::CheckOpen() const {
  if (finished_) return Status::Internal("transaction used after Commit");
  return Status::Ok();
}

Status RocksTransaction::GetForUpdate(rocksdb::ColumnFamilyHandle* cf, const std::string& key,
                                      std::string* value, bool* found, bool exclusive) {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  rocksdb::Status s = internal::RetryStripeContention(
      [&] { return txn_->GetForUpdate(rocksdb::ReadOptions(), cf, key, value, exclusive); });
  *found = s.ok();
  if (s.IsNotFound()) {
    if (value != nullptr) value->clear();
    return Status::Ok();
  }
  return internal::FromRocks(s, "lock read");
}

Status RocksTransaction::Put(rocksdb::ColumnFamilyHandle* cf, const std::string& key,
                             std::string_view value) {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  const rocksdb::Slice v(value.data(), value.size());
  return internal::FromRocks(internal::RetryStripeContention([&] { return txn_->Put(cf, key, v); }),
                             "put");
}

Status RocksTransaction::Delete(rocksdb::ColumnFamilyHandle* cf, const std::string& key) {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  return internal::FromRocks(internal::RetryStripeContention([&] { return txn_->Delete(cf, key); }),
                             "delete");
}

Status RocksTransaction::MergeCounter(const std::string& key, int64_t delta) {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  // Not txn_->MergeUntracked: on a pessimistic TransactionDB the *Untracked writes still
  // take the key lock (they only skip snapshot validation), so every writer of one group
  // would collide on its count. The merge goes straight into the batch that Commit writes:
  // atomic with the rest of the transaction, no lock, and never read back through this
  // transaction (counters are only read from the store), so it need not be indexed.
  rocksdb::WriteBatch* batch = txn_->GetWriteBatch()->GetWriteBatch();
  return internal::FromRocks(batch->Merge(handles_->counters, key, EncodeCounterDelta(delta)),
                             "count");
}

Result<std::string> RocksTransaction::GetResourceForUpdate(ResourceType type,
                                                           const ResourceId& id) {
  std::string value;
  bool found = false;
  SCIMD_RETURN_IF_ERROR(
      GetForUpdate(handles_->resources, ResourceKey(tenant_, type, id), &value, &found));
  if (!found) return Status::NotFound("resource not found");
  return value;
}

Status RocksTransaction::PutResource(ResourceType type, const ResourceId& id,
                                     std::string_view value) {
  return Put(handles_->resources, ResourceKey(tenant_, type, id), value);
}

Status RocksTransaction::DeleteResource(ResourceType type, const ResourceId& id) {
  set_changes_ |= ResourceGenerations::Bit(type);
  return Delete(handles_->resources, ResourceKey(tenant_, type, id));
}

Status RocksTransaction::AdjustResourceCount(ResourceType type, int64_t delta) {
  if (delta == 0) return CheckOpen();
  // A create or delete: callers adjust the count exactly when a resource appears or goes.
  set_changes_ |= ResourceGenerations::Bit(type);
  return MergeCounter(ResourceCountKey(tenant_, type), delta);
}

Status RocksTransaction::WriteIndexEntry(const std::string& key, bool put) {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  // As MergeCounter: appended to the batch that Commit writes, in call order with the
  // transaction's other writes, so a remove after an add of the same key still wins.
  rocksdb::WriteBatch* batch = txn_->GetWriteBatch()->GetWriteBatch();
  return internal::FromRocks(put ? batch->Put(handles_->index, key, rocksdb::Slice())
                                 : batch->Delete(handles_->index, key),
                             "index entry");
}

Status RocksTransaction::AddIndex(ResourceType type, const core::IndexTerm& term,
                                  const ResourceId& id) {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  SCIMD_ASSIGN_OR_RETURN(std::string key, IndexValueKey(tenant_, type, term, id));
  return WriteIndexEntry(key, true);
}

Status RocksTransaction::RemoveIndex(ResourceType type, const core::IndexTerm& term,
                                     const ResourceId& id) {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  SCIMD_ASSIGN_OR_RETURN(std::string key, IndexValueKey(tenant_, type, term, id));
  return WriteIndexEntry(key, false);
}

Status RocksTransaction::AddPresence(ResourceType type, core::AttrId attr, const ResourceId& id) {
  return WriteIndexEntry(IndexPresenceKey(tenant_, type, attr, id), true);
}

Status RocksTransaction::RemovePresence(ResourceType type, core::AttrId attr,
                                        const ResourceId& id) {
  return WriteIndexEntry(IndexPresenceKey(tenant_, type, attr, id), false);
}

Status RocksTransaction::ClaimUnique(ResourceType type, const core::IndexTerm& term,
                                     const ResourceId& id) {
  SCIMD_ASSIGN_OR_RETURN(std::string key, UniqueKey(tenant_, type, term));
  std::string holder;
  bool found = false;
  SCIMD_RETURN_IF_ERROR(GetForUpdate(handles_->unique, key, &holder, &found));
  if (found) {
    if (holder == id.AsBytes()) return Status::Ok();
    return Status::Uniqueness("value is already in use");
  }
  return Put(handles_->unique, key, id.AsBytes());
}

Status RocksTransaction::ReleaseUnique(ResourceType type, const core::IndexTerm& term) {
  SCIMD_ASSIGN_OR_RETURN(std::string key, UniqueKey(tenant_, type, term));
  return Delete(handles_->unique, key);
}

Status RocksTransaction::LockMembership(const ResourceId& group, bool exclusive) {
  bool found = false;
  return GetForUpdate(handles_->counters, MemberCountKey(tenant_, group), nullptr, &found,
                      exclusive);
}

bool RocksTransaction::Cleared(const ResourceId& group) const {
  return std::find(cleared_.begin(), cleared_.end(), group) != cleared_.end();
}

bool RocksTransaction::BatchHasPut(rocksdb::ColumnFamilyHandle* cf, const std::string& key) {
  std::unique_ptr<rocksdb::WBWIIterator> it(txn_->GetWriteBatch()->NewIterator(cf));
  bool put = false;
  // Entries of one key are in write order; the last one counts.
  for (it->Seek(key); it->Valid() && it->Entry().key == rocksdb::Slice(key); it->Next()) {
    put = it->Entry().type == rocksdb::kPutRecord;
  }
  return put;
}

Result<bool> RocksTransaction::EdgePresent(const ResourceId& group, const std::string& edge) {
  if (Cleared(group)) return BatchHasPut(handles_->members, edge);
  std::string value;
  bool found = false;
  SCIMD_RETURN_IF_ERROR(GetForUpdate(handles_->members, edge, &value, &found));
  return found;
}

Result<bool> RocksTransaction::AddMember(const ResourceId& group, const ResourceId& member,
                                         ResourceType member_type, std::string_view display) {
  SCIMD_RETURN_IF_ERROR(LockMembership(group, /*exclusive=*/false));
  const std::string edge = MemberKey(tenant_, group, member);
  SCIMD_ASSIGN_OR_RETURN(bool present, EdgePresent(group, edge));
  if (present) return false;
  SCIMD_RETURN_IF_ERROR(Put(handles_->members, edge, EncodeMemberValue(member_type, display)));
  SCIMD_RETURN_IF_ERROR(Put(handles_->member_of, MemberOfKey(tenant_, member, group), {}));
  SCIMD_RETURN_IF_ERROR(MergeCounter(MemberCountKey(tenant_, group), 1));
  return true;
}

Result<bool> RocksTransaction::RemoveMember(const ResourceId& group, const ResourceId& member) {
  SCIMD_RETURN_IF_ERROR(LockMembership(group, /*exclusive=*/false));
  const std::string edge = MemberKey(tenant_, group, member);
  SCIMD_ASSIGN_OR_RETURN(bool present, EdgePresent(group, edge));
  if (!present) return false;
  SCIMD_RETURN_IF_ERROR(Delete(handles_->members, edge));
  SCIMD_RETURN_IF_ERROR(Delete(handles_->member_of, MemberOfKey(tenant_, member, group)));
  SCIMD_RETURN_IF_ERROR(MergeCounter(MemberCountKey(tenant_, group), -1));
  return true;
}

Status RocksTransaction::CollectEdges(rocksdb::ColumnFamilyHandle* cf, const std::string& prefix,
                                      std::vector<ResourceId>* out) {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  // Collected first and modified afterwards: a transaction's iterator is not guaranteed
  // to stay valid across writes to the same transaction.
  Status parse_error;
  SCIMD_RETURN_IF_ERROR(internal::ScanRange(
      PrefixRange(prefix), rocksdb::ReadOptions(),
      [&](const rocksdb::ReadOptions& ro) { return txn_->GetIterator(ro, cf); },
      [&](std::string_view key, std::string_view) {
        auto edge = ParseEdgeKey(key);
        if (!edge.ok()) {
          parse_error = edge.status();
          return false;
        }
        out->push_back(edge->second);
        return true;
      }));
  return parse_error;
}

Result<uint64_t> RocksTransaction::RemoveBatchEdges(const ResourceId& group,
                                                    std::vector<std::string>* batch_keys) {
  const std::string prefix = MemberPrefix(tenant_, group);
  std::vector<bool> present;  // per batch_keys entry: its last entry is a Put
  {
    // Read fully before writing: a write invalidates a WBWIIterator's entries.
    std::unique_ptr<rocksdb::WBWIIterator> it(
        txn_->GetWriteBatch()->NewIterator(handles_->members));
    for (it->Seek(prefix); it->Valid() && it->Entry().key.starts_with(prefix); it->Next()) {
      const rocksdb::WriteEntry entry = it->Entry();
      const std::string_view key(entry.key.data(), entry.key.size());
      if (batch_keys->empty() || batch_keys->back() != key) {
        batch_keys->emplace_back(key);
        present.push_back(false);
      }
      present.back() = entry.type == rocksdb::kPutRecord;
    }
    SCIMD_RETURN_IF_ERROR(internal::FromRocks(it->status(), "batch scan"));
  }
  uint64_t removed = 0;
  for (size_t i = 0; i < batch_keys->size(); ++i) {
    if (!present[i]) continue;
    const std::string& key = (*batch_keys)[i];
    SCIMD_ASSIGN_OR_RETURN(ParsedEdgeKey edge, ParseEdgeKey(key));
    SCIMD_RETURN_IF_ERROR(Delete(handles_->members, key));
    SCIMD_RETURN_IF_ERROR(Delete(handles_->member_of, MemberOfKey(tenant_, edge.second, group)));
    ++removed;
  }
  return removed;
}

Result<uint64_t> RocksTransaction::RemoveStoredEdges(const ResourceId& group,
                                                     const std::vector<std::string>& batch_keys) {
  // A DB iterator, not txn_'s: this pass must see the store alone (the first pass settled
  // the keys in batch_keys). Created after the exclusive lock was taken, so it sees every
  // edge change that another transaction committed.
  rocksdb::WriteBatch* batch = txn_->GetWriteBatch()->GetWriteBatch();
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;  // a one-off sweep: leave the hot blocks cached
  uint64_t removed = 0;
  Status error;
  SCIMD_RETURN_IF_ERROR(internal::ScanRange(
      PrefixRange(MemberPrefix(tenant_, group)), read_options,
      [&](const rocksdb::ReadOptions& ro) {
        return handles_->db->NewIterator(ro, handles_->members);
      },
      [&](std::string_view key, std::string_view) {
        if (std::binary_search(batch_keys.begin(), batch_keys.end(), key)) return true;
        auto edge = ParseEdgeKey(key);
        if (!edge.ok()) {
          error = edge.status();
          return false;
        }
        // Like MergeCounter: straight into the commit batch, no lock, no index entry.
        rocksdb::Status s =
            batch->Delete(handles_->members, rocksdb::Slice(key.data(), key.size()));
        if (s.ok()) {
          s = batch->Delete(handles_->member_of, MemberOfKey(tenant_, edge->second, group));
        }
        if (!s.ok()) {
          error = internal::FromRocks(s, "delete edge");
          return false;
        }
        ++removed;
        return true;
      }));
  SCIMD_RETURN_IF_ERROR(error);
  return removed;
}

Result<uint64_t> RocksTransaction::RemoveAllMembers(const ResourceId& group) {
  SCIMD_RETURN_IF_ERROR(LockMembership(group, /*exclusive=*/true));
  // Edges this transaction wrote are in the indexed batch, possibly over a stored edge
  // ([remove x, add x]) or over an earlier clear's unindexed delete: they are settled
  // first, with indexed deletes. Then the stored edges, unindexed, unless an earlier clear
  // in this transaction already removed (and counted) them. Commit applies the batch in
  // write order, so an edge added again after this clear ends present.
  std::vector<std::string> batch_keys;
  SCIMD_ASSIGN_OR_RETURN(uint64_t removed, RemoveBatchEdges(group, &batch_keys));
  if (!Cleared(group)) {
    SCIMD_ASSIGN_OR_RETURN(uint64_t stored, RemoveStoredEdges(group, batch_keys));
    removed += stored;
    cleared_.push_back(group);
  }
  if (removed == 0) return removed;
  SCIMD_RETURN_IF_ERROR(
      MergeCounter(MemberCountKey(tenant_, group), -static_cast<int64_t>(removed)));
  return removed;
}

Status RocksTransaction::RemoveFromAllGroups(const ResourceId& member) {
  std::vector<ResourceId> groups;
  SCIMD_RETURN_IF_ERROR(
      CollectEdges(handles_->member_of, MemberOfPrefix(tenant_, member), &groups));
  // A group cleared earlier in this transaction may still be listed (its mirror was
  // deleted unindexed); RemoveMember decides from the batch then.
  for (const ResourceId& group : groups) {
    SCIMD_ASSIGN_OR_RETURN(bool removed, RemoveMember(group, member));
    (void)removed;
  }
  return Status::Ok();
}

Status RocksTransaction::AdjustMemberCount(const ResourceId& group, int64_t delta) {
  return MergeCounter(MemberCountKey(tenant_, group), delta);
}

Status RocksTransaction::SetMemberOfEntry(const ResourceId& member, const ResourceId& group,
                                          bool present) {
  const std::string key = MemberOfKey(tenant_, member, group);
  return present ? Put(handles_->member_of, key, {}) : Delete(handles_->member_of, key);
}

Status RocksTransaction::Commit() {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  finished_ = true;
  const TenantFence::Pass pass(handles_->fence, tenant_);
  if (!pass.admitted()) {
    txn_->Rollback().PermitUncheckedError();
    return internal::TenantMoving();
  }
  // Brackets the commit, so the set's generation reads "changing" until it is visible.
  ResourceGenerations::Change change(handles_->generations.get(), tenant_, set_changes_);
  rocksdb::Status s = txn_->Commit();
  if (!s.ok()) txn_->Rollback().PermitUncheckedError();
  return internal::FromRocks(s, "commit");
}

}  // namespace scimd::storage
