// Key codec implementation. The layout is documented in key_codec.h and FORMAT.md.
#include "storage/key_codec.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <utility>

namespace scimd::storage {
namespace {

using core::Result;
using core::Status;

// Global key tags in the tenants and tokens column families. Persisted: do not change.
constexpr char kTenantNameTag = 'n';
constexpr char kTenantIdTag = 't';
constexpr char kTokenTag = 'k';
constexpr char kTokenByTenantTag = 'x';

// String escapes. Persisted: do not change.
constexpr char kEscape = '\x00';
constexpr char kEscapedZero = '\xFF';
constexpr char kTerminator = '\x01';

constexpr uint64_t kSignBit = uint64_t{1} << 63;

Status Bad(std::string_view what, std::string_view key) {
  return Status::Corruption(std::string(what) + " (" + std::to_string(key.size()) + " bytes)");
}

void AppendTenantType(std::string* dst, TenantId tenant, ResourceType type) {
  AppendU32(dst, tenant);
  dst->push_back(static_cast<char>(type));
}

void AppendId(std::string* dst, const ResourceId& id) { dst->append(id.AsBytes()); }

ResourceId IdAt(std::string_view key, size_t pos) {
  return ResourceId::FromBytes(key.substr(pos, kIdBytes));
}

// tenant | type | attr | kind
void AppendIndexAttrPrefix(std::string* dst, TenantId tenant, ResourceType type, AttrId attr,
                           IndexEntryKind entry) {
  AppendTenantType(dst, tenant, type);
  AppendU16(dst, attr);
  dst->push_back(static_cast<char>(entry));
}

std::string IndexAttrPrefix(TenantId tenant, ResourceType type, AttrId attr, IndexEntryKind entry) {
  std::string k;
  k.reserve(kTenantBytes + 1 + kAttrBytes + 1 + 32 + kIdBytes);
  AppendIndexAttrPrefix(&k, tenant, type, attr, entry);
  return k;
}

bool KnownKind(uint8_t k) { return k >= 1 && k <= 5; }

}  // namespace

std::string PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(s.back());
    if (last != 0xFF) {
      ++last;
      return s;
    }
    s.pop_back();
  }
  return s;  // empty: no upper bound
}

KeyRange PrefixRange(std::string prefix) {
  std::string end = PrefixSuccessor(prefix);
  return KeyRange{std::move(prefix), std::move(end)};
}

void AppendU16(std::string* dst, uint16_t v) {
  dst->push_back(static_cast<char>(v >> 8));
  dst->push_back(static_cast<char>(v));
}
void AppendU32(std::string* dst, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) dst->push_back(static_cast<char>(v >> shift));
}
void AppendU64(std::string* dst, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) dst->push_back(static_cast<char>(v >> shift));
}
uint16_t ReadU16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>((u[0] << 8) | u[1]);
}
uint32_t ReadU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}
uint64_t ReadU64(const char* p) { return (uint64_t{ReadU32(p)} << 32) | ReadU32(p + 4); }

void AppendOrderedInt64(std::string* dst, int64_t v) {
  AppendU64(dst, static_cast<uint64_t>(v) ^ kSignBit);
}

Status AppendOrderedDouble(std::string* dst, double v) {
  if (std::isnan(v)) return Status::InvalidValue("NaN cannot be indexed");
  if (v == 0.0) v = 0.0;  // -0.0 == 0.0: one encoding for both
  uint64_t bits = std::bit_cast<uint64_t>(v);
  bits = (bits & kSignBit) ? ~bits : (bits ^ kSignBit);
  AppendU64(dst, bits);
  return Status::Ok();
}

void AppendOrderedStringPrefix(std::string* dst, std::string_view prefix) {
  // Runs without the escape byte are appended whole (a byte at a time cost an import ~7% of
  // its accepting thread); each escape byte is followed by its marker.
  while (!prefix.empty()) {
    const void* hit = std::memchr(prefix.data(), kEscape, prefix.size());
    const size_t run = hit == nullptr
                           ? prefix.size()
                           : static_cast<size_t>(static_cast<const char*>(hit) - prefix.data());
    dst->append(prefix.data(), run);
    if (hit == nullptr) return;
    dst->push_back(kEscape);
    dst->push_back(kEscapedZero);
    prefix.remove_prefix(run + 1);
  }
}

