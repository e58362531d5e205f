#include "net/admin_history.h"

namespace scimd::net {

void TenantHistory::Sample(int64_t minute,
                           const std::vector<std::pair<core::TenantId, core::TenantStats>>& now) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<core::TenantId, Tenant> kept;
  for (const auto& [tenant, stats] : now) {
    auto found = tenants_.find(tenant);
    Tenant t;
    if (found != tenants_.end()) t = std::move(found->second);
    // Counters only grow; a smaller one is a tenant seen for the first time (0 before).
    const uint64_t requests = stats.requests - std::min(stats.requests, t.last.requests);
    const uint64_t errors = stats.errors - std::min(stats.errors, t.last.errors);
    const uint64_t server =
        stats.server_errors - std::min(stats.server_errors, t.last.server_errors);
    t.last = stats;
    if (requests > 0) {
      MinuteCounts m;
      m.minute = minute;
      m.server_errors = server;
      m.client_errors = errors - std::min(errors, server);
      m.ok = requests - std::min(requests, errors);
      t.minutes.push_back(m);
    }
    while (!t.minutes.empty() && t.minutes.front().minute <= minute - kHistoryMinutes) {
      t.minutes.pop_front();
    }
    kept[tenant] = std::move(t);
  }
  tenants_ = std::move(kept);  // deleted tenants go
}

std::vector<MinuteCounts> TenantHistory::Since(core::TenantId tenant, int64_t since_minute) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<MinuteCounts> out;
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return out;
  for (const MinuteCounts& m : it->second.minutes) {
    if (m.minute > since_minute) out.push_back(m);
  }
  return out;
}

}  // namespace scimd::net
