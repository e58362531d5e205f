// Token lifecycle over the in-memory store with a clock moved by hand: issue (scope,
// description, expiry, the tenant's default), list, revoke, rotate with a grace period,
// and what core::Gate makes of each (401 expired or revoked, 403 read-only writes), plus
// the batched "last used".
#include "core/tenancy/tokens.h"

#include <gtest/gtest.h>

#include "core/tenancy/gate.h"
#include "core/tenancy/tenant_settings.h"
#include "storage/mem_store.h"

namespace scimd::core {
namespace {

constexpr int64_t kNow = 1'800'000'000;  // seconds
constexpr int64_t kDay = kSecondsPerDay;

class TokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    auto t = store_.CreateTenant("acme");
    ASSERT_TRUE(t.ok());
    tenant_ = t->id;
    auto other = store_.CreateTenant("other");
    ASSERT_TRUE(other.ok());
    other_ = other->id;
  }
  void SetNow(int64_t seconds) { clock_.Set(seconds * 1'000'000); }
  IssuedToken Issue(TokenOptions options = {}, TenantId tenant = 0) {
    auto issued = IssueToken(store_, tenant != 0 ? tenant : tenant_, options, Now());
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.ok() ? std::move(issued).value() : IssuedToken();
  }
  int64_t Now() const { return clock_.NowMicros() / 1'000'000; }
  Status Admit(const std::string& token, bool writes = false) {
    Credentials c;
    const std::string header = "Bearer " + token;
    c.authorization = header;
    c.writes = writes;
    return gate_.Admit(c).status();
  }

  storage::MemStore store_;
  ManualClock clock_{kNow * 1'000'000};
  Gate gate_{store_, clock_};
  TenantId tenant_ = 0, other_ = 0;
};

TEST_F(TokensTest, IssueRecordsScopeDescriptionAndExpiry) {
  TokenOptions options;
  options.scope = TokenRecord::Scope::kScimRead;
  options.description = "Okta staging";
  options.lifetime = 30 * kDay;
  const IssuedToken t = Issue(options);
  EXPECT_EQ(t.record.created_unix, kNow);
  EXPECT_EQ(t.record.expires_unix, kNow + 30 * kDay);
  auto stored = store_.LookupToken(t.record.token_id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->scope, TokenRecord::Scope::kScimRead);
  EXPECT_EQ((*stored)->description, "Okta staging");
  EXPECT_EQ((*stored)->expires_unix, kNow + 30 * kDay);
  EXPECT_EQ((*stored)->hash.size(), 32u);
  EXPECT_EQ(t.token.find((*stored)->hash), std::string::npos);

  EXPECT_TRUE(Admit(t.token).ok());
  SetNow(kNow + 30 * kDay - 1);
  EXPECT_TRUE(Admit(t.token).ok());
  SetNow(kNow + 30 * kDay);
  Status expired = Admit(t.token);
  EXPECT_TRUE(expired.Is(Status::Code::kUnauthorized)) << expired.ToString();
  EXPECT_NE(expired.detail().find("expired"), std::string::npos);

  options.description = std::string(300, 'x');
  EXPECT_TRUE(IssueToken(store_, tenant_, options, Now()).status().Is(Status::Code::kInvalidValue));
}

TEST_F(TokensTest, TheTenantsDefaultExpiryApplies) {
  ASSERT_TRUE(store_.PutTenantSettings(tenant_, {{"token-expiry", "30d"}}).ok());
  EXPECT_EQ(Issue().record.expires_unix, kNow + 30 * kDay);
  TokenOptions forever;
  forever.lifetime = 0;
  EXPECT_EQ(Issue(forever).record.expires_unix, 0);
  EXPECT_EQ(Issue({}, other_).record.expires_unix, 0);  // other tenants keep "never"
}

TEST_F(TokensTest, ReadOnlyTokensReadButDoNotWrite) {
  TokenOptions read_only;
  read_only.scope = TokenRecord::Scope::kScimRead;
  const IssuedToken r = Issue(read_only);
  EXPECT_TRUE(Admit(r.token, false).ok());
  Status write = Admit(r.token, true);
  EXPECT_TRUE(write.Is(Status::Code::kForbidden)) << write.ToString();
  EXPECT_EQ(ToHttp(write.code()).http_status, 403);
  EXPECT_TRUE(Admit(Issue().token, true).ok());
}