void AppendOrderedString(std::string* dst, std::string_view s) {
  AppendOrderedStringPrefix(dst, s);
  dst->push_back(kEscape);
  dst->push_back(kTerminator);
}

Status AppendIndexValue(std::string* dst, const IndexValue& v) {
  dst->push_back(static_cast<char>(v.kind));
  switch (v.kind) {
    case IndexValue::Kind::kString: AppendOrderedString(dst, v.string); return Status::Ok();
    case IndexValue::Kind::kInteger:
    case IndexValue::Kind::kDateTime: AppendOrderedInt64(dst, v.integer); return Status::Ok();
    case IndexValue::Kind::kDecimal: return AppendOrderedDouble(dst, v.decimal);
    case IndexValue::Kind::kBoolean:
      dst->push_back(v.boolean ? '\x01' : '\x00');
      return Status::Ok();
  }
  return Status::InvalidValue("unknown index value kind");
}

Status ConsumeIndexValue(std::string_view* in, IndexValue* out) {
  if (in->empty()) return Status::Corruption("index value: missing kind");
  const auto kind = static_cast<uint8_t>((*in)[0]);
  if (!KnownKind(kind)) return Status::Corruption("index value: unknown kind");
  in->remove_prefix(1);
  *out = IndexValue();
  out->kind = static_cast<IndexValue::Kind>(kind);
  switch (out->kind) {
    case IndexValue::Kind::kString: {
      std::string s;
      for (size_t i = 0; i < in->size(); ++i) {
        char c = (*in)[i];
        if (c != kEscape) {
          s.push_back(c);
          continue;
        }
        if (i + 1 >= in->size()) break;
        char next = (*in)[i + 1];
        if (next == kTerminator) {
          in->remove_prefix(i + 2);
          out->string = std::move(s);
          return Status::Ok();
        }
        if (next != kEscapedZero) return Status::Corruption("index value: bad string escape");
        s.push_back(kEscape);
        ++i;
      }
      return Status::Corruption("index value: unterminated string");
    }
    case IndexValue::Kind::kInteger:
    case IndexValue::Kind::kDateTime:
    case IndexValue::Kind::kDecimal: {
      if (in->size() < 8) return Status::Corruption("index value: short number");
      uint64_t bits = ReadU64(in->data());
      in->remove_prefix(8);
      if (out->kind == IndexValue::Kind::kDecimal) {
        bits = (bits & kSignBit) ? (bits ^ kSignBit) : ~bits;
        out->decimal = std::bit_cast<double>(bits);
        // What AppendOrderedDouble never writes: NaN, and -0.0 (written as +0.0). Taken
        // in, such a key would parse to a value that encodes to other bytes (fuzz_keys).
        if (std::isnan(out->decimal) || (out->decimal == 0.0 && std::signbit(out->decimal))) {
          return Status::Corruption("index value: a number no key is written with");
        }
      } else {
        out->integer = static_cast<int64_t>(bits ^ kSignBit);
      }
      return Status::Ok();
    }
    case IndexValue::Kind::kBoolean: {
      if (in->empty()) return Status::Corruption("index value: short boolean");
      const auto b = static_cast<uint8_t>((*in)[0]);
      if (b > 1) return Status::Corruption("index value: bad boolean");
      out->boolean = b == 1;
      in->remove_prefix(1);
      return Status::Ok();
    }
  }
  return Status::Corruption("index value: unknown kind");
}

// ---- tenant ----------------------------------------------------------------------------

std::string TenantPrefix(TenantId tenant) {
  std::string k;
  AppendU32(&k, tenant);
  return k;
}

KeyRange TenantRange(TenantId tenant) { return PrefixRange(TenantPrefix(tenant)); }

// ---- resources -------------------------------------------------------------------------

void EncodeResourceKey(std::string* dst, TenantId tenant, ResourceType type, const ResourceId& id) {
  dst->clear();
  AppendTenantType(dst, tenant, type);
  AppendId(dst, id);
}

