// MemTransaction: see mem_transaction.h; the locking rules are RocksTransaction's.
#include "storage/mem_transaction.h"

#include <algorithm>
#include <mutex>
#include <utility>

namespace scimd::storage {
namespace {

using internal::Cf;

// Like the counters' merge operator (uint64_add.cc): 8 bytes little-endian, anything else 0.
uint64_t DecodeOrZero(std::string_view s) {
  if (s.size() != sizeof(uint64_t)) return 0;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

}  // namespace

using core::ResourceId;
using core::ResourceType;
using core::Result;
using core::Status;

MemTransaction::MemTransaction(internal::MemState* state, core::TenantId tenant)
    : state_(state), tenant_(tenant) {
  std::lock_guard<std::mutex> lock(state_->mu);
  id_ = state_->next_txn_id++;
}

MemTransaction::~MemTransaction() {
  if (finished_) return;
  std::lock_guard<std::mutex> lock(state_->mu);
  ReleaseLocks();  // the writes simply go with the object
}

Status MemTransaction::CheckOpen() const {
  if (finished_) return Status::Internal("transaction used after Commit");
  return Status::Ok();
}

Status MemTransaction::Lock(Cf cf, const std::string& key, bool exclusive) {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  std::string lock_key(1, static_cast<char>(cf));
  lock_key.append(key);
  auto held = held_.find(lock_key);
  // As in a RocksDB transaction, a lock held already is not requested again, unless shared
  // is to become exclusive.
  if (held != held_.end() && (held->second || !exclusive)) return Status::Ok();
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->TryLock(lock_key, id_, exclusive)) {
      return Status::Busy("lock: the key is held by another transaction");
    }
  }
  held_[std::move(lock_key)] = exclusive;
  return Status::Ok();
}

void MemTransaction::ReleaseLocks() {
  for (const auto& [lock_key, exclusive] : held_) state_->Unlock(lock_key, id_);
  held_.clear();
}

std::optional<std::string> MemTransaction::Read(Cf cf, std::string_view key) const {
  auto it = written_[cf].find(key);
  if (it != written_[cf].end()) return it->second;
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->Read(cf, key);
}

Result<std::optional<std::string>> MemTransaction::GetForUpdate(Cf cf, const std::string& key) {
  SCIMD_RETURN_IF_ERROR(Lock(cf, key, /*exclusive=*/true));
  return Read(cf, key);
}

Status MemTransaction::Put(Cf cf, const std::string& key, std::string_view value) {
  SCIMD_RETURN_IF_ERROR(Lock(cf, key, /*exclusive=*/true));
  written_[cf].insert_or_assign(key, std::string(value));
  log_.push_back({Op::Kind::kPut, cf, key, std::string(value)});
  return Status::Ok();
}

Status MemTransaction::Delete(Cf cf, const std::string& key) {
  SCIMD_RETURN_IF_ERROR(Lock(cf, key, /*exclusive=*/true));
  written_[cf].insert_or_assign(key, std::nullopt);
  log_.push_back({Op::Kind::kDelete, cf, key, {}});
  return Status::Ok();
}

Status MemTransaction::MergeCounter(const std::string& key, int64_t delta) {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  log_.push_back({Op::Kind::kAdd, Cf::kCounters, key, {}, delta});
  return Status::Ok();
}

void MemTransaction::Apply(Op& op) {
  switch (op.kind) {
    case Op::Kind::kPut: state_->Write(op.cf, op.key, std::move(op.value)); return;
    case Op::Kind::kDelete: state_->Write(op.cf, op.key, std::nullopt); return;
    case Op::Kind::kAdd: {
      // Wrapping addition, as the merge operator: a decrement is the two's complement.
      const std::optional<std::string> old = state_->Read(op.cf, op.key);
      const uint64_t sum = (old ? DecodeOrZero(*old) : 0) + static_cast<uint64_t>(op.delta);
      state_->Write(op.cf, op.key, EncodeCounterDelta(static_cast<int64_t>(sum)));
      return;
    }
  }
}

Result<std::string> MemTransaction::GetResourceForUpdate(ResourceType type, const ResourceId& id) {
  SCIMD_ASSIGN_OR_RETURN(auto value, GetForUpdate(Cf::kResources, ResourceKey(tenant_, type, id)));
  if (!value) return Status::NotFound("resource not found");
  return std::move(*value);
}

Status MemTransaction::PutResource(ResourceType type, const ResourceId& id,
                                   std::string_view value) {
  return Put(Cf::kResources, ResourceKey(tenant_, type, id), value);
}

Status MemTransaction::DeleteResource(ResourceType type, const ResourceId& id) {
  set_changes_ |= ResourceGenerations::Bit(type);
  return Delete(Cf::kResources, ResourceKey(tenant_, type, id));
}

