#include "tools/scimload/report.h"

#include <cstdio>
#include <map>

#include "tools/scimload/json_text.h"

namespace scimd::scimload {
namespace {

struct Percentile {
  const char* name;
  double p;
};
constexpr Percentile kPercentiles[] = {{"p50", 50}, {"p90", 90}, {"p99", 99}, {"p99.9", 99.9}};

double Ms(int64_t micros) { return static_cast<double>(micros) / 1000.0; }

double PerSecond(uint64_t n, double seconds) { return seconds > 0 ? n / seconds : 0; }

// Non-injected answers that are errors: 4xx and 5xx, but not the 409s the conflict check
// asks for.
std::map<int, uint64_t> ErrorsByStatus(const Stats& stats) {
  std::map<int, uint64_t> errors;
  for (size_t k = 0; k < kKindCount; ++k) {
    const Kind kind = static_cast<Kind>(k);
    for (const auto& [status, n] : stats.of(kind).statuses) {
      if (status < 400 || (kind == Kind::kPostUserConflict && status == 409)) continue;
      errors[status] += n;
    }
  }
  return errors;
}

std::map<int, uint64_t> Injected(const Stats& stats) {
  std::map<int, uint64_t> injected;
  for (size_t k = 0; k < kKindCount; ++k) {
    for (const auto& [status, n] : stats.of(static_cast<Kind>(k)).injected) injected[status] += n;
  }
  return injected;
}

std::string StatusName(int status) {
  return status == kDroppedStatus ? "dropped" : std::to_string(status);
}

std::string StatusList(const std::map<int, uint64_t>& counts) {
  if (counts.empty()) return "none";
  std::string out;
  for (const auto& [status, n] : counts) {
    if (!out.empty()) out += ", ";
    out += StatusName(status) + ": " + std::to_string(n);
  }
  return out;
}

template <typename Field>
uint64_t Sum(const Stats& stats, Field field) {
  uint64_t n = 0;
  for (size_t k = 0; k < kKindCount; ++k) n += stats.of(static_cast<Kind>(k)).*field;
  return n;
}

std::string Mode(const RunOptions& run) {
  if (run.rate <= 0) return "closed loop";
  char buf[64];
  std::snprintf(buf, sizeof buf, "open loop at %.1f requests/s", run.rate);
  return buf;
}

}  // namespace

std::string TextReport(const ReportInput& in) {
  const Stats& stats = in.stats;
  const double seconds = in.result.seconds;
  const ProfileOptions& p = in.profile_options;
  std::string out;
  char line[256];
  out += "scimload " + in.profile + " against " + in.url + ": " + std::to_string(p.users) +
         " users, " + std::to_string(p.groups) + " groups of " + std::to_string(p.group_size) +
         ", " + std::to_string(in.run.connections) + " connections, " + Mode(in.run) + "\n";
  std::snprintf(line, sizeof line, "started %s, ran %.3f s, %s\n", in.result.started_at.c_str(),
                seconds,
                in.result.complete      ? "workload complete"
                : in.result.unreachable ? "stopped: server unreachable"
                : in.result.interrupted ? "stopped by a signal before the workload finished"
                                        : "stopped at --duration before the workload finished");
  out += line;
  std::snprintf(line, sizeof line, "\n%-24s %9s %9s %9s %9s %9s %9s %9s\n", "kind", "count",
                "req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms");
  out += line;
  uint64_t total = 0;
  for (size_t k = 0; k < kKindCount; ++k) {
    const Kind kind = static_cast<Kind>(k);
    const KindStats& s = stats.of(kind);
    if (s.count == 0 && s.connection_failures == 0 && s.unfinished == 0) continue;
    total += s.count;
    std::snprintf(line, sizeof line, "%-24s %9llu %9.1f %9.2f %9.2f %9.2f %9.2f %9.2f\n",
                  std::string(KindName(kind)).c_str(), static_cast<unsigned long long>(s.count),
                  PerSecond(s.count, seconds), Ms(s.latency.Percentile(50)),
                  Ms(s.latency.Percentile(90)), Ms(s.latency.Percentile(99)),
                  Ms(s.latency.Percentile(99.9)), Ms(s.latency.max()));
    out += line;
  }
  std::snprintf(line, sizeof line, "%-24s %9llu %9.1f\n\n", "total",
                static_cast<unsigned long long>(total), PerSecond(total, seconds));
  out += line;
  out += "errors by status: " + StatusList(ErrorsByStatus(stats)) + "\n";
  out += "injected faults (not errors): " + StatusList(Injected(stats)) + "; retried " +
         std::to_string(Sum(stats, &KindStats::retries)) + " requests, abandoned " +
         std::to_string(Sum(stats, &KindStats::abandoned)) + " operations\n";
  out += "connection failures: " + std::to_string(stats.connection_failures()) + "\n";
  for (const auto& e : stats.connection_failure_examples()) out += "  " + e + "\n";
  out += "unfinished at the end: " + std::to_string(Sum(stats, &KindStats::unfinished)) + "\n";
  if (in.run.rate > 0) {
    out += "slots with no step ready: " + std::to_string(in.result.idle_slots) + "\n";
  }
  out += "wrong answers: " + std::to_string(stats.wrong_answers()) + "\n";
  for (const auto& e : stats.wrong_answer_examples()) out += "  " + e + "\n";
  in.workload.AppendText(out);
  return out;
}

std::string JsonReport(const ReportInput& in) {
  const Stats& stats = in.stats;
  const double seconds = in.result.seconds;
  const ProfileOptions& p = in.profile_options;
  JsonWriter json;
  json.BeginObject();
  json.Key("profile").String(in.profile);
  json.Key("url").String(in.url);
  json.Key("users").Uint(p.users);
  json.Key("groups_requested").Uint(p.groups);
  json.Key("group_size").Uint(p.group_size);
  json.Key("member_batch").Uint(p.member_batch);
  json.Key("seed").Uint(p.seed);
  json.Key("connections").Int(in.run.connections);
  json.Key("mode").String(in.run.rate > 0 ? "open" : "closed");
  if (in.run.rate > 0) {
    json.Key("rate").Double(in.run.rate);
  } else {
    json.Key("rate").Null();
  }
  json.Key("started_at").String(in.result.started_at);
  json.Key("duration_s").Double(seconds);
  json.Key("complete").Bool(in.result.complete);
  json.Key("unreachable").Bool(in.result.unreachable);
  json.Key("interrupted").Bool(in.result.interrupted);
  const uint64_t total = stats.total_answers();
  json.Key("total_requests").Uint(total);
  json.Key("requests_per_s").Double(PerSecond(total, seconds));
  json.Key("connects").Uint(in.result.connects);
  if (in.run.rate > 0) json.Key("idle_slots").Uint(in.result.idle_slots);

  json.Key("kinds").BeginObject();
  for (size_t k = 0; k < kKindCount; ++k) {
    const Kind kind = static_cast<Kind>(k);
    const KindStats& s = stats.of(kind);
    if (s.count == 0 && s.connection_failures == 0 && s.unfinished == 0) continue;
    json.Key(KindName(kind)).BeginObject();
    json.Key("count").Uint(s.count);
    json.Key("requests_per_s").Double(PerSecond(s.count, seconds));
    json.Key("latency_ms").BeginObject();
    for (const Percentile& q : kPercentiles) json.Key(q.name).Double(Ms(s.latency.Percentile(q.p)));
    json.Key("max").Double(Ms(s.latency.max()));
    json.Key("mean").Double(s.latency.Mean() / 1000.0);
    json.EndObject();
    json.Key("statuses").BeginObject();
    for (const auto& [status, n] : s.statuses) json.Key(std::to_string(status)).Uint(n);
    json.EndObject();
    json.Key("injected").BeginObject();
    for (const auto& [status, n] : s.injected) json.Key(StatusName(status)).Uint(n);
    json.EndObject();
    json.Key("connection_failures").Uint(s.connection_failures);
    json.Key("retries").Uint(s.retries);
    json.Key("abandoned").Uint(s.abandoned);
    json.Key("unfinished").Uint(s.unfinished);
    json.EndObject();
  }
  json.EndObject();

  json.Key("errors_by_status").BeginObject();
  for (const auto& [status, n] : ErrorsByStatus(stats)) json.Key(std::to_string(status)).Uint(n);
  json.EndObject();
  json.Key("injected").BeginObject();
  for (const auto& [status, n] : Injected(stats)) json.Key(StatusName(status)).Uint(n);
  json.EndObject();
  json.Key("retries").Uint(Sum(stats, &KindStats::retries));
  json.Key("abandoned").Uint(Sum(stats, &KindStats::abandoned));
  json.Key("unfinished").Uint(Sum(stats, &KindStats::unfinished));
  json.Key("connection_failures").Uint(stats.connection_failures());
  json.Key("connection_failure_examples").BeginArray();
  for (const auto& e : stats.connection_failure_examples()) json.String(e);
  json.EndArray();
  json.Key("wrong_answers").Uint(stats.wrong_answers());
  json.Key("wrong_answer_examples").BeginArray();
  for (const auto& e : stats.wrong_answer_examples()) json.String(e);
  json.EndArray();
  in.workload.AppendJson(json);
  json.Key("exit_code").Int(ExitCode(in.result, stats));
  json.EndObject();
  return json.text() + "\n";
}

int ExitCode(const RunResult& result, const Stats& stats) {
  if (!result.error.empty() || result.unreachable) return 1;
  return stats.wrong_answers() > 0 || stats.connection_failures() > 0 ? 1 : 0;
}

}  // namespace scimd::scimload
