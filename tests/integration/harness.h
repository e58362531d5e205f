// Integration test harness: a temporary data directory, scimctl runs, a real scimd process
// on an ephemeral 127.0.0.1 port, and a small blocking HTTP/1.1 client.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace scimd::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs argv (no shell), capturing stdout and stderr; bounded by `timeout_s`.
CommandResult RunCommand(const std::vector<std::string>& argv, int timeout_s = 60);

std::string ScimdBin();
// A whole file's text ("" when it cannot be read).
std::string ReadAll(const std::string& path);
// The port a server wrote to `path` (--port-file, --admin-port-file), waiting up to about
// 5 s for it; 0 if none came.
int WaitForPortFile(const std::string& path);
// Whether `text` appears in the file within about 5 s (a log written off the request path).
bool WaitForText(const std::string& path, const std::string& text);
std::string ScimctlBin();

// The first "id" string of a JSON answer (a created resource's), empty if none.
std::string IdOf(const std::string& body);
// `body` with `127.0.0.1:<port>` written as 127.0.0.1:PORT: two servers' answers compared
// without their own addresses (meta.location).
std::string Unport(std::string body, int port);

// Creates a tenant in `data_dir` and returns a new token for it.
std::string CreateTenantWithToken(const std::string& data_dir, const std::string& tenant);

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool chunked = false;
  std::string Header(const std::string& lower) const {
    auto it = headers.find(lower);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpClient {
 public:
  // `source`: the local IPv4 address to connect from (any of 127.0.0.0/8), so that a test
  // can be a second client; empty: 127.0.0.1.
  explicit HttpClient(int port, std::string source = "");
  ~HttpClient();
  // Sends one request and reads its response. Adds Host and Content-Length. Reconnects
  // when the server closed the connection.
  HttpResult Send(const std::string& method, const std::string& target,
                  const std::string& body = "",
                  const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Writes raw bytes and reads one response (for malformed-input tests).
  HttpResult SendRaw(const std::string& bytes);
  bool Connected() const { return fd_ >= 0; }

 private:
  bool Connect();
  std::optional<HttpResult> ReadResponse(bool head_request);
  int port_;
  std::string source_;
  int fd_ = -1;
  std::string buffer_;
};

class ScimdProcess {
 public:
  // Starts scimd on 127.0.0.1:0 with `data_dir` and extra flags; waits for its port.
  ScimdProcess(const std::string& data_dir, std::vector<std::string> extra_args = {});
  ~ScimdProcess();  // SIGTERM, then SIGKILL after a grace period
  int port() const { return port_; }
  int pid() const { return pid_; }
  // Sends SIGTERM and waits; returns the exit status (or -1).
  int Stop();
  // Waits (up to `timeout`) for the server to exit by itself, e.g. after a SIGTERM the test
  // sent; returns its exit status, or -1 (then it is killed).
  int WaitExit(std::chrono::seconds timeout = std::chrono::seconds(20));
  void Kill9();
  std::string Output() const;  // what the server printed so far (stdout + stderr)

 private:
  int pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

}  // namespace scimd::testing
