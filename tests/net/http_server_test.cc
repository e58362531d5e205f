// HttpServer against raw TCP clients on 127.0.0.1: framing, keep-alive, pipelining,
// limits, timeouts, streaming and graceful stop.
#include "net/http_server.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/net/http_test_client.h"

namespace scimd::net {
namespace {

using namespace std::chrono_literals;
using testing::Get;
using testing::Post;
using testing::TestClient;
using testing::TestResponse;
using testing::WaitOrDie;

constexpr std::string_view kScimErrorPrefix =
    R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":")";

// prefix + i, built with append: GCC 12 warns falsely (-Wrestrict, bug 105329) on
// `"literal" + std::to_string(i)`.
std::string Numbered(std::string_view prefix, int i) {
  std::string s(prefix);
  s.append(std::to_string(i));
  return s;
}

// Echoes the request: body as body, method/path/query/x-test as headers. A few paths
// trigger special behaviour.
class EchoHandler {
 public:
  std::atomic<int> slow_entered{0};

  void operator()(const HttpRequest& request, HttpResponse& response) {
    response.SetHeader("Content-Type", "text/plain");
    response.SetHeader("X-Method", request.method);
    response.SetHeader("X-Path", request.path);
    response.SetHeader("X-Query", request.query);
    response.SetHeader("X-Test", std::string(request.Header("x-test")));
    response.SetHeader("X-Remote", request.remote_address);
    if (request.path == "/stream") {
      int n = std::stoi(request.query.empty() ? "3" : request.query);
      auto i = std::make_shared<int>(0);
      response.stream = [i, n](std::string& out) {
        out += Numbered("piece", *i);
        out += ';';
        return ++*i < n;
      };
      return;
    }
    if (request.path == "/nocontent") {
      response.status = 204;
      response.body = "must not be sent";
      return;
    }
    if (request.path == "/throw") throw std::runtime_error("bug");
    if (request.path == "/close") response.SetHeader("Connection", "close");
    if (request.path == "/slow") {
      slow_entered.fetch_add(1);
      std::this_thread::sleep_for(300ms);
      response.body = "slow done";
      return;
    }
    if (request.path == "/big") {
      response.body.assign(200 * 1024, 'x');
      return;
    }
    response.body = request.body;
  }
};

class HttpServerTest : public testing::ServerTest {
 protected:
  void StartServer(HttpServer::Options options = {}) {
    ServerTest::StartServer(options,
                            [this](const HttpRequest& q, HttpResponse& r) { echo_(q, r); });
  }

  EchoHandler echo_;
};

void ExpectScimError(const TestResponse& r, int status) {
  EXPECT_EQ(r.status, status);
  EXPECT_EQ(r.Header("content-type").value_or(""), "application/scim+json");
  EXPECT_EQ(r.body.rfind(kScimErrorPrefix, 0), 0u) << r.body;
  EXPECT_NE(r.body.find("\"status\":\"" + std::to_string(status) + "\""), std::string::npos);
  EXPECT_NE(r.body.find("\"detail\":\""), std::string::npos);
  EXPECT_EQ(r.Header("connection").value_or(""), "close");
}

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(Get("/a?x=1", "X-Test: one\r\n")));
  auto r1 = c.ReadResponse();
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->status, 200);
  EXPECT_EQ(r1->reason, "OK");
  EXPECT_EQ(r1->Header("x-method"), "GET");
  EXPECT_EQ(r1->Header("x-path"), "/a");
  EXPECT_EQ(r1->Header("x-query"), "x=1");
  EXPECT_EQ(r1->Header("x-test"), "one");
  EXPECT_EQ(r1->Header("x-remote"), "127.0.0.1");
  EXPECT_EQ(r1->Header("content-length"), "0");
  EXPECT_TRUE(r1->Header("date").has_value());
  EXPECT_FALSE(r1->Header("connection").has_value());

  ASSERT_TRUE(c.Send(Post("/b", "hello", "x-TEST: two\r\n")));
  auto r2 = c.ReadResponse();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->Header("x-method"), "POST");
  EXPECT_EQ(r2->Header("x-test"), "two");
  EXPECT_EQ(r2->body, "hello");
  auto stats = server_->GetStats();
  EXPECT_EQ(stats.connections_accepted, 1u);
  EXPECT_EQ(stats.requests_served, 2u);
  EXPECT_EQ(stats.connections_open, 1u);
}

