// Per-tenant request counters since the server started: requests, errors (status >= 400),
// rate-limit rejections (429) and the faults injected on purpose (core/tenancy/faults.h),
// for the admin API's stats. In memory of one process: a restart starts from 0. Lock-free
// on the request path (core/base/slot_map.h). Safe on any thread.
#pragma once

#include <cstdint>

#include "core/base/ids.h"
#include "core/base/slot_map.h"
#include "core/tenancy/faults.h"

namespace scimd::core {

struct TenantStats {
  uint64_t requests = 0;
  uint64_t errors = 0;
  uint64_t server_errors = 0;  // 5xx, also in errors
  uint64_t rate_limited = 0;   // by the tenant's rate-limit; injected 429s are not
  // Injected on purpose: answers by kind (also counted in requests and errors; a drop as
  // the 503 its head says), and answers held back by fault-latency, injected or not.
  uint64_t injected_429 = 0;
  uint64_t injected_500 = 0;
  uint64_t injected_503 = 0;
  uint64_t injected_drop = 0;
  uint64_t delayed = 0;
};

class TenantCounters {
 public:
  // Counts one answered request of `tenant` with its HTTP status and what the fault draw
  // decided for it.
  void Count(TenantId tenant, int status, FaultDraw fault = {}) {
    Bump(requests_, tenant);
    if (status >= 400) Bump(errors_, tenant);
    if (status >= 500) Bump(server_errors_, tenant);
    switch (fault.kind) {
      case FaultKind::kNone:
        if (status == 429) Bump(limited_, tenant);
        break;
      case FaultKind::kTooManyRequests: Bump(injected_429_, tenant); break;
      case FaultKind::kInternalError: Bump(injected_500_, tenant); break;
      case FaultKind::kUnavailable: Bump(injected_503_, tenant); break;
      case FaultKind::kDrop: Bump(injected_drop_, tenant); break;
    }
    if (fault.delay_ms > 0) Bump(delayed_, tenant);
  }
  TenantStats Get(TenantId tenant) {
    TenantStats s;
    s.requests = Load(requests_, tenant);
    s.errors = Load(errors_, tenant);
    s.server_errors = Load(server_errors_, tenant);
    s.rate_limited = Load(limited_, tenant);
    s.injected_429 = Load(injected_429_, tenant);
    s.injected_500 = Load(injected_500_, tenant);
    s.injected_503 = Load(injected_503_, tenant);
    s.injected_drop = Load(injected_drop_, tenant);
    s.delayed = Load(delayed_, tenant);
    return s;
  }

 private:
  static void Bump(SlotMap<TenantId>& map, TenantId tenant) {
    map.Slot(tenant).fetch_add(1, std::memory_order_relaxed);
  }
  static uint64_t Load(SlotMap<TenantId>& map, TenantId tenant) {
    return static_cast<uint64_t>(map.Slot(tenant).load(std::memory_order_relaxed));
  }

  SlotMap<TenantId> requests_, errors_, server_errors_, limited_;
  SlotMap<TenantId> injected_429_, injected_500_, injected_503_, injected_drop_, delayed_;
};

}  // namespace scimd::core
