#include "net/access_log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "core/base/json.h"

namespace scimd::net {

std::FILE* LogFileSink::Stream() const {
  if (path_ == "-") return stdout;
  if (path_ == "stderr") return stderr;
  return nullptr;
}

void LogFileSink::Open() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (Stream() == nullptr) file_.open(path_, /*truncate=*/false);
}

void LogFileSink::Reopen() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (Stream() == nullptr) file_.reopen(/*truncate=*/false);
}

void LogFileSink::WriteLines(std::string_view lines) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (std::FILE* stream = Stream()) {
    std::fwrite(lines.data(), 1, lines.size(), stream);
    std::fflush(stream);
    return;
  }
  spdlog::memory_buf_t buffer;
  buffer.append(lines.data(), lines.data() + lines.size());
  file_.write(buffer);
  file_.flush();
}

void LogFileSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t line;
  if (std::FILE* stream = Stream()) {
    formatter_->format(msg, line);
    std::fwrite(line.data(), 1, line.size(), stream);
    return;
  }
  formatter_->format(msg, line);
  file_.write(line);
}

void LogFileSink::flush_() {
  if (std::FILE* stream = Stream()) {
    std::fflush(stream);
  } else {
    file_.flush();
  }
}

core::Result<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& path) {
  std::unique_ptr<AccessLog> log(new AccessLog());
  log->sink_ = std::make_shared<LogFileSink>(path);
  try {
    log->sink_->Open();
  } catch (const spdlog::spdlog_ex& e) {
    return core::Status::InvalidValue("cannot open the access log " + path + ": " + e.what());
  }
  return log;
}

AccessLog::~AccessLog() { Flush(); }

void AccessLog::Flush() {
  std::string lines;
  {
    std::lock_guard<std::mutex> lock(mu_);
    lines.swap(pending_);
  }
  if (lines.empty()) return;
  try {
    sink_->WriteLines(lines);
  } catch (const spdlog::spdlog_ex&) {
    // A full disk: these lines are lost, the next flush tries again.
  }
}

core::Status AccessLog::Reopen() {
  Flush();  // the lines so far belong to the old file
  try {
    sink_->Reopen();
  } catch (const spdlog::spdlog_ex& e) {
    return core::Status::IoError(std::string("cannot reopen the access log: ") + e.what());
  }
  return core::Status::Ok();
}

std::string AccessLog::Format(std::string_view listener, const HttpRequest& request,
                              const HttpResponse& response, int64_t bytes, int64_t now_unix_us,
                              int64_t duration_us) {
  std::string line;
  line.reserve(320);
  // RFC 3339 UTC with milliseconds.
  const time_t seconds = static_cast<time_t>(now_unix_us / 1000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char time_text[96];
  std::snprintf(time_text, sizeof(time_text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(now_unix_us / 1000 % 1000));
  line += "{\"time\":\"";
  line += time_text;
  line += "\",\"listener\":";
  core::AppendJsonString(line, listener);
  line += ",\"requestId\":";
  core::AppendJsonString(line, request.request_id);
  line += ",\"client\":";
  core::AppendJsonString(line, request.remote_address);
  if (!response.log_tenant.empty()) {
    line += ",\"tenant\":";
    core::AppendJsonString(line, response.log_tenant);
  }
  if (!response.log_token.empty()) {
    line += ",\"token\":";
    core::AppendJsonString(line, response.log_token);
  }
  line += ",\"method\":";
  core::AppendJsonString(line, request.method);
  line += ",\"path\":";
  core::AppendJsonString(line, request.path);
  if (!request.query.empty()) {
    // The parameters' names only: "filter&count".
    std::string names;
    std::string_view query = request.query;
    while (!query.empty()) {
      const size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      std::string_view name = pair.substr(0, pair.find('='));
      if (!name.empty()) {
        if (!names.empty()) names += '&';
        names.append(name.substr(0, 64));
      }
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
    line += ",\"query\":";
    core::AppendJsonString(line, names);
  }
  line += ",\"status\":" + std::to_string(response.status);
  line += ",\"bytes\":" + std::to_string(bytes);
  char duration[32];
  std::snprintf(duration, sizeof(duration), "%.3f", static_cast<double>(duration_us) / 1000.0);
  line += ",\"durationMs\":";
  line += duration;
  line += '}';
  return line;
}

void AccessLog::Write(std::string_view listener, const HttpRequest& request,
                      const HttpResponse& response, int64_t bytes) {
  const auto now = std::chrono::system_clock::now();
  const int64_t now_us =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const int64_t duration_us = request.started.time_since_epoch().count() == 0
                                  ? 0
                                  : std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now() - request.started)
                                        .count();
  const std::string line = Format(listener, request, response, bytes, now_us, duration_us);
  std::lock_guard<std::mutex> lock(mu_);
  if (pending_.size() + line.size() + 1 > kAccessLogBuffer) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  pending_ += line;
  pending_ += '\n';
}

}  // namespace scimd::net
