// Fault injection (issue #18): tenant settings that make scimd misbehave on purpose for SCIM
// client developers who test against it: added latency, fixed or uniform in a range, and a
// share of requests answered 429, 500 or 503, or dropped. Off by default. Parsed here; the
// router draws once per admitted request, before the request runs (net/scim_router.cc), so
// an injected error never writes. Draws use a per-thread generator: no lock, any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "core/base/status.h"

namespace scimd::core {

// Shares are kept in parts per million: exact to the 6 decimals an operator may type, and
// compared with an integer draw.
inline constexpr uint32_t kFaultShareScale = 1'000'000;
// Longest added latency: enough to run into a client's request timeout (HTTP clients
// commonly wait tens of seconds), and a bound on how long a connection holds an answer.
inline constexpr uint32_t kMaxFaultLatencyMs = 30'000;
// Largest Retry-After an injected 429 or 503 announces (one hour).
inline constexpr uint32_t kMaxFaultRetryAfterSeconds = 3600;

// The settings, by name (tenant_settings.cc declares them beside the others).
inline constexpr std::string_view kFaultLatencySetting = "fault-latency";
inline constexpr std::string_view kFault429Setting = "fault-429";
inline constexpr std::string_view kFault500Setting = "fault-500";
inline constexpr std::string_view kFault503Setting = "fault-503";
inline constexpr std::string_view kFaultDropSetting = "fault-drop";
inline constexpr std::string_view kFaultRetryAfterSetting = "fault-retry-after";

// What one request gets instead of its normal answer.
enum class FaultKind : uint8_t {
  kNone,
  kTooManyRequests,  // 429 with Retry-After
  kInternalError,    // 500
  kUnavailable,      // 503 with Retry-After
  kDrop,             // the head of an answer, then the connection closes (no body)
};

struct FaultSettings {
  // "fault-latency": every answer waits uniformly between min and max (equal: fixed).
  uint32_t latency_min_ms = 0;
  uint32_t latency_max_ms = 0;
  // "fault-429", "fault-500", "fault-503", "fault-drop": the share of requests, in parts per
  // million. Their sum is at most kFaultShareScale (CheckFaultShares, at `tenant set`).
  uint32_t too_many_ppm = 0;
  uint32_t internal_ppm = 0;
  uint32_t unavailable_ppm = 0;
  uint32_t drop_ppm = 0;
  // "fault-retry-after": the Retry-After of an injected 429 or 503, seconds; 0: none sent.
  uint32_t retry_after_s = 1;

  bool Any() const {
    return latency_max_ms > 0 || too_many_ppm > 0 || internal_ppm > 0 || unavailable_ppm > 0 ||
           drop_ppm > 0;
  }
};

// What the draw decided for one request.
struct FaultDraw {
  FaultKind kind = FaultKind::kNone;
  uint32_t delay_ms = 0;  // hold the answer (injected or not) this long
};

// "0.05", "5%", "1", "0" -> parts per million. InvalidValue unless 0 to 1 (0% to 100%)
// with at most 6 decimals (4 for a percentage).
Result<uint32_t> ParseFaultShare(std::string_view text);
// "200ms", "2s", "10..200ms", "10ms..2s", "0" -> {min, max} in ms. A bound without a unit
// takes the other's; a single value needs one (except 0). InvalidValue unless
// min <= max <= kMaxFaultLatencyMs.
Result<std::pair<uint32_t, uint32_t>> ParseFaultLatency(std::string_view text);
// InvalidValue when a tenant's fault-429, fault-500, fault-503 and fault-drop add up to
// more than 1. REQUIRES: each of them passed ValidateSetting.
Status CheckFaultShares(const std::map<std::string, std::string>& settings);

// Draws for one request from this thread's generator.
FaultDraw DrawFault(const FaultSettings& faults);
// The same with the 64 random bits given (tests): the high 32 choose the kind, the low 32
// the delay.
FaultDraw DrawFaultWith(const FaultSettings& faults, uint64_t random);

// The error answered for an injected `kind` (not kNone); its detail says it was injected
// on purpose and the request was not run. A drop's is the head sent before the close.
Status InjectedStatus(FaultKind kind, const FaultSettings& faults);
// "429", "500", "503", "drop" (the X-Scimd-Injected-Fault value); "" for kNone.
std::string_view FaultKindName(FaultKind kind);

}  // namespace scimd::core