std::string ResourceKey(TenantId tenant, ResourceType type, const ResourceId& id) {
  std::string k;
  k.reserve(kTenantBytes + 1 + kIdBytes);
  EncodeResourceKey(&k, tenant, type, id);
  return k;
}

std::string ResourceTypePrefix(TenantId tenant, ResourceType type) {
  std::string k;
  AppendTenantType(&k, tenant, type);
  return k;
}

Result<ParsedResourceKey> ParseResourceKey(std::string_view key) {
  if (key.size() != kTenantBytes + 1 + kIdBytes) return Bad("resource key: bad size", key);
  ParsedResourceKey p;
  p.tenant = ReadU32(key.data());
  p.type = static_cast<ResourceType>(key[kTenantBytes]);
  p.id = IdAt(key, kTenantBytes + 1);
  return p;
}

// ---- index -----------------------------------------------------------------------------

Status EncodeIndexValueKey(std::string* dst, TenantId tenant, ResourceType type,
                           const IndexTerm& term, const ResourceId& id) {
  dst->clear();
  AppendIndexAttrPrefix(dst, tenant, type, term.attr, IndexEntryKind::kValue);
  SCIMD_RETURN_IF_ERROR(AppendIndexValue(dst, term.value));
  AppendId(dst, id);
  return Status::Ok();
}

Result<std::string> IndexValueKey(TenantId tenant, ResourceType type, const IndexTerm& term,
                                  const ResourceId& id) {
  std::string k;
  k.reserve(kTenantBytes + 1 + kAttrBytes + 1 + 32 + kIdBytes);
  SCIMD_RETURN_IF_ERROR(EncodeIndexValueKey(&k, tenant, type, term, id));
  return k;
}

void EncodeIndexPresenceKey(std::string* dst, TenantId tenant, ResourceType type, AttrId attr,
                            const ResourceId& id) {
  dst->clear();
  AppendIndexAttrPrefix(dst, tenant, type, attr, IndexEntryKind::kPresence);
  AppendId(dst, id);
}

std::string IndexPresenceKey(TenantId tenant, ResourceType type, AttrId attr,
                             const ResourceId& id) {
  std::string k;
  k.reserve(kTenantBytes + 1 + kAttrBytes + 1 + kIdBytes);
  EncodeIndexPresenceKey(&k, tenant, type, attr, id);
  return k;
}

Result<KeyRange> IndexEqRange(TenantId tenant, ResourceType type, const IndexTerm& term) {
  std::string k = IndexAttrPrefix(tenant, type, term.attr, IndexEntryKind::kValue);
  SCIMD_RETURN_IF_ERROR(AppendIndexValue(&k, term.value));
  return PrefixRange(std::move(k));
}

KeyRange IndexPresenceRange(TenantId tenant, ResourceType type, AttrId attr) {
  return PrefixRange(IndexAttrPrefix(tenant, type, attr, IndexEntryKind::kPresence));
}

KeyRange IndexStringPrefixRange(TenantId tenant, ResourceType type, AttrId attr,
                                std::string_view prefix) {
  std::string k = IndexAttrPrefix(tenant, type, attr, IndexEntryKind::kValue);
  k.push_back(static_cast<char>(IndexValue::Kind::kString));
  AppendOrderedStringPrefix(&k, prefix);
  return PrefixRange(std::move(k));
}

Result<KeyRange> IndexValueRange(TenantId tenant, ResourceType type, AttrId attr,
                                 IndexValue::Kind kind, const std::optional<IndexBound>& lower,
                                 const std::optional<IndexBound>& upper) {
  std::string kind_prefix = IndexAttrPrefix(tenant, type, attr, IndexEntryKind::kValue);
  kind_prefix.push_back(static_cast<char>(kind));
  KeyRange r = PrefixRange(kind_prefix);
  // All entries for value v start with value_prefix(v) and nothing else does, because
  // encodings are prefix-free. So ge v starts at value_prefix(v), gt v after all of
  // them, lt v ends before value_prefix(v), le v after all of them.
  auto value_prefix = [&](const IndexBound& b) -> Result<std::string> {
    if (b.value.kind != kind) return Status::InvalidValue("range bound of another kind");
    std::string k = IndexAttrPrefix(tenant, type, attr, IndexEntryKind::kValue);
    SCIMD_RETURN_IF_ERROR(AppendIndexValue(&k, b.value));
    return k;
  };
  if (lower) {
    SCIMD_ASSIGN_OR_RETURN(std::string k, value_prefix(*lower));
    r.begin = lower->inclusive ? std::move(k) : PrefixSuccessor(k);
  }
  if (upper) {
    SCIMD_ASSIGN_OR_RETURN(std::string k, value_prefix(*upper));
    r.end = upper->inclusive ? PrefixSuccessor(k) : std::move(k);
  }
  return r;
}

