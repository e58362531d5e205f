// Each tenant's answers per minute over the last 24 hours, by outcome (the console's
// chart and its tenants' last-hour rates, issue #22): sampled from the cumulative
// per-tenant counters once a minute, so a request pays nothing for it. Kept in memory
// only (a restart starts it again); a tenant costs ~32 bytes a minute it had traffic in,
// at most ~46 KB. Safe on any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <vector>

#include "core/base/ids.h"
#include "core/tenancy/tenant_stats.h"

namespace scimd::net {

inline constexpr int64_t kHistoryMinutes = 24 * 60;

struct MinuteCounts {
  int64_t minute = 0;          // unix seconds / 60: the minute these answers ended in
  uint64_t ok = 0;             // 1xx-3xx
  uint64_t client_errors = 0;  // 4xx
  uint64_t server_errors = 0;  // 5xx
};

class TenantHistory {
 public:
  // Notes the tenants' counters as of the minute `minute` (unix seconds / 60); what they
  // counted since the previous sample is that minute's.
  void Sample(int64_t minute, const std::vector<std::pair<core::TenantId, core::TenantStats>>& now);
  // The tenant's minutes after `since_minute` that had answers, oldest first.
  std::vector<MinuteCounts> Since(core::TenantId tenant, int64_t since_minute);

 private:
  struct Tenant {
    core::TenantStats last;  // the counters at the previous sample
    std::deque<MinuteCounts> minutes;
  };
  std::mutex mu_;  // guards tenants_
  std::map<core::TenantId, Tenant> tenants_;
};

}  // namespace scimd::net
