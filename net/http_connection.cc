#include "net/http_connection.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/base/json.h"
#include "core/base/strings.h"
#include "core/scim/scim_error.h"
#include "net/access_log.h"
#include "net/http_wire.h"
#include "net/http_worker.h"
#include "net/limits.h"

namespace scimd::net {
namespace {

// Bodies up to this size are copied behind their head so a response is one contiguous
// write; larger ones are moved and gather-written. Not a bound on client input.
constexpr size_t kInlineBodyBytes = 8 * 1024;

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kCrlfLastChunk = "\r\n0\r\n\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";

bool WouldBlock(const asio::error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

void ClearResponse(HttpResponse& response) {
  response.status = 200;
  response.headers.clear();
  response.body.clear();
  response.stream = nullptr;
  response.deferred = nullptr;
  response.delay = std::chrono::milliseconds(0);
  response.hold = nullptr;
  response.cut_after_head = false;
  response.refused_input = false;
}

// Runs a handler or a deferred job; a throw (only by bug) becomes a 500.
template <typename Fn>
void RunGuarded(HttpResponse& response, Fn&& fn) {
  try {
    fn();
  } catch (...) {
    ClearResponse(response);
    response.status = 500;
    response.headers.emplace_back("Content-Type", std::string(core::kScimMediaType));
    response.body = ScimErrorBody(500, "internal server error");
  }
}

}  // namespace

HttpConnection::HttpConnection(HttpWorker& worker, asio::ip::tcp::socket socket)
    : worker_(worker), socket_(std::move(socket)), delay_timer_(worker.context()) {
  llhttp_init(&parser_, HTTP_REQUEST, &kSettings);
  parser_.data = this;
}

HttpConnection::~HttpConnection() { Close(); }

void HttpConnection::Start() {
  asio::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
  peer_address_ = PeerAddress(socket_);
  peer_trusted_ = worker_.options().trusted_proxies.Trusts(peer_address_);
  request_.remote_address = peer_address_;
  worker_.Register(this);
  SetDeadline(worker_.options().header_timeout);
  if (worker_.options().tls) {
    // The session is made once the client speaks: a connection that only connects costs
    // no TLS state (~14 KB in OpenSSL 3).
    state_ = State::kHandshaking;
    request_.secure = true;
    return WaitReadable();
  }
  Drive();
}

void HttpConnection::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  if (!handshake_running_) ReleaseSocket();  // else OnHandshakeStep does, once it is back
  delay_timer_.cancel();
  stream_ = nullptr;  // let the handler's stream state go now, not when the last op returns
  deferred_response_ = HttpResponse();
  worker_.Unregister(this);
}

void HttpConnection::ReleaseSocket() {
  asio::error_code ec;
  socket_.close(ec);
  tls_.reset();
}

void HttpConnection::CheckDeadline(Clock::time_point now) {
  // Waiting for our own deferred job is not the client being slow. (Writes of the
  // responses before it keep their send deadline.)
  if (deferred_ && state_ == State::kReading) return;
  if (state_ != State::kClosed && now >= deadline_) Close();
}

void HttpConnection::OnStop() {
  if (holding_) delay_timer_.cancel();  // a held answer goes out now
  // A deferred job in flight is answered with Connection: close (HandleRequest's check).
  if (state_ == State::kHandshaking || (state_ == State::kReading && !in_message_ && !deferred_ &&
                                        leftover_pos_ >= leftover_.size())) {
    Close();
  }
}

void HttpConnection::SetDeadline(std::chrono::milliseconds timeout) {
  deadline_ = Clock::now() + timeout;
}

void HttpConnection::SetReadingDeadline() {
  const auto& options = worker_.options();
  if (!in_message_) {
    SetDeadline(options.idle_timeout);
  } else {
    SetDeadline(headers_done_ ? options.body_timeout : options.header_timeout);
  }
}

// ---- The state machine ------------------------------------------------------------------

void HttpConnection::Drive() {
  for (int round = 0; round < kMaxRoundsPerTurn; ++round) {
    bool progress = false;
    switch (state_) {
      case State::kClosed: return;
      case State::kHandshaking: progress = Handshake(); break;
      case State::kReading: progress = ReadAndParse(); break;
      case State::kWriting: progress = WriteSome(); break;
      case State::kLingering: progress = Linger(); break;
    }
    if (!progress) return;  // an operation is armed, or the connection closed
  }
  asio::post(worker_.context(), [self = shared_from_this()] { self->Drive(); });
}

void HttpConnection::WaitReadable() {
  socket_.async_wait(asio::socket_base::wait_read,
                     [self = shared_from_this()](const asio::error_code& ec) {
                       if (self->state_ == State::kClosed) return;
                       if (ec) return self->Close();
                       self->Drive();
                     });
}

void HttpConnection::WaitWritable() {
  socket_.async_wait(asio::socket_base::wait_write,
                     [self = shared_from_this()](const asio::error_code& ec) {
                       if (self->state_ == State::kClosed) return;
                       if (ec) return self->Close();
                       self->Drive();
                     });
}

void HttpConnection::WaitForIo(bool plain_read) {
  bool read = tls_ ? tls_->want() == TlsSession::Want::kRead : plain_read;
  if (read) {
    WaitReadable();
  } else {
    WaitWritable();
  }
}

size_t HttpConnection::ReceiveSome(char* buffer, size_t size, asio::error_code& ec) {
  if (!tls_) return socket_.read_some(asio::buffer(buffer, size), ec);
  TlsSession::Outcome outcome;
  size_t n = tls_->Read(buffer, size, &outcome);
  switch (outcome) {
    case TlsSession::Outcome::kOk: ec.clear(); break;
    case TlsSession::Outcome::kWouldBlock: ec = asio::error::would_block; break;
    case TlsSession::Outcome::kClosed: ec = asio::error::eof; break;
    // Plain HTTP shows in the handshake (AfterHandshakeStep), never after it.
    case TlsSession::Outcome::kPlainHttp:
    case TlsSession::Outcome::kError: ec = asio::error::connection_aborted; break;
  }
  return n;
}

size_t HttpConnection::SendSome(std::span<const asio::const_buffer> buffers, asio::error_code& ec) {
  if (!tls_) return socket_.write_some(buffers, ec);
  // One buffer per call: a response is mostly one (heads and small bodies are contiguous),
  // and a retry after would-block must offer the same bytes, which the front buffer is.
  const asio::const_buffer& front = buffers.front();
  TlsSession::Outcome outcome;
  size_t n = tls_->Write(static_cast<const char*>(front.data()), front.size(), &outcome);
  switch (outcome) {
    case TlsSession::Outcome::kOk: ec.clear(); break;
    case TlsSession::Outcome::kWouldBlock: ec = asio::error::would_block; break;
    default: ec = asio::error::connection_aborted; break;
  }
  return n;
}

void HttpConnection::AnswerPlainHttp() {
  tls_.reset();  // plain from here on, only to say why
  closing_ = true;
  unread_input_ = true;
  QueueError(400, "this port speaks HTTPS: the request was sent as plain HTTP; use https://");
  AfterParse();
}

bool HttpConnection::Handshake() {
  if (handshake_running_) return false;  // its step posts back
  asio::io_context* threads = worker_.handshake_context();
  if (threads == nullptr) {
    if (!tls_) tls_ = TlsSession::Accept(*worker_.tls(), socket_.native_handle());
    if (!tls_) {
      Close();
      return false;
    }
    TlsSession::Outcome outcome;
    tls_->Handshake(&outcome);
    return AfterHandshakeStep(outcome);
  }
  // As for a deferred job: the work guard keeps the reactor running until the step is
  // back, and `self` travels back with the result, so the connection is destroyed here.
  handshake_running_ = true;
  asio::post(*threads, [self = shared_from_this(),
                        work = asio::make_work_guard(worker_.context())]() mutable {
    // The session is made here too: SSL_new looks up ciphers and digests under OpenSSL's
    // global locks, which a reactor should not wait for behind a handshake.
    TlsSession::Outcome outcome = TlsSession::Outcome::kError;
    if (!self->tls_) {
      self->tls_ = TlsSession::Accept(*self->worker_.tls(), self->socket_.native_handle());
    }
    if (self->tls_) self->tls_->Handshake(&outcome);
    HttpConnection* c = self.get();
    asio::post(c->worker_.context(),
               [self = std::move(self), outcome] { self->OnHandshakeStep(outcome); });
  });
  return false;
}

void HttpConnection::OnHandshakeStep(TlsSession::Outcome outcome) {
  handshake_running_ = false;
  if (state_ == State::kClosed) return ReleaseSocket();  // closed while the step ran
  if (AfterHandshakeStep(outcome)) Drive();
}

bool HttpConnection::AfterHandshakeStep(TlsSession::Outcome outcome) {
  switch (outcome) {
    case TlsSession::Outcome::kOk:
      state_ = State::kReading;  // the header timeout set at accept still runs
      return true;
    case TlsSession::Outcome::kWouldBlock: WaitForIo(/*plain_read=*/true); return false;
    case TlsSession::Outcome::kPlainHttp:
      state_ = State::kReading;
      AnswerPlainHttp();
      return state_ != State::kClosed;
    case TlsSession::Outcome::kClosed:
    case TlsSession::Outcome::kError: Close(); return false;
  }
  return false;
}

bool HttpConnection::ReadAndParse() {
  if (deferred_) {
    if (!deferred_done_) {
      parked_ = true;  // nothing armed: OnDeferredDone calls Drive
      return false;
    }
    deferred_ = false;
    deferred_done_ = false;
    FinishRequest(deferred_response_, deferred_keep_alive_, deferred_head_);
    deferred_response_ = HttpResponse();
    if (closing_ && leftover_pos_ < leftover_.size()) {
      unread_input_ = true;
      leftover_.clear();
      leftover_pos_ = 0;
    }
    AfterParse();
    return state_ != State::kClosed;
  }
  if (leftover_pos_ < leftover_.size()) {
    size_t consumed = Feed(leftover_.data() + leftover_pos_, leftover_.size() - leftover_pos_);
    leftover_pos_ += consumed;
    if (leftover_pos_ < leftover_.size() && closing_) unread_input_ = true;
    if (leftover_pos_ >= leftover_.size() || closing_) {
      leftover_.clear();
      leftover_pos_ = 0;
    }
    AfterParse();
    return state_ != State::kClosed;
  }
  if (worker_.Stopping() && !in_message_) {
    Close();  // between requests while the server stops
    return false;
  }
  asio::error_code ec;
  char* buffer = worker_.read_buffer();
  size_t n = ReceiveSome(buffer, kReadBufferBytes, ec);
  if (WouldBlock(ec)) {
    WaitForIo(/*plain_read=*/true);
    return false;
  }
  if (ec) {
    // EOF or reset: between requests that is the normal end; within one, nothing can be
    // answered any more.
    Close();
    return false;
  }
  size_t consumed = Feed(buffer, n);
  if (consumed < n) {
    if (closing_) {
      unread_input_ = true;
    } else {
      leftover_.assign(buffer + consumed, n - consumed);
      leftover_pos_ = 0;
    }
  }
  AfterParse();
  return state_ != State::kClosed;
}

void HttpConnection::AfterParse() {
  if (!out_.empty()) {
    StartFlush();
  } else if (closing_) {
    BeginLinger();
  }
}

void HttpConnection::StartFlush() {
  write_buffers_.clear();
  write_pos_ = 0;
  size_t start = 0;
  for (size_t i = 0; i < cuts_.size(); ++i) {
    if (cuts_[i] > start) write_buffers_.emplace_back(out_.data() + start, cuts_[i] - start);
    write_buffers_.emplace_back(bodies_[i].data(), bodies_[i].size());
    start = cuts_[i];
  }
  if (out_.size() > start) write_buffers_.emplace_back(out_.data() + start, out_.size() - start);
  state_ = State::kWriting;
  SetDeadline(worker_.options().send_timeout);
}

bool HttpConnection::WriteSome() {
  while (write_pos_ < write_buffers_.size()) {
    asio::error_code ec;
    std::span<const asio::const_buffer> pending(write_buffers_.data() + write_pos_,
                                                write_buffers_.size() - write_pos_);
    size_t n = SendSome(pending, ec);
    if (WouldBlock(ec)) {
      SetDeadline(worker_.options().send_timeout);
      WaitForIo(/*plain_read=*/false);
      return false;
    }
    if (ec) {
      Close();
      return false;
    }
    while (n > 0) {
      asio::const_buffer& front = write_buffers_[write_pos_];
      if (n >= front.size()) {
        n -= front.size();
        ++write_pos_;
      } else {
        front += n;
        n = 0;
      }
    }
    while (write_pos_ < write_buffers_.size() && write_buffers_[write_pos_].size() == 0) {
      ++write_pos_;
    }
  }
  OnFlushed();
  return state_ != State::kClosed;
}

void HttpConnection::OnFlushed() {
  out_.clear();
  if (out_.capacity() > kRetainedBodyCapacity) std::string().swap(out_);
  bodies_.clear();
  cuts_.clear();
  write_buffers_.clear();
  write_pos_ = 0;
  queued_responses_ = 0;
  queued_bytes_ = 0;
  if (!streaming_ && piece_.capacity() > kRetainedBodyCapacity) std::string().swap(piece_);
  if (streaming_) {
    PullStreamPiece();
    return;
  }
  if (closing_) {
    BeginLinger();
    return;
  }
  state_ = State::kReading;
  SetReadingDeadline();
}

void HttpConnection::PullStreamPiece() {
  piece_.clear();
  bool more = false;
  try {
    more = stream_(piece_);
  } catch (...) {
    // The head is out: cutting the connection is the only way left to tell the client
    // that the body is incomplete.
    Close();
    return;
  }
  write_buffers_.clear();
  write_pos_ = 0;
  if (stream_chunked_) {
    if (!piece_.empty()) {
      size_t line = FormatChunkSize(piece_.size(), chunk_size_line_);
      write_buffers_.emplace_back(chunk_size_line_, line);
      write_buffers_.emplace_back(piece_.data(), piece_.size());
      write_buffers_.push_back(asio::buffer(more ? kCrlf : kCrlfLastChunk));
    } else if (!more) {
      write_buffers_.push_back(asio::buffer(kLastChunk));
    }
  } else if (!piece_.empty()) {
    write_buffers_.emplace_back(piece_.data(), piece_.size());
  }
  if (!more) {
    streaming_ = false;
    stream_ = nullptr;
  }
  state_ = State::kWriting;
  SetDeadline(worker_.options().send_timeout);
}

void HttpConnection::BeginLinger() {
  asio::error_code ec;
  if (tls_) tls_->Shutdown();  // close_notify, then the socket as for plain HTTP
  socket_.shutdown(asio::socket_base::shutdown_send, ec);
  if (ec) return Close();
  if (!unread_input_) {
    // The last request was read whole and nothing followed it (so far): like nginx, close
    // at once unless input is already waiting.
    socket_.read_some(asio::buffer(worker_.read_buffer(), kReadBufferBytes), ec);
    if (ec) return Close();  // would_block, EOF or reset
  }
  state_ = State::kLingering;
  SetDeadline(kLingerTime);
}

bool HttpConnection::Linger() {
  char* buffer = worker_.read_buffer();
  for (int i = 0; i < kMaxRoundsPerTurn; ++i) {
    asio::error_code ec;
    size_t n = socket_.read_some(asio::buffer(buffer, kReadBufferBytes), ec);
    if (WouldBlock(ec)) {
      WaitReadable();
      return false;
    }
    if (ec) {  // EOF: the client has read our response and closed
      Close();
      return false;
    }
    if (linger_budget_ > 0) {
      // A client over its refusals gets time to read its 429, not to make us read (and
      // discard) the flood it keeps sending, the very cost the limit is there to spare.
      if (n >= linger_budget_) {
        Close();
        return false;
      }
      linger_budget_ -= n;
    }
  }
  return true;
}

// ---- Requests and responses -------------------------------------------------------------

void HttpConnection::HandleRequest() {
  in_message_ = false;
  bool head_request = parser_.method == HTTP_HEAD;
  bool keep_alive = llhttp_should_keep_alive(&parser_) != 0 && parser_.upgrade == 0;
  ClearResponse(response_);
  AssignRequestId();
  // A handler throws only by bug; the connection stays usable.
  RunGuarded(response_, [&] { worker_.handler()(request_, response_); });
  if (response_.deferred) {
    if (worker_.blocking_pool() != nullptr) return StartDeferred(keep_alive, head_request);
    std::function<void(HttpResponse&)> job = std::move(response_.deferred);
    ClearResponse(response_);
    RunGuarded(response_, [&] { job(response_); });
  }
  if (response_.hold || response_.delay.count() > 0) {
    deferred_ = true;  // parked as for a job; the release or the timer is its answer
    deferred_keep_alive_ = keep_alive;
    deferred_head_ = head_request;
    if (response_.hold) return AwaitRelease(response_);
    return HoldResponse(response_);
  }
  FinishRequest(response_, keep_alive, head_request);
}

void HttpConnection::AwaitRelease(HttpResponse& response) {
  deferred_done_ = false;
  std::function<void(HttpResponse::Release)> hold = std::move(response.hold);
  response.hold = nullptr;
  deferred_response_ = std::move(response);
  // The work guard keeps the reactor (and a stopping server) alive until the release.
  hold([self = shared_from_this(),
        work = asio::make_work_guard(worker_.context())](std::unique_ptr<HttpResponse> instead) {
    std::shared_ptr<HttpResponse> replacement(std::move(instead));
    HttpConnection* c = self.get();
    asio::post(c->worker_.context(), [self, replacement] { self->OnReleased(replacement.get()); });
  });
}

void HttpConnection::OnReleased(HttpResponse* instead) {
  if (state_ == State::kClosed) return;  // closed meanwhile: the answer has nowhere to go
  if (instead != nullptr) deferred_response_ = std::move(*instead);
  if (deferred_response_.delay.count() > 0) {
    HttpResponse delayed = std::move(deferred_response_);
    return HoldResponse(delayed);
  }
  deferred_done_ = true;
  if (parked_) {
    parked_ = false;
    Drive();
  }
}

void HttpConnection::HoldResponse(HttpResponse& response) {
  deferred_done_ = false;
  const std::chrono::milliseconds delay = response.delay;
  deferred_response_ = std::move(response);
  deferred_response_.delay = std::chrono::milliseconds(0);
  holding_ = true;
  delay_timer_.expires_after(delay);
  // Cancelled by Close (nothing left to do) or by OnStop (answer now: the delay was only
  // ever for show, and a stop should not wait for it).
  delay_timer_.async_wait([self = shared_from_this()](const asio::error_code&) {
    if (self->state_ == State::kClosed) return;
    self->holding_ = false;
    self->deferred_done_ = true;
    if (self->parked_) {
      self->parked_ = false;
      self->Drive();
    }
  });
}

void HttpConnection::FinishRequest(HttpResponse& response, bool keep_alive, bool head_request) {
  if (response.refused_input) CountRefusedInput();
  if (request_.body.capacity() > kRetainedBodyCapacity) std::string().swap(request_.body);
  if (worker_.Stopping()) keep_alive = false;  // checked after the handler: it may be slow
  QueueResponse(response, keep_alive, head_request);
}

void HttpConnection::StartDeferred(bool keep_alive, bool head_request) {
  deferred_ = true;
  deferred_done_ = false;
  deferred_keep_alive_ = keep_alive;
  deferred_head_ = head_request;
  WorkerCounters::Bump(worker_.counters().requests_deferred, 1);
  // The work guard keeps the reactor running until the answer is back, even when the
  // connection is closed meanwhile and the worker is stopping: the server never finishes
  // (and the application never tears down what the job uses) with a job in flight.
  // `self` keeps request_ alive for the job and travels back inside the answer, so the
  // connection is destroyed on its own thread.
  asio::post(*worker_.blocking_pool(),
             [self = shared_from_this(), job = std::move(response_.deferred),
              work = asio::make_work_guard(worker_.context())]() mutable {
               HttpResponse response;
               RunGuarded(response, [&] { job(response); });
               job = nullptr;  // its captures go here, off the reactor
               HttpConnection* c = self.get();
               asio::post(c->worker_.context(),
                          [self = std::move(self), response = std::move(response)]() mutable {
                            self->OnDeferredDone(response);
                          });
             });
  response_.deferred = nullptr;
}

void HttpConnection::OnDeferredDone(HttpResponse& response) {
  if (state_ == State::kClosed) return;  // closed meanwhile: the answer has nowhere to go
  if (response.hold) return AwaitRelease(response);
  if (response.delay.count() > 0) return HoldResponse(response);
  deferred_response_ = std::move(response);
  deferred_done_ = true;
  // If Drive is parked, resume it; otherwise a write in progress (of responses queued
  // before this one) is armed and its Drive picks the answer up in ReadAndParse.
  if (parked_) {
    parked_ = false;
    Drive();
  }
}

void HttpConnection::QueueError(int status, std::string_view detail, int64_t retry_after_s) {
  response_.status = status;
  response_.headers.clear();
  response_.headers.emplace_back("Content-Type", std::string(core::kScimMediaType));
  if (retry_after_s > 0)
    response_.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  response_.body = ScimErrorBody(status, detail);
  response_.stream = nullptr;
  QueueResponse(response_, /*keep_alive=*/false, /*head_request=*/false);
}

void HttpConnection::AssignRequestId() {
  // The client's own id when it is safe to echo and to log as is.
  const std::string_view sent = request_.Header("x-request-id");
  bool usable = !sent.empty() && sent.size() <= kMaxRequestIdBytes;
  for (char c : sent) {
    if (c <= ' ' || c > '~' || c == '"' || c == '\\') {
      usable = false;
      break;
    }
  }
  if (usable) {
    request_.request_id.assign(sent);
  } else {
    worker_.NextRequestId(request_.request_id);
  }
}

void HttpConnection::QueueResponse(HttpResponse& response, bool keep_alive, bool head_request) {
  // A server-made error (malformed input, a timeout) has no id yet.
  if (request_.request_id.empty()) worker_.NextRequestId(request_.request_id);
  response.SetHeader("X-Request-Id", request_.request_id);
  if (AccessLog* log = worker_.options().access_log.get()) {
    const bool streamed = response.stream != nullptr && !response.cut_after_head;
    log->Write(worker_.options().name, request_, response,
               streamed ? -1 : static_cast<int64_t>(response.body.size()));
  }
  bool http10 = parser_.http_major == 1 && parser_.http_minor == 0;
  ResponseHead head = AppendResponseHead(out_, response, keep_alive, http10, worker_.date().Now());
  if (response.cut_after_head) {
    // A drop on purpose: the head announces a body that never comes.
    closing_ = true;
  } else if (!head_request) {
    switch (head.framing) {
      case BodyFraming::kNone: break;
      case BodyFraming::kContentLength:
        if (response.body.size() <= kInlineBodyBytes) {
          out_.append(response.body);
        } else {
          cuts_.push_back(out_.size());
          queued_bytes_ += response.body.size();
          bodies_.push_back(std::move(response.body));
        }
        break;
      case BodyFraming::kChunked:
      case BodyFraming::kUntilClose:
        stream_ = std::move(response.stream);
        streaming_ = true;
        stream_chunked_ = head.framing == BodyFraming::kChunked;
        break;
    }
  }
  if (!head.keep_alive) closing_ = true;
  ++queued_responses_;
  WorkerCounters::Bump(worker_.counters().requests_served, 1);
}

}  // namespace scimd::net
