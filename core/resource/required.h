// Attributes a tenant requires beyond the schema's own (the tenant setting
// "required=userName,emails,externalId"): every write of a User must leave each of them
// with a value, or it is refused with 400 invalidValue naming the attribute. Pure
// functions; safe on any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/json.h"
#include "core/base/status.h"
#include "core/resource/schema.h"

namespace scimd::core {

// One required attribute, resolved against the User schema: canonical names.
struct RequiredAttr {
  std::string schema;  // empty for the core schema, else the extension's URN
  std::string attr;    // e.g. "emails", "externalId", "name"
  std::string sub;     // e.g. "givenName" for "name.givenName"; empty for the whole attribute
  std::string path;    // as written back in the setting: "name.givenName", "urn:...:employeeNumber"
};

// "userName,emails,name.givenName,externalId,urn:...:enterprise:2.0:User:employeeNumber"
// (comma-separated, spaces allowed) -> the attributes; InvalidValue naming an unknown or
// read-only one. At most kMaxRequiredAttributes.
inline constexpr size_t kMaxRequiredAttributes = 32;
Result<std::vector<RequiredAttr>> ParseRequiredAttributes(std::string_view list);

// Ok when `attrs` (a User's canonical attributes) gives every attribute of `required` a
// value: not null, not an empty string, array or object; for "attr.sub", some element (or
// the one value) of attr has the sub-attribute. Else InvalidValue naming the first missing.
Status CheckRequired(const std::vector<RequiredAttr>& required, const Json& attrs);

}  // namespace scimd::core