KeyRange IndexAttrValuesRange(TenantId tenant, ResourceType type, AttrId attr) {
  return PrefixRange(IndexAttrPrefix(tenant, type, attr, IndexEntryKind::kValue));
}

KeyRange IndexKindRange(TenantId tenant, ResourceType type, AttrId attr, IndexValue::Kind kind) {
  std::string k = IndexAttrPrefix(tenant, type, attr, IndexEntryKind::kValue);
  k.push_back(static_cast<char>(kind));
  return PrefixRange(std::move(k));
}

std::string_view IndexKeyValuePrefix(std::string_view key) {
  return key.substr(0, key.size() - kIdBytes);
}

Result<ParsedIndexKey> ParseIndexKey(std::string_view key) {
  constexpr size_t kHead = kTenantBytes + 1 + kAttrBytes + 1;
  if (key.size() < kHead + kIdBytes) return Bad("index key: too short", key);
  ParsedIndexKey p;
  p.tenant = ReadU32(key.data());
  p.type = static_cast<ResourceType>(key[kTenantBytes]);
  p.attr = ReadU16(key.data() + kTenantBytes + 1);
  const auto entry = static_cast<uint8_t>(key[kHead - 1]);
  std::string_view rest = key.substr(kHead);
  if (entry == static_cast<uint8_t>(IndexEntryKind::kPresence)) {
    p.entry = IndexEntryKind::kPresence;
  } else if (entry == static_cast<uint8_t>(IndexEntryKind::kValue)) {
    p.entry = IndexEntryKind::kValue;
    SCIMD_RETURN_IF_ERROR(ConsumeIndexValue(&rest, &p.value));
  } else {
    return Bad("index key: unknown entry kind", key);
  }
  if (rest.size() != kIdBytes) return Bad("index key: bad id", key);
  p.id = ResourceId::FromBytes(rest);
  return p;
}

ResourceId IndexKeyId(std::string_view key) { return IdAt(key, key.size() - kIdBytes); }

// ---- unique ----------------------------------------------------------------------------

Status EncodeUniqueKey(std::string* dst, TenantId tenant, ResourceType type,
                       const IndexTerm& term) {
  dst->clear();
  AppendTenantType(dst, tenant, type);
  AppendU16(dst, term.attr);
  return AppendIndexValue(dst, term.value);
}

Result<std::string> UniqueKey(TenantId tenant, ResourceType type, const IndexTerm& term) {
  std::string k;
  SCIMD_RETURN_IF_ERROR(EncodeUniqueKey(&k, tenant, type, term));
  return k;
}

KeyRange UniqueAttrRange(TenantId tenant, ResourceType type, AttrId attr) {
  std::string k;
  AppendTenantType(&k, tenant, type);
  AppendU16(&k, attr);
  return PrefixRange(std::move(k));
}

Result<ParsedUniqueKey> ParseUniqueKey(std::string_view key) {
  constexpr size_t kHead = kTenantBytes + 1 + kAttrBytes;
  if (key.size() <= kHead) return Bad("unique key: too short", key);
  ParsedUniqueKey p;
  p.tenant = ReadU32(key.data());
  p.type = static_cast<ResourceType>(key[kTenantBytes]);
  p.term.attr = ReadU16(key.data() + kTenantBytes + 1);
  std::string_view rest = key.substr(kHead);
  SCIMD_RETURN_IF_ERROR(ConsumeIndexValue(&rest, &p.term.value));
  if (!rest.empty()) return Bad("unique key: trailing bytes", key);
  return p;
}

// ---- members / member_of -----------------------------------------------------------------

