// The key encodings sort the way the filter planner assumes (storage/FORMAT.md), ranges
// contain exactly the keys they should, and every key decodes back to what built it.
#include "storage/key_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/storage/test_util.h"

namespace scimd::storage {
namespace {

using core::IndexTerm;
using core::IndexValue;
using core::ResourceId;
using core::ResourceType;
using testing::Id;

const ResourceId kMinId = ResourceId{};
ResourceId MaxId() {
  ResourceId id;
  id.bytes.fill(0xFF);
  return id;
}

std::string Enc(const IndexValue& v) {
  std::string out;
  EXPECT_TRUE(AppendIndexValue(&out, v).ok());
  return out;
}

std::string ValueKey(const IndexValue& v, const ResourceId& id, TenantId tenant = 7,
                     ResourceType type = ResourceType::kUser, AttrId attr = 3) {
  auto k = IndexValueKey(tenant, type, IndexTerm{attr, v}, id);
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return k.ok() ? *k : std::string();
}

int Sign(int c) { return (c > 0) - (c < 0); }

// Checks, for every pair, that encodings (and whole keys, even with the largest id after
// the smaller value) compare like the values, and that each decodes to itself.
template <typename Less>
void ExpectOrderPreserved(const std::vector<IndexValue>& values, Less less) {
  for (const IndexValue& a : values) {
    const std::string encoded = Enc(a);
    std::string_view in = encoded;
    IndexValue back;
    ASSERT_TRUE(ConsumeIndexValue(&in, &back).ok());
    EXPECT_TRUE(in.empty());
    EXPECT_EQ(back, a);
    for (const IndexValue& b : values) {
      const int want = less(a, b) ? -1 : (less(b, a) ? 1 : 0);
      EXPECT_EQ(Sign(Enc(a).compare(Enc(b))), want);
      if (want < 0) {
        EXPECT_LT(ValueKey(a, MaxId()), ValueKey(b, kMinId));
      }
    }
  }
}

std::vector<std::string> TrickyStrings() {
  using std::string_literals::operator""s;
  return {""s,    "\0"s,    "\0\0"s, "\0\x01"s, "\0\xFF"s, "\x01"s,   "\x01\0"s,   "a"s,
          "a\0"s, "a\0\0"s, "a\0b"s, "a\x01"s,  "a\xFE"s,  "a\xFF"s,  "a\xFF\0"s,  "ab"s,
          "abc"s, "abd"s,   "b"s,    "\xFE"s,   "\xFF"s,   "\xFF\0"s, "\xFF\xFF"s, "\xFF\xFF\xFF"s};
}

// The memtable's insert hints (storage/rocks_store.cc) take these many bytes as a key's
// prefix: exactly what comes before the id, so that keys of resources created in order
// (UUIDv7 ids) share a prefix and follow one another within it.
TEST(KeyCodecTest, HintPrefixesEndWhereTheIdStarts) {
  const ResourceId a = ResourceId::Generate();
  const ResourceId b = ResourceId::Generate();
  ASSERT_LT(a, b);
  std::string ka, kb;
  EncodeResourceKey(&ka, 7, ResourceType::kUser, a);
  EncodeResourceKey(&kb, 7, ResourceType::kUser, b);
  EXPECT_EQ(ka.size(), kResourceKeyPrefixBytes + kIdBytes);
  EXPECT_EQ(ka.substr(0, kResourceKeyPrefixBytes), kb.substr(0, kResourceKeyPrefixBytes));
  EXPECT_EQ(ka.substr(kResourceKeyPrefixBytes), a.AsBytes());
  EXPECT_LT(ka, kb);
  EncodeIndexPresenceKey(&ka, 7, ResourceType::kUser, 3, a);
  EncodeIndexPresenceKey(&kb, 7, ResourceType::kUser, 3, b);
  EXPECT_EQ(ka.size(), kIndexKeyPrefixBytes + kIdBytes);
  EXPECT_EQ(ka.substr(0, kIndexKeyPrefixBytes), kb.substr(0, kIndexKeyPrefixBytes));
  EXPECT_EQ(ka.substr(kIndexKeyPrefixBytes), a.AsBytes());
  EXPECT_LT(ka, kb);
  std::string presence_other_attr;
  EncodeIndexPresenceKey(&presence_other_attr, 7, ResourceType::kUser, 4, a);
  EXPECT_NE(presence_other_attr.substr(0, kIndexKeyPrefixBytes),
            ka.substr(0, kIndexKeyPrefixBytes));
}

TEST(KeyCodecTest, StringsSortBytewise) {
  std::vector<IndexValue> values;
  for (const auto& s : TrickyStrings()) values.push_back(IndexValue::String(s));
  ExpectOrderPreserved(values, [](const IndexValue& a, const IndexValue& b) {
    return a.string < b.string;  // char_traits<char> compares as unsigned char
  });
}

TEST(KeyCodecTest, RandomStringsSortBytewise) {
  std::mt19937 rng(42);
  const char alphabet[] = {'\0', '\x01', 'a', '\x7F', '\x80', '\xFE', '\xFF'};
  std::vector<IndexValue> values;
  for (int i = 0; i < 300; ++i) {
    std::string s(rng() % 6, ' ');
    for (char& c : s) c = alphabet[rng() % sizeof(alphabet)];
    values.push_back(IndexValue::String(s));
  }
  ExpectOrderPreserved(
      values, [](const IndexValue& a, const IndexValue& b) { return a.string < b.string; });
}

TEST(KeyCodecTest, IntegersAndDateTimesSortNumerically) {
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  const std::vector<int64_t> ints = {kMin, kMin + 1, -1'000'000'000'000, -256,     -255, -1, 0, 1,
                                     255,  256,      1'000'000'000'000,  kMax - 1, kMax};
  std::vector<IndexValue> values, times;
  for (int64_t i : ints) {
    values.push_back(IndexValue::Integer(i));
    times.push_back(IndexValue::DateTime(i));
  }
  auto less = [](const IndexValue& a, const IndexValue& b) { return a.integer < b.integer; };
  ExpectOrderPreserved(values, less);
  ExpectOrderPreserved(times, less);
}

TEST(KeyCodecTest, DecimalsSortNumerically) {
  const double inf = std::numeric_limits<double>::infinity();
  const double denorm = std::numeric_limits<double>::denorm_min();
  const std::vector<double> ds = {-inf,     -DBL_MAX, -1e300, -1.5,    -1.0,    -1e-300,
                                  -DBL_MIN, -denorm,  0.0,    denorm,  DBL_MIN, 1e-300,
                                  1.0,      1.5,      1e300,  DBL_MAX, inf};
  std::vector<IndexValue> values;
  for (double d : ds) values.push_back(IndexValue::Decimal(d));
  ExpectOrderPreserved(
      values, [](const IndexValue& a, const IndexValue& b) { return a.decimal < b.decimal; });
}

TEST(KeyCodecTest, NegativeZeroIsZeroAndNaNIsRejected) {
  EXPECT_EQ(Enc(IndexValue::Decimal(-0.0)), Enc(IndexValue::Decimal(0.0)));
  std::string out;
  EXPECT_TRUE(AppendIndexValue(&out, IndexValue::Decimal(std::nan("")))
                  .Is(core::Status::Code::kInvalidValue));
  EXPECT_FALSE(IndexValueKey(1, ResourceType::kUser,
                             IndexTerm{1, IndexValue::Decimal(-std::nan(""))}, kMinId)
                   .ok());
  EXPECT_FALSE(UniqueKey(1, ResourceType::kUser, IndexTerm{1, IndexValue::Decimal(NAN)}).ok());
}

// The bytes of -0.0 and of a NaN are never written (above), so a key holding them is
// refused rather than parsed to a value that encodes to other bytes. fuzz_keys found the
// -0.0 one (tests/fuzz/corpus/fuzz_keys/fuzz_keys-crash-b8cb...).
TEST(KeyCodecTest, KeysWithNumbersNeverWrittenAreRefused) {
  const std::string zero =
      *UniqueKey(1, ResourceType::kUser, IndexTerm{1, IndexValue::Decimal(0.0)});
  ASSERT_TRUE(ParseUniqueKey(zero).ok());
  // The same key with the value's 8 bytes of -0.0 (sign bit set, all else clear, flipped as
  // the encoder flips negatives) and of a NaN.
  for (const double bad : {-0.0, std::nan("")}) {
    uint64_t bits = std::bit_cast<uint64_t>(bad);
    bits = (bits & (uint64_t{1} << 63)) ? ~bits : (bits ^ (uint64_t{1} << 63));
    std::string key = zero.substr(0, zero.size() - 8);
    for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(bits >> shift));
    EXPECT_FALSE(ParseUniqueKey(key).ok()) << bad;
  }
  // The fuzzer's input itself.
  const std::string found("\x01\x0b\x00\x0a\x00\x01\x00\x03\x7f\xff\xff\xff\xff\xff\xff\xff", 16);
  auto parsed = ParseUniqueKey(found);
  if (parsed.ok()) {
    auto again = UniqueKey(parsed->tenant, parsed->type, parsed->term);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, found);
  }
}

