#include "core/tenancy/faults.h"

#include <charconv>
#include <random>
#include <thread>

namespace scimd::core {

namespace {

// "123" -> 123; false unless all digits, at most 9 of them.
bool ParseDigits(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 9) return false;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return false;
  *out = v;
  return true;
}

// "200ms" -> 200, "2s" -> 2000; `unit` is used when `text` names none (empty: one needed).
bool ParseMillis(std::string_view text, std::string_view unit, uint64_t* out) {
  std::string_view number = text;
  if (text.ends_with("ms")) {
    number.remove_suffix(2);
    unit = "ms";
  } else if (text.ends_with("s")) {
    number.remove_suffix(1);
    unit = "s";
  }
  uint64_t v = 0;
  if (!ParseDigits(number, &v)) return false;
  if (unit.empty() && v != 0) return false;
  *out = unit == "s" ? v * 1000 : v;
  return true;
}

// splitmix64 (Steele, Lea, Flood 2014): one add and three multiply-xorshifts per draw, and
// every seed is a good one. Each thread seeds its own from the OS once.
uint64_t NextRandom() {
  thread_local uint64_t state = [] {
    std::random_device device;
    return (static_cast<uint64_t>(device()) << 32) ^ device() ^
           std::hash<std::thread::id>()(std::this_thread::get_id());
  }();
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A 32-bit random number scaled to [0, n).
uint32_t Scale(uint32_t random, uint64_t n) {
  return static_cast<uint32_t>((static_cast<uint64_t>(random) * n) >> 32);
}

}  // namespace

Result<uint32_t> ParseFaultShare(std::string_view text) {
  const Status invalid = Status::InvalidValue(
      "takes a share of requests from 0 to 1 (e.g. 0.05) or a percentage (e.g. 5%), at "
      "most 6 decimals");
  std::string_view s = text;
  const bool percent = s.ends_with('%');
  if (percent) s.remove_suffix(1);
  const size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view decimals = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  // Percent: 2 fewer decimals for the same resolution.
  const size_t max_decimals = percent ? 4 : 6;
  if ((whole.empty() && decimals.empty()) || decimals.size() > max_decimals ||
      (dot != std::string_view::npos && decimals.empty())) {
    return invalid;
  }
  uint64_t w = 0, d = 0;
  if (!whole.empty() && !ParseDigits(whole, &w)) return invalid;
  if (!decimals.empty() && !ParseDigits(decimals, &d)) return invalid;
  for (size_t i = decimals.size(); i < max_decimals; ++i) d *= 10;
  uint64_t ppm = percent ? w * 10'000 + d : w * kFaultShareScale + d;
  if (w > kFaultShareScale || ppm > kFaultShareScale) return invalid;
  return static_cast<uint32_t>(ppm);
}

Result<std::pair<uint32_t, uint32_t>> ParseFaultLatency(std::string_view text) {
  const Status invalid = Status::InvalidValue(
      "takes a delay (e.g. 200ms or 2s) or a range (e.g. 10..200ms: uniformly in it), up "
      "to " +
      std::to_string(kMaxFaultLatencyMs / 1000) + "s");
  uint64_t lo = 0, hi = 0;
  if (const size_t dots = text.find(".."); dots != std::string_view::npos) {
    const std::string_view left = text.substr(0, dots), right = text.substr(dots + 2);
    if (!ParseMillis(right, "", &hi)) return invalid;
    const std::string_view right_unit = right.ends_with("ms") ? "ms" : "s";
    if (!ParseMillis(left, right_unit, &lo)) return invalid;
    if (lo > hi) {
      return Status::InvalidValue("takes a range from the smaller delay to the larger");
    }
  } else {
    if (!ParseMillis(text, "", &lo)) return invalid;
    hi = lo;
  }
  if (hi > kMaxFaultLatencyMs) return invalid;
  return std::pair<uint32_t, uint32_t>(static_cast<uint32_t>(lo), static_cast<uint32_t>(hi));
}

Status CheckFaultShares(const std::map<std::string, std::string>& settings) {
  uint64_t total = 0;
  for (std::string_view name :
       {kFault429Setting, kFault500Setting, kFault503Setting, kFaultDropSetting}) {
    auto it = settings.find(std::string(name));
    if (it == settings.end()) continue;
    auto share = ParseFaultShare(it->second);
    if (share.ok()) total += *share;
  }
  if (total <= kFaultShareScale) return Status::Ok();
  return Status::InvalidValue(
      "fault-429, fault-500, fault-503 and fault-drop add up to more than 1 (every request "
      "gets at most one of them)");
}

FaultDraw DrawFault(const FaultSettings& faults) { return DrawFaultWith(faults, NextRandom()); }

FaultDraw DrawFaultWith(const FaultSettings& faults, uint64_t random) {
  FaultDraw draw;
  const uint32_t u = Scale(static_cast<uint32_t>(random >> 32), kFaultShareScale);
  uint64_t bound = 0;
  if (u < (bound += faults.too_many_ppm)) {
    draw.kind = FaultKind::kTooManyRequests;
  } else if (u < (bound += faults.internal_ppm)) {
    draw.kind = FaultKind::kInternalError;
  } else if (u < (bound += faults.unavailable_ppm)) {
    draw.kind = FaultKind::kUnavailable;
  } else if (u < (bound += faults.drop_ppm)) {
    draw.kind = FaultKind::kDrop;
  }
  draw.delay_ms = faults.latency_min_ms;
  if (faults.latency_max_ms > faults.latency_min_ms) {
    draw.delay_ms += Scale(static_cast<uint32_t>(random),
                           uint64_t{faults.latency_max_ms} - faults.latency_min_ms + 1);
  }
  return draw;
}

Status InjectedStatus(FaultKind kind, const FaultSettings& faults) {
  const std::string why = "injected fault: this tenant's fault-" +
                          std::string(FaultKindName(kind)) +
                          " setting answers a share of its requests like this on purpose; "
                          "the request was not run";
  switch (kind) {
    case FaultKind::kTooManyRequests: return Status::TooManyRequests(why, faults.retry_after_s);
    case FaultKind::kUnavailable: return Status::BusyFor(why, faults.retry_after_s);
    case FaultKind::kInternalError: return Status::Internal(why);
    case FaultKind::kDrop:
      // Only the head goes out: the status a client that stops reading there acts on.
      return Status::BusyFor(why + "; the connection closes before this body", 0);
    case FaultKind::kNone: break;
  }
  return Status::Ok();
}

std::string_view FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kTooManyRequests: return "429";
    case FaultKind::kInternalError: return "500";
    case FaultKind::kUnavailable: return "503";
    case FaultKind::kDrop: return "drop";
    case FaultKind::kNone: break;
  }
  return "";
}

}  // namespace scimd::core
