#include "net/admin_backup.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>

#include "core/base/json.h"
#include "net/admin_json.h"

namespace scimd::net {
namespace fs = std::filesystem;
using core::Json;

namespace {

constexpr size_t kPieceBytes = 64 * 1024;

AdminBackups::Reply Error(int status, const std::string& message) {
  return AdminBackups::Reply(status, admin::ErrorJson(status, message));
}

}  // namespace

AdminBackups::AdminBackups(core::Store& store, std::string dir, const core::Clock& clock)
    : store_(store), dir_(std::move(dir)), clock_(clock) {
  std::error_code ec;
  if (!dir_.empty()) {
    fs::remove_all(dir_, ec);  // what a client that went away left
    fs::create_directories(dir_, ec);
  }
}

AdminBackups::Reply AdminBackups::Handle(const std::vector<std::string_view>& rest,
                                         std::string_view method) {
  if (dir_.empty()) return Error(501, "this server has no place for backups");
  if (rest.empty()) {
    if (method == "POST") return Create();
    return Error(405, "POST makes a backup");
  }
  if (rest.size() == 1 && method == "DELETE") return Remove(rest[0]);
  if (rest.size() == 3 && rest[1] == "files" && (method == "GET" || method == "HEAD")) {
    return File(rest[0], rest[2]);
  }
  return Error(404, "no such backup endpoint");
}

AdminBackups::Reply AdminBackups::Create() {
  std::string id, path;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (backups_.size() >= kMaxBackups) {
      return Error(409, std::to_string(kMaxBackups) +
                            " backups are being taken; one must be deleted (DELETE "
                            "/admin/v1/backups/{id}) before another");
    }
    id = "b" + std::to_string(clock_.NowMicros() / 1000000) + "-" + std::to_string(++next_);
    path = dir_ + "/" + id;
    backups_[id] = path;
  }
  if (core::Status s = store_.Checkpoint(path); !s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    backups_.erase(id);
    std::error_code ec;
    fs::remove_all(path, ec);
    return Error(core::ToHttp(s.code()).http_status, s.detail());
  }
  Json files = Json::MakeArray();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    if (!entry.is_regular_file()) continue;
    Json f = Json::MakeObject();
    f.Set("name", Json::Str(entry.path().filename().string()));
    f.Set("bytes", Json::Int(static_cast<int64_t>(entry.file_size())));
    files.Push(std::move(f));
  }
  Json j = Json::MakeObject();
  j.Set("id", Json::Str(id));
  j.Set("created", Json::Int(clock_.NowMicros() / 1000000));
  j.Set("files", std::move(files));
  return Reply(201, j.Serialize());
}

AdminBackups::Reply AdminBackups::File(std::string_view id, std::string_view name) {
  std::string path;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = backups_.find(std::string(id));
    if (it == backups_.end()) return Error(404, "no backup " + std::string(id));
    path = it->second;
  }
  const std::string file(name);
  if (file.empty() || file == "." || file == ".." || file.find('/') != std::string::npos) {
    return Error(404, "no such file in the backup");
  }
  std::shared_ptr<FILE> in(std::fopen((path + "/" + file).c_str(), "rb"), [](FILE* f) {
    if (f != nullptr) std::fclose(f);
  });
  if (!in) return Error(404, "no file " + file + " in backup " + std::string(id));
  Reply r;
  r.status = 200;
  r.content_type = "application/octet-stream";
  // Pulled piece by piece on the reactor: 64 KiB reads of a file the page cache holds.
  r.stream = [in](std::string& out) {
    const size_t at = out.size();
    out.resize(at + kPieceBytes);
    const size_t n = std::fread(out.data() + at, 1, kPieceBytes, in.get());
    out.resize(at + n);
    return n == kPieceBytes;
  };
  return r;
}

AdminBackups::Reply AdminBackups::Remove(std::string_view id) {
  std::string path;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = backups_.find(std::string(id));
    if (it == backups_.end()) return Error(404, "no backup " + std::string(id));
    path = it->second;
    backups_.erase(it);
  }
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return Error(500, "cannot remove backup " + std::string(id) + ": " + ec.message());
  return Reply(204, "");
}

}  // namespace scimd::net
