// scimctl --server: the admin API of a running scimd over HTTP (tools/admin_http.h:
// libcurl, Debian's libcurl4-openssl-dev, the client library made for the job, https
// included), its JSON read back with net/admin_json.h, the codec the server writes with.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/base/json.h"
#include "net/admin_transfer.h"
#include "tools/admin_backend.h"
#include "tools/admin_http.h"
#include "tools/import_input.h"

namespace scimd::tools {

namespace {

using core::Json;
using core::Status;
namespace admin = net::admin;

// How often an import's progress is asked for while it runs.
constexpr auto kImportPollInterval = std::chrono::milliseconds(200);

// Counts an export's users, groups and members as its NDJSON goes by, without parsing it:
// scimd renders each resource on one line with "meta":{"resourceType":"Group"...} and
// each member as {"value":...}.
class ExportCounter {
 public:
  void Add(std::string_view piece) {
    summary_.bytes += piece.size();
    while (!piece.empty()) {
      const size_t nl = piece.find('\n');
      Scan(piece.substr(0, nl));
      if (nl == std::string_view::npos) break;
      EndLine();
      piece.remove_prefix(nl + 1);
    }
  }
  bool complete() const { return carry_.empty() && !in_line_; }
  const core::ExportSummary& summary() const { return summary_; }

 private:
  static constexpr std::string_view kGroup = "\"resourceType\":\"Group\"";
  static constexpr std::string_view kValue = "\"value\":";
  static size_t Count(std::string_view text, std::string_view what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1))
      ++n;
    return n;
  }
  // A part of the current line: matches across the parts are found in carry_ + part.
  void Scan(std::string_view part) {
    if (part.empty()) return;
    in_line_ = true;
    window_.assign(carry_).append(part);
    group_ = group_ || window_.find(kGroup) != std::string::npos;
    values_ += Count(window_, kValue) - Count(carry_, kValue);
    const size_t keep = std::max(kGroup.size(), kValue.size()) - 1;
    carry_ = window_.size() > keep ? window_.substr(window_.size() - keep) : window_;
  }
  void EndLine() {
    if (in_line_) {
      if (group_) {
        ++summary_.groups;
        summary_.members += values_;
      } else {
        ++summary_.users;
      }
    }
    in_line_ = group_ = false;
    values_ = 0;
    carry_.clear();
  }

  core::ExportSummary summary_;
  std::string carry_, window_;
  bool in_line_ = false, group_ = false;
  uint64_t values_ = 0;
};

class RemoteBackend final : public AdminBackend {
 public:
  RemoteBackend(std::string url, std::string token, std::string ca_file)
      : http_(std::move(url), std::move(token), std::move(ca_file)) {}

  Result<core::TenantRecord> TenantCreate(std::string_view name) override {
    Json body = Json::MakeObject();
    body.Set("name", Json::Str(std::string(name)));
    SCIMD_ASSIGN_OR_RETURN(Json j, Call("POST", "/tenants", &body));
    return admin::TenantFrom(j);
  }
  Result<std::vector<core::TenantRecord>> TenantList() override {
    SCIMD_ASSIGN_OR_RETURN(Json j, Call("GET", "/tenants", nullptr));
    return ListOf<core::TenantRecord>(j, "tenants", admin::TenantFrom);
  }
  Result<core::TenantInfo> TenantShow(std::string_view name) override {
    SCIMD_ASSIGN_OR_RETURN(Json j, Call("GET", Tenant(name), nullptr));
    return admin::TenantInfoFrom(j);
  }
  Status TenantSet(std::string_view name, const core::SettingChanges& changes) override {
    Json body = Json::MakeObject();
    for (const auto& [key, value] : changes) body.Set(key, Json::Str(value));
    return Call("PATCH", Tenant(name) + "/settings", &body).status();
  }
  Result<std::vector<std::string>> TenantCopyConfig(std::string_view from,
                                                    std::string_view to) override {
    Json body = Json::MakeObject();
    body.Set("from", Json::Str(std::string(from)));
    SCIMD_ASSIGN_OR_RETURN(Json j, Call("POST", Tenant(to) + "/copy-config", &body));
    std::vector<std::string> out;
    for (const Json& c : Items(j, "changes")) {
      if (c.is_string()) out.push_back(c.as_string());
    }
    return out;
  }
  Result<core::PurgeStats> TenantPurge(std::string_view name, std::string_view older) override {
    Json body = Json::MakeObject();
    body.Set("olderThan", Json::Str(std::string(older)));
    SCIMD_ASSIGN_OR_RETURN(Json j, Call("POST", Tenant(name) + "/purge", &body));
    core::PurgeStats s;
    s.examined = static_cast<uint64_t>(Int(j, "examined"));
    s.purged = static_cast<uint64_t>(Int(j, "purged"));
    return s;
  }
  Status TenantDelete(std::string_view name) override {
    return Call("DELETE", Tenant(name), nullptr).status();
  }

