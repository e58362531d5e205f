// The bound filter: the AST after the binder resolved every name against the schema
// registry (canonical names, types, caseExact) and checked every literal. It is what the
// evaluator runs and what the planner plans. Normalized: and/or are n-ary and flat,
// `x eq null` / `x ne null` became not(x pr) / x pr, a multi-valued complex attribute
// compared without a sub-attribute became its "value", and Group members / User groups
// became membership terms. Immutable once built; safe to share read-only across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/ids.h"
#include "core/filter/filter_ast.h"
#include "core/resource/schema.h"

namespace scimd::core {

// Where a path's values come from.
enum class FieldKind : uint8_t {
  kAttr,              // the resource's attribute JSON (or the element, when relative)
  kId,                // the resource id (string, caseExact)
  kMetaCreated,       // StoredHeader::created_us (dateTime)
  kMetaLastModified,  // StoredHeader::modified_us (dateTime)
  kMetaResourceType,  // "User" / "Group"
  kMetaVersion,       // W/"<version>"
  kMetaLocation,      // <base_url>/<Users|Groups>/<id>
  kMembers,           // Group members.value: membership edges (eq and pr only)
  kGroups,            // User groups.value: direct membership edges (eq and pr only)
};

struct BoundPath {
  FieldKind field = FieldKind::kAttr;
  std::string schema;  // extension URN holding `attr`; empty for core and common attributes
  std::string attr;    // canonical top-level name ("emails", "meta", "department")
  std::string sub;     // canonical sub-attribute; empty = the attribute itself
  AttrType type = AttrType::kString;  // type of the leaf (sub-attribute if any)
  bool case_exact = false;
  bool multi_valued = false;  // the top-level attribute is multi-valued
  bool relative = false;      // inside a valuePath / element filter: `sub` of the element

  // Canonical text: "emails.value", "urn:...:User:manager.value"; relative: "type".
  std::string ToString() const;
  // "attr.sub" / "attr" as SchemaRegistry::indexed() names it.
  std::string IndexPath() const;
};

// A checked literal in the form its comparisons need.
struct BoundValue {
  enum class Kind : uint8_t { kString, kBoolean, kInteger, kDecimal, kDateTime };
  Kind kind = Kind::kString;
  std::string string;  // kString: as written
  std::string folded;  // kString: NormalizeForIndex(string, case_exact)
  bool boolean = false;
  int64_t integer = 0;           // kInteger; kDateTime: microseconds since the Unix epoch
  double decimal = 0;            // kInteger and kDecimal
  std::optional<ResourceId> id;  // kMembers/kGroups/kId eq: the parsed id, if valid

  std::string ToString() const;
};

struct BoundNode {
  enum class Kind : uint8_t { kCompare, kPresent, kAnd, kOr, kNot, kValuePath };
  Kind kind = Kind::kCompare;
  BoundPath path;  // kCompare, kPresent; kValuePath: the (complex) attribute
  CompareOp op = CompareOp::kEq;
  BoundValue value;
  std::vector<std::unique_ptr<BoundNode>> children;

  std::string ToString() const;  // the same shape as AstNode::ToString
};

struct BoundFilter {
  ResourceType type = ResourceType::kUser;
  // Set for a value filter (CompileValueFilter): the complex attribute whose elements it
  // matches; every path in `root` is then relative.
  std::optional<BoundPath> element_attr;
  std::unique_ptr<BoundNode> root;

  std::string ToString() const { return root ? root->ToString() : ""; }
};

}  // namespace scimd::core
