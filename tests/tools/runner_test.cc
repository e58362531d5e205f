// Runner against a FakeServer: injected faults are counted apart and retried (429 after
// Retry-After), real connection failures count, operations are abandoned after
// kMaxAttempts, --duration cuts a run short, and an open loop counts a stall in the
// latency of every request that should have been sent during it.
#include "tools/scimload/runner.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tests/tools/fake_server.h"
#include "tools/scimload/report.h"

namespace scimd::scimload {
namespace {

using testing::FakeReply;
using testing::FakeServer;

// n independent one-request operations: GET /op/<i>.
class OpsWorkload : public Workload {
 public:
  explicit OpsWorkload(uint32_t n) : n_(n), status_(n, 0), answered_at_(n) {}

  bool Next(Step& step) override {
    if (next_ >= n_) return false;
    step = {Kind::kGetFilterUser, next_++, 0};
    ++outstanding_;
    return true;
  }
  void Render(const Step& step, Request& request) override {
    request.method = "GET";
    request.target = "/op/" + std::to_string(step.op);
  }
  void OnAnswer(const Step& step, int status, std::string_view) override {
    --outstanding_;
    status_[step.op] = status;
    answered_at_[step.op] = Clock::now();
  }
  void OnAbandoned(const Step& step) override {
    --outstanding_;
    abandoned_.push_back(step.op);
  }
  bool Done() const override { return next_ >= n_ && outstanding_ == 0; }
  std::string Progress() const override { return {}; }
  void AppendJson(JsonWriter&) const override {}
  void AppendText(std::string&) const override {}
  std::string_view user_agent() const override { return "test"; }

  const uint32_t n_;
  uint32_t next_ = 0;
  int outstanding_ = 0;
  std::vector<int> status_;
  std::vector<Clock::time_point> answered_at_;
  std::vector<uint32_t> abandoned_;
};

// Counts the requests per target, so a handler can fail only the first attempt.
class Attempts {
 public:
  int Next(const std::string& target) {
    std::lock_guard<std::mutex> lock(mu_);
    return ++seen_[target];
  }

