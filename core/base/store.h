// The store interface that core defines and storage/ implements (RocksDB). core never
// sees keys or column families: it speaks in tenants, resource ids, index terms and
// membership edges. Every method is safe to call from any thread; a Transaction is
// used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/ids.h"
#include "core/base/status.h"

namespace scimd::core {

// Identifies an indexed attribute, e.g. User userName. Persisted in index keys: an
// attribute's number never changes once assigned (SchemaRegistry numbers the built-in
// ones, core/tenancy/tenant_index.h a tenant's own; storage/FORMAT.md).
using AttrId = uint16_t;

// A value in its index form. Strings arrive already normalized by core (case-folded
// when the attribute is caseExact=false); storage turns each kind into bytes that sort
// in the value's natural order (storage/key_codec.h).
struct IndexValue {
  // Persisted as part of the encoding choice: do not change the values.
  enum class Kind : uint8_t {
    kString = 1,
    kInteger = 2,
    kDecimal = 3,
    kBoolean = 4,
    kDateTime = 5,  // microseconds since the Unix epoch, in `integer`
  };
  Kind kind = Kind::kString;
  std::string string;
  int64_t integer = 0;
  double decimal = 0;
  bool boolean = false;

  static IndexValue String(std::string s) {
    IndexValue v;
    v.kind = Kind::kString;
    v.string = std::move(s);
    return v;
  }
  static IndexValue Integer(int64_t i) {
    IndexValue v;
    v.kind = Kind::kInteger;
    v.integer = i;
    return v;
  }
  static IndexValue Decimal(double d) {
    IndexValue v;
    v.kind = Kind::kDecimal;
    v.decimal = d;
    return v;
  }
  static IndexValue Boolean(bool b) {
    IndexValue v;
    v.kind = Kind::kBoolean;
    v.boolean = b;
    return v;
  }
  static IndexValue DateTime(int64_t micros) {
    IndexValue v;
    v.kind = Kind::kDateTime;
    v.integer = micros;
    return v;
  }
  bool operator==(const IndexValue&) const = default;
};

// One end of a gt/ge/lt/le range over an index.
struct IndexBound {
  IndexValue value;
  bool inclusive = true;
};

struct IndexTerm {
  AttrId attr = 0;
  IndexValue value;
  bool operator==(const IndexTerm&) const = default;
};

// A tenant and its settings (free-form name=value pairs validated by core).
struct TenantRecord {
  TenantId id = 0;
  std::string name;
  int64_t created_unix = 0;
  std::map<std::string, std::string> settings;
};

// A bearer token as stored: never the token itself, only its SHA-256 hash.
struct TokenRecord {
  // What a token may do. Persisted: do not change the values.
  enum class Scope : uint8_t {
    kScim = 1,      // "scim": read and write the tenant's Users and Groups
    kScimRead = 2,  // "scim:read": read only; writes are refused with 403
  };
  std::string token_id;  // public, non-secret part of the token (16 hex chars)
  std::string hash;      // 32 raw bytes: SHA-256 of the whole token
  TenantId tenant = 0;
  int64_t created_unix = 0;
  Scope scope = Scope::kScim;
  std::string description;     // the admin's label, e.g. "Entra production"
  int64_t expires_unix = 0;    // 401 from this second on; 0: never
  int64_t last_used_unix = 0;  // coarse (core/tenancy/token_usage.h); 0: never used
};

// A read-write transaction over one tenant's data. Writes become visible together at
// Commit. Lock conflicts never wait: a method that would block returns Busy, and the
// caller rolls back (destroys the transaction) and retries the whole operation. There is
// no snapshot: conflicts surface only as Busy from the method that asks for a lock, so
// what a transaction read under a lock stays true until it ends. REQUIRES: destroyed
// before the Store that began it.
class Transaction {
 public:
  virtual ~Transaction() = default;

