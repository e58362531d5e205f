#include "core/resource/required.h"

#include "core/base/strings.h"

namespace scimd::core {

namespace {

Result<RequiredAttr> Resolve(std::string_view path) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidValue("required attribute \"" + std::string(path) +
                                "\": " + std::string(why));
  };
  const ResourceTypeDef& rt = SchemaRegistry::Default().resource_type(ResourceType::kUser);
  const SchemaDef* schema = rt.schema;
  std::string_view rest = path;
  if (const size_t colon = path.rfind(':'); colon != std::string_view::npos) {
    const std::string_view urn = path.substr(0, colon);
    if (EqualsCi(urn, rt.schema->id)) {
      schema = rt.schema;
    } else if (const SchemaDef* ext = rt.FindExtension(urn)) {
      schema = ext;
    } else {
      return bad("no schema \"" + std::string(urn) + "\" on User");
    }
    rest = path.substr(colon + 1);
  }
  RequiredAttr r;
  r.schema = schema == rt.schema ? "" : schema->id;
  const size_t dot = rest.find('.');
  const std::string_view top = rest.substr(0, dot);
  if (schema == rt.schema && EqualsCi(top, "externalId") && dot == std::string_view::npos) {
    r.attr = "externalId";
    r.path = r.attr;
    return r;
  }
  const AttrDef* def = schema->Find(top);
  if (def == nullptr) return bad("no such attribute of User");
  if (def->mutability == Mutability::kReadOnly) return bad("read-only: the server sets it");
  if (def->returned == Returned::kNever) return bad("never returned (a password is write-only)");
  r.attr = def->name;
  if (dot != std::string_view::npos) {
    const AttrDef* sub =
        def->type == AttrType::kComplex ? def->FindSub(rest.substr(dot + 1)) : nullptr;
    if (sub == nullptr) return bad("no such sub-attribute");
    r.sub = sub->name;
  }
  r.path = (r.schema.empty() ? "" : r.schema + ":") + r.attr + (r.sub.empty() ? "" : "." + r.sub);
  return r;
}

bool HasValue(const Json* v) {
  if (v == nullptr || v->is_null()) return false;
  if (v->is_string()) return !v->as_string().empty();
  if (v->is_array()) return !v->as_array().empty();
  if (v->is_object()) return !v->as_object().empty();
  return true;
}

}  // namespace

Result<std::vector<RequiredAttr>> ParseRequiredAttributes(std::string_view list) {
  std::vector<RequiredAttr> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    const std::string_view item = TrimSpaces(list.substr(start, comma - start));
    start = comma + 1;
    if (item.empty()) continue;
    if (out.size() >= kMaxRequiredAttributes) {
      return Status::InvalidValue("at most " + std::to_string(kMaxRequiredAttributes) +
                                  " required attributes");
    }
    SCIMD_ASSIGN_OR_RETURN(RequiredAttr r, Resolve(item));
    bool dup = false;
    for (const auto& e : out) dup = dup || e.path == r.path;
    if (!dup) out.push_back(std::move(r));
  }
  return out;
}

Status CheckRequired(const std::vector<RequiredAttr>& required, const Json& attrs) {
  for (const RequiredAttr& r : required) {
    const Json* scope = r.schema.empty() ? &attrs : attrs.Find(r.schema);
    const Json* v = scope != nullptr && scope->is_object() ? scope->Find(r.attr) : nullptr;
    bool present = HasValue(v);
    if (present && !r.sub.empty()) {
      present = false;
      if (v->is_array()) {
        for (const auto& item : v->as_array()) {
          present = present || (item.is_object() && HasValue(item.Find(r.sub)));
        }
      } else if (v->is_object()) {
        present = HasValue(v->Find(r.sub));
      }
    }
    if (!present) {
      return Status::InvalidValue("attribute \"" + r.path +
                                  "\" is required by this tenant (its setting \"required\")");
    }
  }
  return Status::Ok();
}

}  // namespace scimd::core