  Result<core::IssuedToken> TokenIssue(std::string_view name, std::string_view scope,
                                       std::string_view description,
                                       std::string_view expires) override {
    Json body = Json::MakeObject();
    body.Set("scope", Json::Str(std::string(scope)));
    body.Set("description", Json::Str(std::string(description)));
    if (!expires.empty()) body.Set("expires", Json::Str(std::string(expires)));
    SCIMD_ASSIGN_OR_RETURN(Json j, Call("POST", Tenant(name) + "/tokens", &body));
    return admin::IssuedFrom(j);
  }
  Result<std::vector<core::TokenRecord>> TokenList(std::string_view name) override {
    SCIMD_ASSIGN_OR_RETURN(Json j, Call("GET", Tenant(name) + "/tokens", nullptr));
    return ListOf<core::TokenRecord>(j, "tokens", admin::TokenFrom);
  }
  Status TokenRevoke(std::string_view name, std::string_view token_id) override {
    return Call("DELETE", Tenant(name) + "/tokens/" + std::string(token_id), nullptr).status();
  }
  Result<core::Rotation> TokenRotate(std::string_view name, std::string_view token_id,
                                     std::string_view grace) override {
    Json body = Json::MakeObject();
    if (!token_id.empty()) body.Set("tokenId", Json::Str(std::string(token_id)));
    body.Set("grace", Json::Str(std::string(grace)));
    SCIMD_ASSIGN_OR_RETURN(Json j, Call("POST", Tenant(name) + "/tokens/rotate", &body));
    core::Rotation r;
    SCIMD_ASSIGN_OR_RETURN(r.fresh, admin::IssuedFrom(j));
    const Json* old = j.Find("old");
    if (old == nullptr) return Status::IoError("the admin API's rotation names no old token");
    SCIMD_ASSIGN_OR_RETURN(r.old, admin::TokenFrom(*old));
    return r;
  }

  Result<IndexChange> IndexAdd(std::string_view name, core::ResourceType type,
                               std::string_view path) override {
    Json body = Json::MakeObject();
    body.Set("resource", Json::Str(Endpoint(type)));
    body.Set("attribute", Json::Str(std::string(path)));
    SCIMD_ASSIGN_OR_RETURN(Json j, Call("POST", Tenant(name) + "/indexes", &body));
    SCIMD_ASSIGN_OR_RETURN(core::TenantIndexState info, admin::IndexedFrom(j));
    IndexChange change;
    change.attr = info.attr;
    change.state = info.state;
    return change;
  }
  Result<uint64_t> IndexDrop(std::string_view name, core::ResourceType type,
                             std::string_view path) override {
    SCIMD_ASSIGN_OR_RETURN(
        Json j,
        Call("DELETE", Tenant(name) + "/indexes/" + Endpoint(type) + "/" + std::string(path),
             nullptr));
    return static_cast<uint64_t>(Int(j, "removed"));
  }
  Result<std::vector<core::TenantIndexState>> IndexList(std::string_view name) override {
    SCIMD_ASSIGN_OR_RETURN(Json j, Call("GET", Tenant(name) + "/indexes", nullptr));
    return ListOf<core::TenantIndexState>(j, "indexes", admin::IndexedFrom);
  }
  Result<core::ReindexStats> Reindex(std::string_view name) override {
    SCIMD_ASSIGN_OR_RETURN(Json j, Call("POST", Tenant(name) + "/reindex", nullptr));
    core::ReindexStats s;
    s.resources = static_cast<uint64_t>(Int(j, "resources"));
    s.entries_written = static_cast<uint64_t>(Int(j, "entriesWritten"));
    s.stale_removed = static_cast<uint64_t>(Int(j, "staleRemoved"));
    return s;
  }
  Result<core::CheckReport> Check(std::string_view, bool, const core::ProblemVisitor&) override {
    return Status::NotImplemented(
        "check reads the data directory itself: stop scimd, then scimctl --data DIR check");
  }
  Result<core::FilterExplanation> Explain(std::string_view name, core::ResourceType type,
                                          std::string_view filter) override {
    Json body = Json::MakeObject();
    body.Set("resource", Json::Str(Endpoint(type)));
    body.Set("filter", Json::Str(std::string(filter)));
    SCIMD_ASSIGN_OR_RETURN(Json j, Call("POST", Tenant(name) + "/explain", &body));
    core::FilterExplanation out;
    if (const Json* p = j.Find("plan"); p != nullptr && p->is_string()) out.plan = p->as_string();
    out.candidates = static_cast<uint64_t>(Int(j, "candidates"));
    out.rows_examined = static_cast<uint64_t>(Int(j, "rowsExamined"));
    out.matches = static_cast<uint64_t>(Int(j, "matches"));
    return out;
  }

