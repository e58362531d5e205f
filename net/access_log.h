// AccessLog: one JSON line per answered request (issue #21, docs/OPERATIONS.md): time,
// listener, request id, client, tenant, token id, method, path, the query's parameter names
// (never their values: a filter carries user names and e-mail addresses), status, bytes
// and duration. The reactor formats the line and hands it to spdlog's asynchronous logger
// (Debian's libspdlog-dev); a thread of its own writes it. The reactor never waits: when the
// writer falls behind by kAccessLogQueue lines, the oldest unwritten ones are dropped and
// counted. Reopen() starts a new file at the same path (after a rotation, on SIGHUP).
#pragma once

#include <spdlog/details/file_helper.h>
#include <spdlog/sinks/base_sink.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
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

// An spdlog sink that appends lines to a file it can reopen at the same path (a new file
// after logrotate moved the old one; SIGHUP), or to standard output for "-" (or standard
// error for "stderr").
class LogFileSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit LogFileSink(std::string path) : path_(std::move(path)) {}
  void Open();    // throws spdlog::spdlog_ex
  void Reopen();  // throws spdlog::spdlog_ex

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  std::FILE* Stream() const;  // stdout or stderr for "-" and "stderr", else null
  const std::string path_;
  spdlog::details::file_helper file_;
};

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
  AccessLog() = default;
  std::shared_ptr<LogFileSink> sink_;
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace scimd::net
