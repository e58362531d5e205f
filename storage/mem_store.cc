// MemStore: snapshot scans, point reads, tenants and tokens (see mem_store.h for the
// invariants). Transactions are in mem_transaction.cc.
#include "storage/mem_store.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <tuple>
#include <utility>

#include "storage/key_codec.h"
#include "storage/keyed_bulk_load.h"
#include "storage/mem_internal.h"
#include "storage/mem_transaction.h"
#include "storage/record_codec.h"

namespace scimd::storage {
namespace {

using core::ResourceId;
using core::ResourceType;
using core::Result;
using core::Status;
using internal::Cf;
using internal::ForEachIn;
using internal::MaybeTable;
using internal::MemState;
using internal::Table;

// Entries a scan copies out per hold of the mutex: bounds the copy when a visitor stops
// early, and how long a scan holds up commits.
constexpr size_t kScanChunk = 128;

int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The store as one scan sees it: registered at construction, so that every later commit
// leaves it the values it overwrites; the current table shadowed by those undo images.
class ScanSnapshot {
 public:
  explicit ScanSnapshot(MemState* state) : state_(state) {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->snapshots.push_back(&snapshot_);
  }
  ~ScanSnapshot() {
    std::lock_guard<std::mutex> lock(state_->mu);
    auto& all = state_->snapshots;
    all.erase(std::find(all.begin(), all.end(), &snapshot_));
  }
  ScanSnapshot(const ScanSnapshot&) = delete;
  ScanSnapshot& operator=(const ScanSnapshot&) = delete;

  // Appends to *out up to `max` entries of `range`, in key order, from `from` on (itself
  // included when `inclusive`). Returns false once the range is exhausted.
  bool Collect(Cf cf, const KeyRange& range, std::string_view from, bool inclusive, size_t max,
               std::vector<std::pair<std::string, std::string>>* out) const {
    std::lock_guard<std::mutex> lock(state_->mu);
    const Table& now = state_->data[cf];
    const MaybeTable& before = snapshot_.before[cf];
    auto a = inclusive ? now.lower_bound(from) : now.upper_bound(from);
    auto b = inclusive ? before.lower_bound(from) : before.upper_bound(from);
    while (out->size() < max) {
      const bool has_a = a != now.end();
      const bool has_b = b != before.end();
      if (!has_a && !has_b) return false;
      const std::string* key;
      const std::string* value;
      if (has_b && (!has_a || b->first <= a->first)) {
        if (has_a && a->first == b->first) ++a;  // the undo image wins
        key = &b->first;
        value = b->second ? &*b->second : nullptr;
        ++b;
      } else {
        key = &a->first;
        value = &a->second;
        ++a;
      }
      if (!range.end.empty() && *key >= range.end) return false;
      if (value != nullptr) out->emplace_back(*key, *value);
    }
    return true;
  }

  // The key of the last entry of `range` before `to` (at or before it when `inclusive`; from
  // the end of the range when `to` is empty): RocksDB's SeekToLast / SeekForPrev.
  std::optional<std::string> Last(Cf cf, const KeyRange& range,
                                  const std::optional<std::string>& to, bool inclusive) const {
    std::lock_guard<std::mutex> lock(state_->mu);
    const Table& now = state_->data[cf];
    const MaybeTable& before = snapshot_.before[cf];
    auto upper = [&](const auto& map) {
      if (!to) return range.end.empty() ? map.end() : map.lower_bound(range.end);
      return inclusive ? map.upper_bound(*to) : map.lower_bound(*to);
    };
    auto a = upper(now);
    auto b = upper(before);
    for (;;) {
      const bool has_a = a != now.begin();
      const bool has_b = b != before.begin();
      if (!has_a && !has_b) return std::nullopt;
      const std::string* key;
      bool present = true;
      if (has_b && (!has_a || std::prev(b)->first >= std::prev(a)->first)) {
        --b;
        if (has_a && std::prev(a)->first == b->first) --a;  // the undo image wins
        key = &b->first;
        present = b->second.has_value();
      } else {
        --a;
        key = &a->first;
      }
      if (!range.Contains(*key)) return std::nullopt;
      if (present) return *key;
    }
  }

