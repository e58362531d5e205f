#include "core/base/clock.h"

#include <charconv>
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

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

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

Result<int64_t> ParseDurationSeconds(std::string_view text) {
  if (text == "never") return int64_t{0};
  int64_t unit = 1;  // a bare number is seconds
  std::string_view digits = text;
  if (!text.empty()) {
    switch (text.back()) {
      case 'd': unit = kSecondsPerDay; break;
      case 'h': unit = 3600; break;
      case 'm': unit = 60; break;
      case 's': unit = 1; break;
      default: unit = 0; break;
    }
    if (unit != 0) {
      digits.remove_suffix(1);
    } else {
      unit = 1;
    }
  }
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || n < 0 ||
      n > kMaxDurationSeconds / unit) {
    return Status::InvalidValue("\"" + std::string(text) +
                                "\" is not a duration: write e.g. 30d, 12h, 90m, 45s or never");
  }
  return n * unit;
}

std::string FormatDuration(int64_t seconds) {
  if (seconds <= 0) return "never";
  for (auto [unit, suffix] :
       {std::pair<int64_t, char>{kSecondsPerDay, 'd'}, {3600, 'h'}, {60, 'm'}}) {
    if (seconds % unit == 0) return std::to_string(seconds / unit) + suffix;
  }
  return std::to_string(seconds) + "s";
}

}  // namespace scimd::core
