// Creates users in a running scimd over HTTP, either one POST /Users each or 1,000 per
// POST /Bulk, and prints users/s (scripts/bulk_bench.sh runs both against one server).
// Users are the ~1 KB shape of import_raw_bench. Blocking sockets, one keep-alive
// connection per thread; plain HTTP on loopback only. The token comes from SCIMD_TOKEN
// and is never printed.
//
//   bulk_http_bench --port P --mode single|bulk --first K --users N [--connections C]
//                   [--batch B] [--total T]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_users.h"

namespace {

using scimd::bench::UserJson;

struct Answer {
  int status = 0;
  std::string body;
};

// One keep-alive HTTP/1.1 connection to 127.0.0.1:port (Content-Length answers only).
class Connection {
 public:
  explicit Connection(int port) : port_(port) {}
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }
  bool Send(const std::string& method, const std::string& path, const std::string& body,
            const std::string& token, Answer* out) {
    if (fd_ < 0 && !Connect()) return false;
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    req += "Authorization: Bearer " + token + "\r\n";
    req += "Content-Type: application/scim+json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n";
    req += body;
    for (size_t sent = 0; sent < req.size();) {
      const ssize_t n = write(fd_, req.data() + sent, req.size() - sent);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    // Head, then Content-Length bytes of body.
    size_t head_end;
    while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return false;
    }
    const std::string head = buf_.substr(0, head_end);
    out->status = std::atoi(head.c_str() + 9);
    size_t length = 0;
    for (size_t pos = 0; pos < head.size();) {
      size_t eol = head.find("\r\n", pos);
      if (eol == std::string::npos) eol = head.size();
      std::string line = head.substr(pos, eol - pos);
      for (auto& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (line.rfind("content-length:", 0) == 0)
        length = std::strtoul(line.c_str() + 15, nullptr, 10);
      pos = eol + 2;
    }
    buf_.erase(0, head_end + 4);
    while (buf_.size() < length) {
      if (!Fill()) return false;
    }
    out->body = buf_.substr(0, length);
    buf_.erase(0, length);
    return true;
  }

 private:
  bool Connect() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return false;
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  bool Fill() {
    char tmp[65536];
    const ssize_t n = read(fd_, tmp, sizeof(tmp));
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int port_;
  int fd_ = -1;
  std::string buf_;
};

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1)) ++n;
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  std::string mode = "single";
  long first = 0, users = 10000, batch = 1000, total = -1;
  int connections = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--port")
      port = std::atoi(v.c_str());
    else if (k == "--mode")
      mode = v;
    else if (k == "--first")
      first = std::atol(v.c_str());
    else if (k == "--users")
      users = std::atol(v.c_str());
    else if (k == "--batch")
      batch = std::atol(v.c_str());
    else if (k == "--connections")
      connections = std::atoi(v.c_str());
    else if (k == "--total")
      total = std::atol(v.c_str());
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  const char* token_env = std::getenv("SCIMD_TOKEN");
  if (port <= 0 || token_env == nullptr || (mode != "single" && mode != "bulk")) {
    std::fprintf(stderr, "usage: SCIMD_TOKEN=... %s --port P --mode single|bulk ...\n", argv[0]);
    return 2;
  }
  const std::string token = token_env;
  const bool bulk = mode == "bulk";
  const long units = bulk ? (users + batch - 1) / batch : users;
  std::atomic<long> next{0};
  std::atomic<long> created{0}, failed{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&]() {
      Connection conn(port);
      Answer a;
      for (long u; (u = next.fetch_add(1)) < units;) {
        if (!bulk) {
          if (conn.Send("POST", "/scim/v2/Users", UserJson(first + u), token, &a) &&
              a.status == 201) {
            ++created;
          } else {
            ++failed;
          }
          continue;
        }
        const long lo = u * batch, hi = std::min(users, lo + batch);
        std::string body =
            R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[)";
        for (long i = lo; i < hi; ++i) {
          if (i > lo) body += ",";
          body += R"({"method":"POST","path":"/Users","bulkId":"u)" + std::to_string(i) +
                  R"(","data":)" + UserJson(first + i) + "}";
        }
        body += "]}";
        if (conn.Send("POST", "/scim/v2/Bulk", body, token, &a) && a.status == 200) {
          const long ok = static_cast<long>(Count(a.body, R"("status":"201")"));
          created += ok;
          failed += (hi - lo) - ok;
        } else {
          failed += hi - lo;
          std::fprintf(stderr, "bulk request failed: %d %.200s\n", a.status, a.body.c_str());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("RESULT mode=%s users=%ld created=%ld failed=%ld seconds=%.3f users_per_s=%.0f\n",
              mode.c_str(), users, created.load(), failed.load(), secs, created.load() / secs);
  if (total >= 0) {
    Connection conn(port);
    Answer a;
    if (!conn.Send("GET", "/scim/v2/Users?count=0", "", token, &a) || a.status != 200) return 1;
    const std::string want = "\"totalResults\":" + std::to_string(total);
    if (a.body.find(want) == std::string::npos) {
      std::fprintf(stderr, "wanted %s, got %.200s\n", want.c_str(), a.body.c_str());
      return 1;
    }
  }
  return failed.load() == 0 ? 0 : 1;
}
