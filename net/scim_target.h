// Which SCIM endpoint a request names: the request target taken apart (base path, endpoint,
// resource id) and its query parameters decoded. Pure functions; safe on any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/ids.h"
#include "core/base/status.h"
#include "net/http_types.h"

namespace scimd::net {

enum class ScimEndpoint : uint8_t {
  kServiceProviderConfig,  // /ServiceProviderConfig (and two aliases clients use)
  kResourceTypes,          // /ResourceTypes[/{name}]
  kSchemas,                // /Schemas[/{urn}]
  kToken,                  // /Token, only with TargetRules::token_endpoint
  kMe,                     // /Me[/...]
  kBulk,                   // /Bulk
  kRootSearch,             // /.search
  kResources,              // /Users, /Groups
  kResourceSearch,         // /Users/.search, /Groups/.search
  kResource,               // /Users/{id}, /Groups/{id}
};

struct ScimTarget {
  ScimEndpoint endpoint = ScimEndpoint::kResources;
  core::ResourceType type = core::ResourceType::kUser;  // the /Users or /Groups endpoints
  // kResource: the id as sent; kResourceTypes / kSchemas: the entry asked for (empty: all).
  std::string name;
  // "http[s]://host[/t/{tenant}]<base path>": what meta.location and $ref start with.
  std::string base_url;
  // The tenant a `/t/{tenant}/...` path names (core::Gate admits only its tokens there).
  std::string tenant_name;
};

struct TargetRules {
  // Prefixes the API is served under besides the bare root, compared case-insensitively;
  // each may also follow a tenant segment, `/t/{tenant}/scim/v2`.
  std::vector<std::string> base_paths = {"/scim/v2", "/scim", "/api/scim"};
  // Host used in base_url when a request has no usable Host header.
  std::string default_host = "127.0.0.1";
  // Whether /Token is an endpoint (scimd --insecure-token-endpoint).
  bool token_endpoint = false;
};

// The endpoint of `request`, or NotFound naming what is wrong. Percent-escapes in the path
// are decoded, trailing slashes ignored, resource names compared case-insensitively.
core::Result<ScimTarget> ParseScimTarget(const HttpRequest& request, const TargetRules& rules);

// Query parameters, decoded; names compare case-insensitively (RFC 7644 §3.4.2 names them
// in camelCase, clients vary).
struct QueryParams {
  std::vector<std::pair<std::string, std::string>> items;
  // The first value of `name`, empty when absent.
  std::string_view Get(std::string_view name) const;
  // Whether `name` is present at all (`filter=` is present and empty).
  bool Has(std::string_view name) const;
};
QueryParams ParseQuery(std::string_view query);

// Decodes %XX escapes (and '+' as space when `plus_is_space`). Malformed escapes are
// kept literally.
std::string PercentDecode(std::string_view s, bool plus_is_space);

}  // namespace scimd::net
