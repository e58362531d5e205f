// AccessLog: one JSON line per answered request (issue #21, docs/OPERATIONS.md): time,
// listener, request id, client, tenant, token id, method, path, the query's parameter names
// (never their values: a filter carries user names and e-mail addresses), status, bytes
// and duration. The reactor formats the line and appends it to a buffer in memory (no
// system call, no thread to wake); Flush() (scimd's upkeep thread, every 200 ms) hands
// what gathered to the file in one write through a LogFileSink (spdlog's file helper).
// The reactor never waits on the disk: past kAccessLogBuffer bytes not yet written, lines
// are dropped and counted. Reopen() starts a new file at the same path (SIGHUP).
#pragma once

#include <spdlog/details/file_helper.h>
#include <spdlog/sinks/base_sink.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "net/http_types.h"

namespace scimd::net {

// An spdlog sink that appends lines to a file it can reopen at the same path (a new file
// after logrotate moved the old one; SIGHUP), or to standard output for "-" (or standard
// error for "stderr").
class LogFileSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit LogFileSink(std::string path) : path_(std::move(path)) {}
  void Open();    // throws spdlog::spdlog_ex
  void Reopen();  // throws spdlog::spdlog_ex
  // Whole lines, newlines included, written as they are (no formatting).
  void WriteLines(std::string_view lines);

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  std::FILE* Stream() const;  // stdout or stderr for "-" and "stderr", else null
  const std::string path_;
  spdlog::details::file_helper file_;
};

inline constexpr size_t kAccessLogBuffer = 64 << 20;

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
  // Writes the lines gathered so far to the file (call it periodically, off the reactors).
  void Flush();
  // Closes the file and opens the same path again (a new file after a rotation).
  core::Status Reopen();
  // Lines dropped because the buffer was full.
  uint64_t dropped() const { return dropped_.load(); }

  // The line Write would log, without the trailing newline (for tests).
  static std::string Format(std::string_view listener, const HttpRequest& request,
                            const HttpResponse& response, int64_t bytes, int64_t now_unix_us,
                            int64_t duration_us);

 private:
  AccessLog() = default;
  std::shared_ptr<LogFileSink> sink_;
  std::mutex mu_;        // guards pending_
  std::string pending_;  // lines not yet written
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace scimd::net
