#include "net/admin_transfer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "core/scim/export.h"
#include "core/scim/import_reader.h"
#include "core/tenancy/tenant_settings.h"

namespace scimd::net {

using core::Json;
using core::Status;

namespace {

// Export pieces: as the SCIM side streams a large group (64 KiB between other requests).
constexpr size_t kExportPieceBytes = size_t{64} << 10;

AdminTransfers::Reply JsonReply(int status, const Json& j) { return {status, j.Serialize()}; }

AdminTransfers::Reply ErrorReply(const Status& s) {
  const int http = core::ToHttp(s.code()).http_status;
  return {http, admin::ErrorJson(http, s.detail())};
}

// 409: what the request asks does not fit the import's state.
Status Conflict(std::string detail) { return Status::Uniqueness(std::move(detail)); }

bool Finished(const admin::ImportState& s) { return s.state == "done" || s.state == "failed"; }

// Removes a file and keeps going: an upload left behind is removed at the next start.
void RemoveFile(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

// Appends `bytes` to the file at `path` at `offset`, all of them or an error.
Status WriteAt(const std::string& path, uint64_t offset, std::string_view bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("cannot open the upload: " + std::string(strerror(errno)));
  Status result;
  while (!bytes.empty()) {
    const ssize_t n = pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      result = Status::IoError("cannot store the upload: " +
                               std::string(n < 0 ? strerror(errno) : "nothing written"));
      break;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  close(fd);
  return result;
}

}  // namespace

AdminTransfers::AdminTransfers(core::Store& store, core::Gate& gate, core::ActivityLog& activity,
                               Options options)
    : store_(store), gate_(gate), activity_(activity), options_(std::move(options)) {
  if (options_.staging_dir.empty()) return;  // imports are off
  // Uploads of an earlier run cannot be resumed (their sessions are gone): start clean.
  std::error_code ec;
  std::filesystem::remove_all(options_.staging_dir, ec);
  std::filesystem::create_directories(options_.staging_dir, ec);
}

AdminTransfers::~AdminTransfers() {
  WaitForImports();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, s] : sessions_) RemoveFile(s->path);
}

void AdminTransfers::WaitForImports() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

bool AdminTransfers::Importing(core::TenantId tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, s] : sessions_) {
    if (s->tenant != tenant) continue;
    std::lock_guard<std::mutex> session_lock(s->mu);
    if (s->state.state != "uploading" && !Finished(s->state)) return true;
  }
  return false;
}

std::vector<AdminTransfers::Progress> AdminTransfers::Imports() {
  std::vector<Progress> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, s] : sessions_) {
    std::lock_guard<std::mutex> session_lock(s->mu);
    out.push_back(Progress{s->tenant, id, s->state.state, s->state.uploaded, s->state.read,
                           s->state.summary.records, s->state.summary.rejected});
  }
  return out;
}

void AdminTransfers::ExpireIdleUploads() {
  const int64_t now = options_.clock->NowMicros();
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    bool idle = false;
    {
      std::lock_guard<std::mutex> session_lock(it->second->mu);
      idle = it->second->state.state == "uploading" &&
             now - it->second->touched_us > kUploadIdleExpiryMicros;
    }
    if (!idle) {
      ++it;
      continue;
    }
    RemoveFile(it->second->path);
    it = sessions_.erase(it);  // a request holding it still has its shared_ptr
  }
}

std::shared_ptr<AdminTransfers::Session> AdminTransfers::Find(const core::TenantRecord& tenant,
                                                              std::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end() || it->second->tenant != tenant.id) return nullptr;
  return it->second;
}

