// HttpServer with deferred handler work (HttpResponse::deferred): other connections are
// served while a job runs, pipelined responses stay in order, and a connection that is
// closed, timed out or stopped meanwhile never crashes the server or outlives the job.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "net/http_server.h"
#include "tests/net/http_test_client.h"

namespace scimd::net {
namespace {

using namespace std::chrono_literals;
using testing::Get;
using testing::Post;
using testing::TestClient;
using testing::WaitOrDie;

// "/deferred?<ms>": a job that sleeps <ms> (default 300) and echoes path and body;
// "/deferred-stream": a job whose answer is streamed; "/deferred-throw": a job that throws.
// Anything else is answered inline.
class DeferringHandler {
 public:
  std::atomic<int> jobs_started{0};
  std::atomic<int> jobs_finished{0};

  void operator()(const HttpRequest& request, HttpResponse& response) {
    response.SetHeader("X-Path", request.path);
    if (request.path == "/deferred") {
      // The request stays valid and unchanged while the job runs: it reads it there.
      response.deferred = [this, &request](HttpResponse& out) {
        jobs_started.fetch_add(1);
        int ms = request.query.empty() ? 300 : std::stoi(request.query);
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        out.SetHeader("X-Path", request.path);
        out.body = "job:" + request.body;
        jobs_finished.fetch_add(1);
      };
      return;
    }
    if (request.path == "/deferred-stream") {
      response.deferred = [](HttpResponse& out) {
        auto i = std::make_shared<int>(0);
        out.stream = [i](std::string& piece) {
          piece += "p" + std::to_string(*i) + ";";
          return ++*i < 3;
        };
      };
      return;
    }
    if (request.path == "/deferred-throw") {
      response.deferred = [](HttpResponse&) { throw std::runtime_error("bug"); };
      return;
    }
    response.body = "inline:" + request.body;
  }
};

class HttpDeferredTest : public testing::ServerTest {
 protected:
  void StartServer(HttpServer::Options options = {}) {
    options.threads = 1;  // one reactor: anything it did inline would stall everyone
    ServerTest::StartServer(options,
                            [this](const HttpRequest& q, HttpResponse& r) { handler_(q, r); });
  }

  void WaitForJobsStarted(int n) {
    auto deadline = std::chrono::steady_clock::now() + 3s;
    while (handler_.jobs_started.load() < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    ASSERT_EQ(handler_.jobs_started.load(), n);
  }

  DeferringHandler handler_;
};

TEST_F(HttpDeferredTest, OtherConnectionsAreServedWhileAJobRuns) {
  StartServer();
  TestClient slow(port());
  ASSERT_TRUE(slow.Send(Post("/deferred?300", "a")));
  WaitForJobsStarted(1);
  TestClient quick(port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(quick.Send(Get("/quick")));
    auto r = quick.ReadResponse();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "inline:");
  }
  // The quick answers came while the job was still sleeping.
  EXPECT_EQ(handler_.jobs_finished.load(), 0);
  auto r = slow.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "job:a");
  EXPECT_EQ(r->Header("x-path"), "/deferred");
  EXPECT_EQ(server_->GetStats().requests_deferred, 1u);
}

TEST_F(HttpDeferredTest, PipelinedResponsesAroundAJobStayInOrder) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(c.Send(Post("/one", "1") + Post("/deferred?100", "2") + Post("/three", "3") +
                     Post("/deferred?10", "4") + Get("/five")));
  const char* bodies[] = {"inline:1", "job:2", "inline:3", "job:4", "inline:"};
  for (const char* body : bodies) {
    auto r = c.ReadResponse();
    ASSERT_TRUE(r) << body;
    EXPECT_EQ(r->body, body);
  }
  // The connection is still usable afterwards.
  ASSERT_TRUE(c.Send(Get("/six")));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("x-path"), "/six");
}

TEST_F(HttpDeferredTest, JobMayStreamItsAnswer) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(c.Send(Get("/deferred-stream") + Get("/after")));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("transfer-encoding"), "chunked");
  EXPECT_EQ(r->body, "p0;p1;p2;");
  r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("x-path"), "/after");
}

TEST_F(HttpDeferredTest, ThrowingJobGets500AndConnectionSurvives) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(c.Send(Get("/deferred-throw")));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  ASSERT_TRUE(c.Send(Get("/fine")));
  r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpDeferredTest, ClientClosingDuringAJobIsHarmless) {
  StartServer();
  {
    TestClient c(port());
    ASSERT_TRUE(c.Send(Post("/deferred?200", "x") + Get("/never-parsed")));
    WaitForJobsStarted(1);
  }  // closed (and reset: unread input) while the job sleeps
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (handler_.jobs_finished.load() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(handler_.jobs_finished.load(), 1);
  TestClient next(port());
  ASSERT_TRUE(next.Send(Get("/next")));
  auto r = next.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("x-path"), "/next");
}

TEST_F(HttpDeferredTest, ReadTimeoutsDoNotApplyWhileAJobRuns) {
  HttpServer::Options options;
  options.header_timeout = 100ms;
  options.idle_timeout = 100ms;
  StartServer(options);
  TestClient c(port());
  ASSERT_TRUE(c.Send(Post("/deferred?500", "t")));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "job:t");
  EXPECT_TRUE(c.WaitClosed(2s));  // and the idle timeout applies again afterwards
}

TEST_F(HttpDeferredTest, StopWithAJobInFlightAnswersItWithClose) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(c.Send(Post("/deferred?300", "s")));
  WaitForJobsStarted(1);
  server_->Stop();
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "job:s");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(c.WaitClosed(3s));
  WaitOrDie(*server_);
}

TEST_F(HttpDeferredTest, WaitOutlivesAJobWhoseConnectionTheDrainCut) {
  HttpServer::Options options;
  options.drain_timeout = 50ms;
  StartServer(options);
  TestClient c(port());
  ASSERT_TRUE(c.Send(Post("/deferred?400", "d")));
  WaitForJobsStarted(1);
  server_->Stop();
  EXPECT_TRUE(c.WaitClosed(1s));  // the drain cut the connection...
  WaitOrDie(*server_);
  // ... yet Wait() returned only after the job: what it uses may be torn down now.
  EXPECT_EQ(handler_.jobs_finished.load(), 1);
}

TEST_F(HttpDeferredTest, WithoutBlockingThreadsJobsRunInline) {
  HttpServer::Options options;
  options.blocking_threads = 0;
  StartServer(options);
  TestClient c(port());
  ASSERT_TRUE(c.Send(Post("/deferred?1", "i") + Get("/after")));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "job:i");
  r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("x-path"), "/after");
  EXPECT_EQ(server_->GetStats().requests_deferred, 0u);
}

}  // namespace
}  // namespace scimd::net
