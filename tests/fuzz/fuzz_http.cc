// libFuzzer target: the whole HTTP request path. A real net::HttpServer (one reactor, one
// blocking thread) with the SCIM router over a MemStore listens on 127.0.0.1; each input
// is written raw into a new TCP connection (the write side then shut), and the answer read
// until the server closes or 3 s pass. So llhttp, our parser callbacks and limits, the
// connection state machine, the router, the gate, the adapter and the core all see the
// bytes as a client would send them. "@TOKEN@" in an input is replaced by the tenant's
// bearer token, so that seeds (tests/fuzz/corpus/http) reach past authentication. A 500
// answer (an internal error) aborts: bad input must get a 4xx, never a crash or a 500.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "core/tenancy/auth.h"
#include "core/tenancy/tokens.h"
#include "net/http_server.h"
#include "net/scim_router.h"
#include "storage/mem_store.h"

namespace {

struct Server {
  scimd::storage::MemStore store;
  std::unique_ptr<scimd::net::ScimRouter> router;
  std::unique_ptr<scimd::net::HttpServer> http;
  std::string token;
  uint16_t port = 0;
};

Server& TheServer() {
  static Server* server = [] {
    auto* s = new Server();  // lives for the process: the reactor threads use it
    if (!scimd::core::InitCrypto().ok()) std::abort();
    auto tenant = s->store.CreateTenant("fuzz");
    if (!tenant.ok()) std::abort();
    scimd::core::IssuedToken issued = scimd::core::MakeToken(tenant->id);
    if (!s->store.PutToken(issued.record).ok()) std::abort();
    s->token = issued.token;
    s->router =
        std::make_unique<scimd::net::ScimRouter>(s->store, scimd::net::ScimRouter::Options{});
    scimd::net::HttpServer::Options options;
    options.port = 0;
    options.threads = 1;
    options.blocking_threads = 1;
    options.header_timeout = std::chrono::milliseconds(2000);
    options.body_timeout = std::chrono::milliseconds(2000);
    // Every input is from one address and most are malformed: a limit on refusals would
    // soon answer all of them 429 before parsing, and the fuzzer would test nothing else.
    options.refused_input_per_second = 0;
    s->http = std::make_unique<scimd::net::HttpServer>(
        options, [s](const scimd::net::HttpRequest& request, scimd::net::HttpResponse& response) {
          s->router->Handle(request, response);
        });
    std::string error;
    if (!s->http->Start(&error)) {
      std::fprintf(stderr, "fuzz_http: cannot listen: %s\n", error.c_str());
      std::abort();
    }
    s->port = s->http->port();
    return s;
  }();
  return *server;
}

std::string WithToken(std::string_view input, const std::string& token) {
  std::string out;
  out.reserve(input.size() + token.size());
  constexpr std::string_view kMark = "@TOKEN@";
  size_t at = 0;
  for (size_t hit; (hit = input.find(kMark, at)) != std::string_view::npos;
       at = hit + kMark.size()) {
    out.append(input.substr(at, hit - at));
    out.append(token);
  }
  out.append(input.substr(at));
  return out;
}

// At exit the server's threads are stopped before the process's statics go: left running,
// a reactor's timer read what a static destructor had freed.
void StopAtExit() {
  Server& server = TheServer();
  server.http->Stop();
  server.http->Wait();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Server& server = TheServer();
  const std::string request =
      WithToken(std::string_view(reinterpret_cast<const char*>(data), size), server.token);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server.port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) std::abort();
    timeval tv{3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    // Closed with a reset once the answer is read: thousands of connections a second
    // would otherwise leave as many in TIME_WAIT on the server's side.
    linger reset{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) break;
    const int error = errno;
    close(fd);
    fd = -1;
    if (attempt == 50) {
      std::fprintf(stderr, "fuzz_http: cannot connect: %s\n", std::strerror(error));
      std::abort();
    }
    usleep(20000);
  }
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early (a refused head): that is an answer
    sent += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  std::string answer;
  char buf[16384];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    if (answer.size() < (1u << 20)) answer.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  for (size_t at = 0; (at = answer.find("HTTP/1.1 500 ", at)) != std::string::npos; ++at) {
    std::fprintf(stderr, "fuzz_http: a 500 answer:\n%.2000s\n", answer.c_str() + at);
    std::abort();
  }
  // Registered once the first request has been served (and has built the statics that
  // serving needs), so that it runs before their destructors.
  static const bool registered = std::atexit(StopAtExit) == 0;
  (void)registered;
  return 0;
}
