#include "net/http_server.h"

#include <algorithm>
#include <asio.hpp>
#include <csignal>
#include <optional>
#include <utility>

#include "core/tenancy/rate_limiter.h"
#include "net/http_worker.h"

namespace scimd::net {

// The TLS handshake threads: one io_context that they all run, kept alive by a work guard
// until Wait().
struct HttpServer::HandshakeThreads {
  explicit HandshakeThreads(int n) : guard(asio::make_work_guard(context)) {
    threads.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([this] { context.run(); });
    }
  }
  void Join() {
    guard.reset();
    for (auto& thread : threads) {
      if (thread.joinable()) thread.join();
    }
  }

  asio::io_context context;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::vector<std::thread> threads;
};

HttpServer::HttpServer(Options options, HttpHandler handler)
    : options_(std::move(options)), tls_(options_.tls), handler_(std::move(handler)) {
  limits_ = Limits{options_.max_header_bytes, options_.max_body_bytes, options_.header_timeout,
                   options_.idle_timeout, options_.max_connections};
  int n = options_.threads;
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  if (options_.refused_input_per_second > 0 && options_.refused_input_burst > 0) {
    refused_input_ = std::make_unique<core::FailureLimiter>(
        options_.refused_input_burst,
        std::chrono::nanoseconds(1'000'000'000 / options_.refused_input_per_second));
  }
  workers_.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) workers_.push_back(std::make_unique<HttpWorker>(*this, i));
}

HttpServer::~HttpServer() {
  Stop();
  Wait();
}

int HttpServer::HandshakeThreadCount() const {
  if (!options_.tls) return 0;
  if (options_.tls_handshake_threads >= 0) return options_.tls_handshake_threads;
  return std::max(1, static_cast<int>(workers_.size()) / 2);
}

bool HttpServer::Start(std::string* error) {
  if (!threads_.empty() || stopping_.load()) {
    *error = "the server was already started or stopped";
    return false;
  }
  if (options_.tls) {
    // OpenSSL writes to the socket with write(), not send(MSG_NOSIGNAL) as Asio does: a
    // client that resets its connection while an answer goes out would otherwise end the
    // process with SIGPIPE. EPIPE is handled as any failed write.
    std::signal(SIGPIPE, SIG_IGN);
  }
  asio::error_code ec;
  asio::ip::address address = asio::ip::make_address(options_.host, ec);
  if (ec) {
    *error = "invalid listen address '" + options_.host + "': " + ec.message();
    return false;
  }
  if (options_.port != 0) {
    // SO_REUSEPORT would let us share the port with another running server of the same
    // user and split its traffic silently. A socket without the option cannot bind while
    // any listener holds the port, so it detects one.
    asio::io_context probe_context(1);
    asio::ip::tcp::acceptor probe(probe_context);
    asio::ip::tcp::endpoint endpoint(address, options_.port);
    probe.open(endpoint.protocol(), ec);
    if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) probe.bind(endpoint, ec);
    if (ec) {
      *error = "bind " + options_.host + ":" + std::to_string(options_.port) + ": " + ec.message();
      return false;
    }
    probe.close(ec);
  }
  asio::ip::tcp::endpoint endpoint(address, options_.port);
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (!workers_[i]->Listen(endpoint, error)) return false;  // workers close their acceptors
    if (i == 0) {
      bound_port_ = workers_[0]->local_port();
      endpoint.port(bound_port_);  // the others join the port the first one got
    }
  }
  if (options_.blocking_threads > 0) {
    blocking_pool_ = std::make_unique<asio::thread_pool>(options_.blocking_threads);
  }
  if (int n = HandshakeThreadCount(); n > 0) {
    handshakes_ = std::make_unique<HandshakeThreads>(n);
    handshake_context_ = &handshakes_->context;
  }
  threads_.reserve(workers_.size());
  for (auto& worker : workers_) {
    HttpWorker* w = worker.get();
    threads_.emplace_back([w] { w->Run(); });
  }
  return true;
}

void HttpServer::SetLimits(const Limits& limits) {
  std::lock_guard<std::mutex> lock(limits_mu_);
  limits_ = limits;
  limits_generation_.fetch_add(1, std::memory_order_release);
}

void HttpServer::Stop() {
  if (stopping_.exchange(true)) return;
  for (auto& worker : workers_) worker->PostStop();
}

void HttpServer::Wait() {
  std::lock_guard<std::mutex> lock(wait_mutex_);
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  // Each deferred job holds work on its reactor until its answer is back there, so with
  // the reactors gone the pool is idle and this only joins its threads.
  if (blocking_pool_) blocking_pool_->join();
  // Likewise for a handshake step: its reactor waited for it.
  if (handshakes_) handshakes_->Join();
}

void HttpServer::InstallSignalHandlers(std::function<void()> on_hangup) {
  workers_[0]->InstallSignalHandlers(std::move(on_hangup));
}

HttpServer::Stats HttpServer::GetStats() const {
  Stats total;
  for (const auto& worker : workers_) {
    Stats s = worker->GetStats();
    total.connections_open += s.connections_open;
    total.connections_accepted += s.connections_accepted;
    total.connections_rejected += s.connections_rejected;
    total.requests_served += s.requests_served;
    total.requests_deferred += s.requests_deferred;
    total.requests_refused += s.requests_refused;
  }
  return total;
}

std::vector<HttpServer::Stats> HttpServer::GetThreadStats() const {
  std::vector<Stats> stats;
  stats.reserve(workers_.size());
  for (const auto& worker : workers_) stats.push_back(worker->GetStats());
  return stats;
}

}  // namespace scimd::net
