// Bytes on the wire for responses: reason phrases, the Date header, chunk framing and
// the SCIM error body of responses the server generates itself (400, 413, 431, 500, 503).
// Pure functions plus a per-thread Date cache; no sockets.
#pragma once

#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>

#include "net/http_types.h"

namespace scimd::net {

// "OK", "Not Found", ...; "Unknown" for codes without a registered phrase.
std::string_view ReasonPhrase(int status);

// Appends `value` in decimal / lower-case hex.
void AppendDecimal(std::string& out, size_t value);
// Writes `value` in hex followed by CRLF into `buf` (at least 20 bytes); returns the length.
size_t FormatChunkSize(size_t value, char* buf);

// The SCIM error document of RFC 7644 §3.12 without a scimType (core::ScimErrorBody), for
// the errors the server answers on its own.
std::string ScimErrorBody(int status, std::string_view detail);

// A complete response (head and SCIM error body) the server sends on its own, e.g. for
// 503 at accept time. `date` is an IMF-fixdate.
std::string ScimErrorResponse(int status, std::string_view detail, std::string_view date,
                              bool close);

// How a response body is delimited on the wire.
enum class BodyFraming {
  kNone,           // 1xx, 204, 304: no body at all
  kContentLength,  // response.body
  kChunked,        // response.stream, HTTP/1.1
  kUntilClose,     // response.stream to an HTTP/1.0 client: the close ends the body
};

struct ResponseHead {
  BodyFraming framing;
  bool keep_alive;  // false: the connection closes after this response
};

// Appends the status line and header block of `response` (the blank line included, the
// body not). Adds Date, Content-Length or Transfer-Encoding, and Connection; drops the
// handler's own framing headers and honours its "Connection: close". For a HEAD request
// call it as for GET and send no body. A status outside 100-999 (a handler bug) is sent
// as 500.
ResponseHead AppendResponseHead(std::string& out, const HttpResponse& response, bool keep_alive,
                                bool http10, std::string_view date);

// The IMF-fixdate of the current second (RFC 9110 §5.6.7), reformatted at most once a
// second. One per reactor thread; not thread-safe.
class DateCache {
 public:
  std::string_view Now();

 private:
  std::time_t second_ = -1;
  char text_[32] = {};
  size_t size_ = 0;
};

}  // namespace scimd::net
