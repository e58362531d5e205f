// Per-tenant request rate limits (the tenant setting "rate-limit", requests per second),
// enforced with GCRA (the generic cell rate algorithm): one atomic "theoretical arrival
// time" per tenant, advanced with compare-and-swap, so the request path takes no lock once
// a thread has seen the tenant. Shared by all reactor threads.
#pragma once

#include <chrono>
#include <cstdint>

#include "core/base/ids.h"
#include "core/base/slot_map.h"

namespace scimd::core {

class RateLimiter {
 public:
  // Decides one request of `tenant` limited to `per_second` (> 0) requests per second,
  // with a burst of up to one second's worth. Returns 0 to admit it, else the whole
  // seconds the client should wait (for Retry-After), at least 1.
  int64_t Check(TenantId tenant, uint32_t per_second,
                std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

 private:
  SlotMap<TenantId> tat_;  // per tenant: its theoretical arrival time, ns
};

}  // namespace scimd::core