  // Reads a stored resource value and locks it until the transaction ends.
  // NotFound if absent, Busy if another transaction holds the lock.
  virtual Result<std::string> GetResourceForUpdate(ResourceType type, const ResourceId& id) = 0;
  virtual Status PutResource(ResourceType type, const ResourceId& id, std::string_view value) = 0;
  virtual Status DeleteResource(ResourceType type, const ResourceId& id) = 0;
  // Adds `delta` to the tenant's count of resources of `type` (never conflicts).
  virtual Status AdjustResourceCount(ResourceType type, int64_t delta) = 0;

  // Value index entries (attr, value, id) and presence entries (attr, id). They take no
  // lock and never answer Busy (they contain the id: writers of one resource already meet
  // on its key); with two open transactions writing the same entry, the later commit wins.
  virtual Status AddIndex(ResourceType type, const IndexTerm& term, const ResourceId& id) = 0;
  virtual Status RemoveIndex(ResourceType type, const IndexTerm& term, const ResourceId& id) = 0;
  virtual Status AddPresence(ResourceType type, AttrId attr, const ResourceId& id) = 0;
  virtual Status RemovePresence(ResourceType type, AttrId attr, const ResourceId& id) = 0;

  // Reserves a unique value (e.g. userName) for `id`. Ok if free or already held by
  // `id`; Uniqueness if another resource holds it; Busy if locked by another writer.
  virtual Status ClaimUnique(ResourceType type, const IndexTerm& term, const ResourceId& id) = 0;
  virtual Status ReleaseUnique(ResourceType type, const IndexTerm& term) = 0;

  // Membership edges (members and member_of together). Each returns whether it changed
  // anything; adding a present edge or removing an absent one costs one read. `display`
  // is the client's label for the member (members.display), kept with the edge.
  virtual Result<bool> AddMember(const ResourceId& group, const ResourceId& member,
                                 ResourceType member_type, std::string_view display = {}) = 0;
  virtual Result<bool> RemoveMember(const ResourceId& group, const ResourceId& member) = 0;
  // Removes every edge from `group` to its members and returns how many there were
  // (time O(members); ~80 bytes of commit batch per edge, no lock per edge). Later calls
  // on `group` in the same transaction see it empty. Busy while another open transaction
  // has called AddMember or RemoveMember on `group` (even one that changed nothing: both
  // hold the group's membership lock shared), and vice versa.
  virtual Result<uint64_t> RemoveAllMembers(const ResourceId& group) = 0;
  // Removes `member` from every group it belongs to (O(groups of member)). It does not
  // lock the member's list of groups: REQUIRES the caller to hold the member's resource
  // lock (GetResourceForUpdate), as AddMember's callers check the member under the same
  // lock, so no edge to a deleted member can be committed.
  virtual Status RemoveFromAllGroups(const ResourceId& member) = 0;

  // Repairs only (core/usecase/check.h, `scimctl check --repair`), for a store whose
  // halves disagree: adds `delta` to `group`'s member count; writes (`present`) or removes
  // the member_of entry (member, group) alone, whatever the members family holds. Neither
  // takes a lock.
  virtual Status AdjustMemberCount(const ResourceId& group, int64_t delta) = 0;
  virtual Status SetMemberOfEntry(const ResourceId& member, const ResourceId& group,
                                  bool present) = 0;