std::string MemberKey(TenantId tenant, const ResourceId& group, const ResourceId& member) {
  std::string k;
  k.reserve(kTenantBytes + 2 * kIdBytes);
  AppendU32(&k, tenant);
  AppendId(&k, group);
  AppendId(&k, member);
  return k;
}

std::string MemberPrefix(TenantId tenant, const ResourceId& group) {
  std::string k;
  AppendU32(&k, tenant);
  AppendId(&k, group);
  return k;
}

std::string MemberOfKey(TenantId tenant, const ResourceId& member, const ResourceId& group) {
  return MemberKey(tenant, member, group);  // same shape, roles swapped
}

std::string MemberOfPrefix(TenantId tenant, const ResourceId& member) {
  return MemberPrefix(tenant, member);
}

Result<ParsedEdgeKey> ParseEdgeKey(std::string_view key) {
  if (key.size() != kTenantBytes + 2 * kIdBytes) return Bad("edge key: bad size", key);
  ParsedEdgeKey p;
  p.tenant = ReadU32(key.data());
  p.first = IdAt(key, kTenantBytes);
  p.second = IdAt(key, kTenantBytes + kIdBytes);
  return p;
}

std::string EncodeMemberValue(ResourceType member_type, std::string_view display) {
  std::string v(1, static_cast<char>(member_type));
  v.append(display);
  return v;
}

Result<MemberValue> DecodeMemberValue(std::string_view value) {
  if (value.empty()) return Status::Corruption("member value: empty");
  const auto type = static_cast<ResourceType>(value[0]);
  if (type != ResourceType::kUser && type != ResourceType::kGroup) {
    return Status::Corruption("member value: unknown member type");
  }
  return MemberValue{type, value.substr(1)};
}

bool VisitResourceEntry(std::string_view key, std::string_view value,
                        const core::ResourceVisitor& visit, Status* error) {
  auto parsed = ParseResourceKey(key);
  if (!parsed.ok()) {
    *error = parsed.status();
    return false;
  }
  return visit(parsed->id, value);
}

bool VisitMemberEntry(std::string_view key, std::string_view value,
                      const core::MemberVisitor& visit, Status* error) {
  auto edge = ParseEdgeKey(key);
  auto member = DecodeMemberValue(value);
  if (!edge.ok() || !member.ok()) {
    *error = edge.ok() ? member.status() : edge.status();
    return false;
  }
  return visit(edge->second, member->type, member->display);
}

bool VisitEdgeKey(std::string_view key, bool mirror, const core::EdgeVisitor& visit,
                  Status* error) {
  auto edge = ParseEdgeKey(key);
  if (!edge.ok()) {
    *error = edge.status();
    return false;
  }
  return mirror ? visit(edge->second, edge->first) : visit(edge->first, edge->second);
}

// ---- counters --------------------------------------------------------------------------

std::string ResourceCountKey(TenantId tenant, ResourceType type) {
  std::string k;
  AppendU32(&k, tenant);
  k.push_back(static_cast<char>(CounterKind::kResourceCount));
  k.push_back(static_cast<char>(type));
  return k;
}

std::string MemberCountKey(TenantId tenant, const ResourceId& group) {
  std::string k;
  AppendU32(&k, tenant);
  k.push_back(static_cast<char>(CounterKind::kMemberCount));
  AppendId(&k, group);
  return k;
}

Result<ParsedCounterKey> ParseCounterKey(std::string_view key) {
  if (key.size() < kTenantBytes + 2) return Bad("counter key: too short", key);
  ParsedCounterKey p;
  p.tenant = ReadU32(key.data());
  const auto kind = static_cast<uint8_t>(key[kTenantBytes]);
  if (kind == static_cast<uint8_t>(CounterKind::kResourceCount) && key.size() == kTenantBytes + 2) {
    p.kind = CounterKind::kResourceCount;
    p.type = static_cast<ResourceType>(key[kTenantBytes + 1]);
    return p;
  }
  if (kind == static_cast<uint8_t>(CounterKind::kMemberCount) &&
      key.size() == kTenantBytes + 1 + kIdBytes) {
    p.kind = CounterKind::kMemberCount;
    p.group = IdAt(key, kTenantBytes + 1);
    return p;
  }
  return Bad("counter key: unknown shape", key);
}

