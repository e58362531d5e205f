// The activity log over the in-memory store: entries queued, numbered per tenant when
// flushed, read newest first with every filter and page, pruned by count and by age, and
// the queue's bound.
#include "core/tenancy/activity.h"

#include <gtest/gtest.h>

#include "core/tenancy/tenant_settings.h"
#include "storage/mem_store.h"

namespace scimd::core {
namespace {

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kT0 = 1'800'000'000 * kSecond;

ActivityEntry Entry(int64_t time_us, const std::string& id, int status = 201) {
  ActivityEntry e;
  e.time_us = time_us;
  e.token_id = "00000000000000a1";
  e.client = "10.0.0.7";
  e.method = "POST";
  e.resource_type = "User";
  e.resource_id = id;
  e.path = "/Users";
  e.status = status;
  if (status >= 400) {
    e.scim_type = "invalidValue";
    e.detail = "attribute \"emails\" is required";
  }
  e.duration_us = 1234;
  e.changed = {"active", "userName"};
  return e;
}

std::vector<std::string> Ids(const Result<std::vector<ActivityEntry>>& entries) {
  std::vector<std::string> out;
  EXPECT_TRUE(entries.ok()) << entries.status().ToString();
  if (entries.ok()) {
    for (const auto& e : *entries) out.push_back(e.resource_id);
  }
  return out;
}

TEST(ActivityTest, EntriesAreNumberedPerTenantAndReadNewestFirst) {
  storage::MemStore store;
  ActivityLog log;
  for (int i = 1; i <= 5; ++i) log.Record(1, Entry(kT0 + i * kSecond, "u" + std::to_string(i)));
  log.Record(2, Entry(kT0, "other"));
  log.Record(1, Entry(kT0 + 6 * kSecond, "u6", 400));
  EXPECT_TRUE(ReadActivity(store, 1, {})->empty());  // queued, not written yet
  auto n = log.Flush(store);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 7u);
  EXPECT_EQ(*log.Flush(store), 0u);

  auto all = ReadActivity(store, 1, {});
  EXPECT_EQ(Ids(all), (std::vector<std::string>{"u6", "u5", "u4", "u3", "u2", "u1"}));
  EXPECT_EQ((*all)[0].sequence, 6u);
  const ActivityEntry& failed = (*all)[0];
  EXPECT_EQ(failed.status, 400);
  EXPECT_EQ(failed.scim_type, "invalidValue");
  EXPECT_EQ(failed.detail, "attribute \"emails\" is required");
  EXPECT_EQ(failed.token_id, "00000000000000a1");
  EXPECT_EQ(failed.client, "10.0.0.7");
  EXPECT_EQ(failed.duration_us, 1234);
  EXPECT_EQ(failed.changed, (std::vector<std::string>{"active", "userName"}));
  EXPECT_EQ(Ids(ReadActivity(store, 2, {})), std::vector<std::string>{"other"});

  ActivityQuery q;
  q.failed_only = true;
  EXPECT_EQ(Ids(ReadActivity(store, 1, q)), std::vector<std::string>{"u6"});
  q = {};
  q.resource_id = "u3";
  EXPECT_EQ(Ids(ReadActivity(store, 1, q)), std::vector<std::string>{"u3"});
  q = {};
  q.since_us = kT0 + 4 * kSecond;
  EXPECT_EQ(Ids(ReadActivity(store, 1, q)), (std::vector<std::string>{"u6", "u5", "u4"}));
  q = {};
  q.limit = 2;
  EXPECT_EQ(Ids(ReadActivity(store, 1, q)), (std::vector<std::string>{"u6", "u5"}));
  q.before = 5;  // the next page after #5
  EXPECT_EQ(Ids(ReadActivity(store, 1, q)), (std::vector<std::string>{"u4", "u3"}));

  // A log that continues after a restart numbers on from the store's last entry.
  ActivityLog after_restart;
  after_restart.Record(1, Entry(kT0 + 7 * kSecond, "u7"));
  ASSERT_TRUE(after_restart.Flush(store).ok());
  EXPECT_EQ((*ReadActivity(store, 1, {}))[0].sequence, 7u);
}

TEST(ActivityTest, PruningKeepsTheNewestByCountAndByAge) {
  storage::MemStore store;
  ActivityLog log;
  for (int i = 1; i <= 10; ++i) log.Record(1, Entry(kT0 + i * kSecond, "u" + std::to_string(i)));
  ASSERT_TRUE(log.Flush(store).ok());
  auto settings = TenantSettings::FromMap({{"activity-max-entries", "7"}});
  ASSERT_TRUE(settings.ok());
  ASSERT_TRUE(log.Prune(store, 1, *settings, kT0 + 11 * kSecond).ok());
  EXPECT_EQ(ReadActivity(store, 1, {})->size(), 7u);
  EXPECT_EQ(ReadActivity(store, 1, {})->back().resource_id, "u4");
  settings = TenantSettings::FromMap({{"activity-retention", "5s"}});
  ASSERT_TRUE(log.Prune(store, 1, *settings, kT0 + 11 * kSecond).ok());
  EXPECT_EQ(Ids(ReadActivity(store, 1, {})),
            (std::vector<std::string>{"u10", "u9", "u8", "u7", "u6"}));
  // Numbering goes on after pruning.
  log.Record(1, Entry(kT0 + 12 * kSecond, "u11"));
  ASSERT_TRUE(log.Flush(store).ok());
  EXPECT_EQ((*ReadActivity(store, 1, {}))[0].sequence, 11u);
  EXPECT_TRUE(ValidateSetting("activity", "off").ok());
  EXPECT_FALSE(ValidateSetting("activity-max-entries", "lots").ok());
}

TEST(ActivityTest, TheQueueIsBoundedAndNeverWaitsForTheStore) {
  storage::MemStore store;
  ActivityLog log;
  for (size_t i = 0; i < kMaxQueuedActivity + 5; ++i) log.Record(1, Entry(kT0, "x"));
  EXPECT_EQ(log.dropped(), 5u);
  auto n = log.Flush(store);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, kMaxQueuedActivity);
}

TEST(ActivityTest, RecordsRoundTripAsJson) {
  ActivityEntry e = Entry(kT0, "id \"quoted\"", 409);
  e.warnings = {"member \"x\" does not exist; skipped"};
  e.via_bulk = true;
  auto back = DecodeActivityEntry(9, EncodeActivityEntry(e));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->sequence, 9u);
  EXPECT_EQ(back->resource_id, e.resource_id);
  EXPECT_EQ(back->warnings, e.warnings);
  EXPECT_TRUE(back->via_bulk);
  EXPECT_NE(ActivityEntryJson(*back).find("\"sequence\":9"), std::string::npos);
  EXPECT_FALSE(DecodeActivityEntry(1, "not json").ok());
}

}  // namespace
}  // namespace scimd::core
