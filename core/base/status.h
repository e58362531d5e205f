// Status and Result<T>: how every fallible call on the request path reports failure
// (no exceptions there). A Status is either OK or a Code plus a human-readable detail
// that is safe to send to the client (never put a token or password in it).
// One table (StatusHttp in status.cc) maps each Code to an HTTP status and scimType.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace scimd::core {

class [[nodiscard]] Status {
 public:
  // The kinds of failure. Codes are not persisted; order carries no meaning.
  enum class Code : uint8_t {
    kOk,
    kInvalidSyntax,         // 400 invalidSyntax: body or request not parseable / wrong shape
    kInvalidValue,          // 400 invalidValue: a value of the wrong type or out of range
    kInvalidFilter,         // 400 invalidFilter
    kInvalidPath,           // 400 invalidPath
    kNoTarget,              // 400 noTarget
    kMutability,            // 400 mutability
    kTooMany,               // 400 tooMany
    kBadRequest,            // 400 without a scimType (e.g. bad query parameter)
    kUnauthorized,          // 401
    kForbidden,             // 403
    kNotFound,              // 404
    kMethodNotAllowed,      // 405
    kUniqueness,            // 409 uniqueness
    kPreconditionFailed,    // 412
    kNotModified,           // 304 (If-None-Match matched)
    kPayloadTooLarge,       // 413
    kUnsupportedMediaType,  // 415
    kTooManyRequests,       // 429
    kNotImplemented,        // 501
    kBusy,                  // internal: a transaction lost a lock race; the caller retries
    kUnavailable,           // 503: the store takes no writes now (disk full, read-only)
    kCorruption,            // 500: stored data could not be decoded
    kIoError,               // 500: the store failed
    kInternal,              // 500: a bug
  };

  Status() = default;  // OK
  Status(Code code, std::string detail) : code_(code), detail_(std::move(detail)) {}

  static Status Ok() { return Status(); }
  static Status InvalidSyntax(std::string d) { return {Code::kInvalidSyntax, std::move(d)}; }
  static Status InvalidValue(std::string d) { return {Code::kInvalidValue, std::move(d)}; }
  static Status InvalidFilter(std::string d) { return {Code::kInvalidFilter, std::move(d)}; }
  static Status InvalidPath(std::string d) { return {Code::kInvalidPath, std::move(d)}; }
  static Status NoTarget(std::string d) { return {Code::kNoTarget, std::move(d)}; }
  static Status Mutability(std::string d) { return {Code::kMutability, std::move(d)}; }
  static Status BadRequest(std::string d) { return {Code::kBadRequest, std::move(d)}; }
  static Status Unauthorized(std::string d) { return {Code::kUnauthorized, std::move(d)}; }
  static Status Forbidden(std::string d) { return {Code::kForbidden, std::move(d)}; }
  static Status NotFound(std::string d) { return {Code::kNotFound, std::move(d)}; }
  static Status Uniqueness(std::string d) { return {Code::kUniqueness, std::move(d)}; }
  static Status PreconditionFailed(std::string d) {
    return {Code::kPreconditionFailed, std::move(d)};
  }
  static Status PayloadTooLarge(std::string d) { return {Code::kPayloadTooLarge, std::move(d)}; }
  static Status NotImplemented(std::string d) { return {Code::kNotImplemented, std::move(d)}; }
  // Busy says when to retry: Retry-After: 1 if it reaches a client (503).
  static Status Busy(std::string d) { return Status(Code::kBusy, std::move(d)).RetryAfter(1); }
  // Busy for longer: the client is told to retry after `retry_after_s`.
  static Status BusyFor(std::string d, int64_t retry_after_s) {
    return Status(Code::kBusy, std::move(d)).RetryAfter(retry_after_s);
  }
  static Status TooManyRequests(std::string d, int64_t retry_after_s) {
    return Status(Code::kTooManyRequests, std::move(d)).RetryAfter(retry_after_s);
  }
  // The store cannot write now (its disk is full or read-only): 503 with Retry-After. Not
  // retried inside the server, unlike Busy; reads go on.
  static Status Unavailable(std::string d, int64_t retry_after_s) {
    return Status(Code::kUnavailable, std::move(d)).RetryAfter(retry_after_s);
  }
  static Status Corruption(std::string d) { return {Code::kCorruption, std::move(d)}; }
  static Status IoError(std::string d) { return {Code::kIoError, std::move(d)}; }
  static Status Internal(std::string d) { return {Code::kInternal, std::move(d)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& detail() const { return detail_; }
  bool Is(Code c) const { return code_ == c; }
  // Seconds a client should wait before trying again (HTTP Retry-After); 0: not said.
  int64_t retry_after() const { return retry_after_s_; }

  // "invalidValue: detail" style text for logs and tests.
  std::string ToString() const;

 private:
  Status RetryAfter(int64_t seconds) && {
    retry_after_s_ = seconds;
    return std::move(*this);
  }

  Code code_ = Code::kOk;
  std::string detail_;
  int64_t retry_after_s_ = 0;
};

// The HTTP face of a Status: the one table that maps codes to statuses and scimTypes.
struct StatusHttp {
  int http_status;             // e.g. 400
  std::string_view scim_type;  // empty when RFC 7644 §3.12 defines none for this case
};
StatusHttp ToHttp(Status::Code code);
std::string_view CodeName(Status::Code code);

// Result<T>: a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace scimd::core

// Propagate a non-OK Status from an expression returning Status.
#define SCIMD_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::scimd::core::Status scimd_status_ = (expr);  \
    if (!scimd_status_.ok()) return scimd_status_; \
  } while (0)

#define SCIMD_CONCAT_INNER_(a, b) a##b
#define SCIMD_CONCAT_(a, b) SCIMD_CONCAT_INNER_(a, b)
// Assign the value of a Result<T> expression to `lhs`, or return its Status.
#define SCIMD_ASSIGN_OR_RETURN(lhs, expr) \
  SCIMD_ASSIGN_OR_RETURN_IMPL_(SCIMD_CONCAT_(scimd_result_, __LINE__), lhs, expr)
#define SCIMD_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
