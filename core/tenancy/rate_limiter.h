// Per-tenant request rate limits (the tenant setting "rate-limit", requests per second),
// enforced with GCRA (the generic cell rate algorithm): one atomic "theoretical arrival
// time" per tenant, advanced with compare-and-swap, so the request path takes no lock once
// a thread has seen the tenant. Shared by all reactor threads.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

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

// Failures per client address, issue #20: a burst of `burst` failures, then one per
// `interval`; an address over that is refused before its request is looked at (429).
// Failed authentications (core::Gate: the defaults, so that a token cannot be guessed at
// speed) and refused malformed or oversized input (net::HttpServer, before the head is
// read). GCRA as above, over a fixed table of kFailedAuthSlots atomics indexed by a hash
// of the address: memory stays the same however many addresses come, and two addresses
// that share a slot share its limit (stricter, never looser). The hash is keyed with a
// random key of the limiter's own (SipHash), so that nobody can search offline for an
// address that shares another's slot (e.g. a trusted proxy's). Lock-free.
class FailureLimiter {
 public:
  static constexpr int64_t kFailedAuthBurst = 20;
  static constexpr int64_t kFailedAuthIntervalSeconds = 1;
  static constexpr size_t kFailedAuthSlots = 4096;

  // REQUIRES: burst >= 1, interval > 0.
  explicit FailureLimiter(
      int64_t burst = kFailedAuthBurst,
      std::chrono::nanoseconds interval = std::chrono::seconds(kFailedAuthIntervalSeconds));

  // 0 when `address` may try, else the whole seconds to wait (for Retry-After), >= 1.
  int64_t Blocked(std::string_view address, std::chrono::steady_clock::time_point now =
                                                std::chrono::steady_clock::now()) const;
  // Counts one failure of `address`.
  void Fail(std::string_view address,
            std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

 private:
  std::atomic<int64_t>& Slot(std::string_view address) const;
  const int64_t interval_ns_;
  const int64_t tolerance_ns_;  // GCRA's tolerance: the burst beyond the first failure
  // Per slot: the theoretical arrival time of the next failure, ns (0: none yet).
  mutable std::array<std::atomic<int64_t>, kFailedAuthSlots> tat_{};
  std::array<unsigned char, 16> key_{};  // the slot hash's key
};

}  // namespace scimd::core
