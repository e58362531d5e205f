// The schema registry: RFC 7643 schema definitions as data. They drive validation of
// input, the canonical case of attribute names in output, what is indexed, and what
// /Schemas and /ResourceTypes serve. Immutable after construction; shared by all threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/ids.h"
#include "core/base/json.h"
#include "core/base/store.h"

namespace scimd::core {

inline constexpr std::string_view kUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
inline constexpr std::string_view kGroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
inline constexpr std::string_view kEnterpriseUserSchema =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
inline constexpr std::string_view kListResponseSchema =
    "urn:ietf:params:scim:api:messages:2.0:ListResponse";
inline constexpr std::string_view kErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";
inline constexpr std::string_view kSearchRequestSchema =
    "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
inline constexpr std::string_view kPatchOpSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

enum class AttrType {
  kString,
  kBoolean,
  kDecimal,
  kInteger,
  kDateTime,
  kReference,
  kComplex,
  kBinary
};
enum class Mutability { kReadWrite, kReadOnly, kImmutable, kWriteOnly };
enum class Returned { kDefault, kAlways, kNever, kRequest };
enum class Uniqueness { kNone, kServer, kGlobal };

struct AttrDef {
  std::string name;
  AttrType type = AttrType::kString;
  bool multi_valued = false;
  bool required = false;
  bool case_exact = false;
  Mutability mutability = Mutability::kReadWrite;
  Returned returned = Returned::kDefault;
  Uniqueness uniqueness = Uniqueness::kNone;
  std::string description;
  std::vector<std::string> canonical_values;
  std::vector<std::string> reference_types;
  std::vector<AttrDef> sub_attributes;

  const AttrDef* FindSub(std::string_view sub_name) const;  // case-insensitive
};

struct SchemaDef {
  std::string id;  // URN
  std::string name;
  std::string description;
  std::vector<AttrDef> attributes;

  const AttrDef* Find(std::string_view attr_name) const;  // case-insensitive
};

struct ResourceTypeDef {
  ResourceType type;
  std::string name;      // "User"
  std::string endpoint;  // "/Users"
  std::string description;
  const SchemaDef* schema = nullptr;
  std::vector<const SchemaDef*> extensions;  // all optional (required: false)

  const SchemaDef* FindExtension(std::string_view urn) const;  // case-insensitive
};

// An attribute that has an index: its persisted number, resource type, path and rules.
struct IndexedAttr {
  AttrId id;  // persisted in index keys: never renumber
  ResourceType type;
  std::string path;  // canonical, e.g. "userName", "emails.value"
  bool case_exact;
  bool unique;  // also kept in the `unique` column family
};

// "externalId" as an attribute definition: common to every resource (RFC 7643 §3.1), so kept
// outside the schemas; a string, caseExact. For code that names attributes by definition.
const AttrDef& ExternalIdDef();

class SchemaRegistry {
 public:
  // The built-in registry: User (+ Enterprise User extension) and Group, RFC 7643 §4, §8.7.
  static const SchemaRegistry& Default();

  const ResourceTypeDef& resource_type(ResourceType t) const;
  const std::vector<const SchemaDef*>& schemas() const { return all_schemas_; }
  const SchemaDef* FindSchema(std::string_view urn) const;  // case-insensitive
  // "Users"/"Groups" path segment (case-insensitive) -> type.
  std::optional<ResourceType> FindEndpoint(std::string_view segment) const;

  // Indexed attributes of a type; `path` compared case-insensitively.
  const std::vector<IndexedAttr>& indexed() const { return indexed_; }
  const IndexedAttr* FindIndexed(ResourceType type, std::string_view path) const;

  // Discovery documents (RFC 7643 §5-7, RFC 7644 §4). `base_url` prefixes meta.location.
  Json SchemaJson(const SchemaDef& schema, std::string_view base_url) const;
  Json ResourceTypeJson(const ResourceTypeDef& rt, std::string_view base_url) const;

 private:
  SchemaRegistry();
  SchemaDef user_, enterprise_user_, group_;
  std::vector<ResourceTypeDef> resource_types_;
  std::vector<const SchemaDef*> all_schemas_;
  std::vector<IndexedAttr> indexed_;
};

}  // namespace scimd::core
