#include "core/tenancy/rate_limiter.h"

#include <sodium.h>

#include <cstdlib>
#include <functional>

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

FailureLimiter::FailureLimiter(int64_t burst, std::chrono::nanoseconds interval)
    : interval_ns_(interval.count()), tolerance_ns_((burst - 1) * interval.count()) {
  static_assert(sizeof(key_) == crypto_shorthash_KEYBYTES);
  if (sodium_init() < 0) std::abort();  // no randomness: nothing here can be safe
  crypto_shorthash_keygen(key_.data());
}

namespace {

int64_t Nanos(std::chrono::steady_clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
}

}  // namespace

std::atomic<int64_t>& FailureLimiter::Slot(std::string_view address) const {
  uint64_t h = 0;
  crypto_shorthash(reinterpret_cast<unsigned char*>(&h),
                   reinterpret_cast<const unsigned char*>(address.data()), address.size(),
                   key_.data());
  return tat_[h % kFailedAuthSlots];
}

int64_t FailureLimiter::Blocked(std::string_view address,
                                std::chrono::steady_clock::time_point now) const {
  const int64_t t = Nanos(now);
  const int64_t tat = Slot(address).load(std::memory_order_relaxed);
  // The next failure would be allowed at tat - tolerance: before that, the address waits.
  const int64_t wait_ns = tat - tolerance_ns_ - t;
  return wait_ns > 0 ? (wait_ns + 999'999'999) / 1'000'000'000 : 0;  // rounded up
}

void FailureLimiter::Fail(std::string_view address, std::chrono::steady_clock::time_point now) {
  const int64_t t = Nanos(now);
  std::atomic<int64_t>& tat = Slot(address);
  int64_t seen = tat.load(std::memory_order_relaxed);
  while (!tat.compare_exchange_weak(seen, (seen > t ? seen : t) + interval_ns_,
                                    std::memory_order_relaxed)) {
  }
}

}  // namespace scimd::core
