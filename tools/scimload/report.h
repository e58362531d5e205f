// The end-of-run report: a text table on stdout and the same figures as JSON (--json):
// per request kind the count, requests/s and latency percentiles in ms; errors by HTTP
// status; injected faults apart; connection failures; wrong answers with examples; the
// profile's directory (groups and the members the server confirmed). And the exit code.
#pragma once

#include <string>

#include "tools/scimload/profile.h"
#include "tools/scimload/runner.h"
#include "tools/scimload/stats.h"
#include "tools/scimload/workload.h"

namespace scimd::scimload {

struct ReportInput {
  std::string profile;
  std::string url;  // as given
  const RunOptions& run;
  const ProfileOptions& profile_options;
  const RunResult& result;
  const Stats& stats;
  const Workload& workload;
};

std::string TextReport(const ReportInput& in);
std::string JsonReport(const ReportInput& in);

// 0: no wrong answer and no connection failure (injected faults do not count); 1 otherwise.
int ExitCode(const RunResult& result, const Stats& stats);

}  // namespace scimd::scimload