 private:
  MemState* const state_;
  internal::Snapshot snapshot_;
};

// Calls visit(key, value) for the entries of `range` in key order, as they were when the
// scan began, until visit returns false. The visitor runs without the mutex: it may read the
// store or commit a transaction (core/usecase/reindex.cc does both).
template <typename Visit>
void ScanIn(const ScanSnapshot& snapshot, Cf cf, const KeyRange& range, Visit&& visit) {
  std::vector<std::pair<std::string, std::string>> chunk;
  std::string from = range.begin;
  bool inclusive = true;
  for (;;) {
    chunk.clear();
    const bool more = snapshot.Collect(cf, range, from, inclusive, kScanChunk, &chunk);
    for (const auto& [key, value] : chunk) {
      if (!visit(std::string_view(key), std::string_view(value))) return;
    }
    if (!more || chunk.empty()) return;
    from = std::move(chunk.back().first);
    inclusive = false;
  }
}
template <typename Visit>
void Scan(MemState* state, Cf cf, const KeyRange& range, Visit&& visit) {
  ScanSnapshot snapshot(state);
  ScanIn(snapshot, cf, range, std::forward<Visit>(visit));
}

// A committed value under the mutex (point reads need no snapshot: they are one read).
std::optional<std::string> Get(MemState* state, Cf cf, std::string_view key) {
  std::lock_guard<std::mutex> lock(state->mu);
  return state->Read(cf, key);
}

Status ScanIds(MemState* state, const KeyRange& range, const core::IdVisitor& visit) {
  Status parse_error;
  Scan(state, Cf::kIndex, range, [&](std::string_view key, std::string_view) {
    if (key.size() < kIdBytes) {
      parse_error = Status::Corruption("index key: too short");
      return false;
    }
    return visit(IndexKeyId(key));
  });
  return parse_error;
}

Result<uint64_t> ReadCounter(MemState* state, const std::string& key) {
  std::optional<std::string> value = Get(state, Cf::kCounters, key);
  if (!value) return uint64_t{0};
  return DecodeCounter(*value);
}

// REQUIRES: state->mu held.
Result<std::optional<core::TenantRecord>> ReadTenantLocked(const MemState& state, TenantId id) {
  std::optional<std::string> value = state.Read(Cf::kTenants, TenantIdKey(id));
  if (!value) return std::optional<core::TenantRecord>();
  SCIMD_ASSIGN_OR_RETURN(core::TenantRecord record, DecodeTenantRecord(*value));
  return std::optional<core::TenantRecord>(std::move(record));
}

Status ScanResourcesIn(const ScanSnapshot& snapshot, TenantId tenant, ResourceType type,
                       const std::optional<ResourceId>& start_after,
                       const core::ResourceVisitor& visit) {
  Status parse_error;
  ScanIn(snapshot, Cf::kResources, ResourceScanRange(tenant, type, start_after),
         [&](std::string_view key, std::string_view value) {
           return VisitResourceEntry(key, value, visit, &parse_error);
         });
  return parse_error;
}

Status ScanMembersIn(const ScanSnapshot& snapshot, TenantId tenant, const ResourceId& group,
                     const std::optional<ResourceId>& start_after,
                     const core::MemberVisitor& visit) {
  Status parse_error;
  ScanIn(snapshot, Cf::kMembers, MemberScanRange(tenant, group, start_after),
         [&](std::string_view key, std::string_view value) {
           return VisitMemberEntry(key, value, visit, &parse_error);
         });
  return parse_error;
}

// A tenant's data as of its making: one ScanSnapshot kept for the view's life.
class MemView final : public core::StoreView {
 public:
  MemView(MemState* state, TenantId tenant) : snapshot_(state), tenant_(tenant) {}
  Status ScanResources(ResourceType type, const std::optional<ResourceId>& start_after,
                       const core::ResourceVisitor& visit) override {
    return ScanResourcesIn(snapshot_, tenant_, type, start_after, visit);
  }
  Status ScanMembers(const ResourceId& group, const std::optional<ResourceId>& start_after,
                     const core::MemberVisitor& visit) override {
    return ScanMembersIn(snapshot_, tenant_, group, start_after, visit);
  }

 private:
  ScanSnapshot snapshot_;
  const TenantId tenant_;
};

// Entries kept in memory and written under one lock at Commit, so no reader sees part of
// the load. Duplicate keys are Corruption, as in RocksBulkLoad.
class MemBulkLoad final : public KeyedBulkLoad {
 public:
  MemBulkLoad(MemState* state, TenantId tenant) : KeyedBulkLoad(tenant), state_(state) {}

