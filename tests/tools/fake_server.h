// FakeServer: a small HTTP/1.1 server on 127.0.0.1 for scimload's runner tests, whose
// handler decides each answer: a status, headers, a delay, or a connection dropped before
// or after the head. Blocking sockets, a thread per connection; keep-alive always.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace scimd::scimload::testing {

struct FakeReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body = "{}";
  int delay_ms = 0;
  bool drop = false;             // close without answering
  bool drop_after_head = false;  // write the head (announcing the body), then close
};

class FakeServer {
 public:
  using Handler = std::function<FakeReply(const std::string& method, const std::string& target)>;

  explicit FakeServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listen_fd_, 64) != 0) {
      std::abort();
    }
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~FakeServer() {
    stopping_ = true;
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    acceptor_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : fds_) shutdown(fd, SHUT_RDWR);
      threads = std::move(threads_);
    }
    for (auto& t : threads) t.join();
  }

  int port() const { return port_; }
  int requests() const { return requests_; }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      const int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard<std::mutex> lock(mu_);
      fds_.push_back(fd);
      threads_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  static bool WriteAll(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  void Serve(int fd) {
    std::string buffer;
    char chunk[16384];
    for (;;) {
      size_t end;
      while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
        const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return Close(fd);
        buffer.append(chunk, static_cast<size_t>(n));
      }
      const std::string head = buffer.substr(0, end);
      size_t length = 0;
      if (size_t cl = head.find("Content-Length: "); cl != std::string::npos) {
        length = std::strtoul(head.c_str() + cl + 16, nullptr, 10);
      }
      while (buffer.size() < end + 4 + length) {
        const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return Close(fd);
        buffer.append(chunk, static_cast<size_t>(n));
      }
      buffer.erase(0, end + 4 + length);
      const size_t sp1 = head.find(' ');
      const size_t sp2 = head.find(' ', sp1 + 1);
      ++requests_;
      FakeReply reply = handler_(head.substr(0, sp1), head.substr(sp1 + 1, sp2 - sp1 - 1));
      if (reply.delay_ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(reply.delay_ms));
      if (reply.drop) return Close(fd);
      std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\n";
      for (const auto& [k, v] : reply.headers) out += k + ": " + v + "\r\n";
      out += "Content-Type: application/scim+json\r\nContent-Length: " +
             std::to_string(reply.body.size()) + "\r\n\r\n";
      if (reply.drop_after_head) {
        WriteAll(fd, out);
        return Close(fd);
      }
      if (!WriteAll(fd, out + reply.body)) return Close(fd);
    }
  }

  void Close(int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& f : fds_) {
      if (f == fd) f = -1;
    }
    close(fd);
  }

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
};

}  // namespace scimd::scimload::testing
