// Tenant and token records round-trip, and damaged or unknown-version records are
// Corruption, never a crash or a misread.
#include "storage/record_codec.h"

#include <gtest/gtest.h>
#include <rocksdb/merge_operator.h>

#include "storage/key_codec.h"
#include "storage/uint64_add.h"

namespace scimd::storage {
namespace {

using core::Status;

TEST(RecordCodecTest, TenantRoundTrip) {
  core::TenantRecord t;
  t.id = 0xDEADBEEF;
  t.name = std::string("acme.qa\0x", 9);
  t.created_unix = -5;
  t.settings = {{"deletePolicy", "soft"}, {"", ""}, {"rateLimit", std::string(1000, 'x')}};
  auto back = DecodeTenantRecord(EncodeTenantRecord(t));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->id, t.id);
  EXPECT_EQ(back->name, t.name);
  EXPECT_EQ(back->created_unix, t.created_unix);
  EXPECT_EQ(back->settings, t.settings);
  EXPECT_EQ(EncodeTenantRecord(t)[0], static_cast<char>(kTenantRecordV1));
}

TEST(RecordCodecTest, DamagedTenantRecordsAreCorruption) {
  core::TenantRecord t;
  t.id = 3;
  t.name = "acme";
  t.settings = {{"a", "b"}};
  const std::string good = EncodeTenantRecord(t);
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_TRUE(DecodeTenantRecord(good.substr(0, n)).status().Is(Status::Code::kCorruption));
  }
  std::string v2 = good;
  v2[0] = 2;
  EXPECT_TRUE(DecodeTenantRecord(v2).status().Is(Status::Code::kCorruption));
  EXPECT_TRUE(DecodeTenantRecord(good + "x").status().Is(Status::Code::kCorruption));
  std::string huge_count = good;
  huge_count[1 + 4 + 8 + 4 + 4] = '\x7F';  // settings count's top byte
  EXPECT_FALSE(DecodeTenantRecord(huge_count).ok());
}

TEST(RecordCodecTest, TokenRoundTrip) {
  core::TokenRecord t;
  t.token_id = "0123456789abcdef";
  t.hash = std::string(32, '\xAB');
  t.tenant = 12;
  t.created_unix = 1700000000;
  const std::string v = EncodeTokenRecord(t);
  auto back = DecodeTokenRecord(t.token_id, v);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->token_id, t.token_id);
  EXPECT_EQ(back->hash, t.hash);
  EXPECT_EQ(back->tenant, t.tenant);
  EXPECT_EQ(back->created_unix, t.created_unix);
  EXPECT_FALSE(DecodeTokenRecord("x", v.substr(0, v.size() - 1)).ok());
  EXPECT_FALSE(DecodeTokenRecord("x", v + "x").ok());
  EXPECT_FALSE(DecodeTokenRecord("x", "").ok());
}

TEST(RecordCodecTest, TokenV2FieldsRoundTripAndV1RecordsStillRead) {
  core::TokenRecord t;
  t.token_id = "0123456789abcdef";
  t.hash = std::string(32, '\x01');
  t.tenant = 7;
  t.created_unix = 1700000000;
  t.scope = core::TokenRecord::Scope::kScimRead;
  t.description = "Entra \"prod\"";
  t.expires_unix = 1702592000;
  t.last_used_unix = 1700000600;
  const std::string v = EncodeTokenRecord(t);
  EXPECT_EQ(v[0], static_cast<char>(kTokenRecordV2));
  auto back = DecodeTokenRecord(t.token_id, v);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->scope, t.scope);
  EXPECT_EQ(back->description, t.description);
  EXPECT_EQ(back->expires_unix, t.expires_unix);
  EXPECT_EQ(back->last_used_unix, t.last_used_unix);
  std::string bad_scope = v;
  bad_scope[1 + 4 + 8 + 32] = '\x09';
  EXPECT_TRUE(
      DecodeTokenRecord(t.token_id, bad_scope).status().Is(core::Status::Code::kCorruption));

  // A record written before scopes and expiry (v1: version, tenant, created, hash).
  std::string v1(1, static_cast<char>(kTokenRecordV1));
  v1 += std::string("\0\0\0\x07", 4);
  v1 += std::string("\0\0\0\0\x65\x53\xf1\x00", 8);
  v1 += std::string(32, '\x02');
  auto old = DecodeTokenRecord("00000000000000aa", v1);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->tenant, 7u);
  EXPECT_EQ(old->created_unix, 1700000000);
  EXPECT_EQ(old->scope, core::TokenRecord::Scope::kScim);
  EXPECT_EQ(old->expires_unix, 0);
  EXPECT_EQ(old->last_used_unix, 0);
  EXPECT_TRUE(old->description.empty());
  EXPECT_FALSE(DecodeTokenRecord("x", v1 + "x").ok());
}

std::string Merge(const rocksdb::Slice* existing, const rocksdb::Slice& operand) {
  auto op = NewUInt64AddOperator();
  auto* assoc = dynamic_cast<rocksdb::AssociativeMergeOperator*>(op.get());
  EXPECT_NE(assoc, nullptr);
  std::string out;
  EXPECT_TRUE(assoc->Merge("k", existing, operand, &out, nullptr));
  return out;
}

TEST(UInt64AddTest, AddsWrapsAndTreatsMalformedAsZero) {
  const std::string five = EncodeCounterDelta(5), minus_two = EncodeCounterDelta(-2);
  rocksdb::Slice s5(five);
  EXPECT_EQ(*DecodeCounter(Merge(nullptr, five)), 5u);
  EXPECT_EQ(*DecodeCounter(Merge(&s5, minus_two)), 3u);
  EXPECT_EQ(*DecodeCounter(Merge(&s5, "bad")), 5u);
  rocksdb::Slice bad("bad");
  EXPECT_EQ(*DecodeCounter(Merge(&bad, five)), 5u);
  EXPECT_STREQ(NewUInt64AddOperator()->Name(), "scimd.UInt64Add");
}

}  // namespace
}  // namespace scimd::storage
