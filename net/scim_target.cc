#include "net/scim_target.h"

#include <algorithm>

#include "core/base/strings.h"
#include "core/resource/schema.h"

namespace scimd::net {

using core::EqualsCi;
using core::Status;

namespace {

bool HostIsSane(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
  });
}

Status NoSuchEndpoint() { return Status::NotFound("no such endpoint"); }

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

std::string_view QueryParams::Get(std::string_view name) const {
  for (const auto& [k, v] : items) {
    if (EqualsCi(k, name)) return v;
  }
  return {};
}

bool QueryParams::Has(std::string_view name) const {
  for (const auto& [k, v] : items) {
    if (EqualsCi(k, name)) return true;
  }
  return false;
}

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

core::Result<ScimTarget> ParseScimTarget(const HttpRequest& request, const TargetRules& rules) {
  std::string path = PercentDecode(request.path, false);
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  // `/t/{tenant}` first: a path that names its tenant (a reverse proxy routing by path).
  std::string tenant_prefix, tenant_name;
  if (path.rfind("/t/", 0) == 0) {
    const size_t end = path.find('/', 3);
    tenant_name = path.substr(3, end == std::string::npos ? std::string::npos : end - 3);
    if (tenant_name.empty()) return NoSuchEndpoint();
    tenant_prefix = path.substr(0, 3 + tenant_name.size());
    path.erase(0, tenant_prefix.size());
    if (path.empty()) path = "/";
  }

  // Strip a known base path (at a segment boundary), longest first, remembering it for
  // meta.location.
  std::string base;
  size_t matched = 0;
  for (const auto& p : rules.base_paths) {
    std::string_view prefix = p;
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    if (prefix.empty() || prefix.size() <= matched || !core::StartsWithCi(path, prefix)) continue;
    if (path.size() == prefix.size() || path[prefix.size()] == '/') matched = prefix.size();
  }
  base = path.substr(0, matched);
  path.erase(0, matched);

  std::vector<std::string_view> segments;
  for (std::string_view rest(path); !rest.empty();) {
    if (rest.front() == '/') {
      rest.remove_prefix(1);
      continue;
    }
    const size_t slash = rest.find('/');
    segments.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash);
  }

  std::string_view host = request.Header("host");
  if (!HostIsSane(host)) host = rules.default_host;
  const bool https = request.secure || EqualsCi(request.Header("x-forwarded-proto"), "https");
  ScimTarget t;
  t.base_url =
      std::string(https ? "https://" : "http://") + std::string(host) + tenant_prefix + base;
  t.tenant_name = std::move(tenant_name);
  if (segments.empty()) {
    return Status::NotFound("no SCIM endpoint here; try " + t.base_url + "/Users or " + t.base_url +
                            "/Schemas");
  }
  const std::string_view endpoint = segments[0];
  const size_t extra = segments.size() - 1;

  if (EqualsCi(endpoint, "ServiceProviderConfig") || EqualsCi(endpoint, "ServiceProviderConfigs") ||
      EqualsCi(endpoint, "serviceConfiguration")) {
    if (extra > 0) return NoSuchEndpoint();
    t.endpoint = ScimEndpoint::kServiceProviderConfig;
    return t;
  }
  if (EqualsCi(endpoint, "ResourceTypes") || EqualsCi(endpoint, "Schemas")) {
    if (extra > 1) return NoSuchEndpoint();
    t.endpoint =
        EqualsCi(endpoint, "Schemas") ? ScimEndpoint::kSchemas : ScimEndpoint::kResourceTypes;
    if (extra == 1) t.name = std::string(segments[1]);
    return t;
  }
  if (rules.token_endpoint && EqualsCi(endpoint, "Token") && extra == 0) {
    t.endpoint = ScimEndpoint::kToken;
    return t;
  }
  if (EqualsCi(endpoint, "Me")) {
    t.endpoint = ScimEndpoint::kMe;
    return t;
  }
  if (EqualsCi(endpoint, "Bulk") || EqualsCi(endpoint, ".search")) {
    if (extra > 0) return NoSuchEndpoint();
    t.endpoint = EqualsCi(endpoint, "Bulk") ? ScimEndpoint::kBulk : ScimEndpoint::kRootSearch;
    return t;
  }
  const auto type = core::SchemaRegistry::Default().FindEndpoint(endpoint);
  if (!type) {
    return Status::NotFound("unknown endpoint \"/" + std::string(endpoint) +
                            "\"; this server serves /Users, /Groups, /Schemas, /ResourceTypes "
                            "and /ServiceProviderConfig");
  }
  t.type = *type;
  if (extra == 0) {
    t.endpoint = ScimEndpoint::kResources;
  } else if (extra == 1 && EqualsCi(segments[1], ".search")) {
    t.endpoint = ScimEndpoint::kResourceSearch;
  } else if (extra == 1) {
    t.endpoint = ScimEndpoint::kResource;
    t.name = std::string(segments[1]);
  } else {
    return NoSuchEndpoint();
  }
  return t;
}

}  // namespace scimd::net
