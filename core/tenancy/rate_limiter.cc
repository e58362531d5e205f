#include "core/tenancy/rate_limiter.h"

namespace scimd::core {

std::atomic<int64_t>& RateLimiter::Slot(TenantId tenant) {
  // Each thread remembers the slots it has used; the map behind the mutex only grows, so
  // the pointers stay valid for the limiter's life.
  thread_local std::unordered_map<const RateLimiter*,
                                  std::unordered_map<TenantId, std::atomic<int64_t>*>>
      cache;
  auto& mine = cache[this];
  if (auto it = mine.find(tenant); it != mine.end()) return *it->second;
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = slots_[tenant];
  if (!slot) slot = std::make_unique<std::atomic<int64_t>>(0);
  mine[tenant] = slot.get();
  return *slot;
}

int64_t RateLimiter::Check(TenantId tenant, uint32_t per_second,
                           std::chrono::steady_clock::time_point now) {
  const int64_t t =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const int64_t interval = 1'000'000'000 / per_second;  // ns between requests
  const int64_t burst = 1'000'000'000;                  // a second's worth may arrive at once
  std::atomic<int64_t>& tat = Slot(tenant);
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
