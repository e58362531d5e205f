// HttpServer against raw TCP clients on 127.0.0.1: timeouts, the connection limit, a
// handler that throws, graceful stop (from outside, from a handler, by SIGTERM), several
// reactor threads, and listening errors.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "tests/net/http_server_fixture.h"

namespace scimd::net {
namespace {

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

// The kernel's SO_REUSEPORT hash would put 12 connections 3-3-3-3 on 4 reactors only
// ~2% of the time; each connection goes to the reactor with the fewest, so always. A
// connection that closes frees its place for the next one.
TEST_F(HttpServerTest, ConnectionsAreSpreadEvenlyOverTheReactors) {
  HttpServer::Options options;
  options.threads = 4;
  StartServer(options);
  auto open_per_thread = [&] {
    std::vector<uint64_t> open;
    for (const auto& s : server_->GetThreadStats()) open.push_back(s.connections_open);
    return open;
  };
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 12; ++i) {
    clients.push_back(std::make_unique<TestClient>(port()));
    ASSERT_TRUE(clients.back()->Send(Get("/")));
    ASSERT_TRUE(clients.back()->ReadResponse());  // served: open on its reactor
  }
  EXPECT_EQ(open_per_thread(), (std::vector<uint64_t>{3, 3, 3, 3}));
  EXPECT_EQ(server_->GetStats().connections_accepted, 12u);
  // Three close (on three reactors, as they were spread); the next three fill the gaps.
  clients.resize(9);
  for (int spin = 0; spin < 200 && server_->GetStats().connections_open != 9; ++spin) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(server_->GetStats().connections_open, 9u);
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<TestClient>(port()));
    ASSERT_TRUE(clients.back()->Send(Get("/")));
    ASSERT_TRUE(clients.back()->ReadResponse());
  }
  EXPECT_EQ(open_per_thread(), (std::vector<uint64_t>{3, 3, 3, 3}));
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
