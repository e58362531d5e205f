// core::Transaction of MemStore: RocksTransaction's logic call by call, under the same
// locking rules (the top of rocks_transaction.h), with a write set in place of RocksDB's
// write batch and MemState's lock table in place of its lock manager. Destroying it without
// Commit rolls back. Used by one thread at a time; REQUIRES: destroyed before its MemStore.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/store.h"
#include "storage/mem_internal.h"

namespace scimd::storage {

class MemTransaction final : public core::Transaction {
 public:
  MemTransaction(internal::MemState* state, core::TenantId tenant);
  ~MemTransaction() override;
  MemTransaction(const MemTransaction&) = delete;
  MemTransaction& operator=(const MemTransaction&) = delete;

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
  // One write, as Commit applies it.
  struct Op {
    enum class Kind : uint8_t { kPut, kDelete, kAdd };
    Kind kind;
    internal::Cf cf;
    std::string key;
    std::string value;  // kPut
    int64_t delta = 0;  // kAdd: a counter increment
  };

  core::Status CheckOpen() const;
  // Takes the lock on `key` unless this transaction holds it already (shared is enough for a
  // shared request). Busy if another transaction holds it in a conflicting mode.
  core::Status Lock(internal::Cf cf, const std::string& key, bool exclusive);
  void ReleaseLocks();  // REQUIRES: state_->mu held
  // This transaction's view: its own latest write of `key`, else the committed value.
  std::optional<std::string> Read(internal::Cf cf, std::string_view key) const;
  // Locks `key` exclusively, then reads it (nullopt when absent).
  core::Result<std::optional<std::string>> GetForUpdate(internal::Cf cf, const std::string& key);
  core::Status Put(internal::Cf cf, const std::string& key, std::string_view value);
  core::Status Delete(internal::Cf cf, const std::string& key);
  // Like RocksTransaction's merge: no lock, and never read back through the transaction.
  core::Status MergeCounter(const std::string& key, int64_t delta);
  core::Status WriteIndexEntry(const std::string& key, bool put);  // unlocked, unread
  void Apply(Op& op);                                              // REQUIRES: state_->mu held

  // Membership (see the locking rules). RemoveAllMembers' deletes of committed edges go to
  // log_ only, so for a group in cleared_ only written_ tells whether an edge is present:
  // edges added after the clear.
  core::Status LockMembership(const core::ResourceId& group, bool exclusive);
  bool Cleared(const core::ResourceId& group) const;
  // Whether members edge `edge` of `group` is present in this transaction's view; locks it
  // unless the group was cleared here (the exclusive membership lock covers it then).
  core::Result<bool> EdgePresent(const core::ResourceId& group, const std::string& edge);
  // RemoveAllMembers, first pass: deletes the edges of `group` that this transaction wrote
  // itself and returns how many were present; *batch_keys gets every edge key of `group` in
  // written_, present or deleted, in key order.
  core::Result<uint64_t> RemoveBatchEdges(const core::ResourceId& group,
                                          std::vector<std::string>* batch_keys);
  // Second pass: deletes (into log_ only) every committed edge of `group` that is not in
  // `batch_keys` and returns how many. REQUIRES: the exclusive membership lock.
  core::Result<uint64_t> RemoveStoredEdges(const core::ResourceId& group,
                                           const std::vector<std::string>& batch_keys);

  internal::MemState* const state_;
  const core::TenantId tenant_;
  uint64_t id_ = 0;
  bool finished_ = false;
  // Types whose set of ids this transaction may change (ResourceGenerations::Bit).
  uint8_t set_changes_ = 0;
  // RocksDB's write batch, in two parts: written_ is what its index holds (the latest write
  // per key, which reads through the transaction see), log_ the whole batch in write order,
  // including what is not indexed (counter additions, RemoveAllMembers' stored-edge deletes).
  std::array<internal::MaybeTable, internal::kCfCount> written_;
  std::vector<Op> log_;
  std::map<std::string, bool> held_;       // lock key -> exclusive
  std::vector<core::ResourceId> cleared_;  // groups RemoveAllMembers cleared (few)
};

}  // namespace scimd::storage
