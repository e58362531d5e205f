#include "net/scim_adapter.h"

#include <charconv>
#include <optional>
#include <string>
#include <utility>

#include "core/base/json.h"
#include "core/base/strings.h"
#include "core/resource/decode.h"
#include "core/resource/schema.h"
#include "core/scim/bulk.h"
#include "core/scim/discovery.h"
#include "core/scim/projection.h"
#include "core/scim/scim_error.h"
#include "core/usecase/patch.h"

namespace scimd::net {

using core::Result;
using core::Status;

namespace {

// X-Scimd-Plan quotes client filter literals: at most this many bytes of it are sent
// (a filter is at most kMaxFilterLength; plan text adds a little per node).
constexpr size_t kMaxPlanHeaderBytes = 4096;

// A header value made of `text`: control bytes (CR, LF, ...) and non-ASCII bytes become
// spaces / '?', so a filter literal can never split or forge a header; bounded length.
std::string HeaderSafe(std::string_view text) {
  std::string out;
  out.reserve(std::min(text.size(), kMaxPlanHeaderBytes + 3));
  for (char c : text) {
    if (out.size() >= kMaxPlanHeaderBytes) {
      out += "...";
      break;
    }
    const auto b = static_cast<unsigned char>(c);
    out.push_back(b < 0x20 || b == 0x7F ? ' ' : b >= 0x80 ? '?' : c);
  }
  return out;
}

void AnswerJson(int status, std::string body, HttpResponse& out) {
  out.status = status;
  out.body = std::move(body);
  out.SetHeader("Content-Type", std::string(core::kScimMediaType));
}

void AnswerBody(int status, core::Body body, HttpResponse& out) {
  AnswerJson(status, std::move(body.text), out);
  out.stream = std::move(body.stream);
}

// startIndex / count as RFC 7644 §3.4.2.4 writes them: an integer (out-of-range values
// saturate, and SearchQuery::SetPage clamps them).
Result<int64_t> ParseQueryInt(std::string_view name, std::string_view text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec == std::errc::result_out_of_range) return text.front() == '-' ? INT64_MIN : INT64_MAX;
  if (ec != std::errc() || ptr != end) {
    return Status(Status::Code::kInvalidValue,
                  std::string(name) + " must be an integer, not \"" + std::string(text) + "\"");
  }
  return v;
}

Result<std::optional<int64_t>> OptionalInt(std::string_view name, std::string_view text) {
  if (text.empty()) return std::optional<int64_t>();
  SCIMD_ASSIGN_OR_RETURN(int64_t v, ParseQueryInt(name, text));
  return std::optional<int64_t>(v);
}

bool NamesAttributes(const ScimCall& call) {
  return !call.query.Get("attributes").empty() || !call.query.Get("excludedAttributes").empty();
}

// The id of /Users/{id}: an id that cannot exist is a 404 naming it as sent.
Result<core::ResourceId> TargetId(const ScimCall& call) {
  auto id = core::ResourceId::Parse(call.target.name);
  if (!id.ok()) return core::ResourceNotFound(call.target.type, call.target.name);
  return id;
}

// A POST or PUT body as the typed input of a create or replace.
Result<core::InputResource> DecodeBody(const ScimCall& call) {
  SCIMD_ASSIGN_OR_RETURN(core::Json json, core::Json::Parse(call.request->body));
  return core::DecodeInput(call.target.type, std::move(json), call.ctx.settings.decode);
}

// `filter=` with nothing after it is a mistake (a client that lost its filter), not "every
// resource": answering the whole tenant would hide the mistake.
Status EmptyFilter() {
  return Status::InvalidFilter(
      "the filter is empty; leave the parameter out to list every "
      "resource");
}

bool WantsExplain(const ScimCall& call) { return call.request->Header("x-scimd-explain") == "1"; }

}  // namespace

void AnswerError(const Status& status, HttpResponse& out) {
  const core::StatusHttp http = core::ToHttp(status.code());
  out.status = http.http_status;
  if (http.http_status == 304) return;
  AnswerJson(http.http_status, core::ScimErrorBody(status), out);
  out.refused_input = status.Is(Status::Code::kInvalidSyntax) ||
                      status.Is(Status::Code::kInvalidFilter) ||
                      status.Is(Status::Code::kPayloadTooLarge);
  if (http.http_status == 401) out.SetHeader("WWW-Authenticate", "Bearer realm=\"scimd\"");
  if (status.retry_after() > 0) out.SetHeader("Retry-After", std::to_string(status.retry_after()));
}

