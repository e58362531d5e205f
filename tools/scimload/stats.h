// Stats: what a run measured, per request kind: a latency histogram, the answers by HTTP
// status, the injected faults apart, connection failures, retries and requests cut off by
// the end of the run; and the wrong answers found by the profiles' checks, with a few
// examples. One thread (the runner's) writes it; the report reads it after the run.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tools/scimload/histogram.h"

namespace scimd::scimload {

// What a request is for; each kind has its own line in the report.
enum class Kind : uint8_t {
  kProbe,              // test-connection reads (filter on a random guid, discovery)
  kGetFilterUser,      // GET /Users?filter=userName eq "..."
  kPostUser,           // POST /Users
  kPostUserConflict,   // POST /Users of a userName that exists (409 expected)
  kGetVerifyUser,      // the filter GET after a write that checks the write
  kPatchUser,          // PATCH /Users/{id}
  kPutUser,            // PUT /Users/{id}
  kGetFilterGroup,     // GET /Groups?filter=displayName eq "..."
  kPostGroup,          // POST /Groups
  kPatchGroupMembers,  // PATCH /Groups/{id} adding or removing members
  kGetListPage,        // GET /Users or /Groups with startIndex/count
  kCount,
};
constexpr size_t kKindCount = static_cast<size_t>(Kind::kCount);
std::string_view KindName(Kind kind);

// Status 0 stands for a connection dropped with an injected-fault header.
constexpr int kDroppedStatus = 0;

struct KindStats {
  LatencyHistogram latency;          // every answer, injected or not, from intended time
  uint64_t count = 0;                // answers (latency.count())
  std::map<int, uint64_t> statuses;  // answers not injected, by status
  std::map<int, uint64_t> injected;  // injected faults by status (kDroppedStatus: drop)
  uint64_t connection_failures = 0;  // not injected: refused, reset, timed out, garbled
  uint64_t retries = 0;              // requests sent again (429 Retry-After, injected)
  uint64_t abandoned = 0;            // operations given up after kMaxAttempts
  uint64_t unfinished = 0;           // in flight or waiting when the run stopped
};

class Stats {
 public:
  // Keeps at most this many examples of each kind of trouble for the report.
  static constexpr size_t kMaxExamples = 8;

  KindStats& of(Kind kind) { return kinds_[static_cast<size_t>(kind)]; }
  const KindStats& of(Kind kind) const { return kinds_[static_cast<size_t>(kind)]; }

  void RecordAnswer(Kind kind, int status, bool injected, int64_t latency_micros);
  void RecordConnectionFailure(Kind kind, std::string what);
  // A check failed: the server answered, but not what SCIM and the profile expect.
  void WrongAnswer(Kind kind, std::string what);

  uint64_t total_answers() const;
  uint64_t wrong_answers() const { return wrong_answers_; }
  uint64_t connection_failures() const { return connection_failures_; }
  const std::vector<std::string>& wrong_answer_examples() const { return wrong_examples_; }
  const std::vector<std::string>& connection_failure_examples() const { return failure_examples_; }

 private:
  std::array<KindStats, kKindCount> kinds_;
  uint64_t wrong_answers_ = 0;
  uint64_t connection_failures_ = 0;
  std::vector<std::string> wrong_examples_;
  std::vector<std::string> failure_examples_;
};

}  // namespace scimd::scimload