 protected:
  Status Put(LoadCf cf, std::string_view key, std::string_view value) override {
    entries_.push_back({CfOf(cf), std::string(key), std::string(value)});
    return Status::Ok();
  }
  Status Finish(const std::vector<std::pair<std::string, int64_t>>& counters) override {
    std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return std::tie(a.cf, a.key) < std::tie(b.cf, b.key);
    });
    for (size_t i = 1; i < entries_.size(); ++i) {
      if (entries_[i].cf == entries_[i - 1].cf && entries_[i].key == entries_[i - 1].key) {
        return Status::Corruption("bulk load: the same key twice");
      }
    }
    ResourceGenerations::Change change(&state_->generations, tenant(),
                                       ResourceGenerations::kAllTypes);
    std::lock_guard<std::mutex> lock(state_->mu);
    for (Entry& e : entries_) state_->Write(e.cf, e.key, std::move(e.value));
    for (const auto& [key, delta] : counters) {
      // Wrapping addition, as the merge operator.
      const std::optional<std::string> old = state_->Read(Cf::kCounters, key);
      uint64_t sum = static_cast<uint64_t>(delta);
      if (old) {
        auto count = DecodeCounter(*old);
        if (count.ok()) sum += *count;
      }
      state_->Write(Cf::kCounters, key, EncodeCounterDelta(static_cast<int64_t>(sum)));
    }
    entries_.clear();
    return Status::Ok();
  }

 private:
  struct Entry {
    Cf cf;
    std::string key;
    std::string value;
  };
  static Cf CfOf(LoadCf cf) {
    switch (cf) {
      case LoadCf::kResources: return Cf::kResources;
      case LoadCf::kIndex: return Cf::kIndex;
      case LoadCf::kUnique: return Cf::kUnique;
      case LoadCf::kMembers: return Cf::kMembers;
      case LoadCf::kMemberOf: return Cf::kMemberOf;
      case LoadCf::kCounters: return Cf::kCounters;
    }
    return Cf::kResources;
  }

  MemState* const state_;
  std::vector<Entry> entries_;
};

}  // namespace

MemStore::MemStore() : state_(std::make_unique<internal::MemState>()) {}

MemStore::~MemStore() = default;

uint64_t MemStore::commits() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->commits;
}

std::unique_ptr<core::Transaction> MemStore::Begin(core::TenantId tenant) {
  return std::make_unique<MemTransaction>(state_.get(), tenant);
}

std::unique_ptr<core::StoreView> MemStore::View(core::TenantId tenant) {
  return std::make_unique<MemView>(state_.get(), tenant);
}

Result<std::unique_ptr<core::BulkLoad>> MemStore::BeginBulkLoad(core::TenantId tenant) {
  return std::unique_ptr<core::BulkLoad>(std::make_unique<MemBulkLoad>(state_.get(), tenant));
}

Result<std::string> MemStore::GetResource(core::TenantId tenant, ResourceType type,
                                          const ResourceId& id) {
  std::optional<std::string> value =
      Get(state_.get(), Cf::kResources, ResourceKey(tenant, type, id));
  if (!value) return Status::NotFound("resource not found");
  return std::move(*value);
}

Status MemStore::GetResources(core::TenantId tenant, ResourceType type,
                              const std::vector<ResourceId>& ids,
                              const core::OptionalResourceVisitor& visit) {
  std::vector<std::optional<std::string>> values;
  values.reserve(ids.size());
  {
    std::lock_guard<std::mutex> lock(state_->mu);  // one state for the whole batch
    for (const ResourceId& id : ids) {
      values.push_back(state_->Read(Cf::kResources, ResourceKey(tenant, type, id)));
    }
  }
  for (size_t i = 0; i < ids.size(); ++i) {  // the visitor may read the store
    const std::optional<std::string_view> value =
        values[i] ? std::optional<std::string_view>(*values[i]) : std::nullopt;
    if (!visit(ids[i], value)) break;
  }
  return Status::Ok();
}

Status MemStore::ScanResources(core::TenantId tenant, ResourceType type,
                               const std::optional<ResourceId>& start_after,
                               const core::ResourceVisitor& visit) {
  return ScanResourcesIn(ScanSnapshot(state_.get()), tenant, type, start_after, visit);
}

Result<uint64_t> MemStore::CountResources(core::TenantId tenant, ResourceType type) {
  return ReadCounter(state_.get(), ResourceCountKey(tenant, type));
}