TEST_F(TokensTest, HeldWritesAre503WithRetryAfterAndReadsGoOn) {
  const IssuedToken mine = Issue();
  const IssuedToken theirs = Issue({}, other_);
  gate_.HoldWrites(tenant_);
  gate_.HoldWrites(tenant_);  // holds nest
  Status held = Admit(mine.token, true);
  EXPECT_TRUE(held.Is(Status::Code::kBusy)) << held.ToString();
  EXPECT_EQ(held.retry_after(), kHeldWritesRetryAfterSeconds);
  EXPECT_TRUE(Admit(mine.token, false).ok());
  EXPECT_TRUE(Admit(theirs.token, true).ok());  // another tenant writes on
  gate_.ReleaseWrites(tenant_);
  EXPECT_TRUE(Admit(mine.token, true).Is(Status::Code::kBusy));
  gate_.ReleaseWrites(tenant_);
  EXPECT_TRUE(Admit(mine.token, true).ok());
  gate_.ReleaseWrites(tenant_);  // one release too many changes nothing
  EXPECT_FALSE(gate_.WritesHeld(tenant_));
}

TEST_F(TokensTest, RevokeIsImmediateAndOnlyForTheTenantsOwnTokens) {
  const IssuedToken mine = Issue();
  const IssuedToken theirs = Issue({}, other_);
  EXPECT_TRUE(RevokeToken(store_, tenant_, theirs.record.token_id).Is(Status::Code::kNotFound));
  EXPECT_TRUE(Admit(theirs.token).ok());
  ASSERT_TRUE(RevokeToken(store_, tenant_, mine.record.token_id).ok());
  EXPECT_TRUE(Admit(mine.token).Is(Status::Code::kUnauthorized));
  EXPECT_TRUE(RevokeToken(store_, tenant_, mine.record.token_id).Is(Status::Code::kNotFound));
}

TEST_F(TokensTest, RotationKeepsTheOldTokenForTheGracePeriod) {
  TokenOptions options;
  options.description = "ITSM";
  options.lifetime = 90 * kDay;
  const IssuedToken old = Issue(options);
  SetNow(kNow + 10 * kDay);
  auto r = RotateToken(store_, tenant_, "", 30 * kDay, Now());  // the only valid token
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->old.token_id, old.record.token_id);
  EXPECT_EQ(r->old.expires_unix, kNow + 40 * kDay);
  EXPECT_EQ(r->fresh.record.description, "ITSM");
  EXPECT_EQ(r->fresh.record.expires_unix, kNow + 100 * kDay);  // the old one's lifetime again

  SetNow(kNow + 40 * kDay - 1);
  EXPECT_TRUE(Admit(old.token).ok());
  EXPECT_TRUE(Admit(r->fresh.token).ok());
  SetNow(kNow + 40 * kDay);
  EXPECT_TRUE(Admit(old.token).Is(Status::Code::kUnauthorized));
  EXPECT_TRUE(Admit(r->fresh.token).ok());

  // A grace longer than the old token has left does not extend it.
  auto again = RotateToken(store_, tenant_, r->fresh.record.token_id, 365 * kDay, Now());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->old.expires_unix, kNow + 100 * kDay);
}

TEST_F(TokensTest, RotationWithoutAnIdNeedsExactlyOneValidToken) {
  EXPECT_TRUE(RotateToken(store_, tenant_, "", kDay, Now()).status().Is(Status::Code::kNotFound));
  const IssuedToken a = Issue();
  const IssuedToken b = Issue();
  auto two = RotateToken(store_, tenant_, "", kDay, Now());
  EXPECT_TRUE(two.status().Is(Status::Code::kInvalidValue));
  EXPECT_NE(two.status().detail().find(a.record.token_id), std::string::npos);
  EXPECT_NE(two.status().detail().find(b.record.token_id), std::string::npos);
  EXPECT_TRUE(RotateToken(store_, tenant_, Issue({}, other_).record.token_id, kDay, Now())
                  .status()
                  .Is(Status::Code::kNotFound));
}

TEST_F(TokensTest, ListIsOldestFirstAndFlagsWhatExpiresSoon) {
  TokenOptions week;
  week.lifetime = 7 * kDay;
  const IssuedToken soon = Issue(week);
  SetNow(kNow + 1);
  const IssuedToken later = Issue();
  auto list = ListTenantTokens(store_, tenant_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].token_id, soon.record.token_id);
  EXPECT_TRUE(ExpiresSoon((*list)[0], Now()));
  EXPECT_FALSE(ExpiresSoon((*list)[1], Now()));
  EXPECT_FALSE(ExpiresSoon((*list)[0], kNow + 7 * kDay));  // expired is not "soon"
  EXPECT_TRUE(IsExpired((*list)[0], kNow + 7 * kDay));
}

