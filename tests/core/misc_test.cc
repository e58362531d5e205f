// ids, status table, tenant settings, tokens, rate limits.
#include <gtest/gtest.h>
#include <sodium.h>

#include <set>

#include "core/base/ids.h"
#include "core/base/status.h"
#include "core/tenancy/auth.h"
#include "core/tenancy/tenant_settings.h"

namespace scimd::core {
namespace {

TEST(IdsTest, TextRoundTripAndRejects) {
  ASSERT_TRUE(InitCrypto().ok());
  const ResourceId id = ResourceId::Generate();
  const std::string text = id.ToString();
  EXPECT_EQ(text.size(), 36u);
  EXPECT_EQ(text[14], '7');  // version 7
  auto back = ResourceId::Parse(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, id);
  std::string upper = text;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(*ResourceId::Parse(upper), id);
  for (const char* bad :
       {"", "x", "0190a3f1-0000-7000-8000-00000000000g", "0190a3f100-00-7000-8000-000000000000",
        "0190a3f1-0000-7000-8000-0000000000000"}) {
    EXPECT_FALSE(ResourceId::Parse(bad).ok()) << bad;
  }
}

TEST(IdsTest, GeneratedIdsAreUniqueAndIncreasingOnOneThread) {
  ASSERT_TRUE(InitCrypto().ok());
  ResourceId prev = ResourceId::Generate();
  std::set<std::string> seen;
  for (int i = 0; i < 100000; ++i) {
    ResourceId next = ResourceId::Generate();
    ASSERT_LT(prev, next);
    ASSERT_TRUE(seen.insert(next.ToString()).second);
    prev = next;
  }
}

TEST(StatusTest, HttpTable) {
  EXPECT_EQ(ToHttp(Status::Code::kUniqueness).http_status, 409);
  EXPECT_EQ(ToHttp(Status::Code::kUniqueness).scim_type, "uniqueness");
  EXPECT_EQ(ToHttp(Status::Code::kInvalidFilter).scim_type, "invalidFilter");
  EXPECT_EQ(ToHttp(Status::Code::kNotFound).http_status, 404);
  EXPECT_EQ(ToHttp(Status::Code::kPayloadTooLarge).http_status, 413);
  EXPECT_EQ(ToHttp(Status::Code::kUnauthorized).scim_type, "");
  Result<int> r = Status::NotFound("x");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(), "notFound: x");
  Result<int> v = 5;
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(*v, 5);
}

TEST(TenantSettingsTest, ValidatesNamesAndValues) {
  EXPECT_TRUE(ValidateSetting("patch-response", "no-content").ok());
  EXPECT_FALSE(ValidateSetting("patch-response", "maybe").ok());
  EXPECT_FALSE(ValidateSetting("nope", "x").ok());
  auto s =
      TenantSettings::FromMap({{"patch-response", "no-content"}, {"unknown-attributes", "ignore"}});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->patch_no_content);
  EXPECT_TRUE(s->decode.ignore_unknown_attributes);
  auto d = TenantSettings::FromMap({});
  EXPECT_FALSE(d->patch_no_content);
  EXPECT_FALSE(d->decode.ignore_unknown_attributes);
}

TEST(AuthTest, TokensAreRandomAndStoredAsHash) {
  ASSERT_TRUE(InitCrypto().ok());
  IssuedToken a = MakeToken(7), b = MakeToken(7);
  EXPECT_NE(a.token, b.token);
  EXPECT_EQ(a.token.rfind("scimd_", 0), 0u);
  EXPECT_EQ(a.token.size(), 6u + 16 + 1 + 43);
  EXPECT_EQ(a.record.hash.size(), 32u);
  EXPECT_EQ(a.record.tenant, 7u);
  EXPECT_EQ(a.token.find(a.record.hash), std::string::npos);
  EXPECT_EQ(a.token.substr(6, 16), a.record.token_id);
}

}  // namespace
}  // namespace scimd::core

