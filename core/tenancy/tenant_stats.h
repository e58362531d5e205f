// Per-tenant request counters since the server started: requests, errors (status >= 400)
// and rate-limit rejections (429), for the admin API's stats. Lock-free on the request
// path (core/base/slot_map.h). Safe on any thread.
#pragma once

#include <cstdint>

#include "core/base/ids.h"
#include "core/base/slot_map.h"

namespace scimd::core {

struct TenantStats {
  uint64_t requests = 0;
  uint64_t errors = 0;
  uint64_t rate_limited = 0;
};

class TenantCounters {
 public:
  // Counts one answered request of `tenant` with its HTTP status.
  void Count(TenantId tenant, int status) {
    requests_.Slot(tenant).fetch_add(1, std::memory_order_relaxed);
    if (status >= 400) errors_.Slot(tenant).fetch_add(1, std::memory_order_relaxed);
    if (status == 429) limited_.Slot(tenant).fetch_add(1, std::memory_order_relaxed);
  }
  TenantStats Get(TenantId tenant) {
    TenantStats s;
    s.requests = static_cast<uint64_t>(requests_.Slot(tenant).load(std::memory_order_relaxed));
    s.errors = static_cast<uint64_t>(errors_.Slot(tenant).load(std::memory_order_relaxed));
    s.rate_limited = static_cast<uint64_t>(limited_.Slot(tenant).load(std::memory_order_relaxed));
    return s;
  }

 private:
  SlotMap<TenantId> requests_, errors_, limited_;
};

}  // namespace scimd::core
