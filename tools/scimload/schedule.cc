#include "tools/scimload/schedule.h"

#include <cmath>

namespace scimd::scimload {

OpenLoopSchedule::OpenLoopSchedule(Clock::time_point start, double rate)
    : start_(start), rate_(rate) {}

Clock::time_point OpenLoopSchedule::IntendedTime(uint64_t k) const {
  // long double keeps k * 1e9 exact for any k a run reaches (64-bit mantissa).
  const long double ns = std::floor(static_cast<long double>(k) * 1e9L / rate_);
  return start_ + std::chrono::nanoseconds(static_cast<int64_t>(ns));
}

uint64_t OpenLoopSchedule::DueBy(Clock::time_point now) const {
  if (now < start_) return 0;
  const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start_).count();
  auto n = static_cast<uint64_t>(std::floor(static_cast<long double>(elapsed) * rate_ / 1e9L) + 1);
  // The floating estimate may be one off at a slot's boundary; settle it on IntendedTime.
  while (n > 0 && IntendedTime(n - 1) > now) --n;
  while (IntendedTime(n) <= now) ++n;
  return n;
}

int64_t LatencyMicros(Clock::time_point intended, Clock::time_point done) {
  if (done <= intended) return 0;
  return std::chrono::duration_cast<std::chrono::microseconds>(done - intended).count();
}

}  // namespace scimd::scimload
