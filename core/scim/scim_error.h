// The SCIM error document (RFC 7644 §3.12) and the SCIM media type: the one builder of
// error bodies, for the router's answers, /Bulk's per-operation responses and the HTTP
// server's own (400, 413, 431, 500, 503). Pure functions; safe on any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/base/status.h"

namespace scimd::core {

// Content-Type of every SCIM request and response body (RFC 7644 §3.1).
inline constexpr std::string_view kScimMediaType = "application/scim+json";

// {"schemas":[Error],"status":"<http_status>","scimType":..,"detail":..}; the status is a
// string as the RFC shows it, scimType is left out when empty.
std::string ScimErrorBody(int http_status, std::string_view scim_type, std::string_view detail);
// The same for a Status, through the one table of core/base/status.h (ToHttp).
std::string ScimErrorBody(const Status& status);

}  // namespace scimd::core
