#include "core/scim/scim_error.h"

#include "core/base/json.h"
#include "core/resource/schema.h"

namespace scimd::core {

std::string ScimErrorBody(int http_status, std::string_view scim_type, std::string_view detail) {
  std::string body = "{\"schemas\":[\"";
  body += kErrorSchema;
  body += "\"],\"status\":\"" + std::to_string(http_status) + "\"";
  if (!scim_type.empty()) {
    body += ",\"scimType\":";
    AppendJsonString(body, scim_type);
  }
  body += ",\"detail\":";
  AppendJsonString(body, detail);
  body += "}";
  return body;
}

std::string ScimErrorBody(const Status& status) {
  const StatusHttp http = ToHttp(status.code());
  return ScimErrorBody(http.http_status, http.scim_type, status.detail());
}

}  // namespace scimd::core
