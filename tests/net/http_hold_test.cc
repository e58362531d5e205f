// HttpServer with answers held until released (HttpResponse::hold, what a replicated write
// waits on): the answer goes out only after its release, from another thread, while the
// reactor serves other connections; a replacement goes out instead when given; pipelined
// answers stay in order; a deferred job's answer can be held too.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/http_server.h"
#include "tests/net/http_test_client.h"

namespace scimd::net {
namespace {

using namespace std::chrono_literals;
using testing::Get;
using testing::Post;
using testing::TestClient;

// Releases handed out by the handler, released by the test.
std::mutex g_mu;
std::vector<HttpResponse::Release> g_releases;

size_t Pending() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_releases.size();
}

// Releases the oldest pending hold, with a 503 instead when `replace`.
void ReleaseOne(bool replace) {
  HttpResponse::Release release;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    ASSERT_FALSE(g_releases.empty());
    release = std::move(g_releases.front());
    g_releases.erase(g_releases.begin());
  }
  std::thread([release = std::move(release), replace] {
    if (!replace) return release(nullptr);
    auto instead = std::make_unique<HttpResponse>();
    instead->status = 503;
    instead->body = "not replicated";
    release(std::move(instead));
  }).join();
}

void Handle(const HttpRequest& request, HttpResponse& response) {
  auto hold = [](HttpResponse::Release release) {
    std::lock_guard<std::mutex> lock(g_mu);
    g_releases.push_back(std::move(release));
  };
  if (request.path == "/held") {
    response.body = "held:" + request.body;
    response.hold = hold;
    return;
  }
  if (request.path == "/deferred-held") {
    response.deferred = [hold, &request](HttpResponse& out) {
      out.body = "job:" + request.body;
      out.hold = hold;
    };
    return;
  }
  response.body = "inline:" + request.body;
}

class HttpHoldTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    std::lock_guard<std::mutex> lock(g_mu);
    // (released holds from an earlier test were all answered)
    g_releases.clear();
  }
  void StartServer() {
    HttpServer::Options options;
    options.threads = 1;
    ServerTest::StartServer(options, &Handle);
  }
  static void WaitForPending(size_t n) {
    for (int i = 0; i < 500 && Pending() < n; ++i) std::this_thread::sleep_for(10ms);
    ASSERT_EQ(Pending(), n);
  }
};

TEST_F(HttpHoldTest, TheAnswerWaitsForItsReleaseWhileOthersAreServed) {
  StartServer();
  TestClient held(port());
  ASSERT_TRUE(held.Send(Post("/held", "a")));
  WaitForPending(1);
  TestClient quick(port());
  ASSERT_TRUE(quick.Send(Get("/quick")));
  auto q = quick.ReadResponse();
  ASSERT_TRUE(q);
  EXPECT_EQ(q->body, "inline:");
  std::optional<testing::TestResponse> answer;
  std::thread reader([&] { answer = held.ReadResponse(); });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(answer.has_value());  // not before the release
  ReleaseOne(false);
  reader.join();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "held:a");
}

TEST_F(HttpHoldTest, AReplacementGoesOutInsteadAndPipelinedAnswersKeepTheirOrder) {
  StartServer();
  TestClient client(port());
  ASSERT_TRUE(client.Send(Post("/held", "1") + Get("/after") + Post("/deferred-held", "2")));
  WaitForPending(1);
  ReleaseOne(true);
  auto first = client.ReadResponse();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 503);
  EXPECT_EQ(first->body, "not replicated");
  auto second = client.ReadResponse();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, "inline:");
  WaitForPending(1);  // the job's answer, held in turn
  ReleaseOne(false);
  auto third = client.ReadResponse();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->body, "job:2");
}

TEST_F(HttpHoldTest, AClientThatLeavesOrAStopDoesNotHarmTheServer) {
  StartServer();
  {
    TestClient gone(port());
    ASSERT_TRUE(gone.Send(Post("/held", "x")));
    WaitForPending(1);
  }  // the client leaves before the release
  std::this_thread::sleep_for(50ms);
  ReleaseOne(false);
  TestClient next(port());
  ASSERT_TRUE(next.Send(Get("/quick")));
  auto r = next.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "inline:");
  // A stop waits for a pending release, then finishes.
  TestClient held(port());
  ASSERT_TRUE(held.Send(Post("/held", "y")));
  WaitForPending(1);
  std::thread stopper([&] {
    server_->Stop();
    testing::WaitOrDie(*server_);
  });
  std::this_thread::sleep_for(100ms);
  ReleaseOne(false);
  stopper.join();
}

}  // namespace
}  // namespace scimd::net