bool ScimAdapter::Fail(const ScimCall& call, const Status& status, HttpResponse& out) {
  if (status.Is(Status::Code::kBusy) && !call.ctx.may_wait) return false;
  AnswerError(status, out);
  call.note.error = status;
  return true;
}

void ScimAdapter::NoteWrite(const ScimCall& call, const core::WriteResult& written) {
  call.note.resource_id = written.resource.id.ToString();
  call.note.changed = written.changed_attributes;
  call.note.warnings = written.warnings;
}

bool ScimAdapter::AnswerResource(const ScimCall& call, int status,
                                 const core::StoredResource& resource,
                                 const core::Projection& projection, HttpResponse& out) {
  auto body = renderer_.Resource(call.ctx, call.target.base_url, resource, projection);
  if (!body.ok()) return Fail(call, body.status(), out);
  AnswerBody(status, std::move(body).value(), out);
  out.SetHeader("ETag", resource.Etag());
  return true;
}

// ---- discovery, /Token, /Me ----

bool ScimAdapter::ServiceProviderConfig(const ScimCall& call, HttpResponse& out) {
  AnswerJson(200, core::ServiceProviderConfigJson(call.target.base_url), out);
  return true;
}

bool ScimAdapter::ResourceTypes(const ScimCall& call, HttpResponse& out) {
  auto json = core::ResourceTypesJson(call.target.base_url, call.target.name);
  if (!json.ok()) return Fail(call, json.status(), out);
  AnswerJson(200, std::move(json).value(), out);
  return true;
}

bool ScimAdapter::Schemas(const ScimCall& call, HttpResponse& out) {
  auto json = core::SchemasJson(call.target.base_url, call.target.name);
  if (!json.ok()) return Fail(call, json.status(), out);
  AnswerJson(200, std::move(json).value(), out);
  return true;
}

bool ScimAdapter::Token(const ScimCall& call, HttpResponse& out) {
  auto token = gate_.IssueToken(token_tenant_);
  if (!token.ok()) return Fail(call, token.status(), out);
  out.status = 200;
  out.body = "{\"token\":";
  core::AppendJsonString(out.body, *token);
  out.body += "}";
  out.SetHeader("Content-Type", "application/json");
  out.SetHeader("Cache-Control", "no-store");
  return true;
}

bool ScimAdapter::Me(const ScimCall& call, HttpResponse& out) {
  return Fail(call,
              Status::NotImplemented("/Me is not supported: tokens belong to tenants "
                                     "(provisioning clients), not users"),
              out);
}

// ---- writes ----

bool ScimAdapter::Bulk(const ScimCall& call, HttpResponse& out) {
  auto request = core::ParseBulkRequest(call.request->body, core::BulkLimits{});
  if (!request.ok()) return Fail(call, request.status(), out);
  // Each operation is one entry of the activity log (the envelope only when it fails).
  const auto observe = [&](const core::BulkOperation& op, const core::BulkOpResult& r) {
    if (!call.ctx.settings.activity) return;
    core::ActivityEntry e;
    e.time_us = call.ctx.NowMicros();
    e.request_id = call.request->request_id;
    e.token_id = call.ctx.token_id;
    e.client = call.ctx.client_address;
    e.method = op.method_text;
    e.resource_type = std::string(core::ResourceTypeName(op.type));
    e.resource_id = r.resource_id;
    e.path = "/Bulk";
    e.status = r.status;
    e.scim_type = r.scim_type;
    e.detail = r.detail;
    e.changed = r.changed_attributes;
    e.warnings = r.warnings;
    e.via_bulk = true;
    activity_.Record(call.ctx.tenant, std::move(e));
  };
  AnswerJson(200, core::RunBulk(service_, call.ctx, *request, call.target.base_url, observe), out);
  return true;
}

bool ScimAdapter::Create(const ScimCall& call, HttpResponse& out) {
  const core::ResourceType type = call.target.type;
  auto input = DecodeBody(call);
  if (!input.ok()) return Fail(call, input.status(), out);
  auto written = service_.Create(call.ctx, type, std::move(input).value());
  if (!written.ok()) return Fail(call, written.status(), out);
  NoteWrite(call, *written);
  const core::StoredResource& r = written->resource;
  if (!AnswerResource(call, 201, r, core::Projection{}, out)) return false;
  out.SetHeader("Location", call.target.base_url +
                                core::SchemaRegistry::Default().resource_type(type).endpoint + "/" +
                                r.id.ToString());
  return true;
}

