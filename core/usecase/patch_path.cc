#include "core/usecase/patch_path.h"

#include "core/base/strings.h"
#include "core/filter/filter.h"
#include "core/resource/schema.h"

namespace scimd::core {

namespace {

// ---- value filters inside PATCH paths: emails[type eq "work"] ----
//
// Compiled by the filter compiler (core/filter/filter.h) as value filters relative to the
// attribute, so PATCH paths take the whole filter language.

Json LiteralOf(const BoundValue& v) {
  switch (v.kind) {
    case BoundValue::Kind::kBoolean: return Json::Bool(v.boolean);
    case BoundValue::Kind::kInteger: return Json::Int(v.integer);
    case BoundValue::Kind::kDecimal: return Json::Double(v.decimal);
    case BoundValue::Kind::kString:
    case BoundValue::Kind::kDateTime: return Json::Str(v.string);
  }
  return Json();
}

}  // namespace

// When the filter is `sub eq literal` terms joined by "and", the (sub, literal) pairs:
// a missing element can be created from them (Entra's `emails[type eq "work"].value` on a
// user without a work email). Otherwise false.
bool EqConjunction(const BoundNode& n, std::vector<std::pair<std::string, Json>>* out) {
  if (n.kind == BoundNode::Kind::kCompare && n.op == CompareOp::kEq && n.path.relative &&
      !n.path.sub.empty()) {
    out->emplace_back(n.path.sub, LiteralOf(n.value));
    return true;
  }
  if (n.kind != BoundNode::Kind::kAnd) return false;
  for (const auto& c : n.children) {
    if (!EqConjunction(*c, out)) return false;
  }
  return true;
}

// members[value eq "a" or value eq "b"]: the ids named, or false for any other shape.
bool MemberIds(const BoundNode& n, std::vector<ResourceId>* out) {
  if (n.kind == BoundNode::Kind::kCompare && n.op == CompareOp::kEq && n.path.sub == "value") {
    if (auto id = ResourceId::Parse(n.value.string); id.ok()) out->push_back(*id);
    return true;  // a malformed id names no member: nothing to remove
  }
  if (n.kind != BoundNode::Kind::kOr) return false;
  for (const auto& c : n.children) {
    if (!MemberIds(*c, out)) return false;
  }
  return true;
}

// ---- paths ----

Result<PatchPath> ParsePatchPath(ResourceType type, std::string_view path) {
  const ResourceTypeDef& rt = SchemaRegistry::Default().resource_type(type);
  PatchPath p;
  p.text = std::string(path);
  auto invalid = [&](const std::string& why) {
    return Status::InvalidPath("invalid path \"" + std::string(path) + "\": " + why);
  };
  const size_t bracket = path.find('[');
  std::string_view head = path.substr(0, bracket);
  std::string_view tail;  // after ']'
  if (bracket != std::string_view::npos) {
    const size_t close = path.rfind(']');
    if (close == std::string_view::npos || close < bracket) return invalid("missing ']'");
    p.filter_text = std::string(path.substr(bracket + 1, close - bracket - 1));
    tail = path.substr(close + 1);
    if (!tail.empty() && tail.front() != '.') return invalid("expected '.' after ']'");
    if (!tail.empty()) tail.remove_prefix(1);
  }
  // Schema URN prefix: the longest known schema id followed by ':' (or the whole head).
  const SchemaDef* schema = rt.schema;
  if (head.size() > 4 && StartsWithCi(head, "urn:")) {
    const SchemaDef* found = nullptr;
    for (const SchemaDef* s : {rt.schema}) {
      if (head.size() > s->id.size() && StartsWithCi(head, s->id) && head[s->id.size()] == ':') {
        found = s;
      }
    }
    for (const SchemaDef* e : rt.extensions) {
      if (EqualsCi(head, e->id) && bracket == std::string_view::npos) {
        p.extension = e;  // the whole extension object
        return p;
      }
      if (head.size() > e->id.size() && StartsWithCi(head, e->id) && head[e->id.size()] == ':') {
        found = e;
        p.extension = e;
      }
    }
    if (found == nullptr) return invalid("unknown schema");
    schema = found;
    head.remove_prefix(schema->id.size() + 1);
  }
  const size_t dot = head.find('.');
  const std::string_view attr_name = head.substr(0, dot);
  std::string_view sub_name =
      dot == std::string_view::npos ? std::string_view() : head.substr(dot + 1);
  if (!tail.empty()) {
    if (!sub_name.empty()) return invalid("a sub-attribute both before and after the filter");
    sub_name = tail;
  }
  if (p.extension == nullptr && (EqualsCi(attr_name, "id") || EqualsCi(attr_name, "meta") ||
                                 EqualsCi(attr_name, "schemas"))) {
    p.read_only = true;
    return p;
  }
  if (p.extension == nullptr && EqualsCi(attr_name, "externalId")) {
    p.attr = &ExternalIdDef();
  } else {
    p.attr = schema->Find(attr_name);
  }
  if (p.attr == nullptr) {
    return invalid("\"" + std::string(attr_name) + "\" is not an attribute of " + schema->id);
  }
  if (p.attr->mutability == Mutability::kReadOnly) p.read_only = true;
  if (!sub_name.empty()) {
    p.sub = p.attr->FindSub(sub_name);
    if (p.sub == nullptr) {
      return invalid("\"" + std::string(sub_name) + "\" is not a sub-attribute of " + p.attr->name);
    }
  }
  if (bracket != std::string_view::npos) {
    if (p.attr->type != AttrType::kComplex || !p.attr->multi_valued) {
      return invalid("a filter needs a multi-valued complex attribute");
    }
    SCIMD_ASSIGN_OR_RETURN(p.filter,
                           CompileValueFilter(type, path.substr(0, bracket), p.filter_text));
  }
  return p;
}

}  // namespace scimd::core