AdminTransfers::Reply AdminTransfers::Imports(const core::TenantRecord& tenant,
                                              const std::vector<std::string_view>& rest,
                                              std::string_view method, std::string_view offset,
                                              std::string_view raw) {
  if (options_.staging_dir.empty()) {
    return ErrorReply(Status::NotImplemented("this server has no staging directory for imports"));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ExpireIdleUploads();
  }
  if (rest.empty()) {
    if (method == "GET") {  // this tenant's uploads and imports, oldest first
      Json arr = Json::MakeArray();
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [id, s] : sessions_) {
        if (s->tenant != tenant.id) continue;
        std::lock_guard<std::mutex> session_lock(s->mu);
        arr.Push(admin::ImportStateJson(s->state));
      }
      Json j = Json::MakeObject();
      j.Set("imports", std::move(arr));
      return JsonReply(200, j);
    }
    if (method != "POST") {
      return ErrorReply(Status(Status::Code::kMethodNotAllowed, "GET or POST"));
    }
    std::lock_guard<std::mutex> lock(mu_);
    // Finished sessions are kept for their state until there are too many.
    for (auto it = sessions_.begin();
         sessions_.size() >= kMaxImportSessions && it != sessions_.end();) {
      std::lock_guard<std::mutex> session_lock(it->second->mu);
      it = Finished(it->second->state) ? sessions_.erase(it) : std::next(it);
    }
    if (sessions_.size() >= kMaxImportSessions) {
      return ErrorReply(
          Status::BusyFor(std::to_string(kMaxImportSessions) +
                              " uploads are open: start or DELETE one before opening another",
                          core::kHeldWritesRetryAfterSeconds));
    }
    char id[24];
    std::snprintf(id, sizeof(id), "imp%012llu", static_cast<unsigned long long>(++next_id_));
    auto s = std::make_shared<Session>();
    s->tenant = tenant.id;
    s->path = options_.staging_dir + "/" + id + ".upload";
    s->state.id = id;
    s->state.state = "uploading";
    s->touched_us = options_.clock->NowMicros();
    const int fd = open(s->path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      return ErrorReply(
          Status::IoError("cannot create the upload file: " + std::string(strerror(errno))));
    }
    close(fd);
    sessions_.emplace(id, s);
    return JsonReply(201, admin::ImportStateJson(s->state));
  }

  std::shared_ptr<Session> s = Find(tenant, rest[0]);
  if (s == nullptr) {
    return ErrorReply(
        Status::NotFound("no import \"" + std::string(rest[0]) + "\" of tenant " + tenant.name));
  }
  if (rest.size() == 1 && method == "GET") {
    std::lock_guard<std::mutex> lock(s->mu);
    return JsonReply(200, admin::ImportStateJson(s->state));
  }
  if (rest.size() == 1 && method == "DELETE") {
    {
      std::lock_guard<std::mutex> lock(s->mu);
      if (s->state.state != "uploading" && !Finished(s->state)) {
        return ErrorReply(Conflict("the import is running; it cannot be stopped halfway"));
      }
    }
    RemoveFile(s->path);
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.erase(s->state.id);
    Json j = Json::MakeObject();
    j.Set("deleted", Json::Str(s->state.id));
    return JsonReply(200, j);
  }
  if (rest.size() == 2 && rest[1] == "data" && method == "PUT") {
    uint64_t at = 0;
    const auto parsed = std::from_chars(offset.data(), offset.data() + offset.size(), at);
    if (offset.empty() || parsed.ec != std::errc() || parsed.ptr != offset.data() + offset.size()) {
      return ErrorReply(Status::InvalidValue("PUT .../data needs ?offset=N, the bytes so far"));
    }
    if (raw.size() > kImportPieceBytes) {
      return ErrorReply(
          Status(Status::Code::kPayloadTooLarge,
                 "a piece is at most " + std::to_string(kImportPieceBytes) + " bytes"));
    }
    std::lock_guard<std::mutex> lock(s->mu);
    if (s->state.state != "uploading") {
      return ErrorReply(Conflict("the import has started: its file cannot change"));
    }
    if (at != s->state.uploaded) {  // a piece lost or sent twice: the client resumes from here
      return ErrorReply(Conflict("the upload has " + std::to_string(s->state.uploaded) +
                                 " bytes: send ?offset=" + std::to_string(s->state.uploaded)));
    }
    if (Status w = WriteAt(s->path, at, raw); !w.ok()) return ErrorReply(w);
    s->state.uploaded += raw.size();
    s->touched_us = options_.clock->NowMicros();
    return JsonReply(200, admin::ImportStateJson(s->state));
  }
  if (rest.size() == 2 && rest[1] == "start" && method == "POST") {
    Json body = Json::MakeObject();
    if (!raw.empty()) {
      auto parsed = Json::Parse(raw);
      if (!parsed.ok()) return ErrorReply(parsed.status());
      body = std::move(parsed).value();
    }
    return Start(s, body);
  }
  return ErrorReply(Status::NotFound("no such admin endpoint"));
}