bool ScimAdapter::Replace(const ScimCall& call, HttpResponse& out) {
  const core::ResourceType type = call.target.type;
  auto id = TargetId(call);
  if (!id.ok()) return Fail(call, id.status(), out);
  auto input = DecodeBody(call);
  if (!input.ok()) return Fail(call, input.status(), out);
  auto written = service_.Replace(call.ctx, type, *id, std::move(input).value(),
                                  call.request->Header("if-match"));
  if (!written.ok()) return Fail(call, written.status(), out);
  NoteWrite(call, *written);
  return AnswerResource(call, 200, written->resource, core::Projection{}, out);
}

bool ScimAdapter::Patch(const ScimCall& call, HttpResponse& out) {
  const core::ResourceType type = call.target.type;
  auto id = TargetId(call);
  if (!id.ok()) return Fail(call, id.status(), out);
  auto json = core::Json::Parse(call.request->body);
  if (!json.ok()) return Fail(call, json.status(), out);
  auto ops = core::ParsePatchRequest(*json);
  if (!ops.ok()) return Fail(call, ops.status(), out);
  // The projection of the 200 answer is checked before anything is written.
  auto projection = core::ParseProjection(type, call.query.Get("attributes"),
                                          call.query.Get("excludedAttributes"));
  if (!projection.ok()) return Fail(call, projection.status(), out);
  auto written = service_.Patch(call.ctx, type, *id, *ops, call.request->Header("if-match"));
  if (!written.ok()) return Fail(call, written.status(), out);
  NoteWrite(call, *written);
  const bool prefer_minimal =
      call.request->Header("prefer").find("return=minimal") != std::string_view::npos;
  auto with_body = renderer_.PatchAnswersWithResource(call.ctx, written->resource, prefer_minimal,
                                                      NamesAttributes(call));
  if (!with_body.ok()) return Fail(call, with_body.status(), out);
  if (*with_body) return AnswerResource(call, 200, written->resource, *projection, out);
  out.status = 204;
  out.SetHeader("ETag", written->resource.Etag());
  return true;
}

bool ScimAdapter::Delete(const ScimCall& call, HttpResponse& out) {
  const core::ResourceType type = call.target.type;
  auto id = TargetId(call);
  if (!id.ok()) return Fail(call, id.status(), out);
  call.note.resource_id = id->ToString();
  auto deleted = service_.Delete(call.ctx, type, *id, call.request->Header("if-match"));
  if (!deleted.ok()) return Fail(call, deleted.status(), out);
  if (deleted->soft) call.note.changed = {"active"};
  out.status = 204;
  return true;
}

// ---- reads ----

bool ScimAdapter::Get(const ScimCall& call, HttpResponse& out) {
  const core::ResourceType type = call.target.type;
  auto id = TargetId(call);
  if (!id.ok()) return Fail(call, id.status(), out);
  auto resource = service_.Get(call.ctx, type, *id);
  if (!resource.ok()) return Fail(call, resource.status(), out);
  const std::string_view if_none_match = call.request->Header("if-none-match");
  if (!if_none_match.empty() && core::EtagListMatches(if_none_match, resource->Etag())) {
    out.status = 304;
    out.SetHeader("ETag", resource->Etag());
    return true;
  }
  auto projection = core::ParseProjection(type, call.query.Get("attributes"),
                                          call.query.Get("excludedAttributes"));
  if (!projection.ok()) return Fail(call, projection.status(), out);
  return AnswerResource(call, 200, *resource, *projection, out);
}

bool ScimAdapter::AnswerSearch(const ScimCall& call, core::SearchQuery& query,
                               std::string_view attributes, std::string_view excluded,
                               HttpResponse& out) {
  core::ProjectionByType projections;
  for (core::ResourceType type : query.types) {
    auto projection = core::ParseProjection(type, attributes, excluded);
    if (!projection.ok()) return Fail(call, projection.status(), out);
    projections.emplace_back(type, std::move(projection).value());
  }
  query.explain = WantsExplain(call);
  auto result = service_.Search(call.ctx, query);
  if (!result.ok()) return Fail(call, result.status(), out);
  auto body =
      renderer_.List(call.ctx, call.target.base_url, *result, query.start_index, projections);
  if (!body.ok()) return Fail(call, body.status(), out);
  AnswerBody(200, std::move(body).value(), out);
  if (query.explain) {
    std::string plan;
    for (const auto& p : result->plans) plan += (plan.empty() ? "" : "; ") + p;
    out.SetHeader("X-Scimd-Plan", HeaderSafe(plan));
    out.SetHeader("X-Scimd-Rows-Examined", std::to_string(result->rows_examined));
  }
  return true;
}