Status MemTransaction::AdjustResourceCount(ResourceType type, int64_t delta) {
  if (delta == 0) return CheckOpen();
  set_changes_ |= ResourceGenerations::Bit(type);  // a create or delete, as in RocksDB
  return MergeCounter(ResourceCountKey(tenant_, type), delta);
}

Status MemTransaction::WriteIndexEntry(const std::string& key, bool put) {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  // No lock and not in written_ (never read back), as RocksTransaction::WriteIndexEntry.
  log_.push_back({put ? Op::Kind::kPut : Op::Kind::kDelete, Cf::kIndex, key, {}});
  return Status::Ok();
}

Status MemTransaction::AddIndex(ResourceType type, const core::IndexTerm& term,
                                const ResourceId& id) {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  SCIMD_ASSIGN_OR_RETURN(std::string key, IndexValueKey(tenant_, type, term, id));
  return WriteIndexEntry(key, true);
}

Status MemTransaction::RemoveIndex(ResourceType type, const core::IndexTerm& term,
                                   const ResourceId& id) {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  SCIMD_ASSIGN_OR_RETURN(std::string key, IndexValueKey(tenant_, type, term, id));
  return WriteIndexEntry(key, false);
}

Status MemTransaction::AddPresence(ResourceType type, core::AttrId attr, const ResourceId& id) {
  return WriteIndexEntry(IndexPresenceKey(tenant_, type, attr, id), true);
}

Status MemTransaction::RemovePresence(ResourceType type, core::AttrId attr, const ResourceId& id) {
  return WriteIndexEntry(IndexPresenceKey(tenant_, type, attr, id), false);
}

Status MemTransaction::ClaimUnique(ResourceType type, const core::IndexTerm& term,
                                   const ResourceId& id) {
  SCIMD_ASSIGN_OR_RETURN(std::string key, UniqueKey(tenant_, type, term));
  SCIMD_ASSIGN_OR_RETURN(auto holder, GetForUpdate(Cf::kUnique, key));  // locks even if absent
  if (holder) {
    if (*holder == id.AsBytes()) return Status::Ok();
    return Status::Uniqueness("value is already in use");
  }
  return Put(Cf::kUnique, key, id.AsBytes());
}

Status MemTransaction::ReleaseUnique(ResourceType type, const core::IndexTerm& term) {
  SCIMD_ASSIGN_OR_RETURN(std::string key, UniqueKey(tenant_, type, term));
  return Delete(Cf::kUnique, key);
}

Status MemTransaction::LockMembership(const ResourceId& group, bool exclusive) {
  return Lock(Cf::kCounters, MemberCountKey(tenant_, group), exclusive);
}

bool MemTransaction::Cleared(const ResourceId& group) const {
  return std::find(cleared_.begin(), cleared_.end(), group) != cleared_.end();
}

Result<bool> MemTransaction::EdgePresent(const ResourceId& group, const std::string& edge) {
  if (Cleared(group)) {
    auto it = written_[Cf::kMembers].find(edge);
    return it != written_[Cf::kMembers].end() && it->second.has_value();
  }
  SCIMD_ASSIGN_OR_RETURN(auto value, GetForUpdate(Cf::kMembers, edge));
  return value.has_value();
}

Result<bool> MemTransaction::AddMember(const ResourceId& group, const ResourceId& member,
                                       ResourceType member_type, std::string_view display) {
  SCIMD_RETURN_IF_ERROR(LockMembership(group, /*exclusive=*/false));
  const std::string edge = MemberKey(tenant_, group, member);
  SCIMD_ASSIGN_OR_RETURN(bool present, EdgePresent(group, edge));
  if (present) return false;
  SCIMD_RETURN_IF_ERROR(Put(Cf::kMembers, edge, EncodeMemberValue(member_type, display)));
  SCIMD_RETURN_IF_ERROR(Put(Cf::kMemberOf, MemberOfKey(tenant_, member, group), {}));
  SCIMD_RETURN_IF_ERROR(MergeCounter(MemberCountKey(tenant_, group), 1));
  return true;
}

Result<bool> MemTransaction::RemoveMember(const ResourceId& group, const ResourceId& member) {
  SCIMD_RETURN_IF_ERROR(LockMembership(group, /*exclusive=*/false));
  const std::string edge = MemberKey(tenant_, group, member);
  SCIMD_ASSIGN_OR_RETURN(bool present, EdgePresent(group, edge));
  if (!present) return false;
  SCIMD_RETURN_IF_ERROR(Delete(Cf::kMembers, edge));
  SCIMD_RETURN_IF_ERROR(Delete(Cf::kMemberOf, MemberOfKey(tenant_, member, group)));
  SCIMD_RETURN_IF_ERROR(MergeCounter(MemberCountKey(tenant_, group), -1));
  return true;
}