  Result<std::vector<core::ActivityEntry>> Activity(std::string_view name,
                                                    const ActivityRequest& r) override {
    std::string query = "?limit=" + std::to_string(r.limit);
    if (!r.since.empty()) query += "&since=" + Escape(r.since);
    if (!r.resource_id.empty()) query += "&resource=" + Escape(r.resource_id);
    if (r.failed_only) query += "&failed=1";
    if (r.before != 0) query += "&before=" + std::to_string(r.before);
    SCIMD_ASSIGN_OR_RETURN(Json j, Call("GET", Tenant(name) + "/activity" + query, nullptr));
    return ListOf<core::ActivityEntry>(j, "entries", admin::ActivityFrom);
  }
  Result<core::TenantStats> Stats(std::string_view name) override {
    SCIMD_ASSIGN_OR_RETURN(Json j, Call("GET", Tenant(name) + "/stats", nullptr));
    return admin::StatsFrom(j);
  }
  Result<core::StoreEngineStats> EngineStats() override {
    SCIMD_ASSIGN_OR_RETURN(Json j, Call("GET", "/store", nullptr));
    return admin::EngineStatsFrom(j);
  }

  // Uploads the file in pieces, starts the import and follows it until it ends.
  Result<core::ImportSummary> Import(std::string_view name, const ImportRequest& r) override {
    SCIMD_ASSIGN_OR_RETURN(std::unique_ptr<ImportInput> in, ImportInput::Open(r.file));
    SCIMD_ASSIGN_OR_RETURN(Json created, Call("POST", Tenant(name) + "/imports", nullptr));
    const std::string path = Tenant(name) + "/imports/" + admin::ImportStateFrom(created).id;
    Status uploaded = Upload(in->fd(), path, in->size(), r);
    in.reset();
    if (uploaded.ok()) {
      Json start = Json::MakeObject();
      start.Set("maxErrors", Json::Int(static_cast<int64_t>(r.max_errors)));
      uploaded = Call("POST", path + "/start", &start).status();
    }
    if (!uploaded.ok()) {
      (void)Call("DELETE", path, nullptr);  // the upload is of no use now
      return uploaded;
    }
    for (;;) {
      SCIMD_ASSIGN_OR_RETURN(Json j, Call("GET", path, nullptr));
      admin::ImportState state = admin::ImportStateFrom(j);
      if (state.state == "done") return std::move(state.summary);
      if (state.state == "failed") {
        Json error = Json::MakeObject();
        Json detail = Json::MakeObject();
        detail.Set("message", Json::Str(state.error));
        error.Set("error", std::move(detail));
        return admin::StatusFromError(state.error_status != 0 ? state.error_status : 500, error);
      }
      if (r.progress)
        r.progress(state.summary, state.read, state.uploaded, state.state == "writing");
      std::this_thread::sleep_for(kImportPollInterval);
    }
  }

