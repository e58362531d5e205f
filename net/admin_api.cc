#include "net/admin_api.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/base/strings.h"
#include "core/filter/filter.h"
#include "core/resource/schema.h"
#include "core/tenancy/activity.h"
#include "core/tenancy/auth.h"
#include "core/tenancy/tenant_index.h"
#include "core/tenancy/tenant_settings.h"
#include "core/tenancy/tokens.h"
#include "core/usecase/reindex.h"
#include "core/usecase/tenant_admin.h"
#include "net/admin_json.h"
#include "net/console_assets.h"
#include "net/scim_target.h"

namespace scimd::net {

using core::Json;
using core::Result;
using core::Status;

namespace {

constexpr std::string_view kPrefix = "/admin/v1/";
// Writes admitted before an index was listed as building may still be running with the
// old list when the backfill starts; this wait outlasts them (a request takes milliseconds,
// a deferred group write a second or two).
constexpr auto kInFlightGrace = std::chrono::seconds(3);

int HttpStatusOf(const Status& s) {
  const int http = core::ToHttp(s.code()).http_status;
  return http == 503 ? 503 : http;
}

std::string Field(const Json& body, std::string_view key) {
  const Json* v = body.is_object() ? body.FindCi(key) : nullptr;
  return v != nullptr && v->is_string() ? v->as_string() : "";
}

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    if (slash != 0) out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// Each token with its "state" at `now` (expired, expires within 7 days, valid).
Json TokenList(const std::vector<core::TokenRecord>& tokens, int64_t now) {
  Json arr = Json::MakeArray();
  for (const auto& t : tokens) {
    Json j = admin::TokenJson(t);
    j.Set("state", Json::Str(std::string(core::TokenState(t, now))));
    arr.Push(std::move(j));
  }
  Json j = Json::MakeObject();
  j.Set("tokens", std::move(arr));
  return j;
}

}  // namespace

core::Result<std::string> LoadAdminTokenHash(const std::string& file) {
  std::string token;
  if (const char* env = std::getenv("SCIMD_ADMIN_TOKEN"); env != nullptr && *env != '\0') {
    token = env;
  } else if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return Status::InvalidValue("cannot read the admin token file " + file);
    token.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else {
    return Status::InvalidValue(
        "the admin API needs a token: set SCIMD_ADMIN_TOKEN or --admin-token-file");
  }
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  if (token.size() < 32) {
    return Status::InvalidValue("the admin token must be at least 32 characters");
  }
  if (token.rfind("scimd_", 0) == 0) {
    return Status::InvalidValue("the admin token must not be a SCIM token (scimd_...)");
  }
  return core::HashSecret(token);
}

namespace {
AdminTransfers::Options TransferOptions(const AdminApi::Options& options) {
  AdminTransfers::Options t;
  t.staging_dir = options.staging_dir;
  t.clock = options.clock;
  t.in_flight_grace = kInFlightGrace;
  return t;
}
}  // namespace

AdminApi::AdminApi(core::Store& store, ScimRouter& scim, Options options)
    : store_(store),
      scim_(scim),
      options_(std::move(options)),
      transfers_(store, scim.gate(), scim.activity(), TransferOptions(options_)),
      backups_(store, options_.backup_dir, *options_.clock),
      moves_(store, scim.gate(), *options_.clock) {}

AdminApi::~AdminApi() {
  WaitForBuilds();
  transfers_.WaitForImports();
}

void AdminApi::WaitForBuilds() {
  std::vector<std::thread> builds;
  {
    std::lock_guard<std::mutex> lock(builds_mu_);
    builds.swap(builds_);
  }
  for (auto& t : builds) t.join();
}

void AdminApi::Handle(const HttpRequest& request, HttpResponse& response) {
  auto answer = [](HttpResponse& out, int status, std::string body,
                   std::string content_type = "application/json") {
    out.status = status;
    out.body = std::move(body);
    out.SetHeader("Content-Type", std::move(content_type));
    out.SetHeader("Cache-Control", "no-store");
  };
  if (request.path == "/healthz" || request.path == "/readyz") return Probe(request, response);
  if (request.path == "/console" || request.path.rfind("/console/", 0) == 0) {
    return Console(request, response);
  }
  // The admin token, in constant time; nothing else (a SCIM token is not one).
  const std::string_view secret = core::BearerSecret(request.Header("authorization"));
  if (secret.empty() || !core::SecretMatches(secret, options_.token_hash)) {
    answer(response, 401, admin::ErrorJson(401, "the admin API needs the admin token"));
    response.SetHeader("WWW-Authenticate", "Bearer realm=\"scimd-admin\"");
    return;
  }
  if (request.path == "/metrics") {
    if (request.method != "GET" && request.method != "HEAD") {
      answer(response, 405, admin::ErrorJson(405, "/metrics answers GET and HEAD"));
      response.SetHeader("Allow", "GET, HEAD");
      return;
    }
    response.deferred = [this, answer](HttpResponse& out) {
      answer(out, 200, Metrics(), std::string(kPrometheusContentType));
    };
    return;
  }
  if (request.path == "/admin/v1/cluster") {
    if (!options_.replica_status) {
      return answer(response, 404,
                    admin::ErrorJson(404, "this node is not a member of a replica group"));
    }
    if (request.method != "GET") {
      answer(response, 405, admin::ErrorJson(405, "/admin/v1/cluster answers GET"));
      response.SetHeader("Allow", "GET");
      return;
    }
    return answer(response, 200, options_.replica_status());
  }
  if (options_.not_leader) {
    if (std::string why = options_.not_leader(); !why.empty()) {
      answer(response, 503, admin::ErrorJson(503, why));
      response.SetHeader("Retry-After", "1");
      return;
    }
  }
  response.deferred = [this, &request, answer](HttpResponse& out) {
    Answer a = Route(request);
    answer(out, a.status, std::move(a.body), std::move(a.content_type));
    for (auto& [name, value] : a.headers) out.SetHeader(name, std::move(value));
    out.stream = std::move(a.stream);
  };
}

void AdminApi::Upkeep() {
  const int64_t minute = options_.clock->NowMicros() / 60'000'000;
  if (sampled_minute_.exchange(minute) == minute) return;
  moves_.Expire();
  auto tenants = store_.ListTenants();
  if (!tenants.ok()) return;
  std::vector<std::pair<core::TenantId, core::TenantStats>> now;
  now.reserve(tenants->size());
  for (const auto& t : *tenants) now.emplace_back(t.id, scim_.counters().Get(t.id));
  history_.Sample(minute, now);
}

void AdminApi::Console(const HttpRequest& request, HttpResponse& response) {
  response.SetHeader("Cache-Control", "no-cache");
  response.SetHeader("X-Content-Type-Options", "nosniff");
  response.SetHeader("Referrer-Policy", "no-referrer");
  if (request.method != "GET" && request.method != "HEAD") {
    response.status = 405;
    response.SetHeader("Allow", "GET, HEAD");
    response.SetHeader("Content-Type", "application/json");
    response.body = admin::ErrorJson(405, "the console's files answer GET and HEAD");
    return;
  }
  if (request.path == "/console") {
    response.status = 308;
    response.SetHeader("Location", "/console/");
    return;
  }
  const std::string_view name = std::string_view(request.path).substr(std::strlen("/console/"));
  const ConsoleFile* file = FindConsoleFile(name);
  if (file == nullptr) {
    response.status = 404;
    response.SetHeader("Content-Type", "application/json");
    response.body = admin::ErrorJson(404, "no such console file");
    return;
  }
  response.SetHeader("Content-Type", std::string(ConsoleContentType(name)));
  // Its own files only: no inline script or style, no other origin, never in a frame.
  response.SetHeader("Content-Security-Policy",
                     "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' "
                     "data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
                     "frame-ancestors 'none'");
  response.SetHeader("X-Frame-Options", "DENY");
  response.body = std::string(file->body);
}

void AdminApi::Probe(const HttpRequest& request, HttpResponse& response) {
  response.SetHeader("Content-Type", "application/json");
  response.SetHeader("Cache-Control", "no-store");
  if (request.method != "GET" && request.method != "HEAD") {
    response.status = 405;
    response.SetHeader("Allow", "GET, HEAD");
    response.body = admin::ErrorJson(405, "a probe answers GET and HEAD");
    return;
  }
  if (request.path == "/healthz") {
    response.body = R"({"status":"alive"})";
    return;
  }
  // A write to the store may wait (a stall, a slow disk): off the reactor.
  response.deferred = [this](HttpResponse& out) {
    out.SetHeader("Content-Type", "application/json");
    out.SetHeader("Cache-Control", "no-store");
    Json j = Json::MakeObject();
    const std::string not_leader = options_.not_leader ? options_.not_leader() : "";
    if (options_.stopping && options_.stopping()) {
      out.status = 503;
      j.Set("status", Json::Str("stopping"));
    } else if (!not_leader.empty()) {
      out.status = 503;  // a follower takes no writes (and must write no probe)
      j.Set("status", Json::Str("not leader"));
      j.Set("detail", Json::Str(not_leader));
    } else if (Status s = store_.ProbeWrite(); !s.ok()) {
      out.status = 503;
      j.Set("status", Json::Str("not ready"));
      j.Set("detail", Json::Str(s.detail()));
      if (s.retry_after() > 0) out.SetHeader("Retry-After", std::to_string(s.retry_after()));
    } else {
      j.Set("status", Json::Str("ready"));
    }
    out.body = j.Serialize();
  };
}

AdminApi::Answer AdminApi::Route(const HttpRequest& request) {
  auto error = [](const Status& s) {
    const int http = HttpStatusOf(s);
    return Answer{http, admin::ErrorJson(http, s.detail())};
  };
  auto ok = [](int status, const Json& j) { return Answer{status, j.Serialize()}; };
  const std::string path = PercentDecode(request.path, false);
  if (path.rfind(kPrefix, 0) != 0) return error(Status::NotFound("no such admin endpoint"));
  const std::vector<std::string_view> seg = Segments(std::string_view(path).substr(kPrefix.size()));
  const std::string& m = request.method;
  auto reply = [](AdminTransfers::Reply r) {
    Answer a(r.status, std::move(r.body));
    a.stream = std::move(r.stream);
    a.content_type = std::move(r.content_type);
    a.headers = std::move(r.headers);
    return a;
  };
  // Backups: checkpoints of the whole store, their files streamed.
  if (!seg.empty() && seg[0] == "backups") {
    return reply(backups_.Handle(std::vector<std::string_view>(seg.begin() + 1, seg.end()), m));
  }
  // A tenant's move: binary pages, not JSON.
  if (!seg.empty() && seg[0] == "arrivals") {
    return reply(moves_.Arrivals(std::vector<std::string_view>(seg.begin() + 1, seg.end()), m,
                                 request.body));
  }
  if (seg.size() >= 3 && seg[0] == "tenants" && seg[2] == "moves") {
    auto found = store_.FindTenant(seg[1]);
    if (!found.ok()) return error(found.status());
    if (!*found) return error(Status::NotFound("no tenant named \"" + std::string(seg[1]) + "\""));
    if (seg.size() == 3 && (transfers_.Importing((*found)->id) || builds_running_.load() > 0)) {
      return error(Status::Uniqueness("an import or an index build is running: move after it"));
    }
    const QueryParams query = ParseQuery(request.query);
    return reply(moves_.Moves(**found, std::vector<std::string_view>(seg.begin() + 3, seg.end()), m,
                              query.Get("cursor"), query.Get("since")));
  }
  // Imports and exports: their bodies are files, not JSON.
  if (seg.size() >= 3 && seg[0] == "tenants" && (seg[2] == "imports" || seg[2] == "export")) {
    auto found = store_.FindTenant(seg[1]);
    if (!found.ok()) return error(found.status());
    if (!*found) return error(Status::NotFound("no tenant named \"" + std::string(seg[1]) + "\""));
    const QueryParams query = ParseQuery(request.query);
    AdminTransfers::Reply r;
    if (seg[2] == "export" && seg.size() == 3 && m == "GET") {
      r = transfers_.Export(**found, query.Get("resource"));
    } else if (seg[2] == "imports") {
      // An import's files bypass the engine's log, which a move's catch-up reads.
      if (m != "GET" && moves_.Moving((*found)->id)) {
        return error(Status::Uniqueness("the tenant is moving to another server"));
      }
      const std::vector<std::string_view> rest(seg.begin() + 3, seg.end());
      r = transfers_.Imports(**found, rest, m, query.Get("offset"), request.body);
    } else {
      return error(Status(Status::Code::kMethodNotAllowed, "GET"));
    }
    return reply(std::move(r));
  }
  Json body = Json::MakeObject();
  if (!request.body.empty()) {
    auto parsed = Json::Parse(request.body);
    if (!parsed.ok()) return error(parsed.status());
    body = std::move(parsed).value();
  }
  const QueryParams query = ParseQuery(request.query);
  const int64_t now_us = options_.clock->NowMicros();
  const int64_t now = now_us / 1'000'000;
  auto changed = [&] {  // an admin change applies to the next SCIM request, on every thread
    scim_.gate().InvalidateSettings();
    (void)scim_.gate().RefreshDirectory();
  };

  if (seg.size() == 1 && seg[0] == "server" && m == "GET") {  // for the console
    Json j = Json::MakeObject();
    j.Set("scimUrl", Json::Str(options_.scim_url));
    j.Set("now", Json::Int(now));
    return ok(200, j);
  }
  if (seg.size() == 1 && seg[0] == "store" && m == "GET") {  // the engine's backlog
    auto stats = store_.EngineStats();
    if (!stats.ok()) return error(stats.status());
    return ok(200, admin::EngineStatsJson(*stats));
  }
  if (seg.empty() || seg[0] != "tenants") return error(Status::NotFound("no such admin endpoint"));
  if (seg.size() == 1) {
    if (m == "GET") {
      auto all = store_.ListTenants();
      if (!all.ok()) return error(all.status());
      const bool details = query.Get("details") == "1" || query.Get("details") == "true";
      const int64_t hour_ago = now / 60 - 60;
      Json arr = Json::MakeArray();
      for (const auto& t : *all) {
        Json tj = admin::TenantJson(t);
        if (details) {  // what the console's list shows: counts and the last hour
          auto users = store_.CountResources(t.id, core::ResourceType::kUser);
          auto groups = store_.CountResources(t.id, core::ResourceType::kGroup);
          if (!users.ok()) return error(users.status());
          if (!groups.ok()) return error(groups.status());
          tj.Set("users", Json::Int(static_cast<int64_t>(*users)));
          tj.Set("groups", Json::Int(static_cast<int64_t>(*groups)));
          uint64_t requests = 0, errors = 0;
          for (const MinuteCounts& mc : history_.Since(t.id, hour_ago)) {
            requests += mc.ok + mc.client_errors + mc.server_errors;
            errors += mc.client_errors + mc.server_errors;
          }
          Json hour = Json::MakeObject();
          hour.Set("requests", Json::Int(static_cast<int64_t>(requests)));
          hour.Set("errors", Json::Int(static_cast<int64_t>(errors)));
          tj.Set("lastHour", std::move(hour));
        }
        arr.Push(std::move(tj));
      }
      Json j = Json::MakeObject();
      j.Set("tenants", std::move(arr));
      return ok(200, j);
    }
    if (m == "POST") {
      auto t = core::CreateTenant(store_, Field(body, "name"));
      if (!t.ok()) return error(t.status());
      changed();
      return ok(201, admin::TenantJson(*t));
    }
    return error(Status(Status::Code::kMethodNotAllowed, "GET or POST"));
  }

  auto found = store_.FindTenant(seg[1]);
  if (!found.ok()) return error(found.status());
  if (!*found) return error(Status::NotFound("no tenant named \"" + std::string(seg[1]) + "\""));
  const core::TenantRecord tenant = **found;
  const std::string_view what = seg.size() > 2 ? seg[2] : "";
  // While it moves, what the move would not carry (an index build's late entries, the
  // delete itself) waits; once fenced, every change does (settings and tokens went along).
  if (m != "GET" && ((seg.size() == 2 || what == "indexes") ? moves_.Moving(tenant.id)
                                                            : moves_.Fenced(tenant.id))) {
    return error(Status::Uniqueness("the tenant is moving to another server"));
  }

  if (seg.size() == 2) {
    if (m == "GET") {
      // Its activity count includes what the SCIM side queued and has not written yet.
      if (auto flushed = scim_.activity().Flush(store_); !flushed.ok()) {
        return error(flushed.status());
      }
      auto info = core::ShowTenant(store_, tenant.id);
      if (!info.ok()) return error(info.status());
      return ok(200, admin::TenantInfoJson(*info));
    }
    if (m == "DELETE") {
      if (transfers_.Importing(tenant.id)) {  // its rows would land after the delete
        return error(Status::Uniqueness("an import of this tenant is running: delete it after"));
      }
      // Fenced: a request admitted just before cannot write into it afterwards.
      auto deleted = moves_.DeleteTenant(tenant.id);
      if (!deleted.ok()) return error(deleted.status());
      changed();
      Json j = Json::MakeObject();
      j.Set("deleted", Json::Str(tenant.name));
      return ok(200, j);
    }
    return error(Status(Status::Code::kMethodNotAllowed, "GET or DELETE"));
  }
  if (what == "settings" && seg.size() == 3 && (m == "PATCH" || m == "PUT")) {
    if (!body.is_object()) return error(Status::InvalidValue("settings are a JSON object"));
    core::SettingChanges changes;
    for (const auto& [k, v] : body.as_object()) {
      if (!v.is_string()) return error(Status::InvalidValue("setting " + k + " must be a string"));
      changes.emplace_back(k, v.as_string());
    }
    // All of them or none.
    if (Status s = core::SetTenantSettings(store_, tenant.id, changes); !s.ok()) return error(s);
    changed();
    auto t = store_.GetTenant(tenant.id);
    if (!t.ok() || !*t) return error(t.ok() ? Status::NotFound("tenant gone") : t.status());
    return ok(200, admin::TenantJson(**t));
  }
  if (what == "copy-config" && seg.size() == 3 && m == "POST") {
    auto from = store_.FindTenant(Field(body, "from"));
    if (!from.ok()) return error(from.status());
    if (!*from) return error(Status::NotFound("no tenant named \"" + Field(body, "from") + "\""));
    auto changes = core::CopyTenantConfig(store_, (*from)->id, tenant.id);
    if (!changes.ok()) return error(changes.status());
    changed();
    Json arr = Json::MakeArray();
    for (const auto& c : *changes) arr.Push(Json::Str(c));
    Json j = Json::MakeObject();
    j.Set("changes", std::move(arr));
    return ok(200, j);
  }
  if (what == "purge" && seg.size() == 3 && m == "POST") {
    const std::string older = Field(body, "olderThan").empty() ? "0s" : Field(body, "olderThan");
    auto age = core::ParseDurationSeconds(older);
    if (!age.ok()) return error(age.status());
    auto settings = core::TenantSettings::FromMap(tenant.settings);
    if (!settings.ok()) return error(settings.status());
    core::RequestContext ctx;
    ctx.tenant = tenant.id;
    ctx.settings = *settings;
    ctx.clock = options_.clock;
    auto purged = core::PurgeInactiveUsers(store_, ctx, now - *age);
    if (!purged.ok()) return error(purged.status());
    Json j = Json::MakeObject();
    j.Set("examined", Json::Int(static_cast<int64_t>(purged->examined)));
    j.Set("purged", Json::Int(static_cast<int64_t>(purged->purged)));
    return ok(200, j);
  }
  if (what == "tokens") {
    if (seg.size() == 3 && m == "GET") {
      auto tokens = core::ListTenantTokens(store_, tenant.id);
      if (!tokens.ok()) return error(tokens.status());
      // What the server noted in memory and has not written yet.
      for (auto& t : *tokens) {
        t.last_used_unix = std::max(t.last_used_unix, scim_.gate().usage().LastSeen(t.token_id));
      }
      return ok(200, TokenList(*tokens, options_.clock->NowMicros() / 1000000));
    }
    if (seg.size() == 3 && m == "POST") {
      core::TokenOptions options;
      if (!Field(body, "scope").empty()) {
        auto scope = core::ParseScope(Field(body, "scope"));
        if (!scope.ok()) return error(scope.status());
        options.scope = *scope;
      }
      options.description = Field(body, "description");
      if (!Field(body, "expires").empty()) {
        auto lifetime = core::ParseDurationSeconds(Field(body, "expires"));
        if (!lifetime.ok()) return error(lifetime.status());
        options.lifetime = *lifetime;
      }
      auto issued = core::IssueToken(store_, tenant.id, options, now);
      if (!issued.ok()) return error(issued.status());
      return ok(201, admin::IssuedJson(*issued));
    }
    if (seg.size() == 4 && seg[3] == "rotate" && m == "POST") {
      const std::string grace = Field(body, "grace").empty() ? "30d" : Field(body, "grace");
      auto grace_s = core::ParseDurationSeconds(grace);
      if (!grace_s.ok()) return error(grace_s.status());
      auto r = core::RotateToken(store_, tenant.id, Field(body, "tokenId"), *grace_s, now);
      if (!r.ok()) return error(r.status());
      scim_.gate().InvalidateTokens();  // the old token's new expiry applies at once
      Json j = admin::IssuedJson(r->fresh);
      j.Set("old", admin::TokenJson(r->old));
      return ok(200, j);
    }
    if (seg.size() == 4 && m == "DELETE") {
      const Status revoked = core::RevokeToken(store_, tenant.id, seg[3]);
      scim_.gate().InvalidateTokens();  // refused from the next request on, on every thread
      if (!revoked.ok()) return error(revoked);
      Json j = Json::MakeObject();
      j.Set("revoked", Json::Str(std::string(seg[3])));
      return ok(200, j);
    }
    return error(Status::NotFound("no such token endpoint"));
  }
  if (what == "indexes") {
    if (seg.size() == 3 && m == "GET") {
      auto indexes = core::ListTenantIndexes(tenant);
      if (!indexes.ok()) return error(indexes.status());
      Json arr = Json::MakeArray();
      for (const auto& index : *indexes) arr.Push(admin::IndexedJson(index));
      Json j = Json::MakeObject();
      j.Set("indexes", std::move(arr));
      return ok(200, j);
    }
    if (seg.size() == 3 && m == "POST") return StartIndexBuild(tenant, body);
    if (seg.size() == 5 && m == "DELETE") {
      auto type = core::SchemaRegistry::Default().FindEndpoint(seg[3]);
      if (!type) return error(Status::NotFound("Users or Groups, not " + std::string(seg[3])));
      core::ReindexStats stats;
      // Unlisted first (and the caches told): no plan uses the entries being deleted.
      Status s = core::DropTenantIndex(store_, tenant.id, *type, seg[4], &stats);
      changed();
      if (!s.ok()) return error(s);
      Json j = Json::MakeObject();
      j.Set("removed", Json::Int(static_cast<int64_t>(stats.stale_removed)));
      return ok(200, j);
    }
    return error(Status::NotFound("no such index endpoint"));
  }
  if (what == "activity" && seg.size() == 3 && m == "GET") {
    core::ActivityQuery q;
    if (!query.Get("since").empty()) {
      auto window = core::ParseDurationSeconds(query.Get("since"));
      if (!window.ok()) return error(window.status());
      q.since_us = now_us - *window * 1'000'000;
    }
    q.resource_id = std::string(query.Get("resource"));
    q.failed_only = query.Get("failed") == "1" || query.Get("failed") == "true";
    if (!query.Get("limit").empty())
      q.limit = std::strtoul(std::string(query.Get("limit")).c_str(), nullptr, 10);
    if (!query.Get("before").empty()) {
      q.before = std::strtoull(std::string(query.Get("before")).c_str(), nullptr, 10);
    }
    // What the SCIM side queued and has not written yet belongs in the answer.
    if (auto flushed = scim_.activity().Flush(store_); !flushed.ok())
      return error(flushed.status());
    auto entries = core::ReadActivity(store_, tenant.id, q);
    if (!entries.ok()) return error(entries.status());
    std::string out = "{\"entries\":[";
    for (size_t i = 0; i < entries->size(); ++i) {
      if (i > 0) out.push_back(',');
      out += core::ActivityEntryJson((*entries)[i]);
    }
    out += "],\"next\":";
    const size_t limit = std::clamp<size_t>(q.limit, 1, core::kMaxActivityPage);
    out += entries->size() == limit ? std::to_string(entries->back().sequence) : "null";
    out += "}";
    return Answer{200, std::move(out)};
  }
  if (what == "history" && seg.size() == 3 && m == "GET") {
    Json arr = Json::MakeArray();
    for (const MinuteCounts& mc : history_.Since(tenant.id, now / 60 - kHistoryMinutes)) {
      Json e = Json::MakeObject();
      e.Set("minute", Json::Int(mc.minute));
      e.Set("ok", Json::Int(static_cast<int64_t>(mc.ok)));
      e.Set("clientErrors", Json::Int(static_cast<int64_t>(mc.client_errors)));
      e.Set("serverErrors", Json::Int(static_cast<int64_t>(mc.server_errors)));
      arr.Push(std::move(e));
    }
    Json j = Json::MakeObject();
    j.Set("minutes", std::move(arr));
    return ok(200, j);
  }
  if (what == "stats" && seg.size() == 3 && m == "GET") {
    return ok(200, admin::StatsJson(scim_.counters().Get(tenant.id)));
  }
  if (what == "explain" && seg.size() == 3 && m == "POST") {
    auto type = core::SchemaRegistry::Default().FindEndpoint(Field(body, "resource"));
    if (!type) return error(Status::InvalidValue("\"resource\" is Users or Groups"));
    auto indexed = core::TenantIndexed(store_, tenant.id);
    if (!indexed.ok()) return error(indexed.status());
    auto r = core::ExplainFilter(store_, tenant.id, *type, Field(body, "filter"), **indexed);
    if (!r.ok()) return error(r.status());
    Json j = Json::MakeObject();
    j.Set("plan", Json::Str(r->plan));
    j.Set("candidates", Json::Int(static_cast<int64_t>(r->candidates)));
    j.Set("rowsExamined", Json::Int(static_cast<int64_t>(r->rows_examined)));
    j.Set("matches", Json::Int(static_cast<int64_t>(r->matches)));
    return ok(200, j);
  }
  if (what == "reindex" && seg.size() == 3 && m == "POST") {
    core::ReindexStats stats;
    if (Status s = core::Reindex(store_, tenant.id, &stats); !s.ok()) return error(s);
    Json j = Json::MakeObject();
    j.Set("resources", Json::Int(static_cast<int64_t>(stats.resources)));
    j.Set("entriesWritten", Json::Int(static_cast<int64_t>(stats.entries_written)));
    j.Set("staleRemoved", Json::Int(static_cast<int64_t>(stats.stale_removed)));
    return ok(200, j);
  }
  return error(Status::NotFound("no such admin endpoint"));
}

AdminApi::Answer AdminApi::StartIndexBuild(const core::TenantRecord& tenant, const Json& body) {
  auto type = core::SchemaRegistry::Default().FindEndpoint(Field(body, "resource"));
  if (!type) {
    return Answer{400, admin::ErrorJson(400, "\"resource\" is Users or Groups")};
  }
  auto ia = core::BeginTenantIndex(store_, tenant.id, *type, Field(body, "attribute"));
  if (!ia.ok()) {
    const int http = HttpStatusOf(ia.status());
    return Answer{http, admin::ErrorJson(http, ia.status().detail())};
  }
  scim_.gate().InvalidateSettings();  // writes keep the new entries from the next request on
  const core::TenantId tenant_id = tenant.id;
  const core::IndexedAttr attr = *ia;
  ++builds_running_;
  std::lock_guard<std::mutex> lock(builds_mu_);
  builds_.emplace_back([this, tenant_id, attr] {
    std::this_thread::sleep_for(kInFlightGrace);
    core::ReindexStats stats;
    Status s = core::BackfillTenantIndex(store_, tenant_id, attr, &stats);
    if (s.ok()) s = core::FinishTenantIndex(store_, tenant_id, attr);
    if (!s.ok()) (void)core::AbandonTenantIndex(store_, tenant_id, attr);
    scim_.gate().InvalidateSettings();  // plans use it (or forget it) from now on
    --builds_running_;
  });
  return Answer{202, admin::IndexedJson({attr, "building"}).Serialize()};
}

}  // namespace scimd::net