Status MemTransaction::AdjustMemberCount(const ResourceId& group, int64_t delta) {
  return MergeCounter(MemberCountKey(tenant_, group), delta);
}

Status MemTransaction::SetMemberOfEntry(const ResourceId& member, const ResourceId& group,
                                        bool present) {
  const std::string key = MemberOfKey(tenant_, member, group);
  return present ? Put(Cf::kMemberOf, key, {}) : Delete(Cf::kMemberOf, key);
}

Result<uint64_t> MemTransaction::RemoveBatchEdges(const ResourceId& group,
                                                  std::vector<std::string>* batch_keys) {
  const KeyRange range = PrefixRange(MemberPrefix(tenant_, group));
  std::vector<std::string> present;
  const internal::MaybeTable& members = written_[Cf::kMembers];
  for (auto it = members.lower_bound(range.begin); it != members.end() && range.Contains(it->first);
       ++it) {
    batch_keys->push_back(it->first);
    if (it->second) present.push_back(it->first);
  }
  for (const std::string& key : present) {
    SCIMD_ASSIGN_OR_RETURN(ParsedEdgeKey edge, ParseEdgeKey(key));
    SCIMD_RETURN_IF_ERROR(Delete(Cf::kMembers, key));
    SCIMD_RETURN_IF_ERROR(Delete(Cf::kMemberOf, MemberOfKey(tenant_, edge.second, group)));
  }
  return present.size();
}

Result<uint64_t> MemTransaction::RemoveStoredEdges(const ResourceId& group,
                                                   const std::vector<std::string>& batch_keys) {
  // The committed edges alone (the first pass settled batch_keys), read after the exclusive
  // lock was taken: no one else changes them until this transaction ends.
  std::vector<std::string> stored;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    internal::ForEachIn(state_->data[Cf::kMembers], PrefixRange(MemberPrefix(tenant_, group)),
                        [&](const std::string& key, const std::string&) {
                          if (!std::binary_search(batch_keys.begin(), batch_keys.end(), key)) {
                            stored.push_back(key);
                          }
                        });
  }
  for (std::string& key : stored) {
    SCIMD_ASSIGN_OR_RETURN(ParsedEdgeKey edge, ParseEdgeKey(key));
    // Into log_ only: no lock, and invisible to reads through this transaction.
    log_.push_back(
        {Op::Kind::kDelete, Cf::kMemberOf, MemberOfKey(tenant_, edge.second, group), {}});
    log_.push_back({Op::Kind::kDelete, Cf::kMembers, std::move(key), {}});
  }
  return stored.size();
}

Result<uint64_t> MemTransaction::RemoveAllMembers(const ResourceId& group) {
  SCIMD_RETURN_IF_ERROR(LockMembership(group, /*exclusive=*/true));
  // Edges this transaction wrote are settled first, through written_. Then the committed
  // ones, unless an earlier clear in this transaction already removed (and counted) them.
  // Commit applies log_ in order, so an edge added again after this clear ends present.
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

Status MemTransaction::RemoveFromAllGroups(const ResourceId& member) {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  // The member's groups in this transaction's view: the committed mirrors overlaid with its
  // own writes. A group cleared here may still be listed (the clear's mirror deletes are in
  // log_ only); RemoveMember decides from written_ then.
  const KeyRange range = PrefixRange(MemberOfPrefix(tenant_, member));
  std::map<std::string, bool> keys;  // key -> present
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    internal::ForEachIn(
        state_->data[Cf::kMemberOf], range,
        [&](const std::string& key, const std::string&) { keys.emplace(key, true); });
  }
  const internal::MaybeTable& mine = written_[Cf::kMemberOf];
  for (auto it = mine.lower_bound(range.begin); it != mine.end() && range.Contains(it->first);
       ++it) {
    keys[it->first] = it->second.has_value();
  }
  std::vector<ResourceId> groups;
  for (const auto& [key, present] : keys) {
    if (!present) continue;
    SCIMD_ASSIGN_OR_RETURN(ParsedEdgeKey edge, ParseEdgeKey(key));
    groups.push_back(edge.second);
  }
  for (const ResourceId& group : groups) {
    SCIMD_ASSIGN_OR_RETURN(bool removed, RemoveMember(group, member));
    (void)removed;
  }
  return Status::Ok();
}

Status MemTransaction::Commit() {
  SCIMD_RETURN_IF_ERROR(CheckOpen());
  finished_ = true;
  ResourceGenerations::Change change(&state_->generations, tenant_, set_changes_);
  std::lock_guard<std::mutex> lock(state_->mu);
  for (Op& op : log_) Apply(op);
  ++state_->commits;
  ReleaseLocks();
  log_.clear();
  return Status::Ok();
}

}  // namespace scimd::storage