std::optional<uint64_t> MemStore::ResourceSetGeneration(core::TenantId tenant, ResourceType type) {
  return state_->generations.Get(tenant, type);
}

Status MemStore::ScanIndexEq(core::TenantId tenant, ResourceType type, const core::IndexTerm& term,
                             const core::IdVisitor& visit) {
  SCIMD_ASSIGN_OR_RETURN(KeyRange range, IndexEqRange(tenant, type, term));
  return ScanIds(state_.get(), range, visit);
}

Result<bool> MemStore::HasIndexEntry(core::TenantId tenant, ResourceType type,
                                     const core::IndexTerm& term, const ResourceId& id) {
  SCIMD_ASSIGN_OR_RETURN(std::string key, IndexValueKey(tenant, type, term, id));
  return Get(state_.get(), Cf::kIndex, key).has_value();
}

Result<bool> MemStore::HasPresence(core::TenantId tenant, ResourceType type, core::AttrId attr,
                                   const ResourceId& id) {
  return Get(state_.get(), Cf::kIndex, IndexPresenceKey(tenant, type, attr, id)).has_value();
}

Status MemStore::ScanIndexPrefix(core::TenantId tenant, ResourceType type, core::AttrId attr,
                                 std::string_view prefix, const core::IdVisitor& visit) {
  return ScanIds(state_.get(), IndexStringPrefixRange(tenant, type, attr, prefix), visit);
}

Status MemStore::ScanIndexRange(core::TenantId tenant, ResourceType type, core::AttrId attr,
                                core::IndexValue::Kind kind,
                                const std::optional<core::IndexBound>& lower,
                                const std::optional<core::IndexBound>& upper,
                                const core::IdVisitor& visit) {
  SCIMD_ASSIGN_OR_RETURN(KeyRange range, IndexValueRange(tenant, type, attr, kind, lower, upper));
  return ScanIds(state_.get(), range, visit);
}

Status MemStore::ScanPresence(core::TenantId tenant, ResourceType type, core::AttrId attr,
                              const core::IdVisitor& visit) {
  return ScanIds(state_.get(), IndexPresenceRange(tenant, type, attr), visit);
}

Status MemStore::ScanIndexValuesDescending(core::TenantId tenant, ResourceType type,
                                           core::AttrId attr, core::IndexValue::Kind kind,
                                           const core::IndexEntryVisitor& visit) {
  // RocksStore's walk: from the last entry of a value, the last key at or before that value's
  // key prefix (which sorts before all of its entries) is the last entry of the next smaller
  // value.
  const KeyRange range = IndexKindRange(tenant, type, attr, kind);
  ScanSnapshot snapshot(state_.get());
  std::optional<std::string> to;
  for (;;) {
    std::optional<std::string> key = snapshot.Last(Cf::kIndex, range, to, /*inclusive=*/true);
    if (!key) return Status::Ok();
    SCIMD_ASSIGN_OR_RETURN(ParsedIndexKey parsed, ParseIndexKey(*key));
    if (!visit(parsed.value, parsed.id)) return Status::Ok();
    to = std::string(IndexKeyValuePrefix(*key));
  }
}

Status MemStore::ScanIndexEntries(core::TenantId tenant, ResourceType type, core::AttrId attr,
                                  const core::IndexEntryVisitor& visit) {
  Status parse_error;
  Scan(state_.get(), Cf::kIndex, IndexAttrValuesRange(tenant, type, attr),
       [&](std::string_view key, std::string_view) {
         auto parsed = ParseIndexKey(key);
         if (!parsed.ok()) {
           parse_error = parsed.status();
           return false;
         }
         return visit(parsed->value, parsed->id);
       });
  return parse_error;
}

Status MemStore::ScanUniqueEntries(core::TenantId tenant, ResourceType type, core::AttrId attr,
                                   const core::IndexEntryVisitor& visit) {
  Status parse_error;
  Scan(state_.get(), Cf::kUnique, UniqueAttrRange(tenant, type, attr),
       [&](std::string_view key, std::string_view value) {
         auto parsed = ParseUniqueKey(key);
         if (!parsed.ok() || value.size() != kIdBytes) {
           parse_error = parsed.ok() ? Status::Corruption("unique entry: bad id") : parsed.status();
           return false;
         }
         return visit(parsed->term.value, ResourceId::FromBytes(value));
       });
  return parse_error;
}

