#include "core/filter/filter_binder.h"

#include <charconv>
#include <cmath>
#include <string>
#include <utility>

#include "core/base/json.h"
#include "core/base/strings.h"
#include "core/filter/filter_datetime.h"
#include "core/filter/filter_parser.h"
#include "core/resource/index_entries.h"

namespace scimd::core {

namespace {

std::string_view TypeName(AttrType t) {
  switch (t) {
    case AttrType::kString: return "string";
    case AttrType::kBoolean: return "boolean";
    case AttrType::kDecimal: return "decimal";
    case AttrType::kInteger: return "integer";
    case AttrType::kDateTime: return "dateTime";
    case AttrType::kReference: return "reference";
    case AttrType::kComplex: return "complex";
    case AttrType::kBinary: return "binary";
  }
  return "?";
}

bool IsStringLike(AttrType t) {
  return t == AttrType::kString || t == AttrType::kReference || t == AttrType::kBinary;
}

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

// A resolved path plus the definition of its top-level attribute (null for id and meta).
struct Resolved {
  BoundPath path;
  const AttrDef* def = nullptr;
};

std::unique_ptr<BoundNode> MakeNode(BoundNode::Kind kind) {
  auto n = std::make_unique<BoundNode>();
  n->kind = kind;
  return n;
}

class Binder {
 public:
  Binder(ResourceType type, bool element_mode)
      : type_(type),
        rt_(SchemaRegistry::Default().resource_type(type)),
        element_mode_(element_mode) {}

  // `parent`: inside a valuePath (or a value filter), the complex attribute whose
  // sub-attributes the paths name.
  Result<std::unique_ptr<BoundNode>> Bind(const AstNode& n, const Resolved* parent) {
    switch (n.kind) {
      case AstNode::Kind::kAnd:
      case AstNode::Kind::kOr: {
        const auto kind =
            n.kind == AstNode::Kind::kAnd ? BoundNode::Kind::kAnd : BoundNode::Kind::kOr;
        auto out = MakeNode(kind);
        for (const auto& c : n.children) {
          SCIMD_ASSIGN_OR_RETURN(auto child, Bind(*c, parent));
          if (child->kind == kind) {  // flatten (a and b) and c
            for (auto& gc : child->children) out->children.push_back(std::move(gc));
          } else {
            out->children.push_back(std::move(child));
          }
        }
        return out;
      }
      case AstNode::Kind::kNot: {
        SCIMD_ASSIGN_OR_RETURN(auto child, Bind(*n.children[0], parent));
        if (child->kind == BoundNode::Kind::kNot) return std::move(child->children[0]);
        auto out = MakeNode(BoundNode::Kind::kNot);
        out->children.push_back(std::move(child));
        return out;
      }
      case AstNode::Kind::kValuePath: return BindValuePath(n, parent);
      case AstNode::Kind::kPresent:
      case AstNode::Kind::kCompare: {
        Resolved r;
        if (parent != nullptr) {
          SCIMD_ASSIGN_OR_RETURN(r, ResolveRelative(*parent, n.path));
        } else {
          SCIMD_ASSIGN_OR_RETURN(r, ResolveTop(n.path));
          if (IsMembership(r)) return BindMembershipTerm(n, r);
        }
        if (n.kind == AstNode::Kind::kPresent) return Present(r.path);
        return BindCompare(r, n);
      }
    }
    return Status::Internal("unknown filter node");
  }

  Result<Resolved> ResolveTop(const AstPath& p) {
    const SchemaDef* schema = rt_.schema;
    bool extension = false;
    if (!p.urn.empty()) {
      if (EqualsCi(p.urn, rt_.schema->id)) {
        schema = rt_.schema;
        // id, externalId and meta.* qualified with the core schema's URN, as clients write
        // them (`urn:ietf:params:scim:schemas:core:2.0:User:meta.lastModified`).
        SCIMD_ASSIGN_OR_RETURN(std::optional<Resolved> common, ResolveCommon(p));
        if (common) return *std::move(common);
      } else if (const SchemaDef* e = rt_.FindExtension(p.urn)) {
        schema = e;
        extension = true;
      } else {
        return FilterError(p.pos, "unknown schema " + Quote(p.urn) + " for " + rt_.name);
      }
    } else {
      SCIMD_ASSIGN_OR_RETURN(std::optional<Resolved> common, ResolveCommon(p));
      if (common) return *std::move(common);
    }
    const AttrDef* def = schema->Find(p.attr);
    if (def == nullptr) {
      return FilterError(p.pos, "unknown attribute " + Quote(p.ToString()) + " of " + rt_.name);
    }
    Resolved r;
    r.def = def;
    r.path.schema = extension ? schema->id : "";
    r.path.attr = def->name;
    r.path.multi_valued = def->multi_valued;
    r.path.type = def->type;
    r.path.case_exact = def->case_exact;
    if (!p.sub.empty()) {
      if (def->type != AttrType::kComplex) {
        return FilterError(
            p.pos, Quote(def->name) + " has no sub-attributes (found " + Quote(p.ToString()) + ")");
      }
      const AttrDef* sub = def->FindSub(p.sub);
      if (sub == nullptr) {
        return FilterError(p.pos,
                           "unknown sub-attribute " + Quote(p.ToString()) + " of " + rt_.name);
      }
      r.path.sub = sub->name;
      r.path.type = sub->type;
      r.path.case_exact = sub->case_exact;
    }
    return r;
  }

