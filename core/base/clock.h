// Time: the clock a request reads (injectable, so that time-dependent behaviour is tested
// without sleeping) and the SCIM dateTime text of a timestamp. Safe on any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace scimd::core {

// Microseconds since the Unix epoch.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMicros() const = 0;
  // The system's real-time clock; lives forever.
  static const Clock& System();
};

// A clock that stands still until moved: for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_micros) : now_(now_micros) {}
  int64_t NowMicros() const override { return now_; }
  void Set(int64_t now_micros) { now_ = now_micros; }
  void Advance(int64_t micros) { now_ += micros; }

 private:
  int64_t now_;
};

// The system clock's time, as Clock::System().NowMicros().
int64_t NowMicros();
// Milliseconds of a monotonic clock (not a time of day): for timeouts, ages and lags.
int64_t SteadyMillis();

inline constexpr int64_t kSecondsPerDay = 24 * 60 * 60;
// A duration as admins write it: a whole number and a unit, "30d", "12h", "90m", "45s"
// (a bare number is seconds), or "never" (0). InvalidValue naming the forms otherwise.
// At most kMaxDurationSeconds (100 years).
inline constexpr int64_t kMaxDurationSeconds = 100 * 366 * kSecondsPerDay;
Result<int64_t> ParseDurationSeconds(std::string_view text);
// The largest exact unit: 2592000 -> "30d", 5400 -> "90m", 0 -> "never".
std::string FormatDuration(int64_t seconds);
// RFC 3339, UTC, millisecond precision: "2026-12-06T10:23:08.123Z".
std::string FormatDateTime(int64_t micros);

}  // namespace scimd::core
