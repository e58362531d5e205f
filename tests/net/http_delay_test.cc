// HttpServer with answers held back (HttpResponse::delay) and cut after their head
// (HttpResponse::cut_after_head), the two halves of fault injection the HTTP layer does: a
// held answer waits on a timer while the one reactor serves other connections, keeps
// pipelined answers in order, and neither a client that leaves nor a stop meanwhile harms
// the server; a cut answer is its head, then the close.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "net/http_server.h"
#include "tests/net/http_test_client.h"

namespace scimd::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::Get;
using testing::Post;
using testing::TestClient;

// "/delay?<ms>": answered at once, held <ms>; "/deferred-delay?<ms>": the same from a
// blocking thread's job; "/cut": a 503 cut after its head. Anything else is answered inline.
void Handle(const HttpRequest& request, HttpResponse& response) {
  response.SetHeader("X-Path", request.path);
  const auto ms = std::chrono::milliseconds(request.query.empty() ? 0 : std::stoi(request.query));
  if (request.path == "/delay") {
    response.body = "held:" + request.body;
    response.delay = ms;
    return;
  }
  if (request.path == "/deferred-delay") {
    response.deferred = [ms, &request](HttpResponse& out) {
      out.body = "job:" + request.body;
      out.delay = ms;
    };
    return;
  }
  if (request.path == "/cut") {
    response.status = 503;
    response.SetHeader("X-Cut", "yes");
    response.body = "never sent";
    response.cut_after_head = true;
    return;
  }
  response.body = "inline:" + request.body;
}

class HttpDelayTest : public testing::ServerTest {
 protected:
  void StartServer(HttpServer::Options options = {}) {
    options.threads = 1;  // one reactor: a sleep there would stall every connection
    ServerTest::StartServer(options, &Handle);
  }
};

TEST_F(HttpDelayTest, AHeldAnswerWaitsWhileOtherConnectionsAreServed) {
  StartServer();
  TestClient held(port());
  const auto sent = Clock::now();
  ASSERT_TRUE(held.Send(Post("/delay?400", "a")));
  Clock::time_point held_done;
  std::optional<testing::TestResponse> held_answer;
  std::thread reader([&] {
    held_answer = held.ReadResponse();
    held_done = Clock::now();
  });
  std::this_thread::sleep_for(50ms);  // the held request is in
  TestClient quick(port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(quick.Send(Get("/quick")));
    auto r = quick.ReadResponse();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "inline:");
  }
  const auto quick_done = Clock::now();
  reader.join();
  ASSERT_TRUE(held_answer);
  EXPECT_EQ(held_answer->body, "held:a");
  EXPECT_GE(held_done - sent, 400ms);
  EXPECT_LT(quick_done, held_done) << "the reactor waited for the timer";
  // The connection goes on as before.
  ASSERT_TRUE(held.Send(Get("/after")));
  auto r = held.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("x-path"), "/after");
}

TEST_F(HttpDelayTest, PipelinedAnswersAroundHeldOnesStayInOrder) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(c.Send(Post("/one", "1") + Post("/delay?150", "2") + Post("/three", "3") +
                     Post("/deferred-delay?50", "4") + Post("/delay?0", "5")));
  for (const char* body : {"inline:1", "held:2", "inline:3", "job:4", "held:5"}) {
    auto r = c.ReadResponse();
    ASSERT_TRUE(r) << body;
    EXPECT_EQ(r->body, body);
  }
}

TEST_F(HttpDelayTest, ADeferredJobsAnswerIsHeldToo) {
  StartServer();
  TestClient c(port());
  const auto sent = Clock::now();
  ASSERT_TRUE(c.Send(Post("/deferred-delay?300", "x")));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "job:x");
  EXPECT_GE(Clock::now() - sent, 300ms);
}

TEST_F(HttpDelayTest, ReadTimeoutsDoNotCutAHeldAnswer) {
  HttpServer::Options options;
  options.idle_timeout = 100ms;
  options.header_timeout = 100ms;
  StartServer(options);
  TestClient c(port());
  ASSERT_TRUE(c.Send(Get("/delay?500")));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpDelayTest, AClientLeavingOrAStopDuringTheDelayIsHarmless) {
  StartServer();
  {
    TestClient gone(port());
    ASSERT_TRUE(gone.Send(Get("/delay?2000")));
    std::this_thread::sleep_for(50ms);
  }  // closed before its answer
  TestClient c(port());
  ASSERT_TRUE(c.Send(Get("/delay?200")));
  std::this_thread::sleep_for(50ms);
  const auto stop = Clock::now();
  server_->Stop();  // the held answer still goes out, with Connection: close
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("connection").value_or(""), "close");
  testing::WaitOrDie(*server_);
  // The 2-second timer of the connection that left does not hold the stop up.
  EXPECT_LT(Clock::now() - stop, 1500ms);
  server_.reset();
}

TEST_F(HttpDelayTest, ACutAnswerIsItsHeadThenTheClose) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(c.Send(Get("/cut") + Get("/never")));
  ASSERT_TRUE(c.WaitClosed(3s));
  const std::string& got = c.pending();
  EXPECT_EQ(got.rfind("HTTP/1.1 503", 0), 0u) << got;
  EXPECT_NE(got.find("X-Cut: yes\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Content-Length: 10\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.find("\r\n\r\n"), got.size() - 4) << "nothing after the head: " << got;
  EXPECT_EQ(got.find("never"), std::string::npos) << got;
  // The server goes on serving others.
  TestClient other(port());
  ASSERT_TRUE(other.Send(Get("/after")));
  auto r = other.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "inline:");
}

}  // namespace
}  // namespace scimd::net