 private:
  // id, externalId, schemas and meta.* (RFC 7643 §3.1), common to every resource type.
  Result<std::optional<Resolved>> ResolveCommon(const AstPath& p) {
    Resolved r;
    r.path.case_exact = true;
    if (EqualsCi(p.attr, "id") || EqualsCi(p.attr, "externalId") || EqualsCi(p.attr, "schemas")) {
      if (!p.sub.empty()) {
        return FilterError(
            p.pos, Quote(p.attr) + " has no sub-attributes (found " + Quote(p.ToString()) + ")");
      }
      if (EqualsCi(p.attr, "id")) {
        r.path.field = FieldKind::kId;
        r.path.attr = "id";
      } else if (EqualsCi(p.attr, "externalId")) {
        r.path.attr = "externalId";
      } else {
        r.path.attr = "schemas";
        r.path.multi_valued = true;
        r.path.type = AttrType::kReference;
      }
      return std::optional<Resolved>(std::move(r));
    }
    if (!EqualsCi(p.attr, "meta")) return std::optional<Resolved>();
    static constexpr struct {
      std::string_view name;
      FieldKind field;
      AttrType type;
    } kMeta[] = {
        {"created", FieldKind::kMetaCreated, AttrType::kDateTime},
        {"lastModified", FieldKind::kMetaLastModified, AttrType::kDateTime},
        {"resourceType", FieldKind::kMetaResourceType, AttrType::kString},
        {"version", FieldKind::kMetaVersion, AttrType::kString},
        {"location", FieldKind::kMetaLocation, AttrType::kReference},
    };
    for (const auto& m : kMeta) {
      if (EqualsCi(p.sub, m.name)) {
        r.path.field = m.field;
        r.path.attr = "meta";
        r.path.sub = std::string(m.name);
        r.path.type = m.type;
        return std::optional<Resolved>(std::move(r));
      }
    }
    if (p.sub.empty()) {
      return FilterError(p.pos,
                         "\"meta\" needs a sub-attribute (created, lastModified, "
                         "resourceType, version or location)");
    }
    return FilterError(p.pos, "unknown sub-attribute " + Quote(p.ToString()) + " of " + rt_.name);
  }

  // A path inside parent[...]: one sub-attribute name of `parent`.
  Result<Resolved> ResolveRelative(const Resolved& parent, const AstPath& p) {
    if (!p.urn.empty() || !p.sub.empty()) {
      return FilterError(p.pos, "inside " + parent.path.attr + "[...] name a sub-attribute of " +
                                    Quote(parent.path.attr) + ", found " + Quote(p.ToString()));
    }
    const AttrDef* sub = parent.def->FindSub(p.attr);
    if (sub == nullptr) {
      return FilterError(p.pos, "unknown sub-attribute " + Quote(parent.path.attr + "." + p.attr) +
                                    " of " + rt_.name);
    }
    Resolved r = parent;
    r.path.sub = sub->name;
    r.path.type = sub->type;
    r.path.case_exact = sub->case_exact;
    r.path.relative = true;
    return r;
  }

  bool IsMembership(const Resolved& r) const {
    if (element_mode_ || !r.path.schema.empty() || r.path.field != FieldKind::kAttr) return false;
    return (type_ == ResourceType::kGroup && r.path.attr == "members") ||
           (type_ == ResourceType::kUser && r.path.attr == "groups");
  }

  Status MembershipError(const Resolved& r, size_t pos) const {
    const std::string& a = r.path.attr;
    return FilterError(pos, "only " + a + ".value eq \"<id>\", " + a + "[value eq \"<id>\"] and " +
                                a + " pr are supported on " + Quote(a));
  }