TEST_F(HttpServerTest, PipelinedRequestsAnsweredInOrder) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(c.Send(Post("/1", "first") + Get("/2") + Post("/3", "third")));
  auto r1 = c.ReadResponse();
  auto r2 = c.ReadResponse();
  auto r3 = c.ReadResponse();
  ASSERT_TRUE(r1 && r2 && r3);
  EXPECT_EQ(r1->Header("x-path"), "/1");
  EXPECT_EQ(r1->body, "first");
  EXPECT_EQ(r2->Header("x-path"), "/2");
  EXPECT_EQ(r2->body, "");
  EXPECT_EQ(r3->Header("x-path"), "/3");
  EXPECT_EQ(r3->body, "third");
}

TEST_F(HttpServerTest, PipelineDeeperThanTheLimitIsAnsweredInRounds) {
  HttpServer::Options options;
  options.max_pipelined = 2;
  StartServer(options);
  TestClient c(port());
  std::string requests;
  for (int i = 0; i < 7; ++i) requests += Post(Numbered("/p", i), Numbered("b", i));
  requests += Get("/big");  // a gather-written body in the middle
  requests += Get("/stream?2");
  requests += Get("/last");
  ASSERT_TRUE(c.Send(requests));
  for (int i = 0; i < 7; ++i) {
    auto r = c.ReadResponse();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->Header("x-path"), Numbered("/p", i));
    EXPECT_EQ(r->body, Numbered("b", i));
  }
  auto big = c.ReadResponse();
  ASSERT_TRUE(big);
  EXPECT_EQ(big->body, std::string(200 * 1024, 'x'));
  auto streamed = c.ReadResponse();
  ASSERT_TRUE(streamed);
  EXPECT_EQ(streamed->body, "piece0;piece1;");
  auto last = c.ReadResponse();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->Header("x-path"), "/last");
}

TEST_F(HttpServerTest, ChunkedRequestBodyIsReassembled) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(c.Send("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"));
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(c.Send("lo\r\n"));
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(c.Send("7\r\n, world\r\n0\r\n\r\n"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello, world");
}

TEST_F(HttpServerTest, HeaderPiecesAcrossReadsAreAccumulated) {
  StartServer();
  TestClient c(port());
  std::string request = Get("/split", "X-Test: a-longer-value\r\n");
  for (char ch : request) {
    ASSERT_TRUE(c.Send(std::string_view(&ch, 1)));
    std::this_thread::sleep_for(1ms);
  }
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("x-path"), "/split");
  EXPECT_EQ(r->Header("x-test"), "a-longer-value");
}

TEST_F(HttpServerTest, HeaderValuesAreTrimmedAndNamesLowerCased) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(c.Send(Get("/t", "X-TeSt: \t padded value \t \r\n")));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("x-test"), "padded value");
  EXPECT_EQ(r->Header("date").value_or("").size(), 29u);  // IMF-fixdate
}