  // The server checkpoints its store; each file is downloaded, sized and summed as it
  // comes; the checkpoint is deleted on the server whatever happens.
  Result<BackupManifest> Backup(const std::string& dir,
                                const std::function<void(uint64_t, uint64_t)>& progress) override {
    SCIMD_RETURN_IF_ERROR(PrepareBackupDir(dir));
    SCIMD_ASSIGN_OR_RETURN(Json created, Call("POST", "/backups", nullptr));
    const Json* id = created.Find("id");
    const Json* files = created.Find("files");
    const Json* when = created.Find("created");
    if (id == nullptr || !id->is_string() || files == nullptr || !files->is_array()) {
      return Status::IoError("the server's backup answer is malformed");
    }
    auto result = Download(dir, id->as_string(), *files,
                           when != nullptr && when->is_int() ? when->as_int() : 0, progress);
    (void)Call("DELETE", "/backups/" + id->as_string(), nullptr);
    return result;
  }

  Result<core::ExportSummary> Export(std::string_view name, const core::ExportOptions& options,
                                     const std::function<bool(std::string_view)>& write) override {
    std::string path = Tenant(name) + "/export";
    if (!options.users) path += "?resource=Groups";
    if (!options.groups) path += "?resource=Users";
    ExportCounter counter;
    std::string error_body;
    bool stopped = false;
    Exchange x;
    x.method = "GET";
    x.path = path;
    x.sink = [&](long status, std::string_view piece) {
      if (status != 200) {
        error_body.append(piece);
        return true;
      }
      counter.Add(piece);
      if (write(piece)) return true;
      stopped = true;
      return false;
    };
    auto status = Perform(x);
    if (stopped) return Status::IoError("the export could not be written out");
    if (!status.ok()) return status.status();
    if (*status != 200) {
      auto json = Json::Parse(error_body);
      return admin::StatusFromError(static_cast<int>(*status),
                                    json.ok() ? *json : Json::MakeObject());
    }
    if (!counter.complete()) return Status::IoError("the export ended inside a line");
    return counter.summary();
  }

 private:
  static std::string Tenant(std::string_view name) { return "/tenants/" + Escape(name); }
  static std::string Endpoint(core::ResourceType type) {
    return type == core::ResourceType::kGroup ? "Groups" : "Users";
  }
  static std::string Escape(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':') {
        out.push_back(static_cast<char>(c));
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
    return out;
  }
  static int64_t Int(const Json& j, std::string_view key) {
    const Json* v = j.is_object() ? j.Find(key) : nullptr;
    return v != nullptr && v->is_int() ? v->as_int() : 0;
  }
  static std::vector<Json> Items(const Json& j, std::string_view key) {
    const Json* v = j.is_object() ? j.Find(key) : nullptr;
    return v != nullptr && v->is_array() ? v->as_array() : std::vector<Json>();
  }
  // Every item of the array `key` of `j`, decoded by `decode`.
  template <typename T, typename Decode>
  static Result<std::vector<T>> ListOf(const Json& j, std::string_view key, Decode decode) {
    std::vector<T> out;
    for (const Json& item : Items(j, key)) {
      SCIMD_ASSIGN_OR_RETURN(T value, decode(item));
      out.push_back(std::move(value));
    }
    return out;
  }

