// A blocking raw-TCP HTTP/1.1 client for server tests: sends exact bytes, reads and splits
// responses (Content-Length, chunked, or until close). Every receive times out so a hung
// server fails a test instead of blocking it.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/http_server.h"

namespace scimd::net::testing {

// Waits for Wait() with a bound; a hung server aborts the test binary instead of hanging.
inline void WaitOrDie(HttpServer& server,
                      std::chrono::milliseconds bound = std::chrono::seconds(5)) {
  auto done = std::async(std::launch::async, [&] { server.Wait(); });
  if (done.wait_for(bound) != std::future_status::ready) {
    std::fprintf(stderr, "HttpServer::Wait() did not return within the bound\n");
    std::_Exit(1);
  }
}

// A fixture that runs an HttpServer on an ephemeral 127.0.0.1 port and stops it (bounded)
// when the test ends.
class ServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServer::Options options, HttpHandler handler) {
    options.host = "127.0.0.1";
    options.port = 0;
    if (options.threads == 0) options.threads = 1;
    server_ = std::make_unique<HttpServer>(options, std::move(handler));
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    ASSERT_NE(server_->port(), 0);
  }

  void TearDown() override {
    if (server_) {
      server_->Stop();
      WaitOrDie(*server_);
    }
  }

  uint16_t port() const { return server_->port(); }

  std::unique_ptr<HttpServer> server_;
};

inline std::string Get(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n" + std::string(extra) + "\r\n";
}

inline std::string Post(std::string_view target, std::string_view body,
                        std::string_view extra = "") {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         std::string(extra) + "\r\n" + std::string(body);
}

struct TestResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  size_t chunks = 0;  // data chunks of a chunked body

  std::optional<std::string> Header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return std::nullopt;
  }
};

// `host` (an IPv4 or IPv6 literal; empty: any address of the family `v6` names) and
// `port` as a socket address in *out; its size.
inline socklen_t SocketAddress(const std::string& host, uint16_t port, bool v6,
                               sockaddr_storage* out) {
  *out = {};
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(out);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    if (!host.empty()) ::inet_pton(AF_INET6, host.c_str(), &a->sin6_addr);
    return sizeof(sockaddr_in6);
  }
  auto* a = reinterpret_cast<sockaddr_in*>(out);
  a->sin_family = AF_INET;
  a->sin_port = htons(port);
  if (!host.empty()) ::inet_pton(AF_INET, host.c_str(), &a->sin_addr);
  return sizeof(sockaddr_in);
}

// Whether a TCP connection to `host`:`port` (IPv4 or IPv6 literal) from `source` (same
// family; empty: the kernel's choice) is established within `within`: a listener whose
// filter drops the client's packets leaves it unanswered.
inline bool ConnectsWithin(const std::string& host, uint16_t port, const std::string& source,
                           std::chrono::milliseconds within) {
  const bool v6 = host.find(':') != std::string::npos;
  sockaddr_storage to{}, from{};
  const socklen_t size = SocketAddress(host, port, v6, &to);
  SocketAddress(source, 0, v6, &from);
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  bool connected = false;
  if (source.empty() || ::bind(fd, reinterpret_cast<sockaddr*>(&from), size) == 0) {
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), size) == 0) {
      connected = true;
    } else if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int error = 0;
      socklen_t len = sizeof(error);
      connected = ::poll(&p, 1, static_cast<int>(within.count())) == 1 &&
                  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0;
    }
  }
  ::close(fd);
  return connected;
}

class TestClient {
 public:
  // `source`: the local IPv4 address to connect from (any of 127.0.0.0/8 reaches the
  // server), so that a test can be two clients; empty: the kernel's choice (127.0.0.1).
  explicit TestClient(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(3),
                      const char* source = nullptr)
      : timeout_(timeout) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    if (source != nullptr) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      ::inet_pton(AF_INET, source, &local.sin_addr);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
        ::close(fd_);
        fd_ = -1;
        return;
      }
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~TestClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return fd_ >= 0; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  // Reads one response; nullopt on timeout, close or garbage before it is complete.
  // `head_request`: the response to a HEAD has no body whatever its headers say.
  std::optional<TestResponse> ReadResponse(bool head_request = false) {
    size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    TestResponse r;
    std::string_view head(buffer_.data(), head_end + 2);
    size_t line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    if (status_line.substr(0, 9) != "HTTP/1.1 " || status_line.size() < 12) return std::nullopt;
    r.status = std::stoi(std::string(status_line.substr(9, 3)));
    r.reason = std::string(status_line.substr(status_line.size() > 13 ? 13 : 12));
    size_t pos = line_end + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      std::string_view line = head.substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) return std::nullopt;
      std::string name(line.substr(0, colon));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      r.headers.emplace_back(std::move(name), std::string(value));
      pos = end + 2;
    }
    buffer_.erase(0, head_end + 4);
    if (head_request || r.status < 200 || r.status == 204 || r.status == 304) return r;

    if (auto te = r.Header("transfer-encoding"); te && *te == "chunked") {
      for (;;) {
        size_t eol;
        while ((eol = buffer_.find("\r\n")) == std::string::npos) {
          if (!Fill()) return std::nullopt;
        }
        size_t size = std::stoul(buffer_.substr(0, eol), nullptr, 16);
        while (buffer_.size() < eol + 2 + size + 2) {
          if (!Fill()) return std::nullopt;
        }
        if (buffer_.compare(eol + 2 + size, 2, "\r\n") != 0) return std::nullopt;
        r.body.append(buffer_, eol + 2, size);
        buffer_.erase(0, eol + 2 + size + 2);
        if (size == 0) return r;  // no trailers from our server
        ++r.chunks;
      }
    }
    if (auto cl = r.Header("content-length")) {
      size_t size = std::stoul(*cl);
      while (buffer_.size() < size) {
        if (!Fill()) return std::nullopt;
      }
      r.body = buffer_.substr(0, size);
      buffer_.erase(0, size);
      return r;
    }
    while (Fill()) {
    }
    if (!closed_) return std::nullopt;
    r.body = std::move(buffer_);
    buffer_.clear();
    return r;
  }

  // True once the server closed the connection (EOF or reset) within `within`; bytes that
  // arrive meanwhile are kept for ReadResponse.
  bool WaitClosed(std::chrono::milliseconds within) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (!closed_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        closed_ = true;
      } else {
        buffer_.append(buf, static_cast<size_t>(n));
      }
    }
    return true;
  }

  // Bytes received and not yet consumed by ReadResponse.
  const std::string& pending() const { return buffer_; }

  // True if nothing arrives within `within` (and the connection stays open).
  bool Quiet(std::chrono::milliseconds within) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(within.count())) == 0;
  }

 private:
  bool Fill() {
    if (closed_) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout_.count())) <= 0) return false;
    char buf[16384];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
  bool closed_ = false;
};

}  // namespace scimd::net::testing