 private:
  std::mutex mu_;
  std::map<std::string, int> seen_;
};

uint32_t OpOf(const std::string& target) {
  return static_cast<uint32_t>(std::stoul(target.substr(target.rfind('/') + 1)));
}

RunOptions Options(int port, int connections) {
  RunOptions o;
  std::string error;
  EXPECT_TRUE(
      ParseBaseUrl("http://127.0.0.1:" + std::to_string(port) + "/scim/v2/", &o.url, &error));
  o.token = "t";
  o.connections = connections;
  o.duration = std::chrono::seconds(20);
  o.timeout = std::chrono::seconds(5);
  o.progress = false;
  return o;
}

const std::pair<std::string, std::string> kInjected = {"X-Scimd-Injected-Fault", "test"};

TEST(RunnerTest, InjectedFaultsAreCountedApartAndRetried) {
  Attempts attempts;
  FakeServer server([&](const std::string&, const std::string& target) {
    const uint32_t op = OpOf(target);
    FakeReply r;
    if (attempts.Next(target) > 1) return r;
    switch (op % 4) {
      case 0:
        r.status = 429;
        r.headers = {kInjected, {"Retry-After", "1"}};
        break;
      case 1:
        r.status = 503;
        r.headers = {kInjected};
        break;
      case 2:
        r.status = 500;
        r.headers = {kInjected};
        r.drop_after_head = true;  // an injected drop: head sent, body never
        break;
    }
    return r;
  });
  OpsWorkload workload(20);
  Stats stats;
  const RunOptions options = Options(server.port(), 4);
  const Clock::time_point start = Clock::now();
  const RunResult result = Runner(options, workload, stats).Run();

  EXPECT_TRUE(result.complete);
  for (uint32_t op = 0; op < 20; ++op) {
    EXPECT_EQ(workload.status_[op], 200) << op;
    if (op % 4 == 0) {  // honoured Retry-After: 1
      EXPECT_GE(workload.answered_at_[op] - start, std::chrono::milliseconds(1000)) << op;
    }
  }
  const KindStats& k = stats.of(Kind::kGetFilterUser);
  EXPECT_EQ(k.injected.at(429), 5u);
  EXPECT_EQ(k.injected.at(503), 5u);
  EXPECT_EQ(k.injected.at(kDroppedStatus), 5u);
  EXPECT_EQ(k.statuses.at(200), 20u);
  EXPECT_EQ(k.retries, 15u);
  EXPECT_EQ(k.count, 35u);
  EXPECT_EQ(stats.connection_failures(), 0u);
  EXPECT_EQ(ExitCode(result, stats), 0);
  EXPECT_EQ(server.requests(), 35);
}

TEST(RunnerTest, ARealDropIsAConnectionFailureAndIsRetried) {
  Attempts attempts;
  FakeServer server([&](const std::string&, const std::string& target) {
    FakeReply r;
    if (OpOf(target) == 3 && attempts.Next(target) == 1) r.drop_after_head = true;
    return r;
  });
  OpsWorkload workload(10);
  Stats stats;
  const RunResult result = Runner(Options(server.port(), 2), workload, stats).Run();
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(workload.status_[3], 200);
  EXPECT_EQ(stats.connection_failures(), 1u);
  EXPECT_EQ(stats.of(Kind::kGetFilterUser).retries, 1u);
  EXPECT_EQ(ExitCode(result, stats), 1);
}

TEST(RunnerTest, AnOperationIsAbandonedAfterMaxAttempts) {
  FakeServer server([&](const std::string&, const std::string& target) {
    FakeReply r;
    if (OpOf(target) == 1) {
      r.status = 503;
      r.headers = {kInjected, {"Retry-After", "0"}};
    }
    return r;
  });
  OpsWorkload workload(3);
  Stats stats;
  const RunResult result = Runner(Options(server.port(), 1), workload, stats).Run();
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(workload.abandoned_, std::vector<uint32_t>{1});
  EXPECT_EQ(stats.of(Kind::kGetFilterUser).injected.at(503), static_cast<uint64_t>(kMaxAttempts));
  EXPECT_EQ(stats.of(Kind::kGetFilterUser).abandoned, 1u);
  EXPECT_EQ(ExitCode(result, stats), 0);  // injected faults are not the server's errors
}

TEST(RunnerTest, DurationEndsARunThatIsNotDone) {
  FakeServer server([&](const std::string&, const std::string&) {
    FakeReply r;
    r.delay_ms = 1500;
    return r;
  });
  OpsWorkload workload(100);
  Stats stats;
  RunOptions options = Options(server.port(), 2);
  options.duration = std::chrono::milliseconds(300);
  const RunResult result = Runner(options, workload, stats).Run();
  EXPECT_FALSE(result.complete);
  EXPECT_LT(result.seconds, 1.0);
  EXPECT_EQ(stats.of(Kind::kGetFilterUser).unfinished, 2u);  // one in flight per connection
  EXPECT_EQ(stats.total_answers(), 0u);
}

TEST(RunnerTest, UnreachableServerStopsTheRun) {
  int port;
  {
    FakeServer gone([](const std::string&, const std::string&) { return FakeReply(); });
    port = gone.port();
  }
  OpsWorkload workload(1000);
  Stats stats;
  const RunResult result = Runner(Options(port, 4), workload, stats).Run();
  EXPECT_TRUE(result.unreachable);
  EXPECT_FALSE(result.complete);
  EXPECT_GE(stats.connection_failures(), static_cast<uint64_t>(kMaxFailuresInARow));
  EXPECT_EQ(ExitCode(result, stats), 1);
}

// One connection; the server stalls 500 ms on the first request and answers the others at
// once. Open loop at 100/s: the requests meant for 10..290 ms wait for the stall and their
// latency shows it. Closed loop: only the stalled request is slow.
LatencyHistogram StallRun(double rate) {
  FakeServer server([&](const std::string&, const std::string& target) {
    FakeReply r;
    if (OpOf(target) == 0) r.delay_ms = 500;
    return r;
  });
  OpsWorkload workload(30);
  Stats stats;
  RunOptions options = Options(server.port(), 1);
  options.rate = rate;
  const RunResult result = Runner(options, workload, stats).Run();
  EXPECT_TRUE(result.complete);
  return stats.of(Kind::kGetFilterUser).latency;
}

TEST(RunnerTest, OpenLoopCountsAStallInTheLatencyOfEveryRequestItDelayed) {
  const LatencyHistogram open = StallRun(100);
  EXPECT_EQ(open.count(), 30u);
  EXPECT_GE(open.Percentile(50), 250'000);  // op 15 was meant for 150 ms, sent at ~500 ms
  EXPECT_GE(open.Percentile(90), 400'000);
  const LatencyHistogram closed = StallRun(0);
  EXPECT_EQ(closed.count(), 30u);
  EXPECT_LT(closed.Percentile(90), 100'000);  // coordinated omission: the stall is hidden
  EXPECT_GE(closed.max(), 500'000);
}

TEST(BaseUrlTest, Parses) {
  BaseUrl u;
  std::string error;
  ASSERT_TRUE(ParseBaseUrl("http://127.0.0.1:8080/scim/v2/", &u, &error)) << error;
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.path, "/scim/v2");
  EXPECT_EQ(u.HostHeader(), "127.0.0.1:8080");
  ASSERT_TRUE(ParseBaseUrl("http://example.com", &u, &error)) << error;
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.path, "");
  EXPECT_EQ(u.HostHeader(), "example.com");
  ASSERT_TRUE(ParseBaseUrl("http://[::1]:9/t/acme/scim", &u, &error)) << error;
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 9);
  EXPECT_EQ(u.path, "/t/acme/scim");
  EXPECT_FALSE(ParseBaseUrl("https://example.com/scim", &u, &error));
  EXPECT_NE(error.find("plain HTTP"), std::string::npos);
  EXPECT_FALSE(ParseBaseUrl("example.com/scim", &u, &error));
  EXPECT_FALSE(ParseBaseUrl("http://h:0/", &u, &error));
  EXPECT_FALSE(ParseBaseUrl("http://h:99999/", &u, &error));
  EXPECT_FALSE(ParseBaseUrl("http://h/scim?x=1", &u, &error));
}

}  // namespace
}  // namespace scimd::scimload