namespace scimd::core {
namespace {

TEST(AuthTest, PasswordsAreStoredAsSaltedArgon2idHashes) {
  ASSERT_TRUE(InitCrypto().ok());
  auto a = HashPassword("correct horse");
  auto b = HashPassword("correct horse");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->rfind("$argon2id$", 0), 0u);
  EXPECT_NE(*a, *b);  // salted
  EXPECT_EQ(a->find("correct horse"), std::string::npos);
  EXPECT_EQ(crypto_pwhash_str_verify(a->c_str(), "correct horse", 13), 0);
  EXPECT_NE(crypto_pwhash_str_verify(a->c_str(), "wrong", 5), 0);
  EXPECT_FALSE(HashPassword(std::string(5000, 'x')).ok());
}

}  // namespace
}  // namespace scimd::core

#include "core/tenancy/rate_limiter.h"

namespace scimd::core {
namespace {

TEST(RateLimiterTest, AdmitsABurstOfOneSecondThenAsksToWait) {
  RateLimiter limiter;
  const auto t0 = std::chrono::steady_clock::time_point(std::chrono::seconds(1000));
  int admitted = 0;
  for (int i = 0; i < 100; ++i) admitted += limiter.Check(1, 10, t0) == 0;
  EXPECT_EQ(admitted, 10);  // a burst of one second's worth
  EXPECT_GE(limiter.Check(1, 10, t0), 1);
  // Another tenant has its own budget.
  EXPECT_EQ(limiter.Check(2, 10, t0), 0);
  // Half a second later, 5 more fit.
  admitted = 0;
  for (int i = 0; i < 100; ++i) {
    admitted += limiter.Check(1, 10, t0 + std::chrono::milliseconds(500)) == 0;
  }
  EXPECT_EQ(admitted, 5);
}

TEST(FailureLimiterTest, ABurstOfFailuresThenOnePerIntervalPerAddress) {
  FailureLimiter limiter;
  const auto t0 = std::chrono::steady_clock::time_point(std::chrono::seconds(1000));
  int tried = 0;
  for (int i = 0; i < 100; ++i) {
    if (limiter.Blocked("10.0.0.1", t0) > 0) continue;
    ++tried;
    limiter.Fail("10.0.0.1", t0);
  }
  EXPECT_EQ(tried, FailureLimiter::kFailedAuthBurst);
  EXPECT_EQ(limiter.Blocked("10.0.0.1", t0), 1);
  // Other addresses are not held back (the table's slots make a collision unlikely here).
  EXPECT_EQ(limiter.Blocked("10.0.0.2", t0), 0);
  // One interval later, one more failure is allowed, and then none.
  const auto t1 = t0 + std::chrono::seconds(FailureLimiter::kFailedAuthIntervalSeconds);
  EXPECT_EQ(limiter.Blocked("10.0.0.1", t1), 0);
  limiter.Fail("10.0.0.1", t1);
  EXPECT_GE(limiter.Blocked("10.0.0.1", t1), 1);
  // After a quiet spell as long as the burst, the whole burst is back.
  const auto t2 = t1 + std::chrono::seconds(FailureLimiter::kFailedAuthBurst *
                                            FailureLimiter::kFailedAuthIntervalSeconds);
  tried = 0;
  for (int i = 0; i < 100; ++i) {
    if (limiter.Blocked("10.0.0.1", t2) > 0) continue;
    ++tried;
    limiter.Fail("10.0.0.1", t2);
  }
  EXPECT_EQ(tried, FailureLimiter::kFailedAuthBurst);
}

TEST(TenantSettingsTest, NumericAndPolicySettings) {
  EXPECT_TRUE(ValidateSetting("rate-limit", "25").ok());
  EXPECT_TRUE(ValidateSetting("rate-limit", "0").ok());
  EXPECT_FALSE(ValidateSetting("rate-limit", "-1").ok());
  EXPECT_FALSE(ValidateSetting("rate-limit", "fast").ok());
  EXPECT_FALSE(ValidateSetting("rate-limit", "99999999999").ok());
  EXPECT_TRUE(ValidateSetting("delete-policy", "soft").ok());
  EXPECT_TRUE(ValidateSetting("unknown-members", "ignore").ok());
  auto s = TenantSettings::FromMap(
      {{"rate-limit", "25"}, {"delete-policy", "soft"}, {"unknown-members", "ignore"}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->rate_limit, 25u);
  EXPECT_TRUE(s->soft_delete);
  EXPECT_TRUE(s->decode.ignore_unknown_members);
}

}  // namespace
}  // namespace scimd::core
