#include "core/tenancy/rate_limiter.h"

namespace scimd::core {

int64_t RateLimiter::Check(TenantId tenant, uint32_t per_second,
                           std::chrono::steady_clock::time_point now) {
  const int64_t t =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const int64_t interval = 1'000'000'000 / per_second;  // ns between requests
  const int64_t burst = 1'000'000'000;                  // a second's worth may arrive at once
  std::atomic<int64_t>& tat = tat_.Slot(tenant);
  int64_t seen = tat.load(std::memory_order_relaxed);
  for (;;) {
    const int64_t start = seen > t ? seen : t;
    const int64_t next = start + interval;
    if (next - t > burst) {
      const int64_t wait_ns = next - t - burst;
      return wait_ns / 1'000'000'000 + 1;
    }
    if (tat.compare_exchange_weak(seen, next, std::memory_order_relaxed)) return 0;
  }
}

}  // namespace scimd::core
