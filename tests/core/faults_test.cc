// Fault injection settings (core/tenancy/faults.h): the share and latency parsers, the
// settings as `tenant set` validates them (alone and together), what copy-config leaves
// alone, and the draw: exact with given random bits, near its shares with the generator.
#include "core/tenancy/faults.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/tenancy/tenant_settings.h"
#include "core/usecase/tenant_admin.h"
#include "storage/mem_store.h"

namespace scimd::core {
namespace {

TEST(FaultSettingsTest, SharesAreFractionsOrPercentages) {
  const std::map<std::string, uint32_t> good = {
      {"0", 0},           {"1", 1'000'000}, {"0.05", 50'000}, {".5", 500'000},
      {"1.0", 1'000'000}, {"0.000001", 1},  {"5%", 50'000},   {"100%", 1'000'000},
      {"0.5%", 5'000},    {"0.0001%", 1},   {"0%", 0},        {"0.25", 250'000},
  };
  for (const auto& [text, ppm] : good) {
    auto share = ParseFaultShare(text);
    ASSERT_TRUE(share.ok()) << text << ": " << share.status().detail();
    EXPECT_EQ(*share, ppm) << text;
  }
  for (const char* bad :
       {"", "%", ".", "1.", "-0.1", "+0.1", "1.5", "2", "101%", "0.0000001", "0.00001%", "0,5",
        " 0.5", "0.5 ", "half", "5%%", "1e-2", "0x1", "99999999999"}) {
    EXPECT_FALSE(ParseFaultShare(bad).ok()) << bad;
  }
}

TEST(FaultSettingsTest, LatencyIsADelayOrARange) {
  using Range = std::pair<uint32_t, uint32_t>;
  const std::map<std::string, Range> good = {
      {"0", {0, 0}},
      {"0ms", {0, 0}},
      {"200ms", {200, 200}},
      {"2s", {2000, 2000}},
      {"30s", {30'000, 30'000}},
      {"10..200ms", {10, 200}},
      {"10ms..2s", {10, 2000}},
      {"1..3s", {1000, 3000}},
      {"0..30000ms", {0, 30'000}},
      {"5..5ms", {5, 5}},
  };
  for (const auto& [text, range] : good) {
    auto latency = ParseFaultLatency(text);
    ASSERT_TRUE(latency.ok()) << text << ": " << latency.status().detail();
    EXPECT_EQ(*latency, range) << text;
  }
  for (const char* bad : {"", "200", "ms", "31s", "30001ms", "200..10ms", "2s..1s", "10..",
                          "..10ms", "1.5s", "-1ms", "10...20ms", "fast", "200 ms", "1m"}) {
    EXPECT_FALSE(ParseFaultLatency(bad).ok()) << bad;
  }
}

TEST(FaultSettingsTest, ValidatedAndReadLikeTheOtherSettings) {
  EXPECT_TRUE(ValidateSetting("fault-429", "0.05").ok());
  EXPECT_TRUE(ValidateSetting("fault-drop", "1%").ok());
  EXPECT_TRUE(ValidateSetting("fault-latency", "10..200ms").ok());
  EXPECT_TRUE(ValidateSetting("fault-retry-after", "0").ok());
  EXPECT_TRUE(ValidateSetting("fault-retry-after", "3600").ok());
  EXPECT_FALSE(ValidateSetting("fault-retry-after", "3601").ok());
  EXPECT_FALSE(ValidateSetting("fault-404", "0.1").ok());
  Status bad = ValidateSetting("fault-500", "1.5");
  EXPECT_NE(bad.detail().find("setting fault-500 takes a share"), std::string::npos)
      << bad.detail();
  bad = ValidateSetting("fault-latency", "45s");
  EXPECT_NE(bad.detail().find("up to 30s"), std::string::npos) << bad.detail();

  // Off by default.
  auto none = TenantSettings::FromMap({});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->faults.Any());
  EXPECT_EQ(none->faults.retry_after_s, 1u);

  auto s = TenantSettings::FromMap({{"fault-latency", "10..200ms"},
                                    {"fault-429", "0.05"},
                                    {"fault-500", "1%"},
                                    {"fault-503", "0.02"},
                                    {"fault-drop", "0.001"},
                                    {"fault-retry-after", "7"}});
  ASSERT_TRUE(s.ok()) << s.status().detail();
  EXPECT_TRUE(s->faults.Any());
  EXPECT_EQ(s->faults.latency_min_ms, 10u);
  EXPECT_EQ(s->faults.latency_max_ms, 200u);
  EXPECT_EQ(s->faults.too_many_ppm, 50'000u);
  EXPECT_EQ(s->faults.internal_ppm, 10'000u);
  EXPECT_EQ(s->faults.unavailable_ppm, 20'000u);
  EXPECT_EQ(s->faults.drop_ppm, 1'000u);
  EXPECT_EQ(s->faults.retry_after_s, 7u);
  // Latency alone is a fault setting too.
  EXPECT_TRUE(TenantSettings::FromMap({{"fault-latency", "5ms"}})->faults.Any());
  EXPECT_FALSE(TenantSettings::FromMap({{"fault-latency", "0"}})->faults.Any());
}

class FaultTenantTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = store_.CreateTenant("acme");
    auto qa = store_.CreateTenant("acme.qa");
    ASSERT_TRUE(a.ok() && qa.ok());
    acme_ = a->id;
    qa_ = qa->id;
  }
  std::map<std::string, std::string> SettingsOf(TenantId id) {
    auto t = store_.GetTenant(id);
    EXPECT_TRUE(t.ok() && t->has_value());
    return t.ok() && t->has_value() ? (*t)->settings : std::map<std::string, std::string>{};
  }

  storage::MemStore store_;
  TenantId acme_ = 0;
  TenantId qa_ = 0;
};

TEST_F(FaultTenantTest, SharesMayNotAddUpToMoreThanOne) {
  EXPECT_TRUE(SetTenantSettings(store_, acme_, {{"fault-429", "0.5"}, {"fault-500", "0.5"}}).ok());
  // One more would pass alone; together they are more than every request: refused, and
  // nothing of the change is kept.
  Status s = SetTenantSettings(store_, acme_, {{"fault-503", "0.1"}, {"rate-limit", "5"}});
  EXPECT_TRUE(s.Is(Status::Code::kInvalidValue));
  EXPECT_NE(s.detail().find("add up to more than 1"), std::string::npos) << s.detail();
  EXPECT_EQ(SettingsOf(acme_).count("fault-503"), 0u);
  EXPECT_EQ(SettingsOf(acme_).count("rate-limit"), 0u);
  // Lowering one first makes room.
  EXPECT_TRUE(SetTenantSettings(store_, acme_, {{"fault-500", "0.4"}, {"fault-503", "0.1"}}).ok());
  EXPECT_TRUE(SetTenantSetting(store_, acme_, "fault-drop", "0").ok());
  EXPECT_FALSE(SetTenantSetting(store_, acme_, "fault-drop", "0.000001").ok());
  // Removing them turns faults off.
  EXPECT_TRUE(
      SetTenantSettings(store_, acme_, {{"fault-429", ""}, {"fault-500", ""}, {"fault-503", ""}})
          .ok());
  auto settings = TenantSettings::FromMap(SettingsOf(acme_));
  ASSERT_TRUE(settings.ok());
  EXPECT_FALSE(settings->faults.Any());
}

TEST_F(FaultTenantTest, CopyConfigLeavesFaultsWhereTheyAre) {
  ASSERT_TRUE(SetTenantSettings(
                  store_, qa_, {{"fault-500", "0.1"}, {"fault-latency", "1s"}, {"rate-limit", "9"}})
                  .ok());
  ASSERT_TRUE(SetTenantSetting(store_, acme_, "fault-429", "0.01").ok());
  auto changes = CopyTenantConfig(store_, qa_, acme_);
  ASSERT_TRUE(changes.ok()) << changes.status().detail();
  const auto acme = SettingsOf(acme_);
  EXPECT_EQ(acme.at("rate-limit"), "9");
  EXPECT_EQ(acme.count("fault-500"), 0u);
  EXPECT_EQ(acme.count("fault-latency"), 0u);
  EXPECT_EQ(acme.at("fault-429"), "0.01");  // the target's own stays
  for (const auto& line : *changes) EXPECT_EQ(line.find("fault-"), std::string::npos) << line;
}

TEST(FaultDrawTest, TheHighBitsChooseTheKindInOrder) {
  FaultSettings f;
  f.too_many_ppm = 100'000;  // [0, 0.1)
  f.internal_ppm = 200'000;  // [0.1, 0.3)
  f.unavailable_ppm = 300'000;
  f.drop_ppm = 100'000;  // [0.6, 0.7); the rest none
  auto at = [&](double u) {
    return DrawFaultWith(f, static_cast<uint64_t>(u * 4294967296.0) << 32).kind;
  };
  EXPECT_EQ(at(0.0), FaultKind::kTooManyRequests);
  EXPECT_EQ(at(0.0999), FaultKind::kTooManyRequests);
  EXPECT_EQ(at(0.1001), FaultKind::kInternalError);
  EXPECT_EQ(at(0.2999), FaultKind::kInternalError);
  EXPECT_EQ(at(0.3001), FaultKind::kUnavailable);
  EXPECT_EQ(at(0.6001), FaultKind::kDrop);
  EXPECT_EQ(at(0.7001), FaultKind::kNone);
  EXPECT_EQ(at(0.9999), FaultKind::kNone);
  f.too_many_ppm = kFaultShareScale;  // everything, whatever the draw
  f.internal_ppm = f.unavailable_ppm = f.drop_ppm = 0;
  EXPECT_EQ(DrawFaultWith(f, ~uint64_t{0}).kind, FaultKind::kTooManyRequests);
  f.too_many_ppm = 0;  // nothing, whatever the draw
  EXPECT_EQ(DrawFaultWith(f, 0).kind, FaultKind::kNone);
}

TEST(FaultDrawTest, TheLowBitsChooseTheDelayInTheRange) {
  FaultSettings f;
  f.latency_min_ms = f.latency_max_ms = 200;
  EXPECT_EQ(DrawFaultWith(f, 0).delay_ms, 200u);
  EXPECT_EQ(DrawFaultWith(f, ~uint64_t{0}).delay_ms, 200u);
  f.latency_min_ms = 10;
  EXPECT_EQ(DrawFaultWith(f, 0).delay_ms, 10u);
  EXPECT_EQ(DrawFaultWith(f, 0xFFFF'FFFFu).delay_ms, 200u);
  EXPECT_EQ(DrawFaultWith(f, 0x8000'0000u).delay_ms, 10u + 191u / 2);
  EXPECT_EQ(DrawFaultWith(FaultSettings{}, ~uint64_t{0}).delay_ms, 0u);
}

TEST(FaultDrawTest, TheGeneratorKeepsToTheShares) {
  FaultSettings f;
  f.too_many_ppm = 50'000;
  f.internal_ppm = 250'000;
  f.drop_ppm = 1'000;
  f.latency_min_ms = 0;
  f.latency_max_ms = 99;
  constexpr int kDraws = 200'000;
  std::map<FaultKind, int> kinds;
  int low_delays = 0;
  uint32_t max_delay = 0;
  for (int i = 0; i < kDraws; ++i) {
    FaultDraw d = DrawFault(f);
    ++kinds[d.kind];
    low_delays += d.delay_ms < 50;
    max_delay = std::max(max_delay, d.delay_ms);
  }
  // Binomial standard deviations at 200,000 draws: 97 (5%), 194 (25%), 14 (0.1%); six of
  // them either way.
  EXPECT_NEAR(kinds[FaultKind::kTooManyRequests], 10'000, 600);
  EXPECT_NEAR(kinds[FaultKind::kInternalError], 50'000, 1'200);
  EXPECT_NEAR(kinds[FaultKind::kDrop], 200, 90);
  EXPECT_EQ(kinds[FaultKind::kUnavailable], 0);
  EXPECT_NEAR(low_delays, kDraws / 2, 1'400);
  EXPECT_EQ(max_delay, 99u);
}

TEST(FaultDrawTest, InjectedErrorsSayWhatTheyAre) {
  FaultSettings f;
  f.retry_after_s = 3;
  Status s = InjectedStatus(FaultKind::kTooManyRequests, f);
  EXPECT_EQ(ToHttp(s.code()).http_status, 429);
  EXPECT_EQ(s.retry_after(), 3);
  EXPECT_NE(s.detail().find("injected fault"), std::string::npos);
  EXPECT_NE(s.detail().find("fault-429"), std::string::npos);
  EXPECT_NE(s.detail().find("not run"), std::string::npos);
  s = InjectedStatus(FaultKind::kUnavailable, f);
  EXPECT_EQ(ToHttp(s.code()).http_status, 503);
  EXPECT_EQ(s.retry_after(), 3);
  s = InjectedStatus(FaultKind::kInternalError, f);
  EXPECT_EQ(ToHttp(s.code()).http_status, 500);
  EXPECT_EQ(s.retry_after(), 0);
  s = InjectedStatus(FaultKind::kDrop, f);
  EXPECT_EQ(ToHttp(s.code()).http_status, 503);
  EXPECT_NE(s.detail().find("fault-drop"), std::string::npos);
  f.retry_after_s = 0;  // no Retry-After at all
  EXPECT_EQ(InjectedStatus(FaultKind::kTooManyRequests, f).retry_after(), 0);
  EXPECT_EQ(FaultKindName(FaultKind::kDrop), "drop");
  EXPECT_EQ(FaultKindName(FaultKind::kNone), "");
}

}  // namespace
}  // namespace scimd::core