Result<std::optional<ResourceId>> MemStore::LookupUnique(core::TenantId tenant, ResourceType type,
                                                         const core::IndexTerm& term) {
  SCIMD_ASSIGN_OR_RETURN(std::string key, UniqueKey(tenant, type, term));
  std::optional<std::string> value = Get(state_.get(), Cf::kUnique, key);
  if (!value) return std::optional<ResourceId>();
  if (value->size() != kIdBytes) return Status::Corruption("unique value: bad size");
  return std::optional<ResourceId>(ResourceId::FromBytes(*value));
}

Status MemStore::ScanMembers(core::TenantId tenant, const ResourceId& group,
                             const std::optional<ResourceId>& start_after,
                             const core::MemberVisitor& visit) {
  return ScanMembersIn(ScanSnapshot(state_.get()), tenant, group, start_after, visit);
}

Status MemStore::ScanMemberOf(core::TenantId tenant, const ResourceId& member,
                              const core::IdVisitor& visit) {
  Status parse_error;
  Scan(state_.get(), Cf::kMemberOf, PrefixRange(MemberOfPrefix(tenant, member)),
       [&](std::string_view key, std::string_view) {
         auto edge = ParseEdgeKey(key);
         if (!edge.ok()) {
           parse_error = edge.status();
           return false;
         }
         return visit(edge->second);
       });
  return parse_error;
}

Status MemStore::ScanEdges(core::TenantId tenant, bool mirror, const core::EdgeVisitor& visit) {
  Status parse_error;
  Scan(state_.get(), mirror ? Cf::kMemberOf : Cf::kMembers, TenantRange(tenant),
       [&](std::string_view key, std::string_view) {
         return VisitEdgeKey(key, mirror, visit, &parse_error);
       });
  return parse_error;
}

Result<uint64_t> MemStore::CountMembers(core::TenantId tenant, const ResourceId& group) {
  return ReadCounter(state_.get(), MemberCountKey(tenant, group));
}

// ---- tenants and tokens: each call is one hold of the mutex, so it is atomic ------------

Result<core::TenantRecord> MemStore::CreateTenant(std::string_view name) {
  if (name.empty() || name.size() > kMaxTenantNameBytes) {
    return Status::InvalidValue("tenant name must be 1 to 253 bytes");
  }
  std::lock_guard<std::mutex> lock(state_->mu);
  const std::string name_key = TenantNameKey(name);
  if (state_->Read(Cf::kTenants, name_key)) return Status::Uniqueness("tenant name already exists");
  const std::string seq_key(kTenantSeqKey);
  TenantId id = 1;  // 0 is never a tenant
  if (std::optional<std::string> seq = state_->Read(Cf::kTenants, seq_key)) {
    SCIMD_ASSIGN_OR_RETURN(id, DecodeTenantId(*seq));
  }
  if (id == 0 || id == UINT32_MAX) return Status::IoError("tenant ids exhausted");

  core::TenantRecord record;
  record.id = id;
  record.name.assign(name);
  record.created_unix = NowUnix();
  state_->Write(Cf::kTenants, seq_key, EncodeTenantId(id + 1));
  state_->Write(Cf::kTenants, name_key, EncodeTenantId(id));
  state_->Write(Cf::kTenants, TenantIdKey(id), EncodeTenantRecord(record));
  return record;
}

Result<std::optional<core::TenantRecord>> MemStore::FindTenant(std::string_view name) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::optional<std::string> value = state_->Read(Cf::kTenants, TenantNameKey(name));
  if (!value) return std::optional<core::TenantRecord>();
  SCIMD_ASSIGN_OR_RETURN(TenantId id, DecodeTenantId(*value));
  return ReadTenantLocked(*state_, id);
}

Result<std::optional<core::TenantRecord>> MemStore::GetTenant(TenantId id) {
  std::lock_guard<std::mutex> lock(state_->mu);
  return ReadTenantLocked(*state_, id);
}

Result<std::vector<core::TenantRecord>> MemStore::ListTenants() {
  std::vector<core::TenantRecord> out;
  Status parse_error;
  std::lock_guard<std::mutex> lock(state_->mu);
  ForEachIn(state_->data[Cf::kTenants], TenantIdKeyRange(),
            [&](const std::string&, const std::string& value) {
              if (!parse_error.ok()) return;
              auto record = DecodeTenantRecord(value);
              if (!record.ok()) {
                parse_error = record.status();
                return;
              }
              out.push_back(std::move(*record));
            });
  SCIMD_RETURN_IF_ERROR(parse_error);
  return out;
}

