#include "net/http_worker.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <exception>
#include <random>
#include <utility>

#include "core/tenancy/rate_limiter.h"
#include "net/http_connection.h"
#include "net/limits.h"

namespace scimd::net {

std::atomic<int> HttpWorker::next_id_{0};

void HttpWorker::NextRequestId(std::string& out) {
  // 48 random bits per process: ids of two runs (or two nodes) do not meet.
  static const uint64_t kProcess = [] {
    std::random_device random;
    return (uint64_t{random()} << 32 | random()) & 0xffffffffffffULL;
  }();
  char text[48];
  const int n = std::snprintf(text, sizeof(text), "%012llx-%x-%llx",
                              static_cast<unsigned long long>(kProcess), id_,
                              static_cast<unsigned long long>(++next_request_));
  out.assign(text, static_cast<size_t>(n));
}
namespace {

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// A connection's descriptor on its way to another worker: closed if the handover never
// runs (that worker's loop ended first).
class HandedFd {
 public:
  explicit HandedFd(int fd) : fd_(fd) {}
  HandedFd(HandedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  HandedFd& operator=(HandedFd&&) = delete;
  ~HandedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int Take() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

HttpWorker::HttpWorker(HttpServer& server, int index)
    : server_(server),
      index_(index),
      id_(next_id_.fetch_add(1)),
      read_buffer_(new char[kReadBufferBytes]),
      context_(1),  // one thread runs it
      acceptor_(context_),
      sweep_timer_(context_),
      drain_timer_(context_),
      accept_retry_timer_(context_),
      filter_timer_(context_) {
  options_ = server_.options_;
  SetSweepInterval();
}

void HttpWorker::SetSweepInterval() {
  // Deadlines are checked by a periodic sweep instead of a timer per connection, so a
  // request costs no timer operation; a deadline fires at most 1/8 of its timeout late.
  const auto& o = options_;
  std::chrono::milliseconds shortest =
      std::min({o.header_timeout, o.idle_timeout, o.body_timeout, o.send_timeout,
                std::chrono::duration_cast<std::chrono::milliseconds>(kLingerTime)});
  sweep_interval_ = std::clamp<Clock::duration>(shortest / 8, std::chrono::milliseconds(5),
                                                std::chrono::milliseconds(250));
}

void HttpWorker::RefreshLimits() {
  const uint64_t generation = server_.limits_generation_.load(std::memory_order_acquire);
  if (generation == limits_generation_) return;
  HttpServer::Limits limits;
  {
    std::lock_guard<std::mutex> lock(server_.limits_mu_);
    limits = server_.limits_;
  }
  options_.max_header_bytes = limits.max_header_bytes;
  options_.max_body_bytes = limits.max_body_bytes;
  options_.header_timeout = limits.header_timeout;
  options_.idle_timeout = limits.idle_timeout;
  options_.max_connections = limits.max_connections;
  limits_generation_ = generation;
  SetSweepInterval();
}

HttpWorker::~HttpWorker() {
  if (filtered_) server_.address_filter_.RemoveSocket(acceptor_.native_handle());
}

bool HttpWorker::Listen(const asio::ip::tcp::endpoint& endpoint, std::string* error) {
  asio::error_code ec;
  auto fail = [&](const char* what) {
    *error = std::string(what) + " " + endpoint.address().to_string() + ":" +
             std::to_string(endpoint.port()) + ": " + ec.message();
    asio::error_code ignored;
    acceptor_.close(ignored);
    return false;
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("SO_REUSEADDR");
  acceptor_.set_option(ReusePort(true), ec);
  if (ec) return fail("SO_REUSEPORT");
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor_.listen(kListenBacklog, ec);
  if (ec) return fail("listen");
  if (server_.refused_input_) {
    server_.address_filter_.AddSocket(acceptor_.native_handle());
    filtered_ = true;
  }
  return true;
}

uint16_t HttpWorker::local_port() const {
  asio::error_code ec;
  auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void HttpWorker::Run() {
  Accept();
  for (;;) {
    try {
      context_.run();
      return;
    } catch (const std::exception& e) {
      // Completion handlers do not throw by design; if one does (bad_alloc), keep serving.
      std::fprintf(stderr, "scimd: reactor %d: unexpected exception: %s\n", index_, e.what());
    } catch (...) {
      std::fprintf(stderr, "scimd: reactor %d: unexpected exception\n", index_);
    }
  }
}

void HttpWorker::PostStop() {
  asio::post(context_, [this] { BeginStop(); });
}

void HttpWorker::InstallSignalHandlers(std::function<void()> on_hangup) {
  signals_ = std::make_unique<asio::signal_set>(context_);
  on_hangup_ = std::move(on_hangup);
  asio::error_code ec;
  signals_->add(SIGINT, ec);
  signals_->add(SIGTERM, ec);
  if (on_hangup_) signals_->add(SIGHUP, ec);
  WaitForSignal();
}

void HttpWorker::WaitForSignal() {
  signals_->async_wait([this](const asio::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      on_hangup_();
      return WaitForSignal();
    }
    server_.Stop();
  });
}

HttpServer::Stats HttpWorker::GetStats() const {
  HttpServer::Stats s;
  s.connections_open = counters_.connections_open.load(std::memory_order_relaxed);
  s.connections_accepted = counters_.connections_accepted.load(std::memory_order_relaxed);
  s.connections_rejected = counters_.connections_rejected.load(std::memory_order_relaxed);
  s.requests_served = counters_.requests_served.load(std::memory_order_relaxed);
  s.requests_deferred = counters_.requests_deferred.load(std::memory_order_relaxed);
  s.requests_refused = counters_.requests_refused.load(std::memory_order_relaxed);
  return s;
}

std::string PeerAddress(asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  asio::ip::tcp::endpoint endpoint = socket.remote_endpoint(ec);
  if (ec) return {};
  char text[INET6_ADDRSTRLEN] = {};
  asio::ip::address address = endpoint.address();
  if (address.is_v4()) {
    auto bytes = address.to_v4().to_bytes();
    inet_ntop(AF_INET, bytes.data(), text, sizeof(text));
  } else {
    auto bytes = address.to_v6().to_bytes();
    inet_ntop(AF_INET6, bytes.data(), text, sizeof(text));
  }
  return text;
}

int64_t HttpWorker::RefusedInputWait(std::string_view address) const {
  const core::FailureLimiter* limiter = server_.refused_input_.get();
  return limiter == nullptr ? 0 : limiter->Blocked(address);
}

void HttpWorker::CountRefusedInput(std::string_view address) {
  if (core::FailureLimiter* limiter = server_.refused_input_.get()) limiter->Fail(address);
}

void HttpWorker::Accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void HttpWorker::OnAccept(const asio::error_code& ec, asio::ip::tcp::socket socket) {
  if (stopping_ || ec == asio::error::operation_aborted) return;
  if (ec) {
    // Out of descriptors or buffers: the listening socket stays readable, so retrying at
    // once would spin.
    accept_retry_timer_.expires_after(kAcceptRetryDelay);
    accept_retry_timer_.async_wait([this](const asio::error_code& ec) {
      if (!ec && !stopping_) Accept();
    });
    return;
  }
  if (Stopping()) {
    asio::error_code ignored;
    socket.close(ignored);
    return;  // BeginStop is on its way and closes the acceptor
  }
  if (server_.refused_input_) {
    const std::string address = PeerAddress(socket);
    // A trusted proxy's own address is never limited: its clients are (X-Forwarded-For).
    if (const int64_t wait_s = RefusedInputWait(address);
        wait_s > 0 && !options_.trusted_proxies.Trusts(address)) {
      // The address is over its refusals and was told so (429, Retry-After) on an earlier
      // connection: a new one is closed before it costs a read, a parse or a write, and
      // until the wait is over the kernel drops its new connections (AddressFilter).
      // (Blocked before the close, so that a client that sees the close finds it blocked.)
      const Clock::time_point until = Clock::now() + std::chrono::seconds(wait_s);
      if (server_.address_filter_.Block(address, until)) ArmFilterExpiry(until);
      WorkerCounters::Bump(counters_.connections_rejected, 1);
      asio::error_code ignored;
      socket.close(ignored);
      Accept();
      return;
    }
  }
  RefreshLimits();
  size_t open = server_.open_connections_.fetch_add(1, std::memory_order_relaxed);
  if (open >= options_.max_connections) {
    server_.open_connections_.fetch_sub(1, std::memory_order_relaxed);
    Reject(socket);
  } else {
    // The kernel spreads connections over the workers' SO_REUSEPORT sockets by a hash of
    // their addresses: a few connections (an identity provider's handful, a benchmark's
    // two) often land on one worker while another idles. So each goes to the worker with
    // the fewest, this one on a tie (docs/DESIGN.md, "Connections over the reactors").
    HttpWorker* target = this;
    for (const auto& w : server_.workers_) {
      if (w->assigned_.load(std::memory_order_relaxed) <
          target->assigned_.load(std::memory_order_relaxed)) {
        target = w.get();
      }
    }
    if (target == this || !HandOver(*target, socket)) {
      assigned_.fetch_add(1, std::memory_order_relaxed);
      Serve(std::move(socket));
    }
  }
  Accept();
}

bool HttpWorker::HandOver(HttpWorker& target, asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  const asio::ip::tcp protocol = socket.local_endpoint(ec).protocol();
  if (ec) return false;
  const asio::ip::tcp::socket::native_handle_type fd = socket.release(ec);
  if (ec) return false;  // still this socket's: served here
  target.assigned_.fetch_add(1, std::memory_order_relaxed);
  asio::post(target.context_, [&target, protocol, handed = HandedFd(fd)]() mutable {
    target.Adopt(protocol, handed.Take());
  });
  return true;
}

void HttpWorker::Serve(asio::ip::tcp::socket socket) {
  RefreshLimits();  // this thread runs the connection: its copy of the limits counts
  WorkerCounters::Bump(counters_.connections_accepted, 1);
  std::make_shared<HttpConnection>(*this, std::move(socket))->Start();
}

void HttpWorker::Adopt(asio::ip::tcp protocol, asio::ip::tcp::socket::native_handle_type fd) {
  asio::ip::tcp::socket socket(context_);
  asio::error_code ec;
  socket.assign(protocol, fd, ec);
  if (ec || Stopping()) {
    if (ec) ::close(fd);
    socket.close(ec);
    assigned_.fetch_sub(1, std::memory_order_relaxed);
    server_.open_connections_.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  Serve(std::move(socket));
}

void HttpWorker::Reject(asio::ip::tcp::socket& socket) {
  WorkerCounters::Bump(counters_.connections_rejected, 1);
  // Best effort: one non-blocking write of a 503 into an empty send buffer, then close.
  asio::error_code ec;
  socket.non_blocking(true, ec);
  std::string response =
      ScimErrorResponse(503,
                        "the server is at its limit of " +
                            std::to_string(options_.max_connections) + " connections; retry later",
                        date_.Now(), /*close=*/true);
  // On a TLS listener the client waits for a handshake: plain text would be noise to it.
  if (!server_.options_.tls) socket.write_some(asio::buffer(response), ec);
  socket.shutdown(asio::socket_base::shutdown_send, ec);
  socket.close(ec);
}

void HttpWorker::Register(HttpConnection* connection) {
  connection->registry_index = connections_.size();
  connections_.push_back(connection);
  WorkerCounters::Bump(counters_.connections_open, 1);
  if (!sweep_armed_) ArmSweep();
}

void HttpWorker::Unregister(HttpConnection* connection) {
  size_t index = connection->registry_index;
  HttpConnection* last = connections_.back();
  connections_[index] = last;
  last->registry_index = index;
  connections_.pop_back();
  WorkerCounters::Bump(counters_.connections_open, -1);
  assigned_.fetch_sub(1, std::memory_order_relaxed);
  server_.open_connections_.fetch_sub(1, std::memory_order_relaxed);
  if (stopping_) MaybeFinish();
}

void HttpWorker::ArmSweep() {
  sweep_armed_ = true;
  sweep_timer_.expires_after(sweep_interval_);
  sweep_timer_.async_wait([this](const asio::error_code& ec) {
    sweep_armed_ = false;
    if (!ec) Sweep();
  });
}

void HttpWorker::Sweep() {
  RefreshLimits();
  Clock::time_point now = Clock::now();
  // Backwards: closing a connection swaps the last one into its slot, already visited.
  for (size_t i = connections_.size(); i-- > 0;) {
    if (i < connections_.size()) connections_[i]->CheckDeadline(now);
  }
  if (!connections_.empty()) ArmSweep();
}

void HttpWorker::ArmFilterExpiry(Clock::time_point at) {
  if (stopping_ || (filter_armed_ && filter_at_ <= at)) return;
  filter_armed_ = true;
  filter_at_ = at;
  filter_timer_.expires_at(at);
  filter_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;  // cancelled: re-armed for sooner, or stopping
    filter_armed_ = false;
    if (auto next = server_.address_filter_.Expire(Clock::now())) ArmFilterExpiry(*next);
  });
}

void HttpWorker::BeginStop() {
  if (stopping_) return;
  stopping_ = true;
  asio::error_code ec;
  if (filtered_) {  // before its descriptor can be reused
    server_.address_filter_.RemoveSocket(acceptor_.native_handle());
    filtered_ = false;
  }
  acceptor_.close(ec);
  accept_retry_timer_.cancel();
  filter_timer_.cancel();
  if (signals_) {
    signals_->cancel(ec);
    signals_->clear(ec);  // a second SIGINT/SIGTERM now ends the process the default way
  }
  for (size_t i = connections_.size(); i-- > 0;) {
    if (i < connections_.size()) connections_[i]->OnStop();
  }
  if (connections_.empty()) {
    MaybeFinish();
    return;
  }
  drain_timer_.expires_after(server_.options_.drain_timeout);
  drain_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    for (size_t i = connections_.size(); i-- > 0;) {
      if (i < connections_.size()) connections_[i]->Close();
    }
  });
}

void HttpWorker::MaybeFinish() {
  // With the acceptor closed and no connection left, cancelling the timers leaves the
  // io_context without work, so Run() returns.
  if (!connections_.empty()) return;
  drain_timer_.cancel();
  sweep_timer_.cancel();
}

}  // namespace scimd::net