  // IoError if the store failed. (Busy is reserved for a store that detects conflicts at
  // commit; neither RocksStore nor MemStore does: their conflicts are lock requests.)
  virtual Status Commit() = 0;
};

// Visitor callbacks return true to continue, false to stop early.
using IdVisitor = std::function<bool(const ResourceId& id)>;
using ResourceVisitor = std::function<bool(const ResourceId& id, std::string_view value)>;
using OptionalResourceVisitor =
    std::function<bool(const ResourceId& id, std::optional<std::string_view> value)>;
using IndexEntryVisitor = std::function<bool(const IndexValue& value, const ResourceId& id)>;
using MemberVisitor =
    std::function<bool(const ResourceId& member, ResourceType type, std::string_view display)>;
using EdgeVisitor = std::function<bool(const ResourceId& group, const ResourceId& member)>;

// One entry of a tenant's activity log (the changelog family): the caller numbers them
// (> 0, increasing per tenant) and encodes the record (core/tenancy/activity.h).
struct ActivityWrite {
  TenantId tenant = 0;
  uint64_t sequence = 0;
  std::string record;
};
using ActivityVisitor = std::function<bool(uint64_t sequence, std::string_view record)>;

// One tenant's resources and memberships as they were at one moment (an export reads a
// whole tenant while scimd keeps serving): writes committed after View() returned are not
// seen, however long the scans take. Used by one thread at a time; REQUIRES: destroyed
// before the Store.
class StoreView {
 public:
  virtual ~StoreView() = default;
  virtual Status ScanResources(ResourceType type, const std::optional<ResourceId>& start_after,
                               const ResourceVisitor& visit) = 0;
  virtual Status ScanMembers(const ResourceId& group, const std::optional<ResourceId>& start_after,
                             const MemberVisitor& visit) = 0;
};

// Loading many resources into one tenant at once (scimctl import): entries are handed over
// in any order, kept beside the store (RocksStore sorts them into SST files), and become
// visible together at Commit, or never: a load destroyed without Commit, a failed Commit
// or a process killed at any point leaves the store as it was (a later Open removes what a
// killed load left on disk). The caller guarantees what a transaction's locks would: no
// two entries with the same key, no id or unique value that the store already holds, no
// edge to a member that is neither loaded nor stored, and no concurrent write to what it
// loads (scimd refuses the tenant's writes meanwhile). Used by one thread at a time;
// REQUIRES: destroyed before the Store.
class BulkLoad {
 public:
  virtual ~BulkLoad() = default;
  virtual Status PutResource(ResourceType type, const ResourceId& id, std::string_view value) = 0;
  virtual Status AddIndex(ResourceType type, const IndexTerm& term, const ResourceId& id) = 0;
  virtual Status AddPresence(ResourceType type, AttrId attr, const ResourceId& id) = 0;
  virtual Status AddUnique(ResourceType type, const IndexTerm& term, const ResourceId& id) = 0;
  // An edge with its member count (members and member_of, and the group's counter).
  virtual Status AddMember(const ResourceId& group, const ResourceId& member,
                           ResourceType member_type, std::string_view display) = 0;
  // Adds to the tenant's count of resources of `type`.
  virtual Status AdjustResourceCount(ResourceType type, int64_t delta) = 0;
  // Makes every entry visible at once. Corruption if two entries had the same key (nothing
  // is then visible); IoError when the disk fails or is full (nothing is visible either).
  virtual Status Commit() = 0;
  // Bytes handed over so far (keys and values, before compression).
  virtual uint64_t bytes() const = 0;
};

// The storage engine's backlog (Store::EngineStats): compaction debt is what makes writes
// slow down or stop after a large load (docs/PERFORMANCE.md, "The write path").
struct StoreEngineStats {
  uint64_t pending_compaction_bytes = 0;  // estimated bytes compactions still have to rewrite
  uint64_t level0_files = 0;              // files in level 0, all column families
  uint64_t memtable_bytes = 0;            // memtables, active and waiting to flush
  uint64_t running_compactions = 0;
  uint64_t running_flushes = 0;
  bool writes_stopped = false;      // the engine refuses writes until it catches up
  uint64_t delayed_write_rate = 0;  // bytes/s writes are slowed to; 0: not slowed
  // Since the store opened:
  uint64_t block_cache_hits = 0;
  uint64_t block_cache_misses = 0;
  uint64_t stall_micros = 0;       // writes held back by the engine
  uint64_t block_cache_bytes = 0;  // in the block cache now
};

// Moving a tenant to another store (issue #21, `scimctl tenant move`; storage/FORMAT.md,
// "Moving a tenant", has the pages' layout). The source reads the tenant's key range from
// one snapshot in pages, then the changes committed after it from the engine's log; the
// sink, in another store, writes them under its own tenant id: the range into sorted
// files ingested at once, each page of changes in one atomic batch. Pages hold whole
// commits, so after each the sink's copy is the source's at one sequence number.
class TenantMoveSource {
 public:
  virtual ~TenantMoveSource() = default;
  // The snapshot's sequence number: ReadChanges starts after it.
  virtual uint64_t sequence() const = 0;
  // Appends about `max_bytes` of the snapshot's entries that follow `*cursor` (empty: from
  // the first) to `out`, and moves the cursor; `*done` once the last entry is in.
  virtual Status ReadRange(std::string* cursor, size_t max_bytes, std::string* out, bool* done) = 0;
  // Appends the tenant's changes committed after `*since`, whole commits of about
  // `max_bytes` in all, and moves `*since` to the last commit read; `*more` when there
  // are further ones. NotFound when the engine's log no longer holds them.
  virtual Status ReadChanges(uint64_t* since, size_t max_bytes, std::string* out, bool* more) = 0;
  // The tenant's settings and tokens (their hashes) as they are now.
  virtual Result<std::string> ReadTenantRecords() = 0;
};

class TenantMoveSink {
 public:
  virtual ~TenantMoveSink() = default;
  // Pages of ReadRange, in order; FinishRange makes them part of the store, all at once.
  virtual Status AddRange(std::string_view page) = 0;
  virtual Status FinishRange() = 0;
  // A page of ReadChanges (after FinishRange), in one atomic write.
  virtual Status ApplyChanges(std::string_view page) = 0;
  // What ReadTenantRecords returned: settings and tokens, which make the tenant reachable.
  virtual Status ApplyTenantRecords(std::string_view records) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // A consistent view of the tenant's resources and memberships as of now.
  virtual std::unique_ptr<StoreView> View(TenantId tenant) = 0;
  // A new bulk load into the tenant (IoError if its staging area cannot be made).
  virtual Result<std::unique_ptr<BulkLoad>> BeginBulkLoad(TenantId tenant) = 0;

