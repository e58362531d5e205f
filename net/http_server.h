// HttpServer: HTTP/1.1 server, one reactor thread per core. Each thread has its own
// io_context and its own SO_REUSEPORT acceptor on the same port, so the kernel spreads
// connections; a connection lives on the thread that accepted it and the handler runs
// there, with no locks on the request path. Work a handler defers (HttpResponse::deferred)
// runs on a small pool of blocking threads; the answer goes back to the connection's
// reactor. TLS handshakes run on threads of their own. Start/Stop/Wait/GetStats are
// thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/address_filter.h"
#include "net/http_types.h"
#include "net/limits.h"
#include "net/proxy_trust.h"

namespace asio {
class io_context;
class thread_pool;
}  // namespace asio
namespace scimd::core {
class FailureLimiter;
}

namespace scimd::net {

class HttpWorker;
class TlsContext;
class AccessLog;

class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";  // address to bind (IPv4 or IPv6 literal)
    uint16_t port = 8080;            // 0 = ephemeral; read the bound port with port()
    int threads = 0;                 // reactor threads; 0 = std::thread::hardware_concurrency()
    // Request target plus header names and values, +4 bytes per header line: what we
    // store. Whitespace llhttp skips is not counted (it costs no memory; header_timeout
    // bounds it).
    size_t max_header_bytes = kDefaultMaxHeaderBytes;
    size_t max_body_bytes = kDefaultMaxBodyBytes;  // de-chunked body
    // Whole request head, counted from its first byte (and the first request of a
    // connection, counted from accept).
    std::chrono::milliseconds header_timeout = kDefaultHeaderTimeout;
    std::chrono::milliseconds idle_timeout = kDefaultIdleTimeout;    // keep-alive between requests
    std::chrono::milliseconds body_timeout = kDefaultBodyTimeout;    // whole body, after the head
    std::chrono::milliseconds send_timeout = kDefaultSendTimeout;    // each write of a response
    std::chrono::milliseconds drain_timeout = kDefaultDrainTimeout;  // Stop(): in-flight grace
    size_t max_connections = kDefaultMaxConnections;  // across all threads; over: 503 + close
    size_t max_pipelined = kDefaultMaxPipelined;      // responses queued per connection
    // Threads for deferred handler work; 0 runs it inline on the reactor (as if the
    // handler had done it itself).
    int blocking_threads = kDefaultBlockingThreads;
    // When set, every connection speaks TLS with this certificate (net/tls.h); a plain HTTP
    // request is answered 400 in plain text and closed.
    std::shared_ptr<const TlsContext> tls;
    // Each answered request is logged here (net/access_log.h) as coming from listener
    // `name`; null: no access log.
    std::shared_ptr<AccessLog> access_log;
    std::string name = "scim";
    // Threads that run TLS handshakes (net/limits.h): -1 half the reactor threads, at
    // least one; 0 on the reactor that accepted the connection. Unused without `tls`.
    int tls_handshake_threads = kDefaultTlsHandshakeThreads;
    // Refused malformed or oversized requests per client address (net/limits.h): a burst,
    // then this many a second; over that, 429 before the request is read. 0: no limit.
    int64_t refused_input_burst = kDefaultRefusedInputBurst;
    // Peers whose X-Forwarded-For names the client (net/proxy_trust.h): the per-address
    // limits and the logs then see the client, not the proxy. Empty: the header is ignored.
    ProxyTrust trusted_proxies;
    uint32_t refused_input_per_second = kDefaultRefusedInputPerSecond;
  };

  // Counters of one reactor thread (or their sum). Read without locks; a snapshot.
  struct Stats {
    uint64_t connections_open = 0;
    uint64_t connections_accepted = 0;
    uint64_t connections_rejected = 0;  // over max_connections, or from an address over
                                        // its refusals (closed at accept; its later
                                        // ones the kernel drops: AddressFilter)
    uint64_t requests_served = 0;       // responses queued, including server-made errors
    uint64_t requests_deferred = 0;     // handed to the blocking pool
    uint64_t requests_refused = 0;      // 429: the address sent too much malformed input
  };

  // `handler` is called on reactor threads, concurrently from several of them; it must be
  // safe for that and must not block for long (long work goes into
  // HttpResponse::deferred). It may throw only by bug (answered 500).
  HttpServer(Options options, HttpHandler handler);
  // Stops and waits if still running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens on every thread's acceptor, then starts the reactor threads and
  // returns; the server runs until Stop(). On failure returns false with *error set and
  // starts nothing. REQUIRES: called at most once.
  [[nodiscard]] bool Start(std::string* error);

  // The bound port (the ephemeral one when Options::port was 0). REQUIRES: Start succeeded.
  uint16_t port() const { return bound_port_; }
  int threads() const { return static_cast<int>(workers_.size()); }

  // Graceful stop, from any thread (including a handler) and any number of times; does not
  // block. Stops accepting, closes idle keep-alive connections, lets requests in flight
  // finish and their responses be written (with Connection: close), and cuts whatever is
  // left after Options::drain_timeout. A deferred job is never cut: its reactor waits for
  // it even when its connection was closed. Wait() returns once every thread is done.
  void Stop();
  // From now on new TLS connections get `tls` (a renewed certificate); connections already
  // open keep theirs. REQUIRES: the server was made with Options::tls.
  void SetTls(std::shared_ptr<const TlsContext> tls) { tls_.store(std::move(tls)); }
  // The limits a SIGHUP may change (docs/CONFIG.md, "Reloading").
  struct Limits {
    size_t max_header_bytes = kDefaultMaxHeaderBytes;
    size_t max_body_bytes = kDefaultMaxBodyBytes;
    std::chrono::milliseconds header_timeout = kDefaultHeaderTimeout;
    std::chrono::milliseconds idle_timeout = kDefaultIdleTimeout;
    size_t max_connections = kDefaultMaxConnections;
  };
  // From any thread: new connections and requests get `limits` (each reactor takes them
  // at its next accept or deadline sweep, within 250 ms while it has connections);
  // a request already being read keeps the limits it started with.
  void SetLimits(const Limits& limits);
  // True once Stop() was called (the server drains or has stopped).
  bool Stopping() const { return stopping_.load(); }

  // Blocks until every reactor thread and every blocking thread has exited (after Stop()),
  // so no deferred job still runs; returns at once if Start was not called or failed.
  // REQUIRES: not called from a reactor thread (a handler) or a deferred job.
  void Wait();

  // SIGINT and SIGTERM call Stop() (through an asio::signal_set on the first reactor, so
  // nothing runs in signal context), and SIGHUP calls `on_hangup` when it is set (on that
  // reactor: it should only hand the work on). Replaces the process' handlers for those
  // signals until Wait() returns. REQUIRES: called before Start().
  void InstallSignalHandlers(std::function<void()> on_hangup = nullptr);

  Stats GetStats() const;                     // summed over threads
  std::vector<Stats> GetThreadStats() const;  // one per thread

 private:
  int HandshakeThreadCount() const;  // what Options::tls_handshake_threads comes to

  Options options_;
  std::atomic<std::shared_ptr<const TlsContext>> tls_;  // Options::tls, then SetTls's
  std::mutex limits_mu_;                                // guards limits_
  Limits limits_;                                       // SetLimits's last
  std::atomic<uint64_t> limits_generation_{0};          // bumped by SetLimits
  HttpHandler handler_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> open_connections_{0};  // across threads, for max_connections
  uint16_t bound_port_ = 0;
  // On the listeners while refused_input_ is set. Before workers_: a worker takes its
  // listener out of it when it is destroyed.
  AddressFilter address_filter_;
  std::vector<std::unique_ptr<HttpWorker>> workers_;
  std::vector<std::thread> threads_;
  std::unique_ptr<asio::thread_pool> blocking_pool_;     // null when blocking_threads == 0
  struct HandshakeThreads;                               // http_server.cc
  std::unique_ptr<HandshakeThreads> handshakes_;         // null without TLS or with 0 threads
  asio::io_context* handshake_context_ = nullptr;        // handshakes_'s, for the workers
  std::unique_ptr<core::FailureLimiter> refused_input_;  // null when the limit is off
  std::mutex wait_mutex_;                                // Wait() from two threads joins once

  friend class HttpWorker;
};

}  // namespace scimd::net