  // members / members.value / groups / groups.value, eq or pr.
  Result<std::unique_ptr<BoundNode>> BindMembershipTerm(const AstNode& n, const Resolved& r) {
    if (!r.path.sub.empty() && r.path.sub != "value") return MembershipError(r, n.pos);
    BoundPath path;
    path.field = r.path.attr == "members" ? FieldKind::kMembers : FieldKind::kGroups;
    path.attr = r.path.attr;
    path.sub = "value";
    path.multi_valued = true;
    if (n.kind == AstNode::Kind::kPresent) return Present(path);
    if (n.op != CompareOp::kEq || n.value.kind != AstLiteral::Kind::kString) {
      return MembershipError(r, n.pos);
    }
    auto out = MakeNode(BoundNode::Kind::kCompare);
    out->path = std::move(path);
    out->value.string = n.value.text;
    out->value.folded = n.value.text;
    if (auto id = ResourceId::Parse(n.value.text); id.ok()) out->value.id = *id;
    return out;
  }

  // members[value eq "a" or value eq "b"]: exists a member satisfying the inner filter;
  // that is answerable from edges only for `value eq` terms joined by `or`.
  Result<std::unique_ptr<BoundNode>> BindMembershipFilter(const AstNode& n, const Resolved& r) {
    if (n.kind == AstNode::Kind::kOr) {
      auto out = MakeNode(BoundNode::Kind::kOr);
      for (const auto& c : n.children) {
        SCIMD_ASSIGN_OR_RETURN(auto child, BindMembershipFilter(*c, r));
        if (child->kind == BoundNode::Kind::kOr) {
          for (auto& gc : child->children) out->children.push_back(std::move(gc));
        } else {
          out->children.push_back(std::move(child));
        }
      }
      return out;
    }
    if ((n.kind == AstNode::Kind::kCompare || n.kind == AstNode::Kind::kPresent) &&
        n.path.urn.empty() && n.path.sub.empty() && EqualsCi(n.path.attr, "value")) {
      return BindMembershipTerm(n, r);
    }
    return MembershipError(r, n.pos);
  }

  Result<std::unique_ptr<BoundNode>> BindValuePath(const AstNode& n, const Resolved* parent) {
    if (parent != nullptr) {
      return FilterError(n.pos, "a value filter cannot contain another [...] filter");
    }
    SCIMD_ASSIGN_OR_RETURN(Resolved r, ResolveTop(n.path));
    if (r.path.type != AttrType::kComplex || r.def == nullptr) {
      return FilterError(n.pos, Quote(r.path.ToString()) +
                                    " is not a complex attribute, so it "
                                    "cannot take a [...] filter");
    }
    if (IsMembership(r)) return BindMembershipFilter(*n.children[0], r);
    auto out = MakeNode(BoundNode::Kind::kValuePath);
    out->path = r.path;
    SCIMD_ASSIGN_OR_RETURN(auto inner, Bind(*n.children[0], &r));
    out->children.push_back(std::move(inner));
    return out;
  }

  static Result<std::unique_ptr<BoundNode>> Present(BoundPath path) {
    auto out = MakeNode(BoundNode::Kind::kPresent);
    out->path = std::move(path);
    return out;
  }