TEST(KeyCodecTest, BooleansSortFalseFirst) {
  ExpectOrderPreserved(
      {IndexValue::Boolean(false), IndexValue::Boolean(true)},
      [](const IndexValue& a, const IndexValue& b) { return a.boolean < b.boolean; });
  EXPECT_EQ(Enc(IndexValue::Boolean(true)).size(), 2u);  // kind + one byte
}

TEST(KeyCodecTest, StringPrefixRangeContainsExactlyTheStringsWithThatPrefix) {
  using std::string_literals::operator""s;
  const std::vector<std::string> prefixes = {""s,     "\0"s,       "a"s,   "a\0"s, "ab"s,
                                             "\xFF"s, "\xFF\xFF"s, "abc"s, "zzz"s};
  const auto strings = TrickyStrings();
  for (const std::string& p : prefixes) {
    const KeyRange r = IndexStringPrefixRange(7, ResourceType::kUser, 3, p);
    for (const std::string& s : strings) {
      const bool want = s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
      for (const ResourceId& id : {kMinId, Id(5), MaxId()}) {
        EXPECT_EQ(r.Contains(ValueKey(IndexValue::String(s), id)), want)
            << "prefix size " << p.size() << " string size " << s.size();
      }
    }
    // Other attrs, kinds, tenants never fall in the range.
    EXPECT_FALSE(r.Contains(ValueKey(IndexValue::String(p), kMinId, 7, ResourceType::kUser, 4)));
    EXPECT_FALSE(r.Contains(ValueKey(IndexValue::String(p), kMinId, 8)));
    EXPECT_FALSE(r.Contains(ValueKey(IndexValue::Integer(0), kMinId)));
    EXPECT_FALSE(r.Contains(IndexPresenceKey(7, ResourceType::kUser, 3, kMinId)));
  }
}