AdminTransfers::Reply AdminTransfers::Start(const std::shared_ptr<Session>& s, const Json& body) {
  uint64_t max_errors = 0;
  if (const Json* m = body.is_object() ? body.FindCi("maxErrors") : nullptr; m != nullptr) {
    if (!m->is_int() || m->as_int() < 0) {
      return ErrorReply(Status::InvalidValue("\"maxErrors\" is a number >= 0"));
    }
    max_errors = static_cast<uint64_t>(m->as_int());
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, other] : sessions_) {  // one import of a tenant at a time
    if (other == s || other->tenant != s->tenant) continue;
    std::lock_guard<std::mutex> other_lock(other->mu);
    if (other->state.state == "waiting" || other->state.state == "running" ||
        other->state.state == "writing") {
      return ErrorReply(Conflict("import " + id + " of this tenant is running"));
    }
  }
  std::lock_guard<std::mutex> session_lock(s->mu);
  if (s->state.state != "uploading") return ErrorReply(Conflict("the import has started already"));
  s->state.state = "waiting";
  // Held before the answer: a write sent after the 202 is refused, never raced.
  gate_.HoldWrites(s->tenant);
  running_.fetch_add(1);
  threads_.emplace_back([this, s, max_errors] { Run(s, max_errors); });
  return JsonReply(202, admin::ImportStateJson(s->state));
}

void AdminTransfers::Run(std::shared_ptr<Session> s, uint64_t max_errors) {
  const core::TenantId tenant = s->tenant;
  const int64_t started = options_.clock->NowMicros();
  // Start took the hold. Writes admitted before the hold end first: the import checks against what
  // they wrote.
  std::this_thread::sleep_for(options_.in_flight_grace);
  core::Result<core::ImportSummary> result = [&]() -> core::Result<core::ImportSummary> {
    SCIMD_ASSIGN_OR_RETURN(std::optional<core::TenantRecord> record, store_.GetTenant(tenant));
    if (!record) return Status::NotFound("the tenant was deleted");
    SCIMD_ASSIGN_OR_RETURN(core::TenantSettings settings,
                           core::TenantSettings::FromMap(record->settings));
    const int fd = open(s->path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::IoError("cannot read the upload: " + std::string(strerror(errno)));
    {
      std::lock_guard<std::mutex> lock(s->mu);
      s->state.state = "running";
    }
    uint64_t consumed = 0;
    core::ImportOptions options;
    options.max_errors = max_errors;
    options.clock = options_.clock;
    auto r = core::RunImport(store_, tenant, settings, options, core::FileSource(fd, &consumed),
                             [&](const core::ImportSummary& so_far, bool writing) {
                               std::lock_guard<std::mutex> lock(s->mu);
                               s->state.read = consumed;
                               s->state.summary = so_far;
                               s->state.state = writing ? "writing" : "running";
                             });
    close(fd);
    return r;
  }();
  gate_.ReleaseWrites(tenant);
  activity_.Record(tenant, core::ImportActivityEntry(result, "upload " + s->state.id, started,
                                                     options_.clock->NowMicros()));
  RemoveFile(s->path);
  {
    std::lock_guard<std::mutex> lock(s->mu);
    if (result.ok()) {
      s->state.summary = std::move(result).value();
      s->state.read = s->state.uploaded;
      s->state.state = "done";
    } else {
      s->state.error = result.status().detail();
      s->state.error_status = core::ToHttp(result.status().code()).http_status;
      s->state.state = "failed";
    }
  }
  running_.fetch_sub(1);
}

AdminTransfers::Reply AdminTransfers::Export(const core::TenantRecord& tenant,
                                             std::string_view resource) {
  core::ExportOptions options;
  if (resource == "Users") {
    options.groups = false;
  } else if (resource == "Groups") {
    options.users = false;
  } else if (!resource.empty()) {
    return ErrorReply(Status::InvalidValue("?resource= is Users or Groups"));
  }
  auto stream =
      std::make_shared<core::ExportStream>(store_.View(tenant.id), options, kExportPieceBytes);
  Reply reply;
  reply.content_type = "application/x-ndjson";
  reply.stream = [stream](std::string& out) {
    if (stream->Next(out)) return true;
    // The head said 200: cutting the connection is how the client learns it is cut short.
    if (!stream->status().ok()) throw std::runtime_error(stream->status().detail());
    return false;
  };
  return reply;
}

}  // namespace scimd::net
