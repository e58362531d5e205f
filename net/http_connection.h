// HttpConnection: one accepted TCP connection, from accept to close, on its worker's thread.
// Reads into the worker's shared buffer, parses with llhttp, calls the handler for each
// complete request and queues the responses in order; pipelined requests are answered
// from one read and written with one gather write. Never reads and writes at the same time:
// input that arrives while responses are written waits in the kernel (or in leftover_).
// A request whose handler defers its work (HttpResponse::deferred) parks the connection
// until the job's answer is posted back from the blocking pool, and an answer with a delay
// until its timer fires; later pipelined requests wait unparsed. Owned by shared_ptrs held
// by its pending asynchronous operations and by its deferred job; the last owner always
// lets go on the worker's thread.
#pragma once

#include <llhttp.h>

#include <asio.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_types.h"
#include "net/tls.h"

namespace scimd::net {

class HttpWorker;

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  using Clock = std::chrono::steady_clock;

  HttpConnection(HttpWorker& worker, asio::ip::tcp::socket socket);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Registers with the worker and starts reading. REQUIRES: owned by a shared_ptr.
  void Start();
  // Closes the connection if its current deadline has passed.
  void CheckDeadline(Clock::time_point now);
  // Graceful stop: closes now if between requests; otherwise the request in flight is
  // answered with Connection: close (an answer held for its delay at once).
  void OnStop();
  // Closes the socket now; pending operations complete with operation_aborted.
  void Close();

  size_t registry_index = 0;  // position in the worker's list; owned by the worker

 private:
  // A TLS connection begins in kHandshaking; the others in kReading.
  enum class State { kHandshaking, kReading, kWriting, kLingering, kClosed };

  // The state machine. Loops over reads, parses and writes until an operation would
  // block (and is then armed) or the round budget is spent (and a continuation posted).
  void Drive();
  // The TLS handshake: creates the session once the client has sent something, then runs
  // its steps on the handshake threads (or inline, without them) until it completes.
  bool Handshake();                                   // true: made progress, call again
  void OnHandshakeStep(TlsSession::Outcome outcome);  // a step's result, on the reactor
  bool AfterHandshakeStep(TlsSession::Outcome outcome);
  // Closes the socket and frees the TLS session; deferred by Close() while a handshake
  // step on another thread uses them.
  void ReleaseSocket();
  bool ReadAndParse();  // true: made progress, call again
  bool WriteSome();
  bool Linger();
  void WaitReadable();
  void WaitWritable();
  // Waits for what the last would-block needs: `plain` on a plain connection, and on a TLS
  // one whatever the session asked for (a TLS read may need the socket writable).
  void WaitForIo(bool plain_read);
  // The socket or, on a TLS connection, the session; errors and would-block as asio's.
  size_t ReceiveSome(char* buffer, size_t size, asio::error_code& ec);
  size_t SendSome(std::span<const asio::const_buffer> buffers, asio::error_code& ec);
  // A client spoke plain HTTP to the TLS port: tell it so, in plain HTTP, and close.
  void AnswerPlainHttp();

  // Feeds bytes to llhttp; returns how many it consumed (less than `size` when paused).
  size_t Feed(const char* data, size_t size);
  void AfterParse();
  void StartFlush();
  void OnFlushed();
  void PullStreamPiece();
  void BeginLinger();
  void SetDeadline(std::chrono::milliseconds timeout);
  void SetReadingDeadline();

  // Request handling, from the llhttp callbacks.
  void HandleRequest();
  // Trims the request buffers and queues the handler's (or deferred job's) answer.
  void FinishRequest(HttpResponse& response, bool keep_alive, bool head_request);
  // Hands response_.deferred to the blocking pool; OnDeferredDone gets the answer back.
  void StartDeferred(bool keep_alive, bool head_request);
  void OnDeferredDone(HttpResponse& response);
  // Keeps `response` (HttpResponse::delay) in deferred_response_ until delay_timer_ fires,
  // then answers it as a deferred job's. REQUIRES: deferred_ and its keep-alive and HEAD
  // flags are set.
  void HoldResponse(HttpResponse& response);
  // Keeps `response` (HttpResponse::hold) in deferred_response_ until its release, then
  // answers it (or its replacement) as a deferred job's. REQUIRES: deferred_ and its
  // keep-alive and HEAD flags are set.
  void AwaitRelease(HttpResponse& response);
  void OnReleased(HttpResponse* instead);
  void QueueResponse(HttpResponse& response, bool keep_alive, bool head_request);
  // request_.request_id: the client's X-Request-Id if usable, else a new one.
  void AssignRequestId();
  void QueueError(int status, std::string_view detail, int64_t retry_after_s = 0);
  // Records a server-made error for the callback that detected it; the callback then
  // returns -1 and Feed() answers it.
  int Fail(int status, std::string detail);
  int CheckHeadSize();  // 0, or Fail(431) once head_bytes_ passes the limit
  // 0, or Fail(429) when request_.remote_address is over its refused-input limit.
  int CheckRefusedInput();
  // Counts a refused request against request_.remote_address (never a trusted proxy's).
  void CountRefusedInput();