TEST(KeyCodecTest, EqRangeContainsExactlyThatValue) {
  const auto strings = TrickyStrings();
  for (const std::string& s : strings) {
    auto r = IndexEqRange(7, ResourceType::kUser, IndexTerm{3, IndexValue::String(s)});
    ASSERT_TRUE(r.ok());
    for (const std::string& t : strings) {
      for (const ResourceId& id : {kMinId, Id(1), MaxId()}) {
        EXPECT_EQ(r->Contains(ValueKey(IndexValue::String(t), id)), s == t);
      }
    }
  }
  auto r = IndexEqRange(7, ResourceType::kUser, IndexTerm{3, IndexValue::Integer(5)});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->Contains(ValueKey(IndexValue::Integer(5), MaxId())));
  EXPECT_FALSE(r->Contains(ValueKey(IndexValue::Integer(6), kMinId)));
  EXPECT_FALSE(r->Contains(ValueKey(IndexValue::DateTime(5), kMinId)));
}

TEST(KeyCodecTest, ValueRangesMatchComparisonOperators) {
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  const std::vector<int64_t> ints = {kMin, -10, -1, 0, 1, 2, 10, kMax};
  using K = IndexValue::Kind;
  for (int64_t lo : ints) {
    for (int64_t hi : ints) {
      for (int mask = 0; mask < 16; ++mask) {
        const bool has_lo = mask & 1, lo_inc = mask & 2, has_hi = mask & 4, hi_inc = mask & 8;
        std::optional<IndexBound> lower, upper;
        if (has_lo) lower = IndexBound{IndexValue::Integer(lo), lo_inc};
        if (has_hi) upper = IndexBound{IndexValue::Integer(hi), hi_inc};
        auto r = IndexValueRange(7, ResourceType::kUser, 3, K::kInteger, lower, upper);
        ASSERT_TRUE(r.ok());
        for (int64_t v : ints) {
          bool want = true;
          if (has_lo) want = want && (lo_inc ? v >= lo : v > lo);
          if (has_hi) want = want && (hi_inc ? v <= hi : v < hi);
          for (const ResourceId& id : {kMinId, MaxId()}) {
            EXPECT_EQ(r->Contains(ValueKey(IndexValue::Integer(v), id)), want)
                << lo << " " << hi << " mask " << mask << " v " << v;
          }
        }
        // Open-ended ranges stop at the end of the kind: no other kind or attr leaks in.
        EXPECT_FALSE(r->Contains(ValueKey(IndexValue::DateTime(0), kMinId)));
        EXPECT_FALSE(r->Contains(ValueKey(IndexValue::Decimal(0), kMinId)));
        EXPECT_FALSE(r->Contains(ValueKey(IndexValue::String(""), kMinId)));
        EXPECT_FALSE(
            r->Contains(ValueKey(IndexValue::Integer(0), kMinId, 7, ResourceType::kUser, 2)));
        EXPECT_FALSE(
            r->Contains(ValueKey(IndexValue::Integer(0), kMinId, 7, ResourceType::kUser, 4)));
      }
    }
  }
}

