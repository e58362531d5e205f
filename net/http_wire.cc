#include "net/http_wire.h"

#include <charconv>
#include <cstdio>

#include "core/base/json.h"
#include "core/base/strings.h"
#include "core/scim/scim_error.h"

namespace scimd::net {
namespace {

// True if a comma-separated Connection value lists "close".
bool ListsClose(std::string_view value) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view token = value.substr(0, comma);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
      token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (core::EqualsCi(token, "close")) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

void AppendDecimal(std::string& out, size_t value) {
  char buf[24];
  auto result = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, result.ptr);
}

size_t FormatChunkSize(size_t value, char* buf) {
  auto result = std::to_chars(buf, buf + 17, value, 16);
  result.ptr[0] = '\r';
  result.ptr[1] = '\n';
  return static_cast<size_t>(result.ptr + 2 - buf);
}

std::string ScimErrorBody(int status, std::string_view detail) {
  return core::ScimErrorBody(status, "", detail);
}

std::string ScimErrorResponse(int status, std::string_view detail, std::string_view date,
                              bool close) {
  std::string body = ScimErrorBody(status, detail);
  std::string out = "HTTP/1.1 ";
  AppendDecimal(out, static_cast<size_t>(status));
  out += ' ';
  out += ReasonPhrase(status);
  out += "\r\nContent-Type: ";
  out += core::kScimMediaType;
  out += "\r\nDate: ";
  out += date;
  out += "\r\nContent-Length: ";
  AppendDecimal(out, body.size());
  out += close ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n";
  out += body;
  return out;
}

ResponseHead AppendResponseHead(std::string& out, const HttpResponse& response, bool keep_alive,
                                bool http10, std::string_view date) {
  int status = response.status;
  if (status < 100 || status > 999) status = 500;
  ResponseHead head{BodyFraming::kContentLength, keep_alive};
  if (status < 200 || status == 204 || status == 304) {
    head.framing = BodyFraming::kNone;
  } else if (response.stream) {
    head.framing = http10 ? BodyFraming::kUntilClose : BodyFraming::kChunked;
  }

  out.append("HTTP/1.1 ");
  AppendDecimal(out, static_cast<size_t>(status));
  out.push_back(' ');
  out.append(ReasonPhrase(status));
  out.append("\r\n");
  for (const auto& [name, value] : response.headers) {
    if (core::EqualsCi(name, "content-length") || core::EqualsCi(name, "transfer-encoding")) {
      continue;
    }
    if (core::EqualsCi(name, "connection")) {
      if (ListsClose(value)) head.keep_alive = false;
      continue;
    }
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
  }
  out.append("Date: ");
  out.append(date);
  out.append("\r\n");
  switch (head.framing) {
    case BodyFraming::kNone: break;
    case BodyFraming::kContentLength:
      out.append("Content-Length: ");
      AppendDecimal(out, response.body.size());
      out.append("\r\n");
      break;
    case BodyFraming::kChunked: out.append("Transfer-Encoding: chunked\r\n"); break;
    case BodyFraming::kUntilClose: head.keep_alive = false; break;
  }
  if (!head.keep_alive) {
    out.append("Connection: close\r\n");
  } else if (http10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  return head;
}

std::string_view DateCache::Now() {
  std::time_t now = std::time(nullptr);
  if (now != second_) {
    // Formatted by hand: strftime's %a and %b follow the locale, HTTP dates must not.
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&now, &tm);
    int n = std::snprintf(text_, sizeof(text_), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                          kDays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12],
                          tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    size_ = n > 0 ? static_cast<size_t>(n) : 0;
    second_ = now;
  }
  return {text_, size_};
}

}  // namespace scimd::net
