// RocksTransaction: see rocks_transaction.h for the locking rules.
#include "storage/rocks_transaction.h"

#include <rocksdb/utilities/write_batch_with_index.h>
#include <rocksdb/write_batch.h>

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
                                      std::string* value, bool* found) {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  rocksdb::Status s = internal::RetryStripeContention(
      [&] { return txn_->GetForUpdate(rocksdb::ReadOptions(), cf, key, value); });
  *found = s.ok();
  if (s.IsNotFound()) {
    value->clear();
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
  return Delete(handles_->resources, ResourceKey(tenant_, type, id));
}

Status RocksTransaction::AdjustResourceCount(ResourceType type, int64_t delta) {
  if (delta == 0) return CheckOpen();
  return MergeCounter(ResourceCountKey(tenant_, type), delta);
}

Status RocksTransaction::AddIndex(ResourceType type, const core::IndexTerm& term,
                                  const ResourceId& id) {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  SCIMD_ASSIGN_OR_RETURN(std::string key, IndexValueKey(tenant_, type, term, id));
  return Put(handles_->index, key, {});
}

Status RocksTransaction::RemoveIndex(ResourceType type, const core::IndexTerm& term,
                                     const ResourceId& id) {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  SCIMD_ASSIGN_OR_RETURN(std::string key, IndexValueKey(tenant_, type, term, id));
  return Delete(handles_->index, key);
}

Status RocksTransaction::AddPresence(ResourceType type, core::AttrId attr, const ResourceId& id) {
  return Put(handles_->index, IndexPresenceKey(tenant_, type, attr, id), {});
}

Status RocksTransaction::RemovePresence(ResourceType type, core::AttrId attr,
                                        const ResourceId& id) {
  return Delete(handles_->index, IndexPresenceKey(tenant_, type, attr, id));
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

Result<bool> RocksTransaction::AddMember(const ResourceId& group, const ResourceId& member,
                                         ResourceType member_type, std::string_view display) {
  const std::string edge = MemberKey(tenant_, group, member);
  std::string value;
  bool found = false;
  SCIMD_RETURN_IF_ERROR(GetForUpdate(handles_->members, edge, &value, &found));
  if (found) return false;
  SCIMD_RETURN_IF_ERROR(Put(handles_->members, edge, EncodeMemberValue(member_type, display)));
  SCIMD_RETURN_IF_ERROR(Put(handles_->member_of, MemberOfKey(tenant_, member, group), {}));
  SCIMD_RETURN_IF_ERROR(MergeCounter(MemberCountKey(tenant_, group), 1));
  return true;
}

Result<bool> RocksTransaction::RemoveMember(const ResourceId& group, const ResourceId& member) {
  const std::string edge = MemberKey(tenant_, group, member);
  std::string value;
  bool found = false;
  SCIMD_RETURN_IF_ERROR(GetForUpdate(handles_->members, edge, &value, &found));
  if (!found) return false;
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

Status RocksTransaction::RemoveAllMembers(const ResourceId& group) {
  std::vector<ResourceId> members;
  SCIMD_RETURN_IF_ERROR(CollectEdges(handles_->members, MemberPrefix(tenant_, group), &members));
  int64_t removed = 0;
  for (const ResourceId& member : members) {
    // Re-read under the lock: an edge seen by the iterator may have been removed by a
    // transaction that committed since, and the count must only drop for real edges.
    const std::string edge = MemberKey(tenant_, group, member);
    std::string value;
    bool found = false;
    SCIMD_RETURN_IF_ERROR(GetForUpdate(handles_->members, edge, &value, &found));
    if (!found) continue;
    SCIMD_RETURN_IF_ERROR(Delete(handles_->members, edge));
    SCIMD_RETURN_IF_ERROR(Delete(handles_->member_of, MemberOfKey(tenant_, member, group)));
    ++removed;
  }
  if (removed == 0) return Status::Ok();
  return MergeCounter(MemberCountKey(tenant_, group), -removed);
}

Status RocksTransaction::RemoveFromAllGroups(const ResourceId& member) {
  std::vector<ResourceId> groups;
  SCIMD_RETURN_IF_ERROR(
      CollectEdges(handles_->member_of, MemberOfPrefix(tenant_, member), &groups));
  for (const ResourceId& group : groups) {
    SCIMD_ASSIGN_OR_RETURN(bool removed, RemoveMember(group, member));
    (void)removed;
  }
  return Status::Ok();
}

Status RocksTransaction::Commit() {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  finished_ = true;
  rocksdb::Status s = txn_->Commit();
  if (!s.ok()) txn_->Rollback().PermitUncheckedError();
  return internal::FromRocks(s, "commit");
}

}  // namespace scimd::storage
