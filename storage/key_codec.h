// Key codec: the ONE place where storage keys are built and parsed. storage/FORMAT.md has
// the same layout as a grammar; the two must change together. Every key and every value
// encoding below is persisted: changing one needs a format version bump and a migration.
// Pure functions, no I/O, safe from any thread.
//
// Notation: BE = big-endian, | = concatenation, id = 16 raw bytes of a ResourceId.
// Every per-tenant key starts with the tenant id so that one tenant is one contiguous key
// range [tenant, tenant + 1) in every per-tenant column family.
//
//   CF resources   tenant(4 BE) | type(1) | id(16)                          -> resource bytes
//   CF index       tenant | type | attr(2 BE) | 0x02 | value | id(16)       -> ""  (value)
//                  tenant | type | attr(2 BE) | 0x01 | id(16)               -> ""  (presence)
//   CF unique      tenant | type | attr(2 BE) | value                       -> id(16)
//   CF members     tenant | group id(16) | member id(16)                    -> member type(1)
//   CF member_of   tenant | member id(16) | group id(16)                    -> ""
//   CF counters    tenant | 0x01 | type(1)                                  -> u64 LE (merge add)
//                  tenant | 0x02 | group id(16)                             -> u64 LE (merge add)
//   CF changelog   tenant | sequence(8 BE)                                  -> change record
//   CF tenants     "n" | name                                               -> tenant(4 BE)
//                  "t" | tenant(4 BE)                                       -> tenant record
//                  "seq"                                                    -> next tenant(4 BE)
//   CF tokens      "k" | token_id                                           -> token record
//                  "x" | tenant(4 BE) | token_id                            -> ""
//
// An index/unique `value` is a kind tag followed by an order-preserving body:
//
//   value   = kind(1) | body          kind = core::IndexValue::Kind (1..5)
//   string  : each byte b != 0x00 as b, 0x00 as 0x00 0xFF, then terminator 0x00 0x01
//   integer : 8 bytes BE of (uint64(v) XOR 1<<63)            (sign bit flipped)
//   datetime: same as integer (microseconds since the Unix epoch)
//   decimal : 8 bytes BE of the IEEE-754 bits: negative -> all bits flipped, otherwise
//             sign bit flipped; -0.0 is stored as 0.0 and NaN is rejected
//   boolean : one byte 0x00 (false) or 0x01 (true)
//
// Bodies compare bytewise (memcmp, RocksDB's default comparator) in the value's natural
// order and are self-delimiting, so the id can follow and `eq` is one exact prefix, `sw`
// is the escaped prefix without terminator, and gt/ge/lt/le are plain key ranges.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/ids.h"
#include "core/base/status.h"
#include "core/base/store.h"

