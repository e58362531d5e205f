// HttpConnection's side of llhttp: the parser callbacks that collect a request and
// apply the limits of net/limits.h (431, 413, 400) before the application sees it.
// Same thread rules as net/http_connection.h: the connection's reactor thread only.
#include <algorithm>
#include <string>

#include "core/base/strings.h"
#include "net/http_connection.h"
#include "net/http_worker.h"
#include "net/limits.h"

namespace scimd::net {
namespace {

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

HttpConnection* Self(llhttp_t* parser) { return static_cast<HttpConnection*>(parser->data); }

}  // namespace

const llhttp_settings_t HttpConnection::kSettings = [] {
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_message_begin = &HttpConnection::OnMessageBegin;
  settings.on_url = &HttpConnection::OnUrl;
  settings.on_header_field = &HttpConnection::OnHeaderField;
  settings.on_header_field_complete = &HttpConnection::OnHeaderFieldComplete;
  settings.on_header_value = &HttpConnection::OnHeaderValue;
  settings.on_header_value_complete = &HttpConnection::OnHeaderValueComplete;
  settings.on_headers_complete = &HttpConnection::OnHeadersComplete;
  settings.on_body = &HttpConnection::OnBody;
  settings.on_message_complete = &HttpConnection::OnMessageComplete;
  return settings;
}();
size_t HttpConnection::Feed(const char* data, size_t size) {
  llhttp_errno_t err = llhttp_execute(&parser_, data, size);
  if (err == HPE_OK) return size;
  if (err == HPE_PAUSED) {
    // Paused by OnMessageComplete right after a request: the rest waits its turn.
    const char* pos = llhttp_get_error_pos(&parser_);
    llhttp_resume(&parser_);
    return static_cast<size_t>(pos - data);
  }
  if (err == HPE_PAUSED_UPGRADE) {
    closing_ = true;  // we do not speak other protocols; the response said close
    return size;
  }
  in_message_ = false;
  unread_input_ = true;  // the rest of this request (and anything after it) is unread
  if (error_status_ == 429) {
    // The address is over its refusals: not counted again (its wait does not grow).
    WorkerCounters::Bump(worker_.counters().requests_refused, 1);
    linger_budget_ = kRefusedLingerBytes;
    QueueError(429, error_detail_, error_retry_after_);
    return size;
  }
  // A malformed request, or one over a size limit: counted against the address.
  CountRefusedInput();
  if (error_status_ != 0) {
    QueueError(error_status_, error_detail_);
  } else {
    QueueError(400, std::string("malformed HTTP request: ") + llhttp_get_error_reason(&parser_));
  }
  return size;
}

int HttpConnection::Fail(int status, std::string detail) {
  error_status_ = status;
  error_detail_ = std::move(detail);
  return -1;
}

int HttpConnection::CheckRefusedInput() {
  if (int64_t wait = worker_.RefusedInputWait(request_.remote_address); wait > 0) {
    error_retry_after_ = wait;
    return Fail(429, "too many malformed or oversized requests from this address; retry in " +
                         std::to_string(wait) + " s");
  }
  return 0;
}

void HttpConnection::CountRefusedInput() {
  // A trusted proxy is never held back for what its clients send.
  if (peer_trusted_ && request_.remote_address == peer_address_) return;
  worker_.CountRefusedInput(request_.remote_address);
}

int HttpConnection::OnMessageBegin(llhttp_t* parser) {
  HttpConnection* c = Self(parser);
  c->in_message_ = true;
  c->headers_done_ = false;
  c->field_open_ = false;
  c->head_bytes_ = 0;
  c->error_status_ = 0;
  // An address that sent too much malformed or oversized input is refused before this
  // request's head or body costs anything. (Behind a trusted proxy the client is known
  // only from the head: checked in OnHeadersComplete.)
  c->request_.remote_address = c->peer_address_;
  if (!c->peer_trusted_) {
    if (int r = c->CheckRefusedInput(); r != 0) return r;
  }
  HttpRequest& r = c->request_;
  r.request_id.clear();
  r.started = std::chrono::steady_clock::now();
  r.method.clear();
  r.target.clear();
  r.path.clear();
  r.query.clear();
  r.headers.clear();
  r.body.clear();
  c->SetDeadline(c->worker_.options().header_timeout);
  return 0;
}

int HttpConnection::CheckHeadSize() {
  size_t limit = worker_.options().max_header_bytes;
  if (head_bytes_ <= limit) return 0;
  return Fail(431, "request header fields exceed the " + std::to_string(limit) + "-byte limit");
}

int HttpConnection::OnUrl(llhttp_t* parser, const char* at, size_t length) {
  HttpConnection* c = Self(parser);
  c->head_bytes_ += length;
  if (int rc = c->CheckHeadSize()) return rc;
  c->request_.target.append(at, length);
  return 0;
}

int HttpConnection::OnHeaderField(llhttp_t* parser, const char* at, size_t length) {
  HttpConnection* c = Self(parser);
  auto& headers = c->request_.headers;
  if (!c->field_open_) {
    if (headers.size() >= kMaxHeaderCount) {
      return c->Fail(431,
                     "request has more than " + std::to_string(kMaxHeaderCount) + " header fields");
    }
    headers.emplace_back();
    c->field_open_ = true;
    c->head_bytes_ += 4;  // ": " and CRLF
  }
  c->head_bytes_ += length;
  if (int rc = c->CheckHeadSize()) return rc;
  std::string& name = headers.back().first;
  size_t old_size = name.size();
  name.resize(old_size + length);
  std::transform(at, at + length, name.begin() + static_cast<ptrdiff_t>(old_size),
                 core::LowerAscii);
  return 0;
}

int HttpConnection::OnHeaderFieldComplete(llhttp_t* parser) {
  Self(parser)->field_open_ = false;
  return 0;
}

int HttpConnection::OnHeaderValue(llhttp_t* parser, const char* at, size_t length) {
  HttpConnection* c = Self(parser);
  c->head_bytes_ += length;
  if (int rc = c->CheckHeadSize()) return rc;
  c->request_.headers.back().second.append(at, length);
  return 0;
}

int HttpConnection::OnHeaderValueComplete(llhttp_t* parser) {
  // llhttp drops the whitespace before a value but keeps what trails it; RFC 9110 §5.5
  // excludes both from the field value.
  auto& headers = Self(parser)->request_.headers;
  if (headers.empty()) return 0;
  std::string& value = headers.back().second;
  size_t end = value.find_last_not_of(" \t");
  value.resize(end == std::string::npos ? 0 : end + 1);
  return 0;
}

int HttpConnection::OnHeadersComplete(llhttp_t* parser) {
  HttpConnection* c = Self(parser);
  const auto& options = c->worker_.options();
  HttpRequest& r = c->request_;
  c->headers_done_ = true;
  r.method = llhttp_method_name(static_cast<llhttp_method_t>(parser->method));
  if (c->peer_trusted_) {
    r.remote_address =
        options.trusted_proxies.ClientOf(c->peer_address_, r.Header("x-forwarded-for"));
    if (int refused = c->CheckRefusedInput(); refused != 0) return refused;
  }
  r.http_major = parser->http_major;
  r.http_minor = parser->http_minor;
  size_t question = r.target.find('?');
  if (question == std::string::npos) {
    r.path = r.target;
  } else {
    r.path.assign(r.target, 0, question);
    r.query.assign(r.target, question + 1);
  }

  bool has_length = (parser->flags & F_CONTENT_LENGTH) != 0;
  bool chunked = (parser->flags & F_CHUNKED) != 0;
  if (has_length && parser->content_length > options.max_body_bytes) {
    // Refused before reading the body (and without 100 Continue, so a client that waits
    // for it never sends the body).
    return c->Fail(
        413, "request body exceeds the " + std::to_string(options.max_body_bytes) + "-byte limit");
  }
  bool body_follows = chunked || (has_length && parser->content_length > 0);
  if (has_length && parser->content_length > 0) {
    r.body.reserve(static_cast<size_t>(parser->content_length));
  }
  if (body_follows) {
    if (parser->http_major == 1 && parser->http_minor >= 1 &&
        core::EqualsCi(r.Header("expect"), "100-continue")) {
      c->out_.append(kContinue);  // flushed after this parse, before we wait for the body
    }
    c->SetDeadline(options.body_timeout);
  }
  return 0;
}

int HttpConnection::OnBody(llhttp_t* parser, const char* at, size_t length) {
  HttpConnection* c = Self(parser);
  size_t limit = c->worker_.options().max_body_bytes;
  if (c->request_.body.size() + length > limit) {
    return c->Fail(413, "request body exceeds the " + std::to_string(limit) + "-byte limit");
  }
  c->request_.body.append(at, length);
  return 0;
}

int HttpConnection::OnMessageComplete(llhttp_t* parser) {
  HttpConnection* c = Self(parser);
  c->HandleRequest();
  size_t max_pipelined = std::max<size_t>(1, c->worker_.options().max_pipelined);
  if (c->closing_ || c->streaming_ || c->deferred_ || c->queued_responses_ >= max_pipelined ||
      c->out_.size() + c->queued_bytes_ >= kMaxQueuedResponseBytes) {
    return HPE_PAUSED;
  }
  return 0;
}

}  // namespace scimd::net
