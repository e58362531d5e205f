// The client side of HTTP/1.1 for scimload: a base URL, and ClientConnection, one
// keep-alive TCP connection that sends one request at a time and parses the answer with
// llhttp. Plain HTTP only (no TLS). Every wait is bounded by the request timeout, every
// answer by kMaxAnswerHeadBytes and kMaxAnswerBodyBytes. Single-threaded: the connection
// and its handlers live on one io_context run by one thread.
#pragma once

#include <llhttp.h>

#include <array>
#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace scimd::scimload {

// An answer's head beyond this is a broken server, not SCIM (scimd's own request limit is
// 16 KiB, net/limits.h).
constexpr size_t kMaxAnswerHeadBytes = 64 * 1024;
// The largest body we keep: a page of 100 groups of 2,048 members each is ~20 MiB.
constexpr size_t kMaxAnswerBodyBytes = 256 * 1024 * 1024;
// The longest Retry-After we wait for; a larger one is clamped (the run's --duration
// still ends the run).
constexpr int64_t kMaxRetryAfterSeconds = 300;

// http://host[:port][/base/path]. The base path keeps no trailing slash.
struct BaseUrl {
  std::string host;
  uint16_t port = 80;
  std::string path;  // "" or "/scim/v2"
  std::string HostHeader() const;
};
// Parses `text`; on failure returns false with a message in `error`.
bool ParseBaseUrl(std::string_view text, BaseUrl* url, std::string* error);

// The result of one request on a connection.
struct HttpAnswer {
  bool answered = false;  // false: a connection failure (error says which)
  int status = 0;
  std::string body;
  bool injected = false;       // carries X-Scimd-Injected-Fault
  int64_t retry_after_s = -1;  // Retry-After in seconds, -1 when absent or unreadable
  std::string error;
  // The connection failed before any byte of the answer, on a connection that had been
  // used before: the server may have closed it as idle just as we wrote. Safe to resend.
  bool stale = false;
};

class ClientConnection {
 public:
  using Done = std::function<void(HttpAnswer&)>;

  ClientConnection(asio::io_context& io, asio::ip::tcp::endpoint endpoint,
                   std::chrono::milliseconds timeout);
  ~ClientConnection();
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  // Sends `request` (complete HTTP/1.1 request bytes) and calls `done` once with the
  // answer or the failure, connecting first if need be. REQUIRES: !busy().
  void Send(std::string request, Done done);
  bool busy() const { return busy_; }
  uint64_t connects() const { return connects_; }
  // Closes the socket; a request in flight is dropped and its `done` never called.
  void Abort();

 private:
  void StartWrite();
  void StartRead();
  void OnRead(const asio::error_code& ec, size_t n);
  void Fail(std::string error);
  void Finish(HttpAnswer& answer);
  void CloseSocket();

  static int OnHeaderField(llhttp_t* parser, const char* at, size_t length);
  static int OnHeaderValue(llhttp_t* parser, const char* at, size_t length);
  static int OnHeaderValueComplete(llhttp_t* parser);
  static int OnBody(llhttp_t* parser, const char* at, size_t length);
  static int OnMessageComplete(llhttp_t* parser);
  static const llhttp_settings_t kSettings;

  asio::ip::tcp::endpoint endpoint_;
  std::chrono::milliseconds timeout_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  uint64_t generation_ = 0;  // bumped when a request ends: late handlers see a new number
  bool busy_ = false;
  bool timed_out_ = false;
  bool reused_ = false;     // this request runs on a connection that answered before
  bool got_bytes_ = false;  // some byte of the answer has arrived
  uint64_t connects_ = 0;

  std::string request_;
  Done done_;
  llhttp_t parser_;
  HttpAnswer answer_;
  bool complete_ = false;
  size_t head_bytes_ = 0;
  std::string field_;
  std::string value_;
  std::array<char, 64 * 1024> buffer_;
};

}  // namespace scimd::scimload
