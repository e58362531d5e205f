// core::Transaction over a pessimistic rocksdb::Transaction with a zero lock timeout: a
// key held by another transaction gives Busy at once. Destroying it without Commit rolls
// back. Used by one thread at a time; REQUIRES: destroyed before its RocksStore.
//
// Locking rules (what makes concurrent transactions correct):
//   - resource keys are locked by GetResourceForUpdate/PutResource/DeleteResource;
//   - index and presence entries take no lock: they contain the id, so only writers of the
//     same resource meet there, and those already meet on its key (a create writes a new
//     id no one else knows). They go straight into the commit batch, unindexed, as
//     nothing reads them back through a transaction (see WriteIndexEntry): a /Bulk batch
//     of 1,000 users writes ~10,000 of them, and locking and indexing each one cost a
//     third more CPU per user than the rest of the batch (docs/PERFORMANCE.md, issue #18);
//   - a unique key is locked by ClaimUnique (GetForUpdate, even when absent);
//   - a group's membership lock is its member-count key (GetForUpdate, no value read):
//     Add/RemoveMember (and so RemoveFromAllGroups) take it shared, RemoveAllMembers
//     exclusive. Holding it exclusive, RemoveAllMembers knows that no one else changes the
//     group's edges until it commits, so it deletes them unlocked and unindexed, straight
//     into the commit batch (bounded memory for a million edges);
//   - a members edge key is locked by Add/RemoveMember (GetForUpdate), its member_of
//     mirror when written;
//   - counter merges take no lock at all: they are appended to the commit batch directly
//     (see MergeCounter), so concurrent increments never conflict.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/base/store.h"
#include "storage/rocks_internal.h"

namespace scimd::storage {

class RocksTransaction final : public core::Transaction {
 public:
  RocksTransaction(const internal::RocksHandles* handles, core::TenantId tenant,
                   std::unique_ptr<rocksdb::Transaction> txn);
  ~RocksTransaction() override;
  RocksTransaction(const RocksTransaction&) = delete;
  RocksTransaction& operator=(const RocksTransaction&) = delete;

  core::Result<std::string> GetResourceForUpdate(core::ResourceType type,
                                                 const core::ResourceId& id) override;
  core::Status PutResource(core::ResourceType type, const core::ResourceId& id,
                           std::string_view value) override;
  core::Status DeleteResource(core::ResourceType type, const core::ResourceId& id) override;
  core::Status AdjustResourceCount(core::ResourceType type, int64_t delta) override;

  core::Status AddIndex(core::ResourceType type, const core::IndexTerm& term,
                        const core::ResourceId& id) override;
  core::Status RemoveIndex(core::ResourceType type, const core::IndexTerm& term,
                           const core::ResourceId& id) override;
  core::Status AddPresence(core::ResourceType type, core::AttrId attr,
                           const core::ResourceId& id) override;
  core::Status RemovePresence(core::ResourceType type, core::AttrId attr,
                              const core::ResourceId& id) override;

  core::Status ClaimUnique(core::ResourceType type, const core::IndexTerm& term,
                           const core::ResourceId& id) override;
  core::Status ReleaseUnique(core::ResourceType type, const core::IndexTerm& term) override;

  core::Result<bool> AddMember(const core::ResourceId& group, const core::ResourceId& member,
                               core::ResourceType member_type,
                               std::string_view display = {}) override;
  core::Result<bool> RemoveMember(const core::ResourceId& group,
                                  const core::ResourceId& member) override;
  core::Result<uint64_t> RemoveAllMembers(const core::ResourceId& group) override;
  core::Status RemoveFromAllGroups(const core::ResourceId& member) override;
  core::Status AdjustMemberCount(const core::ResourceId& group, int64_t delta) override;
  core::Status SetMemberOfEntry(const core::ResourceId& member, const core::ResourceId& group,
                                bool present) override;

  core::Status Commit() override;

 private:
  core::Status CheckOpen() const;
  // GetForUpdate with stripe-contention retry. NotFound leaves *value empty and is
  // reported through *found = false, not as an error. A null `value` only locks.
  core::Status GetForUpdate(rocksdb::ColumnFamilyHandle* cf, const std::string& key,
                            std::string* value, bool* found, bool exclusive = true);
  core::Status Put(rocksdb::ColumnFamilyHandle* cf, const std::string& key, std::string_view value);
  core::Status Delete(rocksdb::ColumnFamilyHandle* cf, const std::string& key);
  core::Status MergeCounter(const std::string& key, int64_t delta);
  // Puts (`put`) or deletes an index or presence key in the commit batch, unlocked.
  core::Status WriteIndexEntry(const std::string& key, bool put);
  // Collects the second ids of every edge under `prefix` in `cf` (this transaction's view).
  core::Status CollectEdges(rocksdb::ColumnFamilyHandle* cf, const std::string& prefix,
                            std::vector<core::ResourceId>* out);

  // Membership (see the locking rules above). RemoveAllMembers' unindexed deletes are
  // invisible to reads through txn_, so for a group in cleared_ only the indexed batch
  // tells whether an edge is present: edges added after the clear.
  core::Status LockMembership(const core::ResourceId& group, bool exclusive);
  bool Cleared(const core::ResourceId& group) const;
  // Whether members edge `edge` of `group` is present in this transaction's view; locks
  // it unless the group was cleared here (the exclusive membership lock covers it then).
  core::Result<bool> EdgePresent(const core::ResourceId& group, const std::string& edge);
  // Whether the latest entry for `key` in the indexed batch is a Put.
  bool BatchHasPut(rocksdb::ColumnFamilyHandle* cf, const std::string& key);
  // RemoveAllMembers, first pass: deletes (indexed) the edges of `group` that this
  // transaction wrote itself and returns how many were present; *batch_keys gets every
  // edge key of `group` in the indexed batch, present or deleted, in key order.
  core::Result<uint64_t> RemoveBatchEdges(const core::ResourceId& group,
                                          std::vector<std::string>* batch_keys);
  // Second pass: deletes (unindexed) every stored edge of `group` that is not in
  // `batch_keys` and returns how many. REQUIRES: the exclusive membership lock.
  core::Result<uint64_t> RemoveStoredEdges(const core::ResourceId& group,
                                           const std::vector<std::string>& batch_keys);

  const internal::RocksHandles* handles_;
  const core::TenantId tenant_;
  std::unique_ptr<rocksdb::Transaction> txn_;
  bool finished_ = false;
  std::vector<core::ResourceId> cleared_;  // groups RemoveAllMembers cleared (few)
  // Types whose set of ids this transaction may change (ResourceGenerations::Bit).
  uint8_t set_changes_ = 0;
};

}  // namespace scimd::storage
