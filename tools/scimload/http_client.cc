#include "tools/scimload/http_client.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

namespace scimd::scimload {
namespace {

ClientConnection* Self(llhttp_t* parser) { return static_cast<ClientConnection*>(parser->data); }

bool EqualsLower(std::string_view text, std::string_view lower) {
  return text.size() == lower.size() &&
         std::equal(text.begin(), text.end(), lower.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

}  // namespace

std::string BaseUrl::HostHeader() const {
  return port == 80 ? host : host + ":" + std::to_string(port);
}

bool ParseBaseUrl(std::string_view text, BaseUrl* url, std::string* error) {
  constexpr std::string_view kScheme = "http://";
  if (text.substr(0, 8) == "https://") {
    *error = "https is not supported: scimload speaks plain HTTP only";
    return false;
  }
  if (text.substr(0, kScheme.size()) != kScheme) {
    *error = "the URL must start with http://";
    return false;
  }
  text.remove_prefix(kScheme.size());
  const size_t slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : text.substr(slash);
  if (path.find_first_of("?#") != std::string_view::npos) {
    *error = "the base URL takes no query or fragment";
    return false;
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  url->path = std::string(path);
  url->port = 80;
  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      *error = "unclosed [ in the host";
      return false;
    }
    host = authority.substr(1, close - 1);
    authority.remove_prefix(close + 1);
  } else {
    const size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    authority = colon == std::string_view::npos ? "" : authority.substr(colon);
  }
  if (!authority.empty()) {
    if (authority.front() != ':') {
      *error = "unexpected text after the host";
      return false;
    }
    authority.remove_prefix(1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(authority.data(), authority.data() + authority.size(), port);
    if (ec != std::errc() || end != authority.data() + authority.size() || port == 0 ||
        port > 65535) {
      *error = "bad port";
      return false;
    }
    url->port = static_cast<uint16_t>(port);
  }
  if (host.empty()) {
    *error = "no host in the URL";
    return false;
  }
  url->host = std::string(host);
  return true;
}

const llhttp_settings_t ClientConnection::kSettings = [] {
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_header_field = &ClientConnection::OnHeaderField;
  settings.on_header_value = &ClientConnection::OnHeaderValue;
  settings.on_header_value_complete = &ClientConnection::OnHeaderValueComplete;
  settings.on_body = &ClientConnection::OnBody;
  settings.on_message_complete = &ClientConnection::OnMessageComplete;
  return settings;
}();

ClientConnection::ClientConnection(asio::io_context& io, asio::ip::tcp::endpoint endpoint,
                                   std::chrono::milliseconds timeout)
    : endpoint_(endpoint), timeout_(timeout), socket_(io), timer_(io) {}

ClientConnection::~ClientConnection() { Abort(); }

void ClientConnection::Abort() {
  ++generation_;
  busy_ = false;
  done_ = nullptr;
  timer_.cancel();
  CloseSocket();
}

void ClientConnection::CloseSocket() {
  asio::error_code ec;
  if (socket_.is_open()) socket_.close(ec);
  reused_ = false;
}

void ClientConnection::Send(std::string request, Done done) {
  busy_ = true;
  request_ = std::move(request);
  done_ = std::move(done);
  answer_ = HttpAnswer();
  complete_ = false;
  timed_out_ = false;
  got_bytes_ = false;
  head_bytes_ = 0;
  field_.clear();
  value_.clear();
  llhttp_init(&parser_, HTTP_RESPONSE, &kSettings);
  parser_.data = this;

  const uint64_t gen = generation_;
  timer_.expires_after(timeout_);
  timer_.async_wait([this, gen](const asio::error_code& ec) {
    if (ec || gen != generation_) return;
    timed_out_ = true;
    CloseSocket();  // the pending connect, write or read ends with an error
  });
  if (socket_.is_open()) {
    StartWrite();
    return;
  }
  ++connects_;
  socket_.async_connect(endpoint_, [this, gen](const asio::error_code& ec) {
    if (gen != generation_) return;
    if (ec) return Fail(timed_out_ ? "connect timed out" : "connect: " + ec.message());
    asio::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    StartWrite();
  });
}

void ClientConnection::StartWrite() {
  const uint64_t gen = generation_;
  asio::async_write(socket_, asio::buffer(request_),
                    [this, gen](const asio::error_code& ec, size_t) {
                      if (gen != generation_) return;
                      if (ec) return Fail(timed_out_ ? "timed out" : "write: " + ec.message());
                      StartRead();
                    });
}

void ClientConnection::StartRead() {
  const uint64_t gen = generation_;
  socket_.async_read_some(asio::buffer(buffer_), [this, gen](const asio::error_code& ec, size_t n) {
    if (gen != generation_) return;
    OnRead(ec, n);
  });
}

void ClientConnection::OnRead(const asio::error_code& ec, size_t n) {
  if (ec) {
    if (ec == asio::error::eof && got_bytes_) {
      // An answer delimited by the end of the connection.
      if (llhttp_finish(&parser_) == HPE_OK && complete_) return Finish(answer_);
    }
    if (timed_out_) return Fail("no answer within " + std::to_string(timeout_.count()) + " ms");
    return Fail(ec == asio::error::eof ? "connection closed by the server" : ec.message());
  }
  got_bytes_ = true;
  const llhttp_errno_t err = llhttp_execute(&parser_, buffer_.data(), n);
  if (err == HPE_PAUSED || (err == HPE_OK && complete_)) {
    // One answer per request: bytes after it would be a server bug; we close below
    // unless the answer was the last one in the buffer (the pause position).
    const char* pos = err == HPE_PAUSED ? llhttp_get_error_pos(&parser_) : buffer_.data() + n;
    if (pos != buffer_.data() + n) {
      answer_.error = "bytes after the answer";
      CloseSocket();
    }
    return Finish(answer_);
  }
  if (err != HPE_OK) {
    if (answer_.error.empty()) answer_.error = llhttp_get_error_reason(&parser_);
    return Fail("bad HTTP answer: " + answer_.error);
  }
  StartRead();
}

void ClientConnection::Fail(std::string error) {
  HttpAnswer failed;
  failed.answered = false;
  failed.error = std::move(error);
  failed.injected = answer_.injected;  // a drop after an injected-fault head
  failed.status = 0;
  failed.stale = reused_ && !got_bytes_ && !timed_out_;
  CloseSocket();
  Finish(failed);
}

void ClientConnection::Finish(HttpAnswer& answer) {
  ++generation_;
  timer_.cancel();
  if (answer.answered) {
    if (llhttp_should_keep_alive(&parser_) == 0) {
      CloseSocket();
    } else if (socket_.is_open()) {
      reused_ = true;
    }
  }
  busy_ = false;
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) done(answer);  // may Send again on this connection
}

int ClientConnection::OnHeaderField(llhttp_t* parser, const char* at, size_t length) {
  ClientConnection* c = Self(parser);
  c->head_bytes_ += length;
  if (c->head_bytes_ > kMaxAnswerHeadBytes) {
    c->answer_.error = "answer head over " + std::to_string(kMaxAnswerHeadBytes) + " bytes";
    return -1;
  }
  c->field_.append(at, length);
  return 0;
}

int ClientConnection::OnHeaderValue(llhttp_t* parser, const char* at, size_t length) {
  ClientConnection* c = Self(parser);
  c->head_bytes_ += length;
  if (c->head_bytes_ > kMaxAnswerHeadBytes) {
    c->answer_.error = "answer head over " + std::to_string(kMaxAnswerHeadBytes) + " bytes";
    return -1;
  }
  c->value_.append(at, length);
  return 0;
}

int ClientConnection::OnHeaderValueComplete(llhttp_t* parser) {
  ClientConnection* c = Self(parser);
  if (EqualsLower(c->field_, "x-scimd-injected-fault")) {
    c->answer_.injected = true;
  } else if (EqualsLower(c->field_, "retry-after")) {
    int64_t seconds = 0;
    const std::string& v = c->value_;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
    // An HTTP-date (the other form RFC 9110 allows) is read as "a second from now".
    c->answer_.retry_after_s = ec == std::errc() && end == v.data() + v.size() && seconds >= 0
                                   ? std::min(seconds, kMaxRetryAfterSeconds)
                                   : 1;
  }
  c->field_.clear();
  c->value_.clear();
  return 0;
}

int ClientConnection::OnBody(llhttp_t* parser, const char* at, size_t length) {
  ClientConnection* c = Self(parser);
  if (c->answer_.body.size() + length > kMaxAnswerBodyBytes) {
    c->answer_.error = "answer body over " + std::to_string(kMaxAnswerBodyBytes) + " bytes";
    return -1;
  }
  c->answer_.body.append(at, length);
  return 0;
}

int ClientConnection::OnMessageComplete(llhttp_t* parser) {
  ClientConnection* c = Self(parser);
  c->complete_ = true;
  c->answer_.answered = true;
  c->answer_.status = parser->status_code;
  return HPE_PAUSED;
}

}  // namespace scimd::scimload
