// AccessLog: one JSON line per answered request (issue #21, docs/OPERATIONS.md): time,
// listener, request id, client, tenant, token id, method, path, the query's parameter names
// (never their values: a filter carries user names and e-mail addresses), status, bytes
// and duration. The reactor formats the line and hands it to spdlog's asynchronous logger
// (Debian's libspdlog-dev); a thread of its own writes it. The reactor never waits: when the
// writer falls behind by kAccessLogQueue lines, the oldest unwritten ones are dropped and
// counted. Reopen() starts a new file at the same path (after a rotation, on SIGHUP).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "net/http_types.h"

namespace spdlog {
class logger;
namespace details {
class thread_pool;
}
}  // namespace spdlog

namespace scimd::net {

inline constexpr size_t kAccessLogQueue = 64 * 1024;

class AccessLog {
 public:
  // Appends to `path`, made if missing; "-" writes to standard output.
  static core::Result<std::unique_ptr<AccessLog>> Open(const std::string& path);
  ~AccessLog();  // writes what is queued
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // One answered request; `bytes`: the body's size, -1 when it was streamed.
  void Write(std::string_view listener, const HttpRequest& request, const HttpResponse& response,
             int64_t bytes);
  // Hands what was written so far to the file (the writer thread does it).
  void Flush();
  // Closes the file and opens the same path again (a new file after a rotation).
  core::Status Reopen();
  // Lines dropped because the writer fell behind.
  uint64_t dropped() const;

  // The line Write would log, without the trailing newline (for tests).
  static std::string Format(std::string_view listener, const HttpRequest& request,
                            const HttpResponse& response, int64_t bytes, int64_t now_unix_us,
                            int64_t duration_us);

 private:
  class Sink;
  AccessLog() = default;
  std::shared_ptr<Sink> sink_;
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace scimd::net