std::string EncodeCounterDelta(int64_t delta) {
  const auto u = static_cast<uint64_t>(delta);
  std::string v(8, '\0');
  for (int i = 0; i < 8; ++i) v[i] = static_cast<char>(u >> (8 * i));
  return v;
}

Result<uint64_t> DecodeCounter(std::string_view value) {
  if (value.size() != 8) return Status::Corruption("counter: bad size");
  uint64_t u = 0;
  for (int i = 7; i >= 0; --i) u = (u << 8) | static_cast<unsigned char>(value[i]);
  if (u & kSignBit) return uint64_t{0};
  return u;
}

// ---- changelog -------------------------------------------------------------------------

std::string ChangelogKey(TenantId tenant, uint64_t sequence) {
  std::string k;
  AppendU32(&k, tenant);
  AppendU64(&k, sequence);
  return k;
}

Result<ParsedChangelogKey> ParseChangelogKey(std::string_view key) {
  if (key.size() != kTenantBytes + 8) return Bad("changelog key: bad size", key);
  return ParsedChangelogKey{ReadU32(key.data()), ReadU64(key.data() + kTenantBytes)};
}

KeyRange ChangelogRange(TenantId tenant) {
  std::string prefix;
  AppendU32(&prefix, tenant);
  return PrefixRange(std::move(prefix));
}

// ---- tenants ---------------------------------------------------------------------------

std::string TenantNameKey(std::string_view name) {
  std::string k(1, kTenantNameTag);
  k.append(name);
  return k;
}

std::string TenantIdKey(TenantId tenant) {
  std::string k(1, kTenantIdTag);
  AppendU32(&k, tenant);
  return k;
}

KeyRange TenantIdKeyRange() { return PrefixRange(std::string(1, kTenantIdTag)); }

Result<TenantId> ParseTenantIdKey(std::string_view key) {
  if (key.size() != 1 + kTenantBytes || key[0] != kTenantIdTag) {
    return Bad("tenant id key: bad shape", key);
  }
  return ReadU32(key.data() + 1);
}

std::string EncodeTenantId(TenantId tenant) { return TenantPrefix(tenant); }

Result<TenantId> DecodeTenantId(std::string_view value) {
  if (value.size() != kTenantBytes) return Status::Corruption("tenant id: bad size");
  return ReadU32(value.data());
}

// ---- tokens ----------------------------------------------------------------------------

std::string TokenKey(std::string_view token_id) {
  std::string k(1, kTokenTag);
  k.append(token_id);
  return k;
}

std::string TokenByTenantKey(TenantId tenant, std::string_view token_id) {
  std::string k(1, kTokenByTenantTag);
  AppendU32(&k, tenant);
  k.append(token_id);
  return k;
}

KeyRange TokenByTenantRange(TenantId tenant) {
  std::string k(1, kTokenByTenantTag);
  AppendU32(&k, tenant);
  return PrefixRange(std::move(k));
}

Result<ParsedTokenByTenantKey> ParseTokenByTenantKey(std::string_view key) {
  if (key.size() < 1 + kTenantBytes || key[0] != kTokenByTenantTag) {
    return Bad("token-by-tenant key: bad shape", key);
  }
  return ParsedTokenByTenantKey{ReadU32(key.data() + 1), std::string(key.substr(1 + kTenantBytes))};
}

KeyRange ResourceScanRange(TenantId tenant, ResourceType type,
                           const std::optional<ResourceId>& start_after) {
  KeyRange range = PrefixRange(ResourceTypePrefix(tenant, type));
  if (start_after) {
    // Keys in this range all have the same length, so key + 0x00 is the first key after.
    range.begin = ResourceKey(tenant, type, *start_after);
    range.begin.push_back('\0');
  }
  return range;
}

KeyRange MemberScanRange(TenantId tenant, const ResourceId& group,
                         const std::optional<ResourceId>& start_after) {
  KeyRange range = PrefixRange(MemberPrefix(tenant, group));
  if (start_after) {
    range.begin = MemberKey(tenant, group, *start_after);  // fixed length: + 0x00 is next
    range.begin.push_back('\0');
  }
  return range;
}

}  // namespace scimd::storage
