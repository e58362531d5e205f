// scimctl --server: the admin API of a running scimd over HTTP (libcurl, Debian's
// libcurl4-openssl-dev: the client library made for the job, https included), its JSON
// read back with net/admin_json.h, the codec the server writes with.
#include <curl/curl.h>

#include <mutex>

#include "core/base/json.h"
#include "tools/admin_backend.h"

namespace scimd::tools {

namespace {

using core::Json;
using core::Status;
namespace admin = net::admin;

// An admin call takes at most this long: an index build answers at once (it runs in the
// background); a purge or a reindex of a large tenant may take minutes.
constexpr long kTimeoutSeconds = 3600;

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

class RemoteBackend final : public AdminBackend {
 public:
  RemoteBackend(std::string url, std::string token)
      : url_(std::move(url)), token_(std::move(token)) {
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
    static std::once_flag init;
    std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

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

  // Not yet: the admin API's import and export endpoints (docs/STATUS.md).
  Result<core::ImportSummary> Import(std::string_view, const ImportRequest&) override {
    return Status::NotImplemented(
        "import through the admin API is not built yet: stop scimd and use scimctl --data");
  }
  Result<core::ExportSummary> Export(std::string_view, const core::ExportOptions&,
                                     const std::function<bool(std::string_view)>&) override {
    return Status::NotImplemented(
        "export through the admin API is not built yet: stop scimd and use scimctl --data");
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

  // One admin call: the answer's JSON for a 2xx, else the Status its error says.
  Result<Json> Call(const char* method, const std::string& path, const Json* body) {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) return Status::Internal("libcurl did not start");
    const std::string url = url_ + "/admin/v1" + path;
    const std::string payload = body != nullptr ? body->Serialize() : std::string();
    const std::string auth = "Authorization: Bearer " + token_;
    curl_slist* headers = curl_slist_append(nullptr, auth.c_str());
    headers = curl_slist_append(headers, "Content-Type: application/json");
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> owned(headers, curl_slist_free_all);
    std::string answer;
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
    if (body != nullptr) {
      curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, payload.c_str());
      curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
    }
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, kTimeoutSeconds);
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    const CURLcode rc = curl_easy_perform(curl.get());
    if (rc != CURLE_OK) {
      return Status::IoError("cannot reach the admin API at " + url_ + ": " +
                             curl_easy_strerror(rc));
    }
    long status = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
    auto json = answer.empty() ? Result<Json>(Json::MakeObject()) : Json::Parse(answer);
    if (!json.ok()) return Status::IoError("the admin API answered something that is not JSON");
    if (status < 200 || status >= 300)
      return admin::StatusFromError(static_cast<int>(status), *json);
    return std::move(json).value();
  }

  std::string url_;
  std::string token_;
};

}  // namespace

std::unique_ptr<AdminBackend> OpenRemote(std::string url, std::string admin_token) {
  return std::make_unique<RemoteBackend>(std::move(url), std::move(admin_token));
}

}  // namespace scimd::tools