TEST_F(TokensTest, LastUseIsNotedInMemoryAndWrittenCoarsely) {
  const IssuedToken t = Issue();
  ASSERT_TRUE(Admit(t.token).ok());
  EXPECT_EQ(gate_.usage().LastSeen(t.record.token_id), kNow);
  auto stored = [&] { return (*store_.LookupToken(t.record.token_id))->last_used_unix; };
  EXPECT_EQ(stored(), 0);  // no store write per request
  auto n = gate_.usage().Flush(store_);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(stored(), kNow);
  SetNow(kNow + kLastUsedGranularitySeconds - 1);
  ASSERT_TRUE(Admit(t.token).ok());
  EXPECT_EQ(*gate_.usage().Flush(store_), 0u);  // within the granularity: nothing written
  SetNow(kNow + kLastUsedGranularitySeconds + 5);
  ASSERT_TRUE(Admit(t.token).ok());
  EXPECT_EQ(*gate_.usage().Flush(store_), 1u);
  EXPECT_EQ(stored(), kNow + kLastUsedGranularitySeconds + 5);
  // A flush after a revoke does not bring the token back.
  SetNow(kNow + 10 * kLastUsedGranularitySeconds);
  ASSERT_TRUE(Admit(t.token).ok());
  ASSERT_TRUE(RevokeToken(store_, tenant_, t.record.token_id).ok());
  EXPECT_TRUE(gate_.usage().Flush(store_).ok());
  auto gone = store_.LookupToken(t.record.token_id);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST_F(TokensTest, HostsAndPathsAdmitOnlyTheirTenantsTokens) {
  ASSERT_TRUE(store_.PutTenantSettings(other_, {{"host", "other.example,o2.example"}}).ok());
  ASSERT_TRUE(gate_.RefreshDirectory().ok());
  const IssuedToken mine = Issue(), theirs = Issue({}, other_);
  auto admit = [&](const IssuedToken& t, std::string_view host, std::string_view path_tenant) {
    Credentials c;
    const std::string header = "Bearer " + t.token;
    c.authorization = header;
    c.host = host;
    c.path_tenant = path_tenant;
    return gate_.Admit(c).status();
  };
  EXPECT_TRUE(admit(theirs, "OTHER.example:443", "").ok());
  EXPECT_TRUE(admit(mine, "other.example", "").Is(Status::Code::kUnauthorized));
  EXPECT_TRUE(admit(mine, "o2.example:8080", "").Is(Status::Code::kUnauthorized));
  EXPECT_TRUE(admit(mine, "unclaimed.example", "").ok());  // a host nobody claims: the token
  EXPECT_TRUE(admit(mine, "[::1]:8080", "").ok());
  EXPECT_TRUE(admit(mine, "", "acme").ok());
  EXPECT_TRUE(admit(mine, "", "other").Is(Status::Code::kUnauthorized));
  EXPECT_TRUE(admit(mine, "", "nosuch").Is(Status::Code::kUnauthorized));
  EXPECT_TRUE(admit(theirs, "other.example", "other").ok());
  EXPECT_FALSE(ParseHostList("bad host").ok());
  EXPECT_FALSE(ParseHostList("h.example:80").ok());
  EXPECT_EQ(*ParseHostList(" A.example , a.example,b.example"),
            (std::vector<std::string>{"a.example", "b.example"}));
}

TEST_F(TokensTest, DurationsAndScopesAsAdminsWriteThem) {
  EXPECT_EQ(*ParseDurationSeconds("30d"), 30 * kDay);
  EXPECT_EQ(*ParseDurationSeconds("12h"), 12 * 3600);
  EXPECT_EQ(*ParseDurationSeconds("90m"), 5400);
  EXPECT_EQ(*ParseDurationSeconds("45s"), 45);
  EXPECT_EQ(*ParseDurationSeconds("3600"), 3600);
  EXPECT_EQ(*ParseDurationSeconds("never"), 0);
  for (const char* bad : {"", "d", "-1d", "1w", "1.5d", "30 d", "99999999999d"}) {
    EXPECT_TRUE(ParseDurationSeconds(bad).status().Is(Status::Code::kInvalidValue)) << bad;
  }
  EXPECT_EQ(FormatDuration(30 * kDay), "30d");
  EXPECT_EQ(FormatDuration(5400), "90m");
  EXPECT_EQ(FormatDuration(61), "61s");
  EXPECT_EQ(FormatDuration(0), "never");
  EXPECT_EQ(*ParseScope("scim:read"), TokenRecord::Scope::kScimRead);
  EXPECT_EQ(ScopeName(*ParseScope("scim")), "scim");
  EXPECT_FALSE(ParseScope("admin").ok());
  EXPECT_TRUE(ValidateSetting("token-expiry", "30d").ok());
  EXPECT_FALSE(ValidateSetting("token-expiry", "soon").ok());
}

}  // namespace
}  // namespace scimd::core
