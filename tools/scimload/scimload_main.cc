// scimload: replays what identity providers (Entra ID, Okta) do against any SCIM base URL
// and bearer token, and reports throughput, latency per request kind, errors, injected
// faults and wrong answers (docs/LOAD-TESTING.md). The composition root: flags -> profile
// -> runner -> report.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "tools/scimload/http_client.h"
#include "tools/scimload/profile.h"
#include "tools/scimload/report.h"
#include "tools/scimload/runner.h"
#include "tools/scimload/stats.h"

namespace sl = scimd::scimload;

int main(int argc, char** argv) {
  CLI::App app{
      "scimload: a SCIM load generator that sends what Entra ID and Okta send.\n"
      "Plain HTTP only (http://host:port/path): no TLS; put a TLS proxy in front for https."};
  std::string profile_name, url, token, json_path;
  sl::ProfileOptions profile;
  profile.groups = 10;
  profile.group_size = 100;
  sl::RunOptions run;
  double duration_s = 600, timeout_s = 60;
  bool quiet = false;
  app.add_option("profile", profile_name,
                 "entra-initial | entra-incremental | okta (see docs/LOAD-TESTING.md)")
      ->required()
      ->check(CLI::IsMember({"entra-initial", "entra-incremental", "okta"}));
  app.add_option("--url", url, "SCIM base URL, e.g. http://127.0.0.1:8080/scim/v2")->required();
  app.add_option("--token", token, "bearer token (or the environment variable SCIMLOAD_TOKEN)")
      ->envname("SCIMLOAD_TOKEN");
  app.add_option("--users", profile.users, "users in the tenant (the workload's size)")
      ->required()
      ->check(CLI::Range(1u, 100'000'000u));
  app.add_option("--groups", profile.groups, "groups")
      ->capture_default_str()
      ->check(CLI::Range(0u, 1'000'000u));
  app.add_option("--group-size", profile.group_size, "members per group (at most --users)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 100'000'000u));
  app.add_option("--member-batch", profile.member_batch, "members per group PATCH")
      ->capture_default_str()
      ->check(CLI::Range(1u, 100'000u));
  app.add_option("--connections", run.connections, "keep-alive HTTP/1.1 connections")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--rate", run.rate,
                 "requests per second, open loop (latency counts from each request's intended "
                 "send time); without it, closed loop as fast as the connections allow")
      ->check(CLI::PositiveNumber);
  app.add_option("--duration", duration_s,
                 "stop after this many seconds even if the workload is not finished")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 7.0 * 24 * 3600));
  app.add_option("--timeout", timeout_s, "seconds one request may take before it is a failure")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--json", json_path, "also write the report as JSON to this file");
  app.add_option("--seed", profile.seed, "names users and groups (same seed, same directory)")
      ->capture_default_str();
  app.add_option("--verify-every", profile.verify_every,
                 "look up one created user in this many again (0: never)")
      ->capture_default_str();
  app.add_option("--change-percent", profile.change_percent,
                 "entra-incremental and okta: share of users changed, in %")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  app.add_flag("--quiet", quiet, "no progress lines on stderr");
  app.footer(
      "Exit status: 0 when every answer was right and no connection failed (injected faults "
      "do not count), 1 otherwise, 2 for a usage error.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  std::string error;
  if (!sl::ParseBaseUrl(url, &run.url, &error)) {
    std::cerr << "scimload: --url: " << error << "\n";
    return 2;
  }
  if (token.empty()) {
    std::cerr << "scimload: give a bearer token with --token or SCIMLOAD_TOKEN\n";
    return 2;
  }
  run.token = token;
  run.duration = std::chrono::milliseconds(static_cast<int64_t>(duration_s * 1000));
  run.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  run.progress = !quiet;
  profile.group_size = std::min(profile.group_size, profile.users);

  sl::Profile which;
  sl::ParseProfile(profile_name, &which);
  sl::Stats stats;
  std::unique_ptr<sl::Workload> workload = sl::MakeWorkload(which, profile, stats);
  sl::Runner runner(run, *workload, stats);
  const sl::RunResult result = runner.Run();
  if (!result.error.empty()) {
    std::cerr << "scimload: " << result.error << "\n";
    return 1;
  }

  const sl::ReportInput report{profile_name, url, run, profile, result, stats, *workload};
  std::cout << sl::TextReport(report) << std::flush;
  if (!json_path.empty()) {
    std::ofstream out(json_path, std::ios::trunc);
    out << sl::JsonReport(report);
    if (!out.flush()) {
      std::cerr << "scimload: cannot write " << json_path << "\n";
      return 1;
    }
  }
  return sl::ExitCode(result, stats);
}