TEST_F(HttpServerTest, ContentLengthWithTransferEncodingIsRefused) {
  StartServer();
  TestClient c(port());
  // A request-smuggling shape: two framings for one body.
  ASSERT_TRUE(
      c.Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
             "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  ExpectScimError(*r, 400);
}

TEST_F(HttpServerTest, ExpectContinueGetsInterimResponseThenFinal) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(
      c.Send("POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
             "Expect: 100-continue\r\n\r\n"));
  auto interim = c.ReadResponse();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  EXPECT_TRUE(c.pending().empty());
  ASSERT_TRUE(c.Send("hello"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
}

TEST_F(HttpServerTest, ExpectContinueWithOversizedLengthGets413WithoutBody) {
  HttpServer::Options options;
  options.max_body_bytes = 1024;
  StartServer(options);
  TestClient c(port());
  ASSERT_TRUE(
      c.Send("POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 4096\r\n"
             "Expect: 100-continue\r\n\r\n"));
  auto r = c.ReadResponse();  // no body sent
  ASSERT_TRUE(r);
  ExpectScimError(*r, 413);
  EXPECT_EQ(r->body, std::string(kScimErrorPrefix) +
                         R"(413","detail":"request body exceeds the 1024-byte limit"})");
  EXPECT_TRUE(c.WaitClosed(3s));
}

TEST_F(HttpServerTest, OversizedBodyGets413AndClose) {
  HttpServer::Options options;
  options.max_body_bytes = 1024;
  StartServer(options);
  TestClient c(port());
  ASSERT_TRUE(c.Send(Post("/big", std::string(64 * 1024, 'b'))));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  ExpectScimError(*r, 413);
  EXPECT_TRUE(c.WaitClosed(3s));
}

TEST_F(HttpServerTest, OversizedChunkedBodyGets413) {
  HttpServer::Options options;
  options.max_body_bytes = 10;
  StartServer(options);
  TestClient c(port());
  ASSERT_TRUE(
      c.Send("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
             "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  ExpectScimError(*r, 413);
  EXPECT_TRUE(c.WaitClosed(3s));
}

TEST_F(HttpServerTest, OversizedHeadersGet431) {
  HttpServer::Options options;
  options.max_header_bytes = 4096;
  StartServer(options);
  TestClient c(port());
  ASSERT_TRUE(c.Send(Get("/h", "X-Big: " + std::string(5000, 'h') + "\r\n")));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  ExpectScimError(*r, 431);
  EXPECT_NE(r->body.find("4096-byte limit"), std::string::npos) << r->body;
  EXPECT_TRUE(c.WaitClosed(3s));
}

TEST_F(HttpServerTest, TooManyHeaderFieldsGet431) {
  StartServer();
  TestClient c(port());
  std::string extra;
  for (int i = 0; i < 101; ++i) extra += Numbered("X-H", i) + ": v\r\n";
  ASSERT_TRUE(c.Send(Get("/h", extra)));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  ExpectScimError(*r, 431);
}

TEST_F(HttpServerTest, MalformedRequestLineGets400) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(c.Send("THIS IS NOT HTTP\r\n\r\n"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  ExpectScimError(*r, 400);
  EXPECT_TRUE(c.WaitClosed(3s));
}

TEST_F(HttpServerTest, ResponsesBeforeAMalformedRequestAreStillSent) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(c.Send(Get("/ok") + "GET / HTTP/1.1\r\nBad Header\r\n\r\n"));
  auto ok = c.ReadResponse();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  auto bad = c.ReadResponse();
  ASSERT_TRUE(bad);
  ExpectScimError(*bad, 400);
}

TEST_F(HttpServerTest, HeaderTimeoutClosesPartialHead) {
  HttpServer::Options options;
  options.header_timeout = 200ms;
  StartServer(options);
  TestClient c(port());
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: t\r\n"));
  EXPECT_TRUE(c.WaitClosed(3s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
  EXPECT_TRUE(c.pending().empty());  // closed without a response

  TestClient silent(port());  // a new connection that never sends
  EXPECT_TRUE(silent.WaitClosed(3s));
}

TEST_F(HttpServerTest, IdleTimeoutClosesKeepAliveConnection) {
  HttpServer::Options options;
  options.idle_timeout = 200ms;
  StartServer(options);
  TestClient c(port());
  ASSERT_TRUE(c.Send(Get("/")));
  ASSERT_TRUE(c.ReadResponse());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.WaitClosed(3s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
}

TEST_F(HttpServerTest, BodyTimeoutClosesSlowBody) {
  HttpServer::Options options;
  options.body_timeout = 200ms;
  StartServer(options);
  TestClient c(port());
  ASSERT_TRUE(c.Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n12345"));
  EXPECT_TRUE(c.WaitClosed(3s));
}

void WaitForOpenConnections(HttpServer& server, uint64_t n) {
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (server.GetStats().connections_open != n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(server.GetStats().connections_open, n);
}

TEST_F(HttpServerTest, MaxConnectionsEnforced) {
  HttpServer::Options options;
  options.max_connections = 2;
  StartServer(options);
  auto c1 = std::make_unique<TestClient>(port());
  TestClient c2(port());
  for (TestClient* c : {c1.get(), &c2}) {
    ASSERT_TRUE(c->Send(Get("/")));
    ASSERT_TRUE(c->ReadResponse());
  }
  TestClient c3(port());  // the kernel completes the handshake; the server refuses
  auto refused = c3.ReadResponse();
  if (refused) {
    ExpectScimError(*refused, 503);
  }
  EXPECT_TRUE(c3.WaitClosed(3s));
  EXPECT_EQ(server_->GetStats().connections_rejected, 1u);

  c1.reset();
  WaitForOpenConnections(*server_, 1);
  TestClient c4(port());
  ASSERT_TRUE(c4.Send(Get("/again")));
  auto r = c4.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, StreamedResponseArrivesChunked) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(c.Send(Get("/stream?5")));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("transfer-encoding"), "chunked");
  EXPECT_FALSE(r->Header("content-length").has_value());
  EXPECT_EQ(r->body, "piece0;piece1;piece2;piece3;piece4;");
  EXPECT_EQ(r->chunks, 5u);
  // The connection is still usable afterwards.
  ASSERT_TRUE(c.Send(Post("/after", "x")));
  auto after = c.ReadResponse();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "x");
}

TEST_F(HttpServerTest, StreamedResponseToHttp10IsCloseDelimited) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(c.Send("GET /stream?3 HTTP/1.0\r\n\r\n"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->Header("transfer-encoding").has_value());
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_EQ(r->body, "piece0;piece1;piece2;");
}

TEST_F(HttpServerTest, HeadAnd204HaveNoBody) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(c.Send("HEAD /big HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head = c.ReadResponse(/*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("content-length"), std::to_string(200 * 1024));
  EXPECT_EQ(head->Header("x-method"), "HEAD");

  ASSERT_TRUE(c.Send(Get("/nocontent")));
  auto none = c.ReadResponse();
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 204);
  EXPECT_FALSE(none->Header("content-length").has_value());

  // No stray body bytes: the next response parses cleanly.
  ASSERT_TRUE(c.Send(Post("/next", "n")));
  auto next = c.ReadResponse();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "n");
  EXPECT_TRUE(c.Quiet(50ms));
  EXPECT_TRUE(c.pending().empty());
}

TEST_F(HttpServerTest, Http10ClosesUnlessKeepAlive) {
  StartServer();
  {
    TestClient c(port());
    ASSERT_TRUE(c.Send("GET /old HTTP/1.0\r\n\r\n"));
    auto r = c.ReadResponse();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->Header("connection"), "close");
    EXPECT_TRUE(c.WaitClosed(3s));
  }
  TestClient c(port());
  ASSERT_TRUE(c.Send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("connection"), "keep-alive");
  ASSERT_TRUE(c.Send("GET /again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto again = c.ReadResponse();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->Header("x-path"), "/again");
}

TEST_F(HttpServerTest, ConnectionCloseHonoured) {
  StartServer();
  TestClient c(port());
  // The request after the closing one is never answered.
  ASSERT_TRUE(c.Send(Get("/bye", "Connection: close\r\n") + Get("/ignored")));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(c.WaitClosed(3s));
  EXPECT_TRUE(c.pending().empty());

  TestClient h(port());  // the handler asks to close
  ASSERT_TRUE(h.Send(Get("/close")));
  auto hr = h.ReadResponse();
  ASSERT_TRUE(hr);
  EXPECT_EQ(hr->Header("connection"), "close");
  EXPECT_TRUE(h.WaitClosed(3s));
}

TEST_F(HttpServerTest, ThrowingHandlerGets500AndConnectionSurvives) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(c.Send(Get("/throw")));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->Header("content-type"), "application/scim+json");
  EXPECT_EQ(r->body.rfind(kScimErrorPrefix, 0), 0u);
  EXPECT_FALSE(r->Header("connection").has_value());
  ASSERT_TRUE(c.Send(Get("/fine")));
  auto fine = c.ReadResponse();
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200);
}

TEST_F(HttpServerTest, StopDuringSlowHandlerDeliversResponseThenExits) {
  StartServer();
  TestClient c(port());
  ASSERT_TRUE(c.Send(Get("/slow")));
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (echo_.slow_entered.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_EQ(echo_.slow_entered.load(), 1);
  server_->Stop();  // from the test thread while the reactor is inside the handler
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slow done");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(c.WaitClosed(3s));
  WaitOrDie(*server_);
  TestClient late(port());
  EXPECT_FALSE(late.connected());
}

TEST_F(HttpServerTest, StopWithIdleConnectionsReturnsPromptly) {
  HttpServer::Options options;
  options.threads = 2;
  options.drain_timeout = 5s;
  StartServer(options);
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<TestClient>(port()));
    ASSERT_TRUE(clients.back()->Send(Get("/")));
    ASSERT_TRUE(clients.back()->ReadResponse());
  }
  TestClient never_sent(port());
  WaitForOpenConnections(*server_, 5);
  auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] { server_->Stop(); });  // Stop from another thread
  stopper.join();
  WaitOrDie(*server_);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);  // well inside drain_timeout
  for (auto& c : clients) EXPECT_TRUE(c->WaitClosed(1s));
  EXPECT_TRUE(never_sent.WaitClosed(1s));
}

