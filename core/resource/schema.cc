#include "core/resource/schema.h"

#include "core/base/strings.h"

namespace scimd::core {

namespace {

// Small builders so the definitions below read like RFC 7643 §8.7.1.
AttrDef Attr(std::string name, AttrType type, std::string description) {
  AttrDef a;
  a.name = std::move(name);
  a.type = type;
  a.description = std::move(description);
  return a;
}
AttrDef Str(std::string name, std::string description) {
  return Attr(std::move(name), AttrType::kString, std::move(description));
}
AttrDef Ref(std::string name, std::vector<std::string> types, std::string description) {
  AttrDef a = Attr(std::move(name), AttrType::kReference, std::move(description));
  a.reference_types = std::move(types);
  a.case_exact = true;
  return a;
}
AttrDef Complex(std::string name, std::string description, std::vector<AttrDef> subs,
                bool multi = false) {
  AttrDef a = Attr(std::move(name), AttrType::kComplex, std::move(description));
  a.sub_attributes = std::move(subs);
  a.multi_valued = multi;
  return a;
}
AttrDef With(AttrDef a, Mutability m) {
  a.mutability = m;
  return a;
}
AttrDef Canonical(AttrDef a, std::vector<std::string> values) {
  a.canonical_values = std::move(values);
  return a;
}

// The common shape of emails, phoneNumbers, ims, entitlements, roles, certificates.
AttrDef MultiValued(std::string name, std::string description, AttrDef value,
                    std::vector<std::string> types) {
  return Complex(
      std::move(name), std::move(description),
      {std::move(value),
       Str("display",
           "A human-readable name, primarily used for "
           "display purposes. READ-ONLY."),
       Canonical(Str("type", "A label indicating the attribute's function."), std::move(types)),
       Attr("primary", AttrType::kBoolean,
            "A Boolean value indicating the 'primary' or preferred attribute value "
            "for this attribute.")},
      true);
}

SchemaDef MakeUser() {
  SchemaDef s;
  s.id = std::string(kUserSchema);
  s.name = "User";
  s.description = "User Account";
  AttrDef user_name = Str("userName",
                          "Unique identifier for the User, typically used by the user to "
                          "directly authenticate to the service provider. REQUIRED.");
  user_name.required = true;
  user_name.uniqueness = Uniqueness::kServer;
  AttrDef password =
      With(Str("password", "The User's cleartext password."), Mutability::kWriteOnly);
  password.returned = Returned::kNever;
  AttrDef groups = With(
      Complex("groups",
              "A list of groups to which the user belongs, either through direct "
              "membership, through nested groups, or dynamically calculated.",
              {With(Str("value", "The identifier of the User's group."), Mutability::kReadOnly),
               With(Ref("$ref", {"User", "Group"},
                        "The URI of the corresponding 'Group' resource to which the user "
                        "belongs."),
                    Mutability::kReadOnly),
               With(Str("display",
                        "A human-readable name, primarily used for display "
                        "purposes. READ-ONLY."),
                    Mutability::kReadOnly),
               With(Canonical(Str("type",
                                  "A label indicating the attribute's function, e.g., "
                                  "'direct' or 'indirect'."),
                              {"direct", "indirect"}),
                    Mutability::kReadOnly)},
              true),
      Mutability::kReadOnly);
  AttrDef x509 =
      MultiValued("x509Certificates", "A list of certificates issued to the User.",
                  Attr("value", AttrType::kBinary, "The value of an X.509 certificate."), {});
  s.attributes = {
      user_name,
      Complex("name", "The components of the user's real name.",
              {Str("formatted",
                   "The full name, including all middle names, titles, and "
                   "suffixes as appropriate, formatted for display."),
               Str("familyName", "The family name of the User, or last name."),
               Str("givenName", "The given name of the User, or first name."),
               Str("middleName", "The middle name(s) of the User."),
               Str("honorificPrefix", "The honorific prefix(es) of the User, or title."),
               Str("honorificSuffix", "The honorific suffix(es) of the User, or suffix.")}),
      Str("displayName", "The name of the User, suitable for display to end-users."),
      Str("nickName", "The casual way to address the user in real life."),
      Ref("profileUrl", {"external"},
          "A fully qualified URL pointing to a page representing "
          "the User's online profile."),
      Str("title", "The user's title, such as \"Vice President.\""),
      Str("userType",
          "Used to identify the relationship between the organization and the "
          "user."),
      Str("preferredLanguage", "Indicates the User's preferred written or spoken language."),
      Str("locale",
          "Used to indicate the User's default location for purposes of localizing "
          "items such as currency, date time format, or numerical representations."),
      Str("timezone",
          "The User's time zone in the 'Olson' time zone database format, e.g., "
          "'America/Los_Angeles'."),
      Attr("active", AttrType::kBoolean,
           "A Boolean value indicating the User's administrative "
           "status."),
      password,
      MultiValued("emails", "Email addresses for the user.",
                  Str("value", "Email addresses for the user."), {"work", "home", "other"}),
      MultiValued("phoneNumbers", "Phone numbers for the User.",
                  Str("value", "Phone number of the User."),
                  {"work", "home", "mobile", "fax", "pager", "other"}),
      MultiValued("ims", "Instant messaging addresses for the User.",
                  Str("value", "Instant messaging address for the User."),
                  {"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"}),
      MultiValued("photos", "URLs of photos of the User.",
                  Ref("value", {"external"}, "URL of a photo of the User."),
                  {"photo", "thumbnail"}),
      Complex("addresses", "A physical mailing address for this User.",
              {Str("formatted",
                   "The full mailing address, formatted for display or use with "
                   "a mailing label."),
               Str("streetAddress", "The full street address component."),
               Str("locality", "The city or locality component."),
               Str("region", "The state or region component."),
               Str("postalCode", "The zip code or postal code component."),
               Str("country", "The country name component."),
               Canonical(Str("type", "A label indicating the attribute's function."),
                         {"work", "home", "other"}),
               Attr("primary", AttrType::kBoolean,
                    "A Boolean value indicating the 'primary' or preferred attribute value.")},
              true),
      groups,
      MultiValued("entitlements", "A list of entitlements for the User.",
                  Str("value", "The value of an entitlement."), {}),
      MultiValued("roles", "A list of roles for the User.", Str("value", "The value of a role."),
                  {}),
      x509,
  };
  return s;
}

SchemaDef MakeEnterpriseUser() {
  SchemaDef s;
  s.id = std::string(kEnterpriseUserSchema);
  s.name = "EnterpriseUser";
  s.description = "Enterprise User";
  AttrDef manager = Complex(
      "manager", "The User's manager.",
      {Str("value", "The id of the SCIM resource representing the User's manager."),
       Ref("$ref", {"User"}, "The URI of the SCIM resource representing the User's manager."),
       With(Str("displayName", "The displayName of the User's manager."), Mutability::kReadOnly)});
  s.attributes = {
      Str("employeeNumber",
          "Numeric or alphanumeric identifier assigned to a person, typically "
          "based on order of hire or association with an organization."),
      Str("costCenter", "Identifies the name of a cost center."),
      Str("organization", "Identifies the name of an organization."),
      Str("division", "Identifies the name of a division."),
      Str("department", "Identifies the name of a department."),
      manager,
  };
  return s;
}

SchemaDef MakeGroup() {
  SchemaDef s;
  s.id = std::string(kGroupSchema);
  s.name = "Group";
  s.description = "Group";
  AttrDef display_name = Str("displayName", "A human-readable name for the Group. REQUIRED.");
  display_name.required = true;
  AttrDef members = Complex(
      "members", "A list of members of the Group.",
      {With(Str("value", "Identifier of the member of this Group."), Mutability::kImmutable),
       With(Ref("$ref", {"User", "Group"},
                "The URI corresponding to a SCIM resource that is a member of this Group."),
            Mutability::kImmutable),
       With(Canonical(Str("type",
                          "A label indicating the type of resource, e.g., 'User' or "
                          "'Group'."),
                      {"User", "Group"}),
            Mutability::kImmutable),
       Str("display",
           "A human-readable name for the member, primarily used for display "
           "purposes.")},
      true);
  s.attributes = {display_name, members};
  return s;
}

void AppendAttrJson(const AttrDef& a, Json& out) {
  static constexpr std::string_view kTypes[] = {"string",   "boolean",   "decimal", "integer",
                                                "dateTime", "reference", "complex", "binary"};
  static constexpr std::string_view kMutability[] = {"readWrite", "readOnly", "immutable",
                                                     "writeOnly"};
  static constexpr std::string_view kReturned[] = {"default", "always", "never", "request"};
  static constexpr std::string_view kUniqueness[] = {"none", "server", "global"};
  Json j = Json::MakeObject();
  j.Set("name", Json::Str(a.name));
  j.Set("type", Json::Str(std::string(kTypes[static_cast<int>(a.type)])));
  if (!a.sub_attributes.empty()) {
    Json subs = Json::MakeArray();
    for (const auto& s : a.sub_attributes) AppendAttrJson(s, subs);
    j.Set("subAttributes", std::move(subs));
  }
  j.Set("multiValued", Json::Bool(a.multi_valued));
  j.Set("description", Json::Str(a.description));
  j.Set("required", Json::Bool(a.required));
  if (a.type != AttrType::kComplex && a.type != AttrType::kBoolean) {
    j.Set("caseExact", Json::Bool(a.case_exact));
  }
  if (!a.canonical_values.empty()) {
    Json values = Json::MakeArray();
    for (const auto& v : a.canonical_values) values.Push(Json::Str(v));
    j.Set("canonicalValues", std::move(values));
  }
  if (!a.reference_types.empty()) {
    Json types = Json::MakeArray();
    for (const auto& v : a.reference_types) types.Push(Json::Str(v));
    j.Set("referenceTypes", std::move(types));
  }
  j.Set("mutability", Json::Str(std::string(kMutability[static_cast<int>(a.mutability)])));
  j.Set("returned", Json::Str(std::string(kReturned[static_cast<int>(a.returned)])));
  if (a.type != AttrType::kComplex && a.type != AttrType::kBoolean) {
    j.Set("uniqueness", Json::Str(std::string(kUniqueness[static_cast<int>(a.uniqueness)])));
  }
  out.Push(std::move(j));
}

}  // namespace

const AttrDef* AttrDef::FindSub(std::string_view sub_name) const {
  for (const auto& s : sub_attributes) {
    if (EqualsCi(s.name, sub_name)) return &s;
  }
  return nullptr;
}

const AttrDef* SchemaDef::Find(std::string_view attr_name) const {
  for (const auto& a : attributes) {
    if (EqualsCi(a.name, attr_name)) return &a;
  }
  return nullptr;
}

const SchemaDef* ResourceTypeDef::FindExtension(std::string_view urn) const {
  for (const auto* e : extensions) {
    if (EqualsCi(e->id, urn)) return e;
  }
  return nullptr;
}

SchemaRegistry::SchemaRegistry()
    : user_(MakeUser()), enterprise_user_(MakeEnterpriseUser()), group_(MakeGroup()) {
  resource_types_.push_back(
      {ResourceType::kUser, "User", "/Users", "User Account", &user_, {&enterprise_user_}});
  resource_types_.push_back({ResourceType::kGroup, "Group", "/Groups", "Group", &group_, {}});
  all_schemas_ = {&user_, &enterprise_user_, &group_};
  // Persisted attribute numbers: never renumber or reuse a retired number.
  indexed_ = {
      {1, ResourceType::kUser, "userName", false, true},
      {2, ResourceType::kUser, "externalId", true, false},
      {3, ResourceType::kUser, "displayName", false, false},
      {4, ResourceType::kUser, "emails.value", false, false},
      {5, ResourceType::kUser, "name.familyName", false, false},
      {6, ResourceType::kUser, "name.givenName", false, false},
      {7, ResourceType::kUser, "active", false, false},  // booleans: eq and pr only
      {1, ResourceType::kGroup, "displayName", false, false},
      {2, ResourceType::kGroup, "externalId", true, false},
  };
}

const AttrDef& ExternalIdDef() {
  static const AttrDef def = [] {
    AttrDef d;
    d.name = "externalId";
    d.type = AttrType::kString;
    d.case_exact = true;
    return d;
  }();
  return def;
}

const SchemaRegistry& SchemaRegistry::Default() {
  static const SchemaRegistry registry;
  return registry;
}

const ResourceTypeDef& SchemaRegistry::resource_type(ResourceType t) const {
  return t == ResourceType::kUser ? resource_types_[0] : resource_types_[1];
}

const SchemaDef* SchemaRegistry::FindSchema(std::string_view urn) const {
  for (const auto* s : all_schemas_) {
    if (EqualsCi(s->id, urn)) return s;
  }
  return nullptr;
}

std::optional<ResourceType> SchemaRegistry::FindEndpoint(std::string_view segment) const {
  for (const auto& rt : resource_types_) {
    if (EqualsCi(std::string_view(rt.endpoint).substr(1), segment)) return rt.type;
  }
  return std::nullopt;
}

const IndexedAttr* SchemaRegistry::FindIndexed(ResourceType type, std::string_view path) const {
  for (const auto& ia : indexed_) {
    if (ia.type == type && EqualsCi(ia.path, path)) return &ia;
  }
  return nullptr;
}

Json SchemaRegistry::SchemaJson(const SchemaDef& schema, std::string_view base_url) const {
  Json j = Json::MakeObject();
  Json schemas = Json::MakeArray();
  schemas.Push(Json::Str("urn:ietf:params:scim:schemas:core:2.0:Schema"));
  j.Set("schemas", std::move(schemas));
  j.Set("id", Json::Str(schema.id));
  j.Set("name", Json::Str(schema.name));
  j.Set("description", Json::Str(schema.description));
  Json attrs = Json::MakeArray();
  for (const auto& a : schema.attributes) AppendAttrJson(a, attrs);
  j.Set("attributes", std::move(attrs));
  Json meta = Json::MakeObject();
  meta.Set("resourceType", Json::Str("Schema"));
  meta.Set("location", Json::Str(std::string(base_url) + "/Schemas/" + schema.id));
  j.Set("meta", std::move(meta));
  return j;
}

Json SchemaRegistry::ResourceTypeJson(const ResourceTypeDef& rt, std::string_view base_url) const {
  Json j = Json::MakeObject();
  Json schemas = Json::MakeArray();
  schemas.Push(Json::Str("urn:ietf:params:scim:schemas:core:2.0:ResourceType"));
  j.Set("schemas", std::move(schemas));
  j.Set("id", Json::Str(rt.name));
  j.Set("name", Json::Str(rt.name));
  j.Set("endpoint", Json::Str(rt.endpoint));
  j.Set("description", Json::Str(rt.description));
  j.Set("schema", Json::Str(rt.schema->id));
  if (!rt.extensions.empty()) {
    Json exts = Json::MakeArray();
    for (const auto* e : rt.extensions) {
      Json ext = Json::MakeObject();
      ext.Set("schema", Json::Str(e->id));
      ext.Set("required", Json::Bool(false));
      exts.Push(std::move(ext));
    }
    j.Set("schemaExtensions", std::move(exts));
  }
  Json meta = Json::MakeObject();
  meta.Set("resourceType", Json::Str("ResourceType"));
  meta.Set("location", Json::Str(std::string(base_url) + "/ResourceTypes/" + rt.name));
  j.Set("meta", std::move(meta));
  return j;
}

}  // namespace scimd::core