  Result<std::unique_ptr<BoundNode>> BindCompare(Resolved r, const AstNode& n) {
    const AstLiteral& lit = n.value;
    const std::string op = std::string(CompareOpName(n.op));
    if (lit.kind == AstLiteral::Kind::kNull) {
      // eq null = not present, ne null = present (RFC 7644 §3.4.2.2 treats null as absent).
      if (n.op != CompareOp::kEq && n.op != CompareOp::kNe) {
        return FilterError(lit.pos, "null can only be compared with eq or ne");
      }
      auto pr = MakeNode(BoundNode::Kind::kPresent);
      pr->path = r.path;
      if (n.op == CompareOp::kNe) return pr;
      auto out = MakeNode(BoundNode::Kind::kNot);
      out->children.push_back(std::move(pr));
      return out;
    }
    BoundPath& path = r.path;
    if (path.type == AttrType::kComplex && path.sub.empty() && r.def != nullptr &&
        r.def->multi_valued) {
      // emails co "x" means emails.value co "x" (RFC 7644 §3.4.2.2 "value" default).
      if (const AttrDef* value = r.def->FindSub("value")) {
        path.sub = value->name;
        path.type = value->type;
        path.case_exact = value->case_exact;
      }
    }
    const std::string name = Quote(path.ToString());
    if (path.type == AttrType::kComplex) {
      return FilterError(n.pos, name +
                                    " is a complex attribute: compare one of its "
                                    "sub-attributes, or use pr");
    }
    const bool substring =
        n.op == CompareOp::kCo || n.op == CompareOp::kSw || n.op == CompareOp::kEw;
    const bool ordering = n.op == CompareOp::kGt || n.op == CompareOp::kGe ||
                          n.op == CompareOp::kLt || n.op == CompareOp::kLe;
    if (substring && !IsStringLike(path.type)) {
      return FilterError(n.pos, Quote(op) + " needs a string attribute; " + name + " is " +
                                    std::string(TypeName(path.type)));
    }
    if (ordering && path.type == AttrType::kBoolean) {
      return FilterError(n.pos, Quote(op) + " is not defined for the boolean attribute " + name);
    }
    auto out = MakeNode(BoundNode::Kind::kCompare);
    out->op = n.op;
    BoundValue& v = out->value;
    const auto wrong = [&](std::string_view expected) {
      return FilterError(lit.pos, "expected " + std::string(expected) + " for " + name +
                                      ", found " + lit.ToString());
    };
    switch (path.type) {
      case AttrType::kString:
      case AttrType::kReference:
      case AttrType::kBinary:
        if (lit.kind != AstLiteral::Kind::kString) return wrong("a string");
        v.kind = BoundValue::Kind::kString;
        v.string = lit.text;
        v.folded = NormalizeForIndex(lit.text, path.case_exact);
        if (path.field == FieldKind::kId) {
          if (auto id = ResourceId::Parse(lit.text); id.ok()) v.id = *id;
        }
        break;
      case AttrType::kBoolean:
        v.kind = BoundValue::Kind::kBoolean;
        if (lit.kind == AstLiteral::Kind::kTrue ||
            (lit.kind == AstLiteral::Kind::kString && EqualsCi(lit.text, "true"))) {
          v.boolean = true;
        } else if (lit.kind == AstLiteral::Kind::kFalse ||
                   (lit.kind == AstLiteral::Kind::kString && EqualsCi(lit.text, "false"))) {
          v.boolean = false;
        } else {
          return wrong("true or false");
        }
        break;
      case AttrType::kInteger:
      case AttrType::kDecimal: {
        if (lit.kind != AstLiteral::Kind::kNumber) return wrong("a number");
        const char* b = lit.text.data();
        const char* e = b + lit.text.size();
        int64_t i = 0;
        auto [ptr, ec] = std::from_chars(b, e, i);
        if (ec == std::errc() && ptr == e) {
          v.kind = BoundValue::Kind::kInteger;
          v.integer = i;
          v.decimal = static_cast<double>(i);
        } else {
          v.kind = BoundValue::Kind::kDecimal;
          v.decimal = std::strtod(lit.text.c_str(), nullptr);
          if (!std::isfinite(v.decimal)) return wrong("a finite number");
        }
        break;
      }
      case AttrType::kDateTime: {
        std::optional<int64_t> micros;
        if (lit.kind == AstLiteral::Kind::kString) micros = ParseDateTimeMicros(lit.text);
        if (!micros) return wrong("a dateTime such as \"2015-10-10T14:38:21.861Z\"");
        v.kind = BoundValue::Kind::kDateTime;
        v.integer = *micros;
        break;
      }
      case AttrType::kComplex: break;  // refused above
    }
    out->path = std::move(path);
    return out;
  }

  ResourceType type_;
  const ResourceTypeDef& rt_;
  bool element_mode_;
};

}  // namespace

Result<BoundFilter> BindFilter(ResourceType type, const AstNode& root) {
  Binder binder(type, false);
  BoundFilter out;
  out.type = type;
  SCIMD_ASSIGN_OR_RETURN(out.root, binder.Bind(root, nullptr));
  return out;
}

Result<BoundFilter> BindValueFilter(ResourceType type, const AstPath& attr, const AstNode& root) {
  Binder binder(type, true);
  SCIMD_ASSIGN_OR_RETURN(Resolved parent, binder.ResolveTop(attr));
  if (parent.path.type != AttrType::kComplex || !parent.path.sub.empty() || parent.def == nullptr) {
    return Status::InvalidFilter(Quote(attr.ToString()) +
                                 " is not a complex attribute, so it cannot take a [...] filter");
  }
  BoundFilter out;
  out.type = type;
  out.element_attr = parent.path;
  SCIMD_ASSIGN_OR_RETURN(out.root, binder.Bind(root, &parent));
  return out;
}

}  // namespace scimd::core
