#include "net/scim_router.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "core/auth.h"
#include "core/bulk.h"
#include "core/json.h"
#include "core/schema.h"
#include "core/strings.h"

namespace scimd::net {

using core::EqualsCi;
using core::Response;
using core::Status;

namespace {

// Tenant settings change only through scimctl on a stopped server today; a short cache
// keeps a store read off the hot path and picks up changes within seconds later on.
constexpr auto kTenantCacheTtl = std::chrono::seconds(5);

struct QueryParams {
  std::vector<std::pair<std::string, std::string>> items;
  std::string_view Get(std::string_view name) const {
    for (const auto& [k, v] : items) {
      if (EqualsCi(k, name)) return v;
    }
    return {};
  }
};

QueryParams ParseQuery(std::string_view q) {
  QueryParams p;
  size_t start = 0;
  while (start < q.size()) {
    size_t amp = q.find('&', start);
    if (amp == std::string_view::npos) amp = q.size();
    std::string_view pair = q.substr(start, amp - start);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      std::string_view k = pair.substr(0, eq);
      std::string_view v = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      p.items.emplace_back(PercentDecode(k, true), PercentDecode(v, true));
    }
    start = amp + 1;
  }
  return p;
}

bool HostIsSane(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
  });
}

Response MethodNotAllowed(std::string_view method, std::string_view allow) {
  Response r = core::Service::Error(Status(
      Status::Code::kMethodNotAllowed,
      "method " + std::string(method) + " is not allowed here; allowed: " + std::string(allow)));
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

void Fill(HttpResponse& out, Response r) {
  out.status = r.status;
  out.headers = std::move(r.headers);
  out.body = std::move(r.body);
  out.stream = std::move(r.stream);
}

struct CachedTenant {
  core::TenantSettings settings;
  std::chrono::steady_clock::time_point expires;
};

}  // namespace

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex(s[i + 1]);
      const int lo = hex(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi << 4 | lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

ScimRouter::ScimRouter(core::Store& store, Options options)
    : store_(store), service_(store), options_(std::move(options)) {
  std::sort(options_.base_paths.begin(), options_.base_paths.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (auto& p : options_.base_paths) {
    while (!p.empty() && p.back() == '/') p.pop_back();
  }
}

void ScimRouter::Handle(const HttpRequest& request, HttpResponse& response) {
  Job job;
  Response r = Route(request, &job);
  if (job) {
    response.deferred = [job = std::move(job)](HttpResponse& out) { Fill(out, job()); };
    return;
  }
  Fill(response, std::move(r));
}

Response ScimRouter::Route(const HttpRequest& request, Job* deferred) {
  std::string path = PercentDecode(request.path, false);
  while (path.size() > 1 && path.back() == '/') path.pop_back();

  // Strip a known base path (at a segment boundary), remembering it for meta.location.
  std::string base;
  for (const auto& p : options_.base_paths) {
    if (p.empty()) continue;
    if (path.size() >= p.size() && EqualsCi(std::string_view(path).substr(0, p.size()), p) &&
        (path.size() == p.size() || path[p.size()] == '/')) {
      base = path.substr(0, p.size());
      path = path.substr(p.size());
      break;
    }
  }
  std::vector<std::string_view> segments;
  {
    std::string_view rest(path);
    while (!rest.empty()) {
      if (rest.front() == '/') {
        rest.remove_prefix(1);
        continue;
      }
      const size_t slash = rest.find('/');
      segments.push_back(rest.substr(0, slash));
      if (slash == std::string_view::npos) break;
      rest.remove_prefix(slash);
    }
  }

  std::string_view host = request.Header("host");
  if (!HostIsSane(host)) host = options_.default_host;
  const bool https = EqualsCi(request.Header("x-forwarded-proto"), "https");
  const std::string base_url =
      std::string(https ? "https://" : "http://") + std::string(host) + base;

  const std::string& method = request.method;
  const bool is_get = method == "GET" || method == "HEAD";
  if (segments.empty()) {
    return core::Service::Error(Status::NotFound("no SCIM endpoint here; try " + base_url +
                                                 "/Users or " + base_url + "/Schemas"));
  }
  const std::string_view endpoint = segments[0];

  // Discovery endpoints: the same for every tenant, served without a token.
  if (EqualsCi(endpoint, "ServiceProviderConfig") || EqualsCi(endpoint, "ServiceProviderConfigs") ||
      EqualsCi(endpoint, "serviceConfiguration")) {
    if (!is_get) return MethodNotAllowed(method, "GET");
    if (segments.size() > 1) return core::Service::Error(Status::NotFound("no such endpoint"));
    return core::Service::ServiceProviderConfig(base_url);
  }
  if (EqualsCi(endpoint, "ResourceTypes") || EqualsCi(endpoint, "Schemas")) {
    if (!is_get) return MethodNotAllowed(method, "GET");
    if (segments.size() > 2) return core::Service::Error(Status::NotFound("no such endpoint"));
    const std::string_view name = segments.size() > 1 ? segments[1] : std::string_view();
    return EqualsCi(endpoint, "Schemas") ? core::Service::Schemas(base_url, name)
                                         : core::Service::ResourceTypes(base_url, name);
  }

  if (!options_.insecure_token_tenant.empty() && EqualsCi(endpoint, "Token") &&
      segments.size() == 1) {
    auto tenant = store_.FindTenant(options_.insecure_token_tenant);
    if (!tenant.ok()) return core::Service::Error(tenant.status());
    if (!*tenant) return core::Service::Error(Status::NotFound("the token tenant does not exist"));
    core::IssuedToken issued = core::MakeToken((*tenant)->id);
    if (Status s = store_.PutToken(issued.record); !s.ok()) return core::Service::Error(s);
    Response r;
    r.body = "{\"token\":";
    core::AppendJsonString(r.body, issued.token);
    r.body += "}";
    r.headers.emplace_back("Content-Type", "application/json");
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }

  const auto type = core::SchemaRegistry::Default().FindEndpoint(endpoint);
  const bool known = type.has_value() || EqualsCi(endpoint, "Me") || EqualsCi(endpoint, "Bulk") ||
                     EqualsCi(endpoint, ".search");
  if (!known) {
    return core::Service::Error(
        Status::NotFound("unknown endpoint \"/" + std::string(endpoint) +
                         "\"; this server serves /Users, /Groups, /Schemas, /ResourceTypes and "
                         "/ServiceProviderConfig"));
  }

  // Everything else needs a tenant's token.
  auto token = core::Authenticate(store_, request.Header("authorization"));
  if (!token.ok()) return core::Service::Error(token.status());
  core::RequestContext ctx;
  ctx.tenant = token->tenant;
  ctx.base_url = base_url;
  {
    thread_local std::unordered_map<core::TenantId, CachedTenant> cache;
    const auto now = std::chrono::steady_clock::now();
    auto it = cache.find(ctx.tenant);
    if (it == cache.end() || it->second.expires < now) {
      auto tenant = store_.GetTenant(ctx.tenant);
      if (!tenant.ok()) return core::Service::Error(tenant.status());
      if (!*tenant) return core::Service::Error(Status::Unauthorized("invalid bearer token"));
      auto settings = core::TenantSettings::FromMap((*tenant)->settings);
      if (!settings.ok()) return core::Service::Error(settings.status());
      if (cache.size() > 10000) cache.clear();  // bound: tenants seen by this thread
      it = cache.insert_or_assign(ctx.tenant, CachedTenant{*settings, now + kTenantCacheTtl}).first;
    }
    ctx.settings = it->second.settings;
  }
  if (ctx.settings.rate_limit > 0) {
    if (const int64_t wait = limiter_.Check(ctx.tenant, ctx.settings.rate_limit); wait > 0) {
      Response r = core::Service::Error(
          Status(Status::Code::kTooManyRequests,
                 "this tenant is limited to " + std::to_string(ctx.settings.rate_limit) +
                     " requests per second; retry after " + std::to_string(wait) + " s"));
      r.headers.emplace_back("Retry-After", std::to_string(wait));
      return r;
    }
  }

  if (!type) {
    if (EqualsCi(endpoint, "Me")) {
      return core::Service::Error(Status::NotImplemented(
          "/Me is not supported: tokens belong to tenants (provisioning clients), not users"));
    }
    if (EqualsCi(endpoint, "Bulk")) {
      if (segments.size() > 1) return core::Service::Error(Status::NotFound("no such endpoint"));
      if (method != "POST") return MethodNotAllowed(method, "POST");
      *deferred = [this, ctx = std::move(ctx), &request] {
        return core::RunBulk(service_, ctx, request.body, core::BulkLimits{});
      };
      return {};
    }
    // POST /.search at the root: Users and Groups together (RFC 7644 §3.4.3).
    if (segments.size() > 1) return core::Service::Error(Status::NotFound("no such endpoint"));
    if (method != "POST") return MethodNotAllowed(method, "POST");
    return service_.SearchRequest(ctx, {core::ResourceType::kUser, core::ResourceType::kGroup},
                                  request.body, request.Header("x-scimd-explain") == "1");
  }

  QueryParams query = ParseQuery(request.query);
  if (segments.size() == 1) {
    if (is_get) {
      core::ListParams p;
      p.filter = query.Get("filter");
      p.attributes = query.Get("attributes");
      p.excluded_attributes = query.Get("excludedAttributes");
      p.start_index = query.Get("startIndex");
      p.count = query.Get("count");
      p.sort_by = query.Get("sortBy");
      p.sort_order = query.Get("sortOrder");
      p.explain = request.Header("x-scimd-explain") == "1";
      return service_.List(ctx, *type, p);
    }
    if (method != "POST") return MethodNotAllowed(method, "GET, POST");
    if (options_.sync_writes) {
      *deferred = [this, ctx = std::move(ctx), type = *type, &request] {
        return service_.Create(ctx, type, request.body);
      };
      return {};
    }
    return service_.Create(ctx, *type, request.body);
  }
  if (segments.size() == 2 && EqualsCi(segments[1], ".search")) {
    if (method != "POST") return MethodNotAllowed(method, "POST");
    return service_.SearchRequest(ctx, {*type}, request.body,
                                  request.Header("x-scimd-explain") == "1");
  }
  if (segments.size() > 2) {
    return core::Service::Error(Status::NotFound("no such endpoint"));
  }
  const std::string_view id = segments[1];
  if (is_get) {
    core::ReadParams p;
    p.attributes = query.Get("attributes");
    p.excluded_attributes = query.Get("excludedAttributes");
    p.if_none_match = request.Header("if-none-match");
    return service_.Get(ctx, *type, id, p);
  }
  if (method != "PUT" && method != "DELETE" && method != "PATCH") {
    return MethodNotAllowed(method, "GET, PUT, DELETE");
  }
  // The write below, run here or as a job; it owns what does not live in `request`.
  auto write = [this, ctx = std::move(ctx), type = *type, id = std::string(id),
                query = std::move(query), &request] {
    const std::string_view if_match = request.Header("if-match");
    if (request.method == "PUT") return service_.Replace(ctx, type, id, request.body, if_match);
    if (request.method == "DELETE") return service_.Delete(ctx, type, id, if_match);
    core::PatchParams p;
    p.if_match = if_match;
    p.attributes = query.Get("attributes");
    p.excluded_attributes = query.Get("excludedAttributes");
    p.prefer_minimal = request.Header("prefer").find("return=minimal") != std::string_view::npos;
    return service_.Patch(ctx, type, id, request.body, p);
  };
  if (*type == core::ResourceType::kGroup || options_.sync_writes) {
    *deferred = std::move(write);
    return {};
  }
  return write();
}

}  // namespace scimd::net