TEST_F(HttpServerTest, StopFromInsideAHandler) {
  HttpServer::Options options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  HttpServer* self = nullptr;
  HttpServer server(options, [&](const HttpRequest&, HttpResponse& r) {
    self->Stop();
    r.body = "stopping";
  });
  self = &server;
  std::string error;
  ASSERT_TRUE(server.Start(&error)) << error;
  TestClient c(server.port());
  ASSERT_TRUE(c.Send(Get("/")));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "stopping");
  EXPECT_EQ(r->Header("connection"), "close");
  WaitOrDie(server);
}

TEST_F(HttpServerTest, TwoThreadsServeConcurrentConnections) {
  HttpServer::Options options;
  options.threads = 2;
  StartServer(options);
  ASSERT_EQ(server_->threads(), 2);
  constexpr int kClients = 8;
  constexpr int kRequests = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      TestClient c(port());
      for (int i = 0; i < kRequests; ++i) {
        std::string body = std::to_string(t) + ":" + std::to_string(i);
        if (!c.Send(Post("/mt", body))) return;
        auto r = c.ReadResponse();
        if (r && r->body == body) ok.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
  auto per_thread = server_->GetThreadStats();
  ASSERT_EQ(per_thread.size(), 2u);
  EXPECT_EQ(per_thread[0].requests_served + per_thread[1].requests_served,
            static_cast<uint64_t>(kClients * kRequests));
  EXPECT_EQ(server_->GetStats().connections_accepted, static_cast<uint64_t>(kClients));
}

TEST_F(HttpServerTest, SecondServerOnTheSamePortIsRefused) {
  StartServer();
  HttpServer::Options options;
  options.host = "127.0.0.1";
  options.port = port();
  options.threads = 1;
  HttpServer other(options, [](const HttpRequest&, HttpResponse&) {});
  std::string error;
  EXPECT_FALSE(other.Start(&error));
  EXPECT_NE(error.find("bind"), std::string::npos) << error;
}

TEST_F(HttpServerTest, BadListenAddressIsReported) {
  HttpServer::Options options;
  options.host = "not an address";
  options.port = 0;
  options.threads = 1;
  HttpServer server(options, [](const HttpRequest&, HttpResponse&) {});
  std::string error;
  EXPECT_FALSE(server.Start(&error));
  EXPECT_FALSE(error.empty());
}

TEST(HttpServerSignalTest, SigtermStopsTheServer) {
  HttpServer::Options options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  HttpServer server(options, [](const HttpRequest&, HttpResponse& r) { r.body.assign(1, 'x'); });
  server.InstallSignalHandlers();
  std::string error;
  ASSERT_TRUE(server.Start(&error)) << error;
  TestClient c(server.port());
  ASSERT_TRUE(c.Send(Get("/")));
  ASSERT_TRUE(c.ReadResponse());
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  WaitOrDie(server);
  EXPECT_TRUE(c.WaitClosed(1s));
}

}  // namespace
}  // namespace scimd::net
