// The HTTP request and response as the server hands them to an application handler.
// A request owns its bytes (copied out of the read buffer); a handler runs on the
// connection's reactor thread and must not block for long: long work goes into
// HttpResponse::deferred, which the server runs on a blocking thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scimd::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as llhttp names them
  std::string target;  // raw request target, e.g. "/scim/v2/Users?filter=..."
  std::string path;    // target before '?', still percent-encoded
  std::string query;   // target after '?', without the '?'; empty if none
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;                                          // de-chunked
  int http_major = 1;
  int http_minor = 1;
  std::string remote_address;  // peer IP, for logs
  bool secure = false;         // arrived over TLS on this server's own listener
  // The client's X-Request-Id when it sent a usable one (1 to 128 visible ASCII characters
  // without quotes or backslashes), else one the server made; echoed in the response's
  // X-Request-Id and written to the access and activity logs.
  std::string request_id;
  std::chrono::steady_clock::time_point started;  // the request's first byte

  // First header with this lower-case name, or empty.
  std::string_view Header(std::string_view lower_name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // the server adds Date,
                                                             // Content-Length/Transfer-Encoding
                                                             // and Connection itself
  std::string body;
  // When set, the body is streamed with chunked transfer encoding instead of `body`:
  // the server calls `stream` repeatedly; each call appends the next piece (keep it
  // around 64 KiB) to `out` and returns true while more follows, false after the last
  // piece. The server waits for each piece to be written before asking for the next,
  // so memory stays bounded by one piece per connection.
  std::function<bool(std::string& out)> stream;
  // When set, the handler has not answered yet: the server runs `deferred` on one of its
  // blocking threads (HttpServer::Options::blocking_threads) with a fresh response to fill,
  // and ignores everything else the handler put here. Meanwhile other connections of the
  // reactor are served; this connection reads no further request, so responses stay in
  // order. The request passed to the handler stays alive and unchanged until `deferred`
  // returns, so the job may keep references into it. A `stream` the job sets is pulled
  // later on the reactor thread. May throw only by bug (answered 500).
  std::function<void(HttpResponse& response)> deferred;
  // When positive, the server holds this answer (a deferred job's too) that long before
  // writing it, on a timer: the reactor serves other connections meanwhile, and this one,
  // as with `deferred`, reads no further request. Injected latency (core/tenancy/faults.h).
  std::chrono::milliseconds delay{0};
  // When set, the answer is ready but may not go out yet (a replicated write waits until a
  // majority of its group holds it): the server parks the connection as for a deferred
  // job and calls `hold` once, on the reactor, with a `release` that may be called from
  // any thread, exactly once: release(nullptr) sends the answer as it is, release(r) sends
  // *r instead (a 503). The reactor serves other connections meanwhile and a stop waits
  // for the release.
  using Release = std::function<void(std::unique_ptr<HttpResponse> instead)>;
  std::function<void(Release release)> hold;
  // When set, the server writes the head (its Content-Length announcing the body) and then
  // closes the connection without the body: a connection dropped on purpose, which a
  // client sees as a truncated answer and a test client can still attribute by the head.
  bool cut_after_head = false;
  // The handler refused the request as malformed or oversized input (SCIM invalidSyntax,
  // invalidFilter, 413): counted against the client's address like the server's own
  // refusals (HttpServer::Options::refused_input_per_second).
  bool refused_input = false;
  // For the access log: the tenant and the public token id the handler identified.
  std::string log_tenant;
  std::string log_token;

  void SetHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// The application: fills `response` for `request`. Runs on the reactor thread.
using HttpHandler = std::function<void(const HttpRequest& request, HttpResponse& response)>;

}  // namespace scimd::net