  virtual std::unique_ptr<Transaction> Begin(TenantId tenant) = 0;

  // Reads, without locks. Each call reads one consistent state of the store (a scan sees
  // it as of its start); two calls may see different states. Index values that are NaN
  // are refused with InvalidValue (they have no place in the order).
  virtual Result<std::string> GetResource(TenantId tenant, ResourceType type,
                                          const ResourceId& id) = 0;  // NotFound if absent
  // The resources `ids` (ascending, no repeats) as one read: `visit` gets each id in turn
  // with its stored value, or nullopt when there is none; false from `visit` stops. One
  // call costs far less than a GetResource per id (a filter's candidates, in batches).
  virtual Status GetResources(TenantId tenant, ResourceType type,
                              const std::vector<ResourceId>& ids,
                              const OptionalResourceVisitor& visit) = 0;
  // Resources of `type` in id order, starting after `start_after` when given.
  virtual Status ScanResources(TenantId tenant, ResourceType type,
                               const std::optional<ResourceId>& start_after,
                               const ResourceVisitor& visit) = 0;
  virtual Result<uint64_t> CountResources(TenantId tenant, ResourceType type) = 0;
  // Which set of ids the tenant's resources of `type` form, as a number, for caches of
  // positions in id order (core/usecase/page_cursors.h). nullopt while a commit that adds
  // or removes such resources (a transaction with AdjustResourceCount or DeleteResource, a
  // BulkLoad, DeleteTenant) is under way. If two calls return the same value, no resource
  // of `type` was added to or removed from the tenant between them, and every read made
  // between them sees the same set of ids. Kept in memory (a new Store starts afresh) and
  // shared between pairs: a value may change without a change of this pair's set.
  virtual std::optional<uint64_t> ResourceSetGeneration(TenantId tenant, ResourceType type) = 0;
  // Ids whose index entry for term.attr equals term.value exactly, in id order.
  virtual Status ScanIndexEq(TenantId tenant, ResourceType type, const IndexTerm& term,
                             const IdVisitor& visit) = 0;
  // Whether `id` has the index entry `term` / a presence entry for `attr`: one point read,
  // how an Intersect checks a candidate against its other terms without fetching it.
  virtual Result<bool> HasIndexEntry(TenantId tenant, ResourceType type, const IndexTerm& term,
                                     const ResourceId& id) = 0;
  virtual Result<bool> HasPresence(TenantId tenant, ResourceType type, AttrId attr,
                                   const ResourceId& id) = 0;
  // sw: ids whose string entry for `attr` starts with `prefix` (already normalized), in
  // value order then id order (an id may repeat for a multi-valued attribute).
  virtual Status ScanIndexPrefix(TenantId tenant, ResourceType type, AttrId attr,
                                 std::string_view prefix, const IdVisitor& visit) = 0;
  // gt/ge/lt/le: ids whose entry of `kind` for `attr` lies within the bounds (a missing
  // bound is open), in value order then id order. InvalidValue for a bound of another kind.
  virtual Status ScanIndexRange(TenantId tenant, ResourceType type, AttrId attr,
                                IndexValue::Kind kind, const std::optional<IndexBound>& lower,
                                const std::optional<IndexBound>& upper, const IdVisitor& visit) = 0;
  // Ids that have a presence entry for attr, in id order.
  virtual Status ScanPresence(TenantId tenant, ResourceType type, AttrId attr,
                              const IdVisitor& visit) = 0;
  // sortOrder=descending over an index: the distinct values of `kind` for `attr`, in
  // descending value order, each with the largest id holding it (ScanIndexEq gives all
  // of them in id order). Costs one seek per distinct value.
  virtual Status ScanIndexValuesDescending(TenantId tenant, ResourceType type, AttrId attr,
                                           IndexValue::Kind kind,
                                           const IndexEntryVisitor& visit) = 0;
  // Rebuilds (scimctl reindex): every value entry of `attr`, all kinds, in kind, value,
  // then id order; and every unique entry of `attr` with the id holding it.
  virtual Status ScanIndexEntries(TenantId tenant, ResourceType type, AttrId attr,
                                  const IndexEntryVisitor& visit) = 0;
  virtual Status ScanUniqueEntries(TenantId tenant, ResourceType type, AttrId attr,
                                   const IndexEntryVisitor& visit) = 0;
  virtual Result<std::optional<ResourceId>> LookupUnique(TenantId tenant, ResourceType type,
                                                         const IndexTerm& term) = 0;
  // A group's members in member-id order, starting after `start_after` when given.
  virtual Status ScanMembers(TenantId tenant, const ResourceId& group,
                             const std::optional<ResourceId>& start_after,
                             const MemberVisitor& visit) = 0;
  // The groups that `member` belongs to directly, in group-id order.
  virtual Status ScanMemberOf(TenantId tenant, const ResourceId& member,
                              const IdVisitor& visit) = 0;
  virtual Result<uint64_t> CountMembers(TenantId tenant, const ResourceId& group) = 0;
  // Checking (core/usecase/check.h): every membership edge of the tenant as (group,
  // member), read from the members family (`mirror` false; group, then member order) or
  // from its member_of mirror (true; member, then group order).
  virtual Status ScanEdges(TenantId tenant, bool mirror, const EdgeVisitor& visit) = 0;