  // One HTTP exchange with the admin API: `sink` receives the answer's body piece by piece
  // with the answer's status (false stops the transfer).
  Result<BackupManifest> Download(const std::string& dir, const std::string& id, const Json& files,
                                  int64_t created,
                                  const std::function<void(uint64_t, uint64_t)>& progress) {
    std::error_code ec;
    std::filesystem::create_directory(dir, ec);
    if (ec) return Status::IoError("cannot make " + dir + ": " + ec.message());
    BackupManifest m;
    m.created_unix = created;
    uint64_t total = 0, done = 0;
    for (const Json& f : files.as_array()) {
      const Json* bytes = f.is_object() ? f.Find("bytes") : nullptr;
      if (bytes != nullptr && bytes->is_int()) total += static_cast<uint64_t>(bytes->as_int());
    }
    for (const Json& f : files.as_array()) {
      const Json* name = f.is_object() ? f.Find("name") : nullptr;
      const Json* bytes = f.is_object() ? f.Find("bytes") : nullptr;
      if (name == nullptr || !name->is_string() || !IsBackupFileName(name->as_string()) ||
          bytes == nullptr || !bytes->is_int()) {
        return Status::IoError("the server's backup lists a malformed file");
      }
      const std::string& file = name->as_string();
      std::ofstream out(dir + "/" + file, std::ios::binary | std::ios::trunc);
      if (!out) return Status::IoError("cannot write " + dir + "/" + file);
      Sha256 sha;
      uint64_t got = 0;
      std::string error_body;
      Exchange x;
      x.method = "GET";
      x.path = "/backups/" + id + "/files/" + file;
      x.sink = [&](long status, std::string_view piece) {
        if (status != 200) {
          error_body.append(piece);
          return true;
        }
        out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
        sha.Update(piece);
        got += piece.size();
        if (progress) progress(done + got, total);
        return static_cast<bool>(out);
      };
      auto status = Perform(x);
      if (!status.ok()) return status.status();
      if (*status != 200) {
        auto json = Json::Parse(error_body);
        return admin::StatusFromError(static_cast<int>(*status),
                                      json.ok() ? *json : Json::MakeObject());
      }
      if (!out.flush()) return Status::IoError("cannot write " + dir + "/" + file);
      if (got != static_cast<uint64_t>(bytes->as_int())) {
        return Status::IoError("the server sent " + std::to_string(got) + " bytes of " + file +
                               ", not " + std::to_string(bytes->as_int()));
      }
      done += got;
      m.files.push_back(BackupFile{file, got, sha.HexDigest()});
    }
    SCIMD_RETURN_IF_ERROR(WriteManifest(dir, m));
    return m;
  }

  using Exchange = AdminHttp::Exchange;
  Result<long> Perform(Exchange& x) { return http_.Perform(x); }

  // One admin call: the answer's JSON for a 2xx, else the Status its error says.
  Result<Json> Call(const char* method, const std::string& path, const Json* body,
                    std::string_view raw = {}, bool has_raw = false) {
    const std::string payload = body != nullptr ? body->Serialize() : std::string();
    std::string answer;
    Exchange x;
    x.method = method;
    x.path = path;
    x.has_body = body != nullptr || has_raw;
    x.body = has_raw ? raw : std::string_view(payload);
    if (has_raw) x.content_type = "application/octet-stream";
    x.sink = [&](long, std::string_view piece) {
      answer.append(piece);
      return true;
    };
    SCIMD_ASSIGN_OR_RETURN(long status, Perform(x));
    auto json = answer.empty() ? Result<Json>(Json::MakeObject()) : Json::Parse(answer);
    if (!json.ok()) return Status::IoError("the admin API answered something that is not JSON");
    if (status < 200 || status >= 300)
      return admin::StatusFromError(static_cast<int>(status), *json);
    return std::move(json).value();
  }

  // The file in pieces of net::kImportPieceBytes, each at the offset the server has.
  Status Upload(int fd, const std::string& path, uint64_t total, const ImportRequest& r) {
    std::string piece(net::kImportPieceBytes, '\0');
    uint64_t offset = 0;
    for (;;) {
      size_t filled = 0;
      while (filled < piece.size()) {
        const ssize_t n = read(fd, piece.data() + filled, piece.size() - filled);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Status::IoError(std::string("cannot read the file: ") + strerror(errno));
        if (n == 0) break;
        filled += static_cast<size_t>(n);
      }
      if (filled == 0) return Status::Ok();
      const std::string at = path + "/data?offset=" + std::to_string(offset);
      SCIMD_RETURN_IF_ERROR(
          Call("PUT", at, nullptr, std::string_view(piece.data(), filled), true).status());
      offset += filled;
      if (r.progress) r.progress(core::ImportSummary(), offset, total, false);
      if (filled < piece.size()) return Status::Ok();
    }
  }

  AdminHttp http_;
};

}  // namespace

std::unique_ptr<AdminBackend> OpenRemote(std::string url, std::string admin_token,
                                         std::string ca_file) {
  return std::make_unique<RemoteBackend>(std::move(url), std::move(admin_token),
                                         std::move(ca_file));
}

}  // namespace scimd::tools