Status MemStore::PutTenantSettings(TenantId id,
                                   const std::map<std::string, std::string>& settings) {
  std::lock_guard<std::mutex> lock(state_->mu);
  SCIMD_ASSIGN_OR_RETURN(std::optional<core::TenantRecord> record, ReadTenantLocked(*state_, id));
  if (!record) return Status::NotFound("no such tenant");
  record->settings = settings;
  state_->Write(Cf::kTenants, TenantIdKey(id), EncodeTenantRecord(*record));
  return Status::Ok();
}

Status MemStore::PutToken(const core::TokenRecord& token) {
  SCIMD_RETURN_IF_ERROR(ValidateTokenRecord(token));
  std::lock_guard<std::mutex> lock(state_->mu);
  if (!state_->Read(Cf::kTenants, TenantIdKey(token.tenant))) {
    return Status::NotFound("no such tenant");
  }
  const std::string key = TokenKey(token.token_id);
  if (std::optional<std::string> value = state_->Read(Cf::kTokens, key)) {
    SCIMD_ASSIGN_OR_RETURN(core::TokenRecord old, DecodeTokenRecord(token.token_id, *value));
    if (old.tenant != token.tenant) {
      state_->Write(Cf::kTokens, TokenByTenantKey(old.tenant, token.token_id), std::nullopt);
    }
  }
  state_->Write(Cf::kTokens, key, EncodeTokenRecord(token));
  state_->Write(Cf::kTokens, TokenByTenantKey(token.tenant, token.token_id), std::string());
  return Status::Ok();
}

Status MemStore::UpdateToken(std::string_view token_id,
                             const std::function<Status(core::TokenRecord& token)>& change) {
  std::lock_guard<std::mutex> lock(state_->mu);
  const std::string key = TokenKey(token_id);
  std::optional<std::string> value = state_->Read(Cf::kTokens, key);
  if (!value) return Status::NotFound("no such token");
  SCIMD_ASSIGN_OR_RETURN(core::TokenRecord token, DecodeTokenRecord(token_id, *value));
  const core::TenantId tenant = token.tenant;
  SCIMD_RETURN_IF_ERROR(change(token));
  SCIMD_RETURN_IF_ERROR(CheckTokenUpdate(token, token_id, tenant));
  state_->Write(Cf::kTokens, key, EncodeTokenRecord(token));
  return Status::Ok();
}

Status MemStore::DeleteToken(std::string_view token_id) {
  std::lock_guard<std::mutex> lock(state_->mu);
  const std::string key = TokenKey(token_id);
  std::optional<std::string> value = state_->Read(Cf::kTokens, key);
  if (!value) return Status::NotFound("no such token");
  SCIMD_ASSIGN_OR_RETURN(core::TokenRecord old, DecodeTokenRecord(token_id, *value));
  state_->Write(Cf::kTokens, key, std::nullopt);
  state_->Write(Cf::kTokens, TokenByTenantKey(old.tenant, token_id), std::nullopt);
  return Status::Ok();
}

Result<std::optional<core::TokenRecord>> MemStore::LookupToken(std::string_view token_id) {
  std::optional<std::string> value = Get(state_.get(), Cf::kTokens, TokenKey(token_id));
  if (!value) return std::optional<core::TokenRecord>();
  SCIMD_ASSIGN_OR_RETURN(core::TokenRecord record, DecodeTokenRecord(token_id, *value));
  return std::optional<core::TokenRecord>(std::move(record));
}

Result<std::vector<core::TokenRecord>> MemStore::ListTokens(core::TenantId tenant) {
  std::vector<std::string> ids;
  std::vector<core::TokenRecord> out;
  std::lock_guard<std::mutex> lock(state_->mu);
  Status parse_error;
  ForEachIn(state_->data[Cf::kTokens], TokenByTenantRange(tenant),
            [&](const std::string& key, const std::string&) {
              auto parsed = ParseTokenByTenantKey(key);
              if (!parsed.ok()) {
                parse_error = parsed.status();
                return;
              }
              ids.push_back(std::move(parsed->token_id));
            });
  SCIMD_RETURN_IF_ERROR(parse_error);
  for (const std::string& id : ids) {
    std::optional<std::string> value = state_->Read(Cf::kTokens, TokenKey(id));
    if (!value) continue;
    SCIMD_ASSIGN_OR_RETURN(core::TokenRecord record, DecodeTokenRecord(id, *value));
    out.push_back(std::move(record));
  }
  return out;
}

}  // namespace scimd::storage

