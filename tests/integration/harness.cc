#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace scimd::testing {

TempDir::TempDir() {
  char tmpl[] = "/tmp/scimd-test-XXXXXX";
  const char* p = mkdtemp(tmpl);
  if (p == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = p;
}
TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {
// The tools are built next to the tests: <build>/tests/<binary> and <build>/tools/<tool>.
std::string ToolPath(const char* env, const char* name) {
  if (const char* p = std::getenv(env)) return p;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path().parent_path() / "tools" / name).string();
}
}  // namespace

std::string ScimdBin() { return ToolPath("SCIMD_BIN", "scimd"); }
std::string ScimctlBin() { return ToolPath("SCIMCTL_BIN", "scimctl"); }

namespace {
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}
}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv, int timeout_s) {
  CommandResult r;
  char out_tmpl[] = "/tmp/scimd-cmd-out-XXXXXX";
  char err_tmpl[] = "/tmp/scimd-cmd-err-XXXXXX";
  const int out_fd = mkstemp(out_tmpl);
  const int err_fd = mkstemp(err_tmpl);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  lseek(out_fd, 0, SEEK_SET);
  lseek(err_fd, 0, SEEK_SET);
  r.out = ReadAll(out_fd);
  r.err = ReadAll(err_fd);
  close(out_fd);
  close(err_fd);
  unlink(out_tmpl);
  unlink(err_tmpl);
  return r;
}

std::string CreateTenantWithToken(const std::string& data_dir, const std::string& tenant) {
  CommandResult c = RunCommand({ScimctlBin(), "--data", data_dir, "tenant", "create", tenant});
  if (c.exit_code != 0) throw std::runtime_error("tenant create failed: " + c.err);
  CommandResult t = RunCommand({ScimctlBin(), "--data", data_dir, "token", "issue", tenant});
  if (t.exit_code != 0) throw std::runtime_error("token issue failed: " + t.err);
  std::string out = t.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out.substr(out.rfind('\n') + 1);
}

// ---- HttpClient ----

HttpClient::HttpClient(int port, std::string source) : port_(port), source_(std::move(source)) {
  Connect();
}
HttpClient::~HttpClient() {
  if (fd_ >= 0) close(fd_);
}

bool HttpClient::Connect() {
  if (fd_ >= 0) close(fd_);
  buffer_.clear();
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (!source_.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, source_.c_str(), &local.sin_addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      close(fd_);
      fd_ = -1;
      return false;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd_);
    fd_ = -1;
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return true;
}

namespace {
bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}
}  // namespace

std::optional<HttpResult> HttpClient::ReadResponse(bool head_request) {
  constexpr int kTimeoutMs = 30000;
  auto fill = [&]() -> bool {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, kTimeoutMs) <= 0) return false;
    char buf[65536];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  };
  for (;;) {
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    HttpResult r;
    std::istringstream head(buffer_.substr(0, end));
    std::string line;
    std::getline(head, line);
    r.status = std::atoi(line.substr(9, 3).c_str());
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[name] = value;
    }
    buffer_.erase(0, end + 4);
    if (r.status == 100) continue;  // interim response
    if (head_request || r.status == 204 || r.status == 304) return r;
    if (r.Header("transfer-encoding") == "chunked") {
      r.chunked = true;
      for (;;) {
        size_t eol;
        while ((eol = buffer_.find("\r\n")) == std::string::npos) {
          if (!fill()) return std::nullopt;
        }
        const size_t size = std::stoul(buffer_.substr(0, eol), nullptr, 16);
        while (buffer_.size() < eol + 2 + size + 2) {
          if (!fill()) return std::nullopt;
        }
        r.body.append(buffer_, eol + 2, size);
        buffer_.erase(0, eol + 2 + size + 2);
        if (size == 0) break;
      }
      return r;
    }
    const std::string cl = r.Header("content-length");
    if (cl.empty()) {  // read to close
      while (fill()) {
      }
      r.body = std::move(buffer_);
      buffer_.clear();
      return r;
    }
    const size_t len = std::stoul(cl);
    while (buffer_.size() < len) {
      if (!fill()) return std::nullopt;
    }
    r.body = buffer_.substr(0, len);
    buffer_.erase(0, len);
    return r;
  }
}

HttpResult HttpClient::Send(const std::string& method, const std::string& target,
                            const std::string& body,
                            const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string req = method + " " + target + " HTTP/1.1\r\n";
  bool has_ct = false;
  bool has_host = false;
  for (const auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
    if (strcasecmp(k.c_str(), "content-type") == 0) has_ct = true;
    if (strcasecmp(k.c_str(), "host") == 0) has_host = true;
  }
  if (!has_host) req += "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    if (!has_ct) req += "Content-Type: application/scim+json\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (fd_ < 0 && !Connect()) break;
    if (WriteAll(fd_, req)) {
      auto r = ReadResponse(method == "HEAD");
      if (r) {
        if (r->Header("connection") == "close") {
          close(fd_);
          fd_ = -1;
        }
        return *r;
      }
    }
    close(fd_);
    fd_ = -1;
  }
  return HttpResult{};
}

HttpResult HttpClient::SendRaw(const std::string& bytes) {
  if (fd_ < 0 && !Connect()) return {};
  if (!WriteAll(fd_, bytes)) return {};
  auto r = ReadResponse(false);
  return r ? *r : HttpResult{};
}

// ---- ScimdProcess ----

ScimdProcess::ScimdProcess(const std::string& data_dir, std::vector<std::string> extra_args) {
  const std::string port_file = data_dir + ".port";
  log_path_ = data_dir + ".log";
  std::filesystem::remove(port_file);
  std::vector<std::string> argv = {ScimdBin(), "--listen", "127.0.0.1:0", "--port-file",
                                   port_file,  "--data",   data_dir};
  // Two reactor threads unless the test asks for its own number.
  if (std::find(extra_args.begin(), extra_args.end(), "--threads") == extra_args.end()) {
    argv.insert(argv.end(), {"--threads", "2"});
  }
  for (auto& a : extra_args) argv.push_back(std::move(a));
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream f(port_file);
    int port = 0;
    if (f >> port && port > 0) {
      port_ = port;
      return;
    }
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("scimd exited at start: " + Output());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("scimd did not report its port: " + Output());
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int WaitForPortFile(const std::string& path) {
  int port = 0;
  for (int i = 0; i < 100 && port == 0; ++i) {
    std::ifstream(path) >> port;
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return port;
}

bool WaitForText(const std::string& path, const std::string& text) {
  for (int i = 0; i < 100; ++i) {
    if (ReadAll(path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

int ScimdProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  return WaitExit();
}

int ScimdProcess::WaitExit(std::chrono::seconds timeout) {
  if (pid_ <= 0) return -1;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void ScimdProcess::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

ScimdProcess::~ScimdProcess() { Stop(); }

std::string ScimdProcess::Output() const {
  std::ifstream f(log_path_);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string IdOf(const std::string& body) {
  const size_t at = body.find("\"id\":\"");
  return at == std::string::npos ? "" : body.substr(at + 6, body.find('"', at + 6) - at - 6);
}

std::string Unport(std::string body, int port) {
  const std::string mine = "127.0.0.1:" + std::to_string(port);
  for (size_t at = body.find(mine); at != std::string::npos; at = body.find(mine, at)) {
    body.replace(at, mine.size(), "127.0.0.1:PORT");
  }
  return body;
}

}  // namespace scimd::testing
