// Time: the clock a request reads (injectable, so that time-dependent behaviour is tested
// without sleeping) and the SCIM dateTime text of a timestamp. Safe on any thread.
#pragma once

#include <cstdint>
#include <string>

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
// RFC 3339, UTC, millisecond precision: "2026-12-06T10:23:08.123Z".
std::string FormatDateTime(int64_t micros);

}  // namespace scimd::core