TEST(KeyCodecTest, StringRangesMatchComparisonOperators) {
  const auto strings = TrickyStrings();
  for (const std::string& b : strings) {
    auto gt = IndexValueRange(7, ResourceType::kUser, 3, IndexValue::Kind::kString,
                              IndexBound{IndexValue::String(b), false}, std::nullopt);
    auto le = IndexValueRange(7, ResourceType::kUser, 3, IndexValue::Kind::kString, std::nullopt,
                              IndexBound{IndexValue::String(b), true});
    ASSERT_TRUE(gt.ok() && le.ok());
    for (const std::string& s : strings) {
      const std::string key = ValueKey(IndexValue::String(s), Id(9));
      EXPECT_EQ(gt->Contains(key), s > b);
      EXPECT_EQ(le->Contains(key), s <= b);
    }
  }
}

TEST(KeyCodecTest, RangeBoundOfAnotherKindIsInvalid) {
  auto r = IndexValueRange(7, ResourceType::kUser, 3, IndexValue::Kind::kInteger,
                           IndexBound{IndexValue::String("x"), true}, std::nullopt);
  EXPECT_TRUE(r.status().Is(core::Status::Code::kInvalidValue));
  auto d = IndexValueRange(7, ResourceType::kUser, 3, IndexValue::Kind::kDecimal, std::nullopt,
                           IndexBound{IndexValue::Decimal(NAN), true});
  EXPECT_TRUE(d.status().Is(core::Status::Code::kInvalidValue));
}

// Keys of different tenants, types and attributes never interleave: after sorting, each
// (tenant), (tenant, type) and (tenant, type, attr) group is one contiguous run, and the
// matching prefix range holds exactly the group.
TEST(KeyCodecTest, TenantsTypesAndAttrsNeverInterleave) {
  struct Entry {
    std::string key;
    TenantId tenant;
    ResourceType type;
    AttrId attr;
  };
  std::vector<Entry> entries;
  const std::vector<TenantId> tenants = {0, 1, 2, 255, 256, 0xFFFFFFFE, 0xFFFFFFFF};
  const std::vector<AttrId> attrs = {0, 1, 255, 256, 0xFFFF};
  const std::vector<IndexValue> values = {IndexValue::String(""),
                                          IndexValue::String(std::string(3, '\xFF')),
                                          IndexValue::Integer(std::numeric_limits<int64_t>::max()),
                                          IndexValue::Boolean(true), IndexValue::Decimal(INFINITY)};
  for (TenantId t : tenants) {
    for (ResourceType type : {ResourceType::kUser, ResourceType::kGroup}) {
      for (AttrId a : attrs) {
        for (const ResourceId& id : {kMinId, MaxId()}) {
          entries.push_back({IndexPresenceKey(t, type, a, id), t, type, a});
          for (const IndexValue& v : values)
            entries.push_back({ValueKey(v, id, t, type, a), t, type, a});
        }
      }
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& x, const Entry& y) { return x.key < y.key; });
  auto contiguous = [&](auto group_of) {
    std::map<decltype(group_of(entries[0])), int> runs;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i == 0 || group_of(entries[i]) != group_of(entries[i - 1])) ++runs[group_of(entries[i])];
    }
    for (const auto& [g, n] : runs) EXPECT_EQ(n, 1);
  };
  contiguous([](const Entry& e) { return e.tenant; });
  contiguous([](const Entry& e) { return std::make_pair(e.tenant, e.type); });
  contiguous([](const Entry& e) { return std::make_tuple(e.tenant, e.type, e.attr); });
  // Tenants sort numerically (big-endian).
  for (size_t i = 1; i < entries.size(); ++i) EXPECT_LE(entries[i - 1].tenant, entries[i].tenant);
  for (TenantId t : tenants) {
    const KeyRange r = TenantRange(t);
    for (const Entry& e : entries) EXPECT_EQ(r.Contains(e.key), e.tenant == t);
  }
  const KeyRange pr = IndexPresenceRange(2, ResourceType::kGroup, 256);
  for (const Entry& e : entries) {
    const bool presence = e.key.size() == kTenantBytes + 1 + kAttrBytes + 1 + kIdBytes;
    EXPECT_EQ(pr.Contains(e.key),
              presence && e.tenant == 2 && e.type == ResourceType::kGroup && e.attr == 256);
  }
}