bool ScimAdapter::List(const ScimCall& call, HttpResponse& out) {
  core::SearchQuery query;
  query.types = {call.target.type};
  auto start = OptionalInt("startIndex", call.query.Get("startIndex"));
  if (!start.ok()) return Fail(call, start.status(), out);
  auto count = OptionalInt("count", call.query.Get("count"));
  if (!count.ok()) return Fail(call, count.status(), out);
  query.SetPage(*start, *count);
  query.filter = call.query.Get("filter");
  if (query.filter.empty() && call.query.Has("filter")) return Fail(call, EmptyFilter(), out);
  query.sort_by = call.query.Get("sortBy");
  query.sort_order = call.query.Get("sortOrder");
  return AnswerSearch(call, query, call.query.Get("attributes"),
                      call.query.Get("excludedAttributes"), out);
}

bool ScimAdapter::Search(const ScimCall& call, HttpResponse& out) {
  // POST .search (RFC 7644 §3.4.3): the query parameters as a SearchRequest message.
  auto json = core::Json::Parse(call.request->body);
  if (!json.ok()) return Fail(call, json.status(), out);
  if (!json->is_object()) {
    return Fail(call, Status::InvalidSyntax("a SearchRequest must be a JSON object"), out);
  }
  if (const core::Json* schemas = json->FindCi("schemas")) {
    bool listed = false;
    if (schemas->is_array()) {
      for (const auto& s : schemas->as_array()) {
        listed =
            listed || (s.is_string() && core::EqualsCi(s.as_string(), core::kSearchRequestSchema));
      }
    }
    if (!listed) {
      return Fail(call,
                  Status::InvalidSyntax("\"schemas\" of a search must list " +
                                        std::string(core::kSearchRequestSchema)),
                  out);
    }
  }
  // Each parameter as text, as it would be in a query string: a string, an integer, or (for
  // attributes / excludedAttributes) a list of paths; integers also as integers.
  auto text = [&](const char* name, std::string& value, std::optional<int64_t>* number) -> Status {
    const core::Json* v = json->FindCi(name);
    if (v == nullptr || v->is_null()) return Status::Ok();
    if (v->is_string()) {
      value = v->as_string();
    } else if (v->is_int()) {
      value = std::to_string(v->as_int());
      if (number != nullptr) *number = v->as_int();
    } else if (v->is_array()) {
      for (const auto& item : v->as_array()) {
        if (!item.is_string()) {
          return Status::InvalidValue("\"" + std::string(name) + "\" must list strings");
        }
        if (!value.empty()) value += ",";
        value += item.as_string();
      }
    } else {
      return Status::InvalidValue("\"" + std::string(name) + "\" has the wrong type");
    }
    if (number != nullptr && !*number && !value.empty()) {
      SCIMD_ASSIGN_OR_RETURN(*number, ParseQueryInt(name, value));
    }
    return Status::Ok();
  };
  std::string attributes, excluded, filter, sort_by, sort_order, start_text, count_text;
  std::optional<int64_t> start, count;
  for (Status s : {text("attributes", attributes, nullptr),
                   text("excludedAttributes", excluded, nullptr), text("filter", filter, nullptr),
                   text("sortBy", sort_by, nullptr), text("sortOrder", sort_order, nullptr),
                   text("startIndex", start_text, &start), text("count", count_text, &count)}) {
    if (!s.ok()) return Fail(call, s, out);
  }
  core::SearchQuery query;
  if (call.target.endpoint == ScimEndpoint::kRootSearch) {
    query.types = {core::ResourceType::kUser, core::ResourceType::kGroup};
  } else {
    query.types = {call.target.type};
  }
  query.SetPage(start, count);
  query.filter = filter;
  if (filter.empty() && json->FindCi("filter") != nullptr && !json->FindCi("filter")->is_null()) {
    return Fail(call, EmptyFilter(), out);
  }
  query.sort_by = sort_by;
  query.sort_order = sort_order;
  return AnswerSearch(call, query, attributes, excluded, out);
}

}  // namespace scimd::net
