#include "net/admin_json.h"

#include "core/base/clock.h"
#include "core/filter/filter_datetime.h"

namespace scimd::net::admin {

using core::Json;
using core::Result;
using core::Status;

namespace {

std::string Text(const Json& j, std::string_view key) {
  const Json* v = j.is_object() ? j.Find(key) : nullptr;
  return v != nullptr && v->is_string() ? v->as_string() : "";
}

int64_t Int(const Json& j, std::string_view key) {
  const Json* v = j.is_object() ? j.Find(key) : nullptr;
  return v != nullptr && v->is_int() ? v->as_int() : 0;
}

Status Malformed(std::string_view what) {
  return Status::IoError("the admin API answered a malformed " + std::string(what));
}

}  // namespace

Json TimeJson(int64_t unix_seconds) {
  if (unix_seconds == 0) return Json();
  std::string text = core::FormatDateTime(unix_seconds * 1'000'000);  // ...T08:00:00.000Z
  if (text.size() > 5 && text.compare(text.size() - 5, 5, ".000Z") == 0) {
    text.replace(text.size() - 5, 5, "Z");
  }
  return Json::Str(std::move(text));
}

int64_t TimeFrom(const Json* v) {
  if (v == nullptr || !v->is_string()) return 0;
  auto micros = core::ParseDateTimeMicros(v->as_string());
  return micros ? *micros / 1'000'000 : 0;
}

Json TenantJson(const core::TenantRecord& t) {
  Json j = Json::MakeObject();
  j.Set("id", Json::Int(t.id));
  j.Set("name", Json::Str(t.name));
  j.Set("created", TimeJson(t.created_unix));
  Json settings = Json::MakeObject();
  for (const auto& [k, v] : t.settings) settings.Set(k, Json::Str(v));
  j.Set("settings", std::move(settings));
  return j;
}

Result<core::TenantRecord> TenantFrom(const Json& j) {
  if (!j.is_object() || j.Find("name") == nullptr) return Malformed("tenant");
  core::TenantRecord t;
  t.id = static_cast<core::TenantId>(Int(j, "id"));
  t.name = Text(j, "name");
  t.created_unix = TimeFrom(j.Find("created"));
  if (const Json* s = j.Find("settings"); s != nullptr && s->is_object()) {
    for (const auto& [k, v] : s->as_object()) {
      if (v.is_string()) t.settings.emplace(k, v.as_string());
    }
  }
  return t;
}

Json TenantInfoJson(const core::TenantInfo& info) {
  Json j = TenantJson(info.record);
  j.Set("users", Json::Int(static_cast<int64_t>(info.users)));
  j.Set("groups", Json::Int(static_cast<int64_t>(info.groups)));
  j.Set("tokens", Json::Int(static_cast<int64_t>(info.tokens)));
  j.Set("activity", Json::Int(static_cast<int64_t>(info.activity)));
  return j;
}

Result<core::TenantInfo> TenantInfoFrom(const Json& j) {
  core::TenantInfo info;
  SCIMD_ASSIGN_OR_RETURN(info.record, TenantFrom(j));
  info.users = static_cast<uint64_t>(Int(j, "users"));
  info.groups = static_cast<uint64_t>(Int(j, "groups"));
  info.tokens = static_cast<uint64_t>(Int(j, "tokens"));
  info.activity = static_cast<uint64_t>(Int(j, "activity"));
  return info;
}

Json TokenJson(const core::TokenRecord& t) {
  Json j = Json::MakeObject();
  j.Set("id", Json::Str(t.token_id));
  j.Set("scope", Json::Str(std::string(core::ScopeName(t.scope))));
  j.Set("description", Json::Str(t.description));
  j.Set("created", TimeJson(t.created_unix));
  j.Set("lastUsed", TimeJson(t.last_used_unix));
  j.Set("expires", TimeJson(t.expires_unix));
  return j;
}

Result<core::TokenRecord> TokenFrom(const Json& j) {
  if (!j.is_object() || Text(j, "id").empty()) return Malformed("token");
  core::TokenRecord t;
  t.token_id = Text(j, "id");
  SCIMD_ASSIGN_OR_RETURN(t.scope, core::ParseScope(Text(j, "scope")));
  t.description = Text(j, "description");
  t.created_unix = TimeFrom(j.Find("created"));
  t.last_used_unix = TimeFrom(j.Find("lastUsed"));
  t.expires_unix = TimeFrom(j.Find("expires"));
  return t;
}

Json IssuedJson(const core::IssuedToken& issued) {
  Json j = Json::MakeObject();
  j.Set("token", Json::Str(issued.token));
  j.Set("record", TokenJson(issued.record));
  return j;
}

Result<core::IssuedToken> IssuedFrom(const Json& j) {
  const Json* record = j.is_object() ? j.Find("record") : nullptr;
  if (record == nullptr || Text(j, "token").empty()) return Malformed("token");
  core::IssuedToken issued;
  issued.token = Text(j, "token");
  SCIMD_ASSIGN_OR_RETURN(issued.record, TokenFrom(*record));
  return issued;
}

Json IndexedJson(const core::TenantIndexState& index) {
  const core::IndexedAttr& ia = index.attr;
  Json j = Json::MakeObject();
  j.Set("resource", Json::Str(std::string(core::ResourceTypeName(ia.type))));
  j.Set("attribute", Json::Str(ia.path));
  j.Set("number", Json::Int(ia.id));
  j.Set("unique", Json::Bool(ia.unique));
  j.Set("caseExact", Json::Bool(ia.case_exact));
  j.Set("state", Json::Str(index.state));
  return j;
}

Result<core::TenantIndexState> IndexedFrom(const Json& j) {
  if (!j.is_object()) return Malformed("index");
  core::TenantIndexState out;
  out.attr.type =
      Text(j, "resource") == "Group" ? core::ResourceType::kGroup : core::ResourceType::kUser;
  out.attr.path = Text(j, "attribute");
  out.attr.id = static_cast<core::AttrId>(Int(j, "number"));
  const Json* unique = j.Find("unique");
  const Json* case_exact = j.Find("caseExact");
  out.attr.unique = unique != nullptr && unique->is_bool() && unique->as_bool();
  out.attr.case_exact = case_exact != nullptr && case_exact->is_bool() && case_exact->as_bool();
  out.state = Text(j, "state");
  return out;
}

Result<core::ActivityEntry> ActivityFrom(const Json& j) {
  if (!j.is_object()) return Malformed("activity entry");
  return core::DecodeActivityEntry(static_cast<uint64_t>(Int(j, "sequence")), j.Serialize());
}

Json StatsJson(const core::TenantStats& s) {
  Json j = Json::MakeObject();
  j.Set("requests", Json::Int(static_cast<int64_t>(s.requests)));
  j.Set("errors", Json::Int(static_cast<int64_t>(s.errors)));
  j.Set("rateLimited", Json::Int(static_cast<int64_t>(s.rate_limited)));
  Json injected = Json::MakeObject();
  injected.Set("429", Json::Int(static_cast<int64_t>(s.injected_429)));
  injected.Set("500", Json::Int(static_cast<int64_t>(s.injected_500)));
  injected.Set("503", Json::Int(static_cast<int64_t>(s.injected_503)));
  injected.Set("drop", Json::Int(static_cast<int64_t>(s.injected_drop)));
  j.Set("injected", std::move(injected));
  j.Set("delayed", Json::Int(static_cast<int64_t>(s.delayed)));
  return j;
}

core::TenantStats StatsFrom(const Json& j) {
  core::TenantStats s;
  s.requests = static_cast<uint64_t>(Int(j, "requests"));
  s.errors = static_cast<uint64_t>(Int(j, "errors"));
  s.rate_limited = static_cast<uint64_t>(Int(j, "rateLimited"));
  // A server older than fault injection answers without these: 0.
  if (const Json* injected = j.is_object() ? j.Find("injected") : nullptr) {
    s.injected_429 = static_cast<uint64_t>(Int(*injected, "429"));
    s.injected_500 = static_cast<uint64_t>(Int(*injected, "500"));
    s.injected_503 = static_cast<uint64_t>(Int(*injected, "503"));
    s.injected_drop = static_cast<uint64_t>(Int(*injected, "drop"));
  }
  s.delayed = static_cast<uint64_t>(Int(j, "delayed"));
  return s;
}

Json EngineStatsJson(const core::StoreEngineStats& s) {
  auto n = [](uint64_t v) { return Json::Int(static_cast<int64_t>(v)); };
  Json j = Json::MakeObject();
  j.Set("pendingCompactionBytes", n(s.pending_compaction_bytes));
  j.Set("level0Files", n(s.level0_files));
  j.Set("memtableBytes", n(s.memtable_bytes));
  j.Set("runningCompactions", n(s.running_compactions));
  j.Set("runningFlushes", n(s.running_flushes));
  j.Set("writesStopped", Json::Bool(s.writes_stopped));
  j.Set("delayedWriteRate", n(s.delayed_write_rate));
  return j;
}

core::StoreEngineStats EngineStatsFrom(const Json& j) {
  core::StoreEngineStats s;
  s.pending_compaction_bytes = static_cast<uint64_t>(Int(j, "pendingCompactionBytes"));
  s.level0_files = static_cast<uint64_t>(Int(j, "level0Files"));
  s.memtable_bytes = static_cast<uint64_t>(Int(j, "memtableBytes"));
  s.running_compactions = static_cast<uint64_t>(Int(j, "runningCompactions"));
  s.running_flushes = static_cast<uint64_t>(Int(j, "runningFlushes"));
  const Json* stopped = j.is_object() ? j.Find("writesStopped") : nullptr;
  s.writes_stopped = stopped != nullptr && stopped->is_bool() && stopped->as_bool();
  s.delayed_write_rate = static_cast<uint64_t>(Int(j, "delayedWriteRate"));
  return s;
}

std::string ErrorJson(int http_status, std::string_view message) {
  Json inner = Json::MakeObject();
  inner.Set("status", Json::Int(http_status));
  inner.Set("message", Json::Str(std::string(message)));
  Json j = Json::MakeObject();
  j.Set("error", std::move(inner));
  return j.Serialize();
}

Status StatusFromError(int http_status, const Json& body) {
  std::string message;
  if (const Json* e = body.is_object() ? body.Find("error") : nullptr)
    message = Text(*e, "message");
  if (message.empty()) message = "the admin API answered " + std::to_string(http_status);
  switch (http_status) {
    case 400: return Status::InvalidValue(message);
    case 401: return Status::Unauthorized(message);
    case 403: return Status::Forbidden(message);
    case 404: return Status::NotFound(message);
    case 409: return Status::Uniqueness(message);
    default: return http_status >= 500 ? Status::IoError(message) : Status::Internal(message);
  }
}

Json ImportStateJson(const ImportState& s) {
  Json j = Json::MakeObject();
  auto count = [&](const char* name, uint64_t n) {
    j.Set(name, Json::Int(static_cast<int64_t>(n)));
  };
  j.Set("id", Json::Str(s.id));
  j.Set("state", Json::Str(s.state));
  count("uploaded", s.uploaded);
  count("read", s.read);
  count("records", s.summary.records);
  count("users", s.summary.users);
  count("groups", s.summary.groups);
  count("members", s.summary.members);
  count("rejected", s.summary.rejected);
  count("warnings", s.summary.warnings);
  Json errors = Json::MakeArray();
  for (const auto& e : s.summary.errors) {
    Json item = Json::MakeObject();
    item.Set("line", Json::Int(static_cast<int64_t>(e.line)));
    item.Set("reason", Json::Str(e.reason));
    errors.Push(std::move(item));
  }
  j.Set("errors", std::move(errors));
  Json warnings = Json::MakeArray();
  for (const auto& w : s.summary.warning_samples) warnings.Push(Json::Str(w));
  j.Set("warningSamples", std::move(warnings));
  j.Set("error", s.error.empty() ? Json() : Json::Str(s.error));
  if (s.error_status != 0) j.Set("errorStatus", Json::Int(s.error_status));
  return j;
}

ImportState ImportStateFrom(const Json& j) {
  ImportState s;
  if (!j.is_object()) return s;
  auto count = [&](const char* name) {
    return static_cast<uint64_t>(std::max<int64_t>(0, Int(j, name)));
  };
  s.id = Text(j, "id");
  s.state = Text(j, "state");
  s.uploaded = count("uploaded");
  s.read = count("read");
  s.summary.records = count("records");
  s.summary.users = count("users");
  s.summary.groups = count("groups");
  s.summary.members = count("members");
  s.summary.rejected = count("rejected");
  s.summary.warnings = count("warnings");
  if (const Json* errors = j.Find("errors"); errors != nullptr && errors->is_array()) {
    for (const Json& e : errors->as_array()) {
      if (!e.is_object()) continue;
      s.summary.errors.push_back({static_cast<uint64_t>(Int(e, "line")), Text(e, "reason")});
    }
  }
  if (const Json* w = j.Find("warningSamples"); w != nullptr && w->is_array()) {
    for (const Json& item : w->as_array()) {
      if (item.is_string()) s.summary.warning_samples.push_back(item.as_string());
    }
  }
  s.error = Text(j, "error");
  s.error_status = static_cast<int>(Int(j, "errorStatus"));
  return s;
}

}  // namespace scimd::net::admin