TEST(KeyCodecTest, OtherPerTenantKeysStartWithTheTenant) {
  for (TenantId t : {TenantId{0}, TenantId{1}, TenantId{0xFFFFFFFF}}) {
    const KeyRange r = TenantRange(t);
    EXPECT_TRUE(r.Contains(ResourceKey(t, ResourceType::kGroup, MaxId())));
    EXPECT_TRUE(r.Contains(MemberKey(t, MaxId(), MaxId())));
    EXPECT_TRUE(r.Contains(MemberOfKey(t, kMinId, kMinId)));
    EXPECT_TRUE(r.Contains(ResourceCountKey(t, ResourceType::kUser)));
    EXPECT_TRUE(r.Contains(MemberCountKey(t, MaxId())));
    EXPECT_TRUE(r.Contains(ChangelogKey(t, UINT64_MAX)));
    EXPECT_TRUE(
        r.Contains(*UniqueKey(t, ResourceType::kUser, IndexTerm{1, IndexValue::String("x")})));
    if (t != 0) {
      EXPECT_FALSE(r.Contains(ResourceKey(t - 1, ResourceType::kGroup, MaxId())));
    }
  }
  // Resources of one type are in id order, and members of one group in member order.
  EXPECT_LT(ResourceKey(1, ResourceType::kUser, Id(1)), ResourceKey(1, ResourceType::kUser, Id(2)));
  EXPECT_LT(ResourceKey(1, ResourceType::kUser, MaxId()),
            ResourceKey(1, ResourceType::kGroup, kMinId));
  EXPECT_LT(MemberKey(1, Id(1), MaxId()), MemberKey(1, Id(2), kMinId));
  EXPECT_LT(ChangelogKey(1, 255), ChangelogKey(1, 256));
}

