#include "core/base/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace scimd::core {

namespace {

class SystemClock final : public Clock {
 public:
  int64_t NowMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

const Clock& Clock::System() {
  static const SystemClock clock;
  return clock;
}

int64_t NowMicros() { return Clock::System().NowMicros(); }

std::string FormatDateTime(int64_t micros) {
  const time_t secs = static_cast<time_t>(micros / 1000000);
  const int millis = static_cast<int>((micros % 1000000) / 1000);
  struct tm tm_utc;
  gmtime_r(&secs, &tm_utc);
  char buf[96];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm_utc.tm_year + 1900,
           tm_utc.tm_mon + 1, tm_utc.tm_mday, tm_utc.tm_hour, tm_utc.tm_min, tm_utc.tm_sec, millis);
  return buf;
}

}  // namespace scimd::core
