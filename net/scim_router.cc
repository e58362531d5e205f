#include "net/scim_router.h"

#include <chrono>
#include <memory>

#include "core/base/status.h"

namespace scimd::net {

using core::Status;

namespace {

using Placement = ScimRouter::Placement;
using E = ScimEndpoint;
using A = ScimAdapter;

bool MethodMatches(std::string_view route_method, std::string_view method) {
  return route_method == method || (route_method == "GET" && method == "HEAD") ||
         route_method == "*";
}

}  // namespace

const std::vector<ScimRouter::Route>& ScimRouter::Routes() {
  static const std::vector<Route> routes = {
      {E::kServiceProviderConfig, "GET", false, Placement::kReactor, &A::ServiceProviderConfig},
      {E::kResourceTypes, "GET", false, Placement::kReactor, &A::ResourceTypes},
      {E::kSchemas, "GET", false, Placement::kReactor, &A::Schemas},
      // Writes a token: the store's admin writes may wait for its admin lock (100 ms).
      {E::kToken, "GET", false, Placement::kBlocking, &A::Token},
      {E::kToken, "POST", false, Placement::kBlocking, &A::Token},
      {E::kMe, "*", true, Placement::kReactor, &A::Me},
      {E::kBulk, "POST", true, Placement::kBlocking, &A::Bulk},
      {E::kRootSearch, "POST", true, Placement::kReactor, &A::Search},
      {E::kResources, "GET", true, Placement::kReactor, &A::List},
      {E::kResources, "POST", true, Placement::kWrite, &A::Create},
      {E::kResourceSearch, "POST", true, Placement::kReactor, &A::Search},
      {E::kResource, "GET", true, Placement::kReactor, &A::Get},
      {E::kResource, "PUT", true, Placement::kWrite, &A::Replace},
      {E::kResource, "PATCH", true, Placement::kWrite, &A::Patch},
      {E::kResource, "DELETE", true, Placement::kWrite, &A::Delete},
  };
  return routes;
}

ScimRouter::ScimRouter(core::Store& store, Options options)
    : service_(store),
      gate_(store, *options.clock),
      adapter_(service_, gate_, activity_, options.insecure_token_tenant),
      sync_writes_(options.sync_writes) {
  rules_.base_paths = std::move(options.base_paths);
  rules_.default_host = std::move(options.default_host);
  rules_.token_endpoint = !options.insecure_token_tenant.empty();
}

void ScimRouter::Handle(const HttpRequest& request, HttpResponse& response) {
  const auto started = std::chrono::steady_clock::now();
  auto target = ParseScimTarget(request, rules_);
  if (!target.ok()) {
    AnswerError(target.status(), response);
    return Measure(request, nullptr, 0, response.status, started);
  }

  const Route* route = nullptr;
  std::string allow;
  for (const Route& r : Routes()) {
    if (r.endpoint != target->endpoint) continue;
    if (MethodMatches(r.method, request.method)) route = &r;
    if (!allow.empty()) allow += ", ";
    allow += r.method;
  }
  if (route == nullptr) {
    AnswerError(Status(Status::Code::kMethodNotAllowed,
                       "method " + request.method + " is not allowed here; allowed: " + allow),
                response);
    response.SetHeader("Allow", allow);
    return Measure(request, &*target, 0, response.status, started);
  }

  ScimCall call;
  call.request = &request;
  call.target = std::move(target).value();
  call.started = started;
  if (route->needs_token) {
    core::Credentials credentials;
    credentials.authorization = request.Header("authorization");
    credentials.client_address = request.remote_address;
    credentials.host = request.Header("host");
    credentials.path_tenant = call.target.tenant_name;
    credentials.writes = route->placement != Placement::kReactor;
    core::TenantId identified = 0;
    auto ctx = gate_.Admit(credentials, &identified);
    if (!ctx.ok()) {
      AnswerError(ctx.status(), response);
      if (identified != 0) {
        // A known tenant's token refused (expired, read-only, wrong place, rate limit):
        // what its admin most needs to see in the activity log.
        if (auto settings = gate_.SettingsOf(identified, &call.ctx.tenant_name); settings.ok()) {
          call.ctx.tenant = identified;
          call.ctx.settings = *settings;
          call.ctx.client_address = request.remote_address;
          call.note.error = ctx.status();
          return Record(*route, call, response);
        }
      }
      return Measure(request, &call.target, 0, response.status, started);
    }
    call.ctx = std::move(ctx).value();
    // Decided before the request runs: an injected error never writes. Only admitted
    // requests: a wrong token is still a 401, and discovery (no token) is never touched.
    if (call.ctx.settings.faults.Any()) {
      call.fault = core::DrawFault(call.ctx.settings.faults);
      if (call.fault.kind != core::FaultKind::kNone) {
        return InjectFault(*route, call, response);
      }
    }
  }
  call.query = ParseQuery(request.query);

  Placement placement = route->placement;
  if (placement == Placement::kWrite &&
      (sync_writes_ || call.target.type == core::ResourceType::kGroup)) {
    placement = Placement::kBlocking;
  }
  if (placement == Placement::kBlocking) return Defer(*route, std::move(call), response);
  // On the reactor; a write that lost a lock race comes back false and runs again where
  // it may wait for the other writer.
  if (!(adapter_.*(route->handler))(call, response))
    return Defer(*route, std::move(call), response);
  response.delay = std::chrono::milliseconds(call.fault.delay_ms);
  Record(*route, call, response);
}

void ScimRouter::Defer(const Route& route, ScimCall call, HttpResponse& response) {
  call.ctx.may_wait = true;
  auto shared = std::make_shared<ScimCall>(std::move(call));
  response.deferred = [this, &route, shared](HttpResponse& out) {
    (adapter_.*(route.handler))(*shared, out);
    out.delay = std::chrono::milliseconds(shared->fault.delay_ms);
    Record(route, *shared, out);
  };
}

void ScimRouter::InjectFault(const Route& route, const ScimCall& call, HttpResponse& response) {
  const Status status = core::InjectedStatus(call.fault.kind, call.ctx.settings.faults);
  AnswerError(status, response);
  response.SetHeader(std::string(kInjectedFaultHeader),
                     std::string(core::FaultKindName(call.fault.kind)));
  response.cut_after_head = call.fault.kind == core::FaultKind::kDrop;
  response.delay = std::chrono::milliseconds(call.fault.delay_ms);
  call.note.error = status;
  Record(route, call, response);
}

void ScimRouter::Measure(const HttpRequest& request, const ScimTarget* target,
                         core::TenantId tenant, int status,
                         std::chrono::steady_clock::time_point started) {
  using R = RequestMetrics::Resource;
  R resource = R::kOther;
  if (target != nullptr) {
    switch (target->endpoint) {
      case E::kResources:
      case E::kResource:
      case E::kResourceSearch:
        resource = target->type == core::ResourceType::kUser ? R::kUsers : R::kGroups;
        break;
      case E::kBulk: resource = R::kBulk; break;
      case E::kMe: resource = R::kMe; break;
      case E::kRootSearch: resource = R::kSearch; break;
      case E::kServiceProviderConfig:
      case E::kResourceTypes:
      case E::kSchemas: resource = R::kDiscovery; break;
      case E::kToken: resource = R::kToken; break;
      default: break;
    }
  }
  const int64_t micros = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
  metrics_.Count(tenant, request.method, resource, status, micros);
}

void ScimRouter::Record(const Route& route, const ScimCall& call, HttpResponse& response) {
  Measure(*call.request, &call.target, call.ctx.tenant, response.status, call.started);
  if (call.ctx.tenant == 0) return;
  response.log_tenant = call.ctx.tenant_name;
  response.log_token = call.ctx.token_id;
  counters_.Count(call.ctx.tenant, response.status, call.fault);
  if (!call.ctx.settings.activity) return;
  // Writes (a /Bulk request's operations are recorded one by one) and failures.
  const bool write = route.placement != Placement::kReactor && route.endpoint != E::kBulk &&
                     route.endpoint != E::kToken;
  if (!write && response.status < 400) return;
  core::ActivityEntry e;
  e.time_us = call.ctx.NowMicros();
  e.request_id = call.request->request_id;
  e.token_id = call.ctx.token_id;
  e.client = call.ctx.client_address;
  e.method = call.request->method;
  const ScimTarget& t = call.target;
  const std::string type_name(core::ResourceTypeName(t.type));
  const std::string endpoint = t.type == core::ResourceType::kUser ? "/Users" : "/Groups";
  switch (t.endpoint) {
    case E::kResources: e.path = endpoint; break;
    case E::kResource: e.path = endpoint + "/" + t.name; break;
    case E::kResourceSearch: e.path = endpoint + "/.search"; break;
    case E::kBulk: e.path = "/Bulk"; break;
    case E::kRootSearch: e.path = "/.search"; break;
    case E::kMe: e.path = "/Me"; break;
    default: break;
  }
  if (t.endpoint == E::kResources || t.endpoint == E::kResource ||
      t.endpoint == E::kResourceSearch) {
    e.resource_type = type_name;
  }
  e.resource_id = call.note.resource_id.empty() && t.endpoint == E::kResource
                      ? t.name.substr(0, 64)
                      : call.note.resource_id;
  e.status = response.status;
  if (!call.note.error.ok()) {
    e.scim_type = std::string(core::ToHttp(call.note.error.code()).scim_type);
    e.detail = call.note.error.detail();
  }
  e.duration_us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - call.started)
                      .count();
  e.changed = std::move(call.note.changed);  // the note is not read again
  e.warnings = std::move(call.note.warnings);
  activity_.Record(call.ctx.tenant, std::move(e));
}

}  // namespace scimd::net
