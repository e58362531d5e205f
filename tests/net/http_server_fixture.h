// The HttpServer test fixture: an echoing handler with a few special paths, a server on
// 127.0.0.1 started per test, and the check of the server's own SCIM errors. Shared by
// http_server_test.cc (framing, keep-alive, pipelining, limits, streaming) and
// http_server_lifecycle_test.cc (timeouts, connection limits, stop, threads, listening).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "net/http_server.h"
#include "tests/net/http_test_client.h"

namespace scimd::net {

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
inline std::string Numbered(std::string_view prefix, int i) {
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
    if (request.path == "/refuse") {  // as the SCIM adapter answers invalidSyntax
      response.status = 400;
      response.refused_input = true;
      response.body = "refused";
      return;
    }
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

inline void ExpectScimError(const TestResponse& r, int status) {
  EXPECT_EQ(r.status, status);
  EXPECT_EQ(r.Header("content-type").value_or(""), "application/scim+json");
  EXPECT_EQ(r.body.rfind(kScimErrorPrefix, 0), 0u) << r.body;
  EXPECT_NE(r.body.find("\"status\":\"" + std::to_string(status) + "\""), std::string::npos);
  EXPECT_NE(r.body.find("\"detail\":\""), std::string::npos);
  EXPECT_EQ(r.Header("connection").value_or(""), "close");
}

}  // namespace scimd::net
