// HttpWorker: one reactor thread of HttpServer: its io_context, its SO_REUSEPORT acceptor,
// the connections it accepted, a timer that sweeps their deadlines, its stats and the
// buffers its connections share. Everything but PostStop() and stats reads runs on the
// worker's own thread.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_server.h"
#include "net/http_wire.h"

namespace scimd::net {

class HttpConnection;

// The peer's IP address as text ("127.0.0.1", "::1"); empty if the socket has none.
std::string PeerAddress(asio::ip::tcp::socket& socket);

// Single writer (the worker thread), any reader: relaxed loads and stores, no RMW.
struct WorkerCounters {
  std::atomic<uint64_t> connections_open{0};
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_rejected{0};
  std::atomic<uint64_t> requests_served{0};
  std::atomic<uint64_t> requests_deferred{0};
  std::atomic<uint64_t> requests_refused{0};

  static void Bump(std::atomic<uint64_t>& c, int64_t delta) {
    c.store(c.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }
};

class HttpWorker {
 public:
  using Clock = std::chrono::steady_clock;

  HttpWorker(HttpServer& server, int index);
  ~HttpWorker();
  HttpWorker(const HttpWorker&) = delete;
  HttpWorker& operator=(const HttpWorker&) = delete;

  // Opens, binds (with SO_REUSEADDR and SO_REUSEPORT) and listens. Called before Run().
  bool Listen(const asio::ip::tcp::endpoint& endpoint, std::string* error);
  uint16_t local_port() const;

  // The thread body: accepts and serves until stopped and drained.
  void Run();
  // From any thread: begin the graceful stop on this worker's thread.
  void PostStop();
  // SIGINT/SIGTERM -> server.Stop(); SIGHUP -> on_hangup() when set. Before Run().
  void InstallSignalHandlers(std::function<void()> on_hangup);
  // Takes the server's limits when SetLimits changed them, and the sweep interval they imply.
  void RefreshLimits();
  void SetSweepInterval();  // from options_'s timeouts

  HttpServer::Stats GetStats() const;

  // For connections, on this worker's thread.
  asio::io_context& context() { return context_; }
  // The server's options, with the limits of its last SetLimits once this worker saw it.
  const HttpServer::Options& options() const { return options_; }
  const HttpHandler& handler() const { return server_.handler_; }
  // Where deferred handler work runs; null when it runs inline (blocking_threads == 0).
  asio::thread_pool* blocking_pool() { return server_.blocking_pool_.get(); }
  // The certificate new TLS connections get (HttpServer::SetTls may change it).
  std::shared_ptr<const TlsContext> tls() const { return server_.tls_.load(); }
  // Where TLS handshake steps run; null when they run on the reactor.
  asio::io_context* handshake_context() { return server_.handshake_context_; }
  bool Stopping() const { return server_.stopping_.load(std::memory_order_relaxed); }
  char* read_buffer() { return read_buffer_.get(); }
  DateCache& date() { return date_; }
  // A new request id into `out`: the process's random prefix, this worker (unique in the
  // process), a counter.
  void NextRequestId(std::string& out);
  WorkerCounters& counters() { return counters_; }
  // Refused malformed input per address (HttpServer::Options::refused_input_per_second):
  // the whole seconds `address` must wait (0: it may send), and counting one refusal.
  int64_t RefusedInputWait(std::string_view address) const;
  void CountRefusedInput(std::string_view address);
  void Register(HttpConnection* connection);
  void Unregister(HttpConnection* connection);

 private:
  void Accept();
  void OnAccept(const asio::error_code& ec, asio::ip::tcp::socket socket);
  // Hands an accepted connection to `target` (its descriptor, adopted on its thread);
  // false, with `socket` untouched, when the descriptor cannot be released.
  bool HandOver(HttpWorker& target, asio::ip::tcp::socket& socket);
  // Starts serving a connection accepted here (on this thread).
  void Serve(asio::ip::tcp::socket socket);
  // Takes a connection another worker accepted: its descriptor, adopted on this thread.
  // REQUIRES: assigned_ already counts it.
  void Adopt(asio::ip::tcp protocol, asio::ip::tcp::socket::native_handle_type fd);
  void Reject(asio::ip::tcp::socket& socket);
  void ArmSweep();
  void Sweep();
  // The server's AddressFilter lifts its blocks when they end: this worker's timer wakes
  // at `at` (or earlier, if already set for sooner) to lift them.
  void ArmFilterExpiry(Clock::time_point at);
  void BeginStop();
  void MaybeFinish();

  HttpServer& server_;
  const int index_;
  // Unique in the process across servers (the SCIM and the admin listener): request ids.
  const int id_;
  static std::atomic<int> next_id_;
  // Connections open on this worker or handed to it and not yet adopted: what an accepting
  // worker compares to pick the least loaded one (any thread reads and changes it).
  std::atomic<int64_t> assigned_{0};
  WorkerCounters counters_;
  DateCache date_;
  uint64_t next_request_ = 0;
  std::unique_ptr<char[]> read_buffer_;
  // Open connections, unordered; each knows its index (swap-remove).
  std::vector<HttpConnection*> connections_;
  bool stopping_ = false;  // BeginStop ran
  bool sweep_armed_ = false;
  Clock::duration sweep_interval_;
  bool filter_armed_ = false;
  Clock::time_point filter_at_;
  bool filtered_ = false;           // acceptor_ is one of the AddressFilter's sockets
  HttpServer::Options options_;     // this thread's copy (RefreshLimits)
  uint64_t limits_generation_ = 0;  // of the server's limits in options_
  // Declared after what connections touch from their destructors, before the I/O objects
  // that must be destroyed first.
  asio::io_context context_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer sweep_timer_;
  asio::steady_timer drain_timer_;
  asio::steady_timer accept_retry_timer_;
  asio::steady_timer filter_timer_;
  std::unique_ptr<asio::signal_set> signals_;
  std::function<void()> on_hangup_;
  void WaitForSignal();
};

}  // namespace scimd::net