namespace scimd::storage {

using core::AttrId;
using core::IndexTerm;
using core::IndexValue;
using core::ResourceId;
using core::ResourceType;
using core::TenantId;

// Column family names. Persisted: do not change.
inline constexpr char kCfResources[] = "resources";
inline constexpr char kCfIndex[] = "index";
inline constexpr char kCfUnique[] = "unique";
inline constexpr char kCfMembers[] = "members";
inline constexpr char kCfMemberOf[] = "member_of";
inline constexpr char kCfCounters[] = "counters";
inline constexpr char kCfTenants[] = "tenants";
inline constexpr char kCfTokens[] = "tokens";
inline constexpr char kCfChangelog[] = "changelog";

inline constexpr size_t kTenantBytes = 4;
inline constexpr size_t kIdBytes = 16;
inline constexpr size_t kAttrBytes = 2;
// The bytes before the id of a resource key (tenant, type), and before the value or id of
// an index key (tenant, type, attribute, presence or value tag): within each, keys of
// resources created one after another (UUIDv7 ids) come in order.
inline constexpr size_t kResourceKeyPrefixBytes = kTenantBytes + 1;
inline constexpr size_t kIndexKeyPrefixBytes = kTenantBytes + 1 + kAttrBytes + 1;

// The byte after the attribute in an index key. Persisted: do not change. Presence sorts
// before values so that one attribute's value entries are one contiguous range.
enum class IndexEntryKind : uint8_t {
  kPresence = 0x01,
  kValue = 0x02,
};

// The byte after the tenant in a counter key. Persisted: do not change.
enum class CounterKind : uint8_t {
  kResourceCount = 0x01,
  kMemberCount = 0x02,
};

// A half-open key range [begin, end). An empty `end` means "no upper bound" (only for
// a prefix made only of 0xFF bytes). begin >= end (with end non-empty) is an empty range.
struct KeyRange {
  std::string begin;
  std::string end;
  bool Contains(std::string_view key) const {
    return key >= std::string_view(begin) && (end.empty() || key < std::string_view(end));
  }
};

// The smallest string greater than every string that starts with `prefix`; empty if
// there is none (prefix is empty or all 0xFF).
std::string PrefixSuccessor(std::string_view prefix);
// All keys that start with `prefix`.
KeyRange PrefixRange(std::string prefix);

// ---- Order-preserving primitives (append to *dst) -----------------------------------
void AppendU16(std::string* dst, uint16_t v);  // BE
void AppendU32(std::string* dst, uint32_t v);  // BE
void AppendU64(std::string* dst, uint64_t v);  // BE
uint16_t ReadU16(const char* p);
uint32_t ReadU32(const char* p);
uint64_t ReadU64(const char* p);
void AppendOrderedInt64(std::string* dst, int64_t v);
// InvalidValue for NaN; -0.0 is encoded as 0.0.
core::Status AppendOrderedDouble(std::string* dst, double v);
// Escaped body plus terminator: sorts like the raw bytes, self-delimiting.
void AppendOrderedString(std::string* dst, std::string_view s);
// Escaped body without terminator: every encoding of a string that starts with `prefix`
// starts with this, and no other encoding does.
void AppendOrderedStringPrefix(std::string* dst, std::string_view prefix);

// kind tag | body. InvalidValue for NaN decimals or an unknown kind.
core::Status AppendIndexValue(std::string* dst, const IndexValue& v);
// Decodes one kind|body from the front of *in and advances *in past it.
core::Status ConsumeIndexValue(std::string_view* in, IndexValue* out);

// ---- Whole-tenant range ---------------------------------------------------------------
std::string TenantPrefix(TenantId tenant);
KeyRange TenantRange(TenantId tenant);

// ---- resources ------------------------------------------------------------------------
std::string ResourceKey(TenantId tenant, ResourceType type, const ResourceId& id);
// Encode*Key: the same key as *Key, written over *dst (for a caller that encodes many keys
// into one buffer instead of allocating each).
void EncodeResourceKey(std::string* dst, TenantId tenant, ResourceType type, const ResourceId& id);
std::string ResourceTypePrefix(TenantId tenant, ResourceType type);
// The resources of `type`, or those after `start_after` (in id order).
KeyRange ResourceScanRange(TenantId tenant, ResourceType type,
                           const std::optional<ResourceId>& start_after);
struct ParsedResourceKey {
  TenantId tenant = 0;
  ResourceType type = ResourceType::kUser;
  ResourceId id;
};
core::Result<ParsedResourceKey> ParseResourceKey(std::string_view key);

// ---- index ----------------------------------------------------------------------------
core::Result<std::string> IndexValueKey(TenantId tenant, ResourceType type, const IndexTerm& term,
                                        const ResourceId& id);
std::string IndexPresenceKey(TenantId tenant, ResourceType type, AttrId attr, const ResourceId& id);
core::Status EncodeIndexValueKey(std::string* dst, TenantId tenant, ResourceType type,
                                 const IndexTerm& term, const ResourceId& id);
void EncodeIndexPresenceKey(std::string* dst, TenantId tenant, ResourceType type, AttrId attr,
                            const ResourceId& id);
// eq: the entries for exactly term.value (ids in id order).
core::Result<KeyRange> IndexEqRange(TenantId tenant, ResourceType type, const IndexTerm& term);
// pr: the presence entries of attr (ids in id order).
KeyRange IndexPresenceRange(TenantId tenant, ResourceType type, AttrId attr);
// sw: string entries of attr whose value starts with `prefix` (value order, then id).
KeyRange IndexStringPrefixRange(TenantId tenant, ResourceType type, AttrId attr,
                                std::string_view prefix);
// One end of a gt/ge/lt/le range.
using core::IndexBound;
// gt/ge/lt/le: entries of `kind` for attr between the bounds (value order, then id). A
// missing bound means "to the end of this kind's values". InvalidValue if a bound has
// another kind or is NaN. lower > upper gives an empty range (begin >= end).
core::Result<KeyRange> IndexValueRange(TenantId tenant, ResourceType type, AttrId attr,
                                       IndexValue::Kind kind,
                                       const std::optional<IndexBound>& lower,
                                       const std::optional<IndexBound>& upper);
// Every value entry of attr, all kinds (kind order, then value, then id).
KeyRange IndexAttrValuesRange(TenantId tenant, ResourceType type, AttrId attr);
// The entries of one kind for attr (value order, then id).
KeyRange IndexKindRange(TenantId tenant, ResourceType type, AttrId attr, IndexValue::Kind kind);
// A value entry's key without its id: every entry of the same (attr, value) starts with
// it, and it sorts before all of them. REQUIRES: key.size() >= 16.
std::string_view IndexKeyValuePrefix(std::string_view key);
struct ParsedIndexKey {
  TenantId tenant = 0;
  ResourceType type = ResourceType::kUser;
  AttrId attr = 0;
  IndexEntryKind entry = IndexEntryKind::kValue;
  IndexValue value;  // meaningful only for kValue
  ResourceId id;
};
core::Result<ParsedIndexKey> ParseIndexKey(std::string_view key);
// The id is always the last 16 bytes of an index key. REQUIRES: key.size() >= 16.
ResourceId IndexKeyId(std::string_view key);

// ---- unique ---------------------------------------------------------------------------
core::Result<std::string> UniqueKey(TenantId tenant, ResourceType type, const IndexTerm& term);
core::Status EncodeUniqueKey(std::string* dst, TenantId tenant, ResourceType type,
                             const IndexTerm& term);
// Every unique entry of attr (value order).
KeyRange UniqueAttrRange(TenantId tenant, ResourceType type, AttrId attr);
struct ParsedUniqueKey {
  TenantId tenant = 0;
  ResourceType type = ResourceType::kUser;
  IndexTerm term;
};
core::Result<ParsedUniqueKey> ParseUniqueKey(std::string_view key);

// ---- members / member_of ----------------------------------------------------------------
std::string MemberKey(TenantId tenant, const ResourceId& group, const ResourceId& member);
std::string MemberPrefix(TenantId tenant, const ResourceId& group);
// A group's member edges, or those after `start_after` (in member id order).
KeyRange MemberScanRange(TenantId tenant, const ResourceId& group,
                         const std::optional<ResourceId>& start_after);
std::string MemberOfKey(TenantId tenant, const ResourceId& member, const ResourceId& group);
std::string MemberOfPrefix(TenantId tenant, const ResourceId& member);
// For members keys `first` is the group and `second` the member; for member_of keys the
// other way round.
struct ParsedEdgeKey {
  TenantId tenant = 0;
  ResourceId first;
  ResourceId second;
};
core::Result<ParsedEdgeKey> ParseEdgeKey(std::string_view key);
// A members edge value: member type(1) | display (the client's label, UTF-8, may be empty).
struct MemberValue {
  ResourceType type;
  std::string_view display;  // points into the decoded value
};
std::string EncodeMemberValue(ResourceType member_type, std::string_view display);
core::Result<MemberValue> DecodeMemberValue(std::string_view value);

// A resources or members entry decoded and handed to `visit` (for the stores' scans):
// what `visit` returns, or false with `*error` set when the entry does not decode.
bool VisitResourceEntry(std::string_view key, std::string_view value,
                        const core::ResourceVisitor& visit, core::Status* error);
bool VisitMemberEntry(std::string_view key, std::string_view value,
                      const core::MemberVisitor& visit, core::Status* error);
// A members key (`mirror` false) or member_of key (true) handed to `visit` as (group,
// member), the same way.
bool VisitEdgeKey(std::string_view key, bool mirror, const core::EdgeVisitor& visit,
                  core::Status* error);

// ---- counters -------------------------------------------------------------------------
std::string ResourceCountKey(TenantId tenant, ResourceType type);
std::string MemberCountKey(TenantId tenant, const ResourceId& group);
struct ParsedCounterKey {
  TenantId tenant = 0;
  CounterKind kind = CounterKind::kResourceCount;
  ResourceType type = ResourceType::kUser;  // kResourceCount
  ResourceId group;                         // kMemberCount
};
core::Result<ParsedCounterKey> ParseCounterKey(std::string_view key);
// A merge operand: the delta as 8 bytes little-endian two's complement (wraps mod 2^64,
// so adding the encoding of -1 decrements).
std::string EncodeCounterDelta(int64_t delta);
// A stored counter. Corruption unless 8 bytes. A value that wrapped below zero (a caller
// bug: more decrements than increments) reads as 0 rather than as 2^64 - k.
core::Result<uint64_t> DecodeCounter(std::string_view value);

// ---- changelog ------------------------------------------------------------------------
std::string ChangelogKey(TenantId tenant, uint64_t sequence);
struct ParsedChangelogKey {
  TenantId tenant = 0;
  uint64_t sequence = 0;
};
core::Result<ParsedChangelogKey> ParseChangelogKey(std::string_view key);
// Every changelog key of the tenant.
KeyRange ChangelogRange(TenantId tenant);

// ---- tenants (global keys) --------------------------------------------------------------
inline constexpr std::string_view kTenantSeqKey = "seq";
std::string TenantNameKey(std::string_view name);
std::string TenantIdKey(TenantId tenant);
KeyRange TenantIdKeyRange();  // every "t" key, in tenant id order
core::Result<TenantId> ParseTenantIdKey(std::string_view key);
std::string EncodeTenantId(TenantId tenant);  // 4 bytes BE
core::Result<TenantId> DecodeTenantId(std::string_view value);

// ---- tokens (global keys) ---------------------------------------------------------------
std::string TokenKey(std::string_view token_id);
std::string TokenByTenantKey(TenantId tenant, std::string_view token_id);
KeyRange TokenByTenantRange(TenantId tenant);
struct ParsedTokenByTenantKey {
  TenantId tenant = 0;
  std::string token_id;
};
core::Result<ParsedTokenByTenantKey> ParseTokenByTenantKey(std::string_view key);

}  // namespace scimd::storage