  static int OnMessageBegin(llhttp_t* parser);
  static int OnUrl(llhttp_t* parser, const char* at, size_t length);
  static int OnHeaderField(llhttp_t* parser, const char* at, size_t length);
  static int OnHeaderFieldComplete(llhttp_t* parser);
  static int OnHeaderValue(llhttp_t* parser, const char* at, size_t length);
  static int OnHeaderValueComplete(llhttp_t* parser);
  static int OnHeadersComplete(llhttp_t* parser);
  static int OnBody(llhttp_t* parser, const char* at, size_t length);
  static int OnMessageComplete(llhttp_t* parser);
  static const llhttp_settings_t kSettings;

  HttpWorker& worker_;
  asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsSession> tls_;  // null on a plain listener
  std::string peer_address_;         // the socket's peer
  bool peer_trusted_ = false;        // a trusted proxy (HttpServer::Options::trusted_proxies)
  // A handshake step runs on a handshake thread: socket_ and tls_ are its until it posts
  // back (OnHandshakeStep), and Close() leaves them to it.
  bool handshake_running_ = false;
  State state_ = State::kReading;
  Clock::time_point deadline_;

  // Parsing.
  llhttp_t parser_;
  HttpRequest request_;
  HttpResponse response_;
  size_t head_bytes_ = 0;      // bytes of the current head we have stored
  bool field_open_ = false;    // the last header name is still arriving
  bool in_message_ = false;    // a request has begun and not completed
  bool headers_done_ = false;  // ... and its head is complete
  bool closing_ = false;       // no more requests: close after the queued responses
  bool unread_input_ = false;  // closing with client input left unread: linger
  // After a 429 for refused input: linger on at most kRefusedLingerBytes (0: no cap).
  size_t linger_budget_ = 0;
  int error_status_ = 0;           // set by Fail()
  int64_t error_retry_after_ = 0;  // seconds, for a 429 made by the server
  std::string error_detail_;
  std::string leftover_;  // unparsed input kept across a pause
  size_t leftover_pos_ = 0;

  // A deferred job in flight (deferred_) or answered and not yet queued (deferred_done_).
  // While it runs, parsing is paused and no read, idle or header deadline applies.
  bool deferred_ = false;
  bool deferred_done_ = false;
  bool parked_ = false;  // Drive stopped for the job with nothing armed: its answer resumes
  bool deferred_keep_alive_ = false;
  bool deferred_head_ = false;
  HttpResponse deferred_response_;
  // Holds an answer back for HttpResponse::delay (then deferred_ is set as for a job).
  asio::steady_timer delay_timer_;
  bool holding_ = false;  // delay_timer_ is armed for deferred_response_

  // Output: response heads and small bodies in out_, large bodies moved into bodies_;
  // cuts_[i] is the offset in out_ where bodies_[i] goes.
  std::string out_;
  std::vector<std::string> bodies_;
  std::vector<size_t> cuts_;
  size_t queued_responses_ = 0;
  size_t queued_bytes_ = 0;  // bytes in bodies_
  std::vector<asio::const_buffer> write_buffers_;
  size_t write_pos_ = 0;

  // A streamed (chunked) response in progress.
  std::function<bool(std::string&)> stream_;
  bool streaming_ = false;  // stream_ has more pieces to pull after the current write
  bool stream_chunked_ = true;
  std::string piece_;
  char chunk_size_line_[24];
};

}  // namespace scimd::net