  // Tenants and tokens. Writes here may answer Busy when another admin write holds the
  // tenants' lock (RocksStore waits 100 ms for it first); the caller may retry.
  virtual Result<TenantRecord> CreateTenant(std::string_view name) = 0;  // Uniqueness if taken
  virtual Result<std::optional<TenantRecord>> FindTenant(std::string_view name) = 0;
  virtual Result<std::optional<TenantRecord>> GetTenant(TenantId id) = 0;
  virtual Result<std::vector<TenantRecord>> ListTenants() = 0;
  virtual Status PutTenantSettings(TenantId id,
                                   const std::map<std::string, std::string>& settings) = 0;
  // Removes a tenant with everything it holds: its record and name, its tokens, and all
  // its resources, index entries, edges, counters and activity, in one batch. True if the
  // record existed. Idempotent: run again, it removes data a request in flight wrote
  // after the first run (the tenant's ids are never handed out again).
  virtual Result<bool> DeleteTenant(TenantId id) = 0;
  // Writes a token record, new or changed (the token id is its key).
  virtual Status PutToken(const TokenRecord& token) = 0;
  // Removes a token record; NotFound if there is none.
  virtual Status DeleteToken(std::string_view token_id) = 0;
  // Reads, changes and writes back one token record atomically (no other token write can
  // come between): how an expiry or last use is updated without racing a revoke or
  // another update. NotFound if there is no such record (nothing is written then); the
  // change may not move the token to another tenant (InvalidValue); an error from
  // `change` is returned and nothing is written.
  virtual Status UpdateToken(std::string_view token_id,
                             const std::function<Status(TokenRecord& token)>& change) = 0;
  virtual Result<std::optional<TokenRecord>> LookupToken(std::string_view token_id) = 0;
  virtual Result<std::vector<TokenRecord>> ListTokens(TenantId tenant) = 0;

