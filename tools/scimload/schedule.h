// OpenLoopSchedule: the intended send times of an open-loop run. Slot k is due at
// start + k / rate, computed from k each time (never by adding intervals), so no rounding
// accumulates over a run of any length. A request's latency counts from its slot's
// intended time, not from when a connection was free to send it: a server that stalls
// shows up in the latencies of every request that should have been sent meanwhile
// (no coordinated omission). Plain arithmetic; no clock is read here.
#pragma once

#include <chrono>
#include <cstdint>

namespace scimd::scimload {

using Clock = std::chrono::steady_clock;

class OpenLoopSchedule {
 public:
  // REQUIRES: rate > 0 (requests per second).
  OpenLoopSchedule(Clock::time_point start, double rate);

  Clock::time_point start() const { return start_; }
  double rate() const { return rate_; }

  // When slot k is due: start + floor(k * 1e9 / rate) ns.
  Clock::time_point IntendedTime(uint64_t k) const;
  // How many slots are due at `now`: the n with IntendedTime(n - 1) <= now < IntendedTime(n)
  // (0 before the start).
  uint64_t DueBy(Clock::time_point now) const;

 private:
  Clock::time_point start_;
  double rate_;
};

// The latency of a request intended at `intended` and answered at `done`, in microseconds
// (never negative). In a closed loop the intended time is the time it was sent.
int64_t LatencyMicros(Clock::time_point intended, Clock::time_point done);

}  // namespace scimd::scimload
