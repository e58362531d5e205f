// Bounds on client input that the HTTP server enforces, and the defaults of
// HttpServer::Options. Each number says where it comes from.
#pragma once

#include <chrono>
#include <cstddef>

namespace scimd::net {

// Request head (request line + all header lines). nginx's default
// large_client_header_buffers is 4 x 8 KiB and Apache's LimitRequestFieldSize is 8190 bytes
// per line; IdP bearer tokens (Entra/Okta JWTs) are 1-4 KiB, so 16 KiB fits a real SCIM head
// several times over. Over the limit: 431.
inline constexpr size_t kDefaultMaxHeaderBytes = 16 * 1024;

// Header lines per request: Apache's LimitRequestFields default. SCIM clients send < 15.
// Over the limit: 431.
inline constexpr size_t kMaxHeaderCount = 100;

// Request body. Advertised as bulk.maxPayloadSize in /ServiceProviderConfig (RFC 7644
// §3.7.4); Entra sends at most ~1 MiB per request, bulk imports of 1000 users are ~2-4 MiB.
// Over the limit: 413.
inline constexpr size_t kDefaultMaxBodyBytes = 8 * 1024 * 1024;

// Time to receive a whole request head once its first byte arrived (and the first request
// of a new connection). nginx's client_header_timeout is 60 s; IdPs send a head in one
// segment, so 10 s tolerates slow links and frees slowloris sockets six times sooner.
inline constexpr std::chrono::milliseconds kDefaultHeaderTimeout{10'000};

// Keep-alive idle time between requests: nginx keepalive_timeout is 75 s, Go's
// http.Server uses ReadTimeout; 60 s outlives the pauses of IdP sync cycles within a batch.
inline constexpr std::chrono::milliseconds kDefaultIdleTimeout{60'000};

// Time to receive a whole request body: nginx client_body_timeout (60 s, but per read).
// 8 MiB at 1.1 Mbit/s still arrives in time.
inline constexpr std::chrono::milliseconds kDefaultBodyTimeout{60'000};

// Time to write one response piece while the client does not read: nginx send_timeout.
inline constexpr std::chrono::milliseconds kDefaultSendTimeout{60'000};

// Graceful stop: in-flight requests get this long to finish before connections are cut.
// systemd's TimeoutStopSec defaults to 90 s, Kubernetes' grace period to 30 s.
inline constexpr std::chrono::milliseconds kDefaultDrainTimeout{10'000};

// Open connections across all threads. Each idle connection costs ~1 KiB here plus the
// kernel socket; the default RLIMIT_NOFILE soft limit is often 1024, raise it when raising
// this. Over the limit: 503 and close.
inline constexpr size_t kDefaultMaxConnections = 10'000;

// Requests answered from one connection's input before their responses are written:
// bounds the response bytes a pipelining client can make us buffer. wrk's pipeline
// scripts use depth 16; 64 leaves room.
inline constexpr size_t kDefaultMaxPipelined = 64;

// Threads that run deferred handler work (HttpResponse::deferred) off the reactors. Such
// jobs are long writes that mostly wait on RocksDB (locks, fsync) or hash: a few threads
// keep several in flight without taking the reactors' cores.
inline constexpr int kDefaultBlockingThreads = 2;

// The longest X-Request-Id a client may send and have echoed (longer: the server makes one).
inline constexpr size_t kMaxRequestIdBytes = 128;

// TLS handshakes (key exchange and signature, ~0.3 ms of CPU each) run on threads of
// their own, not on the reactors: a burst of hundreds of new TLS connections would
// otherwise queue ahead of the established connections' requests on the reactor that
// accepted them; on threads of their own the kernel shares the core between them and the
// reactors. -1: half the reactor threads, at least one; 0: on the reactor. (At a lower
// priority (nice 10) they did worse: OpenSSL 3 takes global locks in SSL_new and cipher
// lookups, and a reactor then waited behind a preempted handshake thread; measured in
// docs/RELIABILITY.md.)
inline constexpr int kDefaultTlsHandshakeThreads = -1;

// Requests refused as malformed or oversized input (a malformed HTTP request, 413, 431, and
// SCIM's invalidSyntax and invalidFilter) per client address: a burst of this many, then
// kDefaultRefusedInputPerSecond; an address over that gets 429 with Retry-After and is
// closed when its next request begins, before its head or body is read. A flood of 200 KB
// bodies nested 100,000 deep or of 10,000-term filters costs scimd a full read and parse
// each (scripts/hostile.sh); a 429 costs it nothing. Identity providers send well-formed
// requests; conformance suites send a few dozen bad ones on purpose, well inside the burst.
inline constexpr int64_t kDefaultRefusedInputBurst = 200;
inline constexpr uint32_t kDefaultRefusedInputPerSecond = 20;

// Response bytes queued for one connection before we stop answering its pipelined
// requests and write them out first (a 64 x 1000-user page would otherwise pile up).
inline constexpr size_t kMaxQueuedResponseBytes = 4 * 1024 * 1024;

// One read from a socket. Per thread, not per connection: idle connections own no input
// buffer. 64 KiB is the largest segment Linux GRO hands to a socket, so one read usually
// drains what arrived; it holds a typical SCIM request several times over.
inline constexpr size_t kReadBufferBytes = 64 * 1024;

// A connection's request body buffer keeps its capacity between requests up to this size;
// a larger one (a bulk import) is freed after its request so idle connections stay small.
inline constexpr size_t kRetainedBodyCapacity = 64 * 1024;

// Lingering close: after the final response on a connection that still sends (e.g. a body
// we refused with 413), read and discard its input this long before closing, so our
// close does not send an RST that destroys the response in the client's receive queue.
// nginx: lingering_timeout 5 s, lingering_time 30 s; we keep it short.
inline constexpr std::chrono::milliseconds kLingerTime{2'000};

// What a connection answered 429 for too much refused input may still send while we wait
// for it to read the 429 (kLingerTime), before we close on it: enough for the rest of a
// request head and a little body, not a flood's 200 KB bodies.
inline constexpr size_t kRefusedLingerBytes = 64 * 1024;

// Listen backlog: Linux's net.core.somaxconn default since 5.4 (the kernel caps it there).
inline constexpr int kListenBacklog = 4096;

// After accept() fails (EMFILE, ENFILE, ENOBUFS), wait this long before accepting again
// instead of spinning on a listening socket that stays readable.
inline constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

// Reads, writes and parses one connection does before yielding its thread to the others
// (fairness against a client that pipelines without end).
inline constexpr int kMaxRoundsPerTurn = 16;

}  // namespace scimd::net