TEST(KeyCodecTest, EveryKeyRoundTrips) {
  const ResourceId a = Id(0x0102030405060708, 0x1112131415161718);
  const ResourceId b = MaxId();
  {
    auto p = ParseResourceKey(ResourceKey(0xA0B0C0D0, ResourceType::kGroup, a));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->tenant, 0xA0B0C0D0u);
    EXPECT_EQ(p->type, ResourceType::kGroup);
    EXPECT_EQ(p->id, a);
    EXPECT_FALSE(ParseResourceKey("short").ok());
  }
  std::vector<IndexValue> values = {IndexValue::String(std::string("a\0\xFF", 3)),
                                    IndexValue::Integer(-5), IndexValue::DateTime(1700000000000000),
                                    IndexValue::Decimal(-2.5), IndexValue::Boolean(true)};
  for (const IndexValue& v : values) {
    auto p = ParseIndexKey(ValueKey(v, b, 9, ResourceType::kGroup, 0xBEEF));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->tenant, 9u);
    EXPECT_EQ(p->type, ResourceType::kGroup);
    EXPECT_EQ(p->attr, 0xBEEF);
    EXPECT_EQ(p->entry, IndexEntryKind::kValue);
    EXPECT_EQ(p->value, v);
    EXPECT_EQ(p->id, b);
    EXPECT_EQ(IndexKeyId(ValueKey(v, a)), a);

    auto u = ParseUniqueKey(*UniqueKey(9, ResourceType::kUser, IndexTerm{42, v}));
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u->tenant, 9u);
    EXPECT_EQ(u->type, ResourceType::kUser);
    EXPECT_EQ(u->term, (IndexTerm{42, v}));
  }
  {
    auto p = ParseIndexKey(IndexPresenceKey(3, ResourceType::kUser, 17, a));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->entry, IndexEntryKind::kPresence);
    EXPECT_EQ(p->attr, 17);
    EXPECT_EQ(p->id, a);
    std::string bad = ValueKey(IndexValue::Integer(1), a);
    bad.pop_back();
    EXPECT_FALSE(ParseIndexKey(bad).ok());
    EXPECT_FALSE(ParseIndexKey(std::string(30, '\x07')).ok());
  }
  {
    auto m = ParseEdgeKey(MemberKey(4, a, b));
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->tenant, 4u);
    EXPECT_EQ(m->first, a);
    EXPECT_EQ(m->second, b);
    auto mo = ParseEdgeKey(MemberOfKey(4, b, a));
    ASSERT_TRUE(mo.ok());
    EXPECT_EQ(mo->first, b);
    EXPECT_EQ(mo->second, a);
    auto mv = DecodeMemberValue(EncodeMemberValue(ResourceType::kGroup, ""));
    ASSERT_TRUE(mv.ok());
    EXPECT_EQ(mv->type, ResourceType::kGroup);
    EXPECT_EQ(mv->display, "");
    const std::string with_display = EncodeMemberValue(ResourceType::kUser, "Jane \xc3\xa9");
    auto md = DecodeMemberValue(with_display);
    ASSERT_TRUE(md.ok());
    EXPECT_EQ(md->type, ResourceType::kUser);
    EXPECT_EQ(md->display, "Jane \xc3\xa9");
    EXPECT_FALSE(DecodeMemberValue("").ok());
    EXPECT_FALSE(DecodeMemberValue("\x07").ok());
  }
  {
    auto c = ParseCounterKey(ResourceCountKey(5, ResourceType::kGroup));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->tenant, 5u);
    EXPECT_EQ(c->kind, CounterKind::kResourceCount);
    EXPECT_EQ(c->type, ResourceType::kGroup);
    auto g = ParseCounterKey(MemberCountKey(5, a));
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(g->kind, CounterKind::kMemberCount);
    EXPECT_EQ(g->group, a);
  }
  {
    auto c = ParseChangelogKey(ChangelogKey(6, 0x0102030405060708));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->tenant, 6u);
    EXPECT_EQ(c->sequence, 0x0102030405060708u);
  }
  {
    EXPECT_EQ(*ParseTenantIdKey(TenantIdKey(0x01020304)), 0x01020304u);
    EXPECT_TRUE(TenantIdKeyRange().Contains(TenantIdKey(0xFFFFFFFF)));
    EXPECT_FALSE(TenantIdKeyRange().Contains(TenantNameKey("t")));
    EXPECT_FALSE(TenantIdKeyRange().Contains(std::string(kTenantSeqKey)));
    EXPECT_EQ(*DecodeTenantId(EncodeTenantId(77)), 77u);
    auto tk = ParseTokenByTenantKey(TokenByTenantKey(8, "0123abcd"));
    ASSERT_TRUE(tk.ok());
    EXPECT_EQ(tk->tenant, 8u);
    EXPECT_EQ(tk->token_id, "0123abcd");
    EXPECT_TRUE(TokenByTenantRange(8).Contains(TokenByTenantKey(8, "x")));
    EXPECT_FALSE(TokenByTenantRange(8).Contains(TokenByTenantKey(9, "")));
    EXPECT_FALSE(TokenByTenantRange(8).Contains(TokenKey("x")));
  }
}

TEST(KeyCodecTest, CounterDeltasWrapAndNegativeReadsAsZero) {
  EXPECT_EQ(*DecodeCounter(EncodeCounterDelta(5)), 5u);
  EXPECT_EQ(*DecodeCounter(EncodeCounterDelta(-1)), 0u);  // wrapped below zero
  EXPECT_FALSE(DecodeCounter("1234567").ok());
}

TEST(KeyCodecTest, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("ab"), "ac");
  EXPECT_EQ(PrefixSuccessor(std::string("a\xFF\xFF", 3)), "b");
  EXPECT_EQ(PrefixSuccessor(std::string("\xFF\xFF", 2)), "");
  EXPECT_EQ(PrefixSuccessor(""), "");
  EXPECT_TRUE(PrefixRange(std::string("\xFF", 1)).Contains(std::string("\xFF\xFF\xFF", 3)));
}

}  // namespace
}  // namespace scimd::storage