// ---- the activity log (changelog family) ----------------------------------------------

namespace scimd::storage {

Status MemStore::AppendActivity(const std::vector<core::ActivityWrite>& writes) {
  for (const auto& w : writes) {
    if (w.sequence == 0) return Status::InvalidValue("activity sequence numbers start at 1");
  }
  std::lock_guard<std::mutex> lock(state_->mu);
  for (const auto& w : writes) {
    state_->Write(Cf::kChangelog, ChangelogKey(w.tenant, w.sequence), w.record);
  }
  return Status::Ok();
}

Status MemStore::ScanActivity(core::TenantId tenant, uint64_t before,
                              const core::ActivityVisitor& visit) {
  // Backwards key by key (RocksStore's SeekForPrev walk); entries are never rewritten, so a
  // value read after its key was found is the one the scan began with, unless pruned.
  const KeyRange range = ChangelogRange(tenant);
  ScanSnapshot snapshot(state_.get());
  std::optional<std::string> to;
  if (before != 0) to = ChangelogKey(tenant, before);
  for (;;) {
    std::optional<std::string> key = snapshot.Last(Cf::kChangelog, range, to, /*inclusive=*/false);
    if (!key) return Status::Ok();
    SCIMD_ASSIGN_OR_RETURN(ParsedChangelogKey parsed, ParseChangelogKey(*key));
    if (std::optional<std::string> value = Get(state_.get(), Cf::kChangelog, *key)) {
      if (!visit(parsed.sequence, *value)) return Status::Ok();
    }
    to = std::move(key);
  }
}

Status MemStore::ScanActivityOldest(core::TenantId tenant, const core::ActivityVisitor& visit) {
  Status parse_error;
  Scan(state_.get(), Cf::kChangelog, ChangelogRange(tenant),
       [&](std::string_view key, std::string_view value) {
         auto parsed = ParseChangelogKey(key);
         if (!parsed.ok()) {
           parse_error = parsed.status();
           return false;
         }
         return visit(parsed->sequence, value);
       });
  return parse_error;
}

Status MemStore::DeleteActivityBefore(core::TenantId tenant, uint64_t sequence) {
  std::vector<std::string> gone;
  SCIMD_RETURN_IF_ERROR(ScanActivityOldest(tenant, [&](uint64_t seq, std::string_view) {
    if (seq >= sequence) return false;
    gone.push_back(ChangelogKey(tenant, seq));
    return true;
  }));
  std::lock_guard<std::mutex> lock(state_->mu);
  for (const auto& key : gone) state_->Write(Cf::kChangelog, key, std::nullopt);
  return Status::Ok();
}

}  // namespace scimd::storage

namespace scimd::storage {

Result<bool> MemStore::DeleteTenant(core::TenantId id) {
  SCIMD_ASSIGN_OR_RETURN(std::optional<core::TenantRecord> record, GetTenant(id));
  SCIMD_ASSIGN_OR_RETURN(std::vector<core::TokenRecord> tokens, ListTokens(id));
  std::string prefix;
  AppendU32(&prefix, id);
  const KeyRange data = PrefixRange(prefix);
  ResourceGenerations::Change change(&state_->generations, id, ResourceGenerations::kAllTypes);
  std::lock_guard<std::mutex> lock(state_->mu);
  for (Cf cf : {Cf::kResources, Cf::kIndex, Cf::kUnique, Cf::kMembers, Cf::kMemberOf, Cf::kCounters,
                Cf::kChangelog}) {
    std::vector<std::string> keys;
    ForEachIn(state_->data[cf], data,
              [&](const std::string& key, const std::string&) { keys.push_back(key); });
    for (const auto& k : keys) state_->Write(cf, k, std::nullopt);
  }
  for (const auto& t : tokens) {
    state_->Write(Cf::kTokens, TokenKey(t.token_id), std::nullopt);
    state_->Write(Cf::kTokens, TokenByTenantKey(id, t.token_id), std::nullopt);
  }
  if (record) {
    state_->Write(Cf::kTenants, TenantNameKey(record->name), std::nullopt);
    state_->Write(Cf::kTenants, TenantIdKey(id), std::nullopt);
  }
  return record.has_value();
}

}  // namespace scimd::storage