  // The activity log. Writes the entries together (one batch; no lock: the single writer
  // owns the sequence numbers) and never conflicts with resource transactions.
  virtual Status AppendActivity(const std::vector<ActivityWrite>& writes) = 0;
  // The tenant's largest sequence number, 0 when its log is empty.
  Result<uint64_t> LastActivitySequence(TenantId tenant) {
    uint64_t last = 0;
    SCIMD_RETURN_IF_ERROR(ScanActivity(tenant, 0, [&](uint64_t sequence, std::string_view) {
      last = sequence;
      return false;
    }));
    return last;
  }
  // The tenant's entries newest first, from the one below `before` (0: from the newest).
  virtual Status ScanActivity(TenantId tenant, uint64_t before, const ActivityVisitor& visit) = 0;
  // The tenant's entries oldest first (what pruning by age reads).
  virtual Status ScanActivityOldest(TenantId tenant, const ActivityVisitor& visit) = 0;
  // Removes the tenant's entries numbered below `sequence`.
  virtual Status DeleteActivityBefore(TenantId tenant, uint64_t sequence) = 0;

  // What the storage engine has to catch up on, for an operator (the admin API's
  // GET /admin/v1/store): a store without background work (MemStore) has none.
  virtual Result<StoreEngineStats> EngineStats() { return StoreEngineStats{}; }

  // Writes a small record outside every tenant and reads it back: Ok when the store takes
  // writes now, else what a write would get (Unavailable on a full disk or a read-only
  // data directory). What /readyz asks; not durable by itself (no fsync).
  virtual Status ProbeWrite() = 0;

  // A consistent copy of the whole store, every tenant, as of now, in `dir` (which must not
  // exist; its parent must): what a restore opens as a data directory. Writes go on
  // meanwhile. RocksStore makes a RocksDB checkpoint (hard links on the same file system);
  // MemStore has nothing to copy (NotImplemented).
  virtual Status Checkpoint(const std::string& dir) = 0;

  // A tenant's move out of this store, or into it (TenantMoveSource/Sink above). While a
  // source is open the engine keeps its log (no log file is deleted), so it must not be
  // kept open for long. The sink's tenant must exist and hold nothing. A store that cannot
  // move tenants (MemStore) answers NotImplemented.
  virtual Result<std::unique_ptr<TenantMoveSource>> BeginMoveOut(TenantId /*tenant*/) {
    return Status::NotImplemented("this store cannot move tenants");
  }
  virtual Result<std::unique_ptr<TenantMoveSink>> BeginMoveIn(TenantId /*tenant*/) {
    return Status::NotImplemented("this store cannot move tenants");
  }
  // Refuses the tenant's commits (Unavailable) until UnfenceTenant, after waiting for every
  // commit of it that began before: once it returns, the tenant's data no longer changes.
  virtual Status FenceTenant(TenantId /*tenant*/) {
    return Status::NotImplemented("this store cannot fence tenants");
  }
  virtual void UnfenceTenant(TenantId /*tenant*/) {}
};

}  // namespace scimd::core
