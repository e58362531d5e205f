#include "core/resource/decode.h"

#include <type_traits>

#include "core/base/limits.h"
#include "core/base/strings.h"
#include "core/resource/index_entries.h"

namespace scimd::core {

namespace {

std::string_view TypeName(AttrType t) {
  switch (t) {
    case AttrType::kString: return "a string";
    case AttrType::kBoolean: return "a boolean";
    case AttrType::kDecimal: return "a decimal number";
    case AttrType::kInteger: return "an integer";
    case AttrType::kDateTime: return "a dateTime string";
    case AttrType::kReference: return "a reference string";
    case AttrType::kComplex: return "an object";
    case AttrType::kBinary: return "a base64 string";
  }
  return "a value";
}

// The input side of decoding, one of three kinds: a Json the caller gives up (values are
// moved out of it), a Json the caller keeps (values taken are copied), or a JsonDomValue
// read in place (values are copied out of the parser's document). The decoder below is
// written once for all three.
// J is Json (values are moved out) or const Json (values taken are copied, only those the
// resource keeps).
template <typename J>
class JsonIn {
 public:
  explicit JsonIn(J& j) : j_(&j) {}
  // A Json may have been built by hand (PATCH): its keys are not known to be unique.
  static constexpr bool kKeysUniqueCi = false;
  bool is_null() const { return j_->is_null(); }
  bool is_bool() const { return j_->is_bool(); }
  bool is_int() const { return j_->is_int(); }
  bool is_number() const { return j_->is_number(); }
  bool is_string() const { return j_->is_string(); }
  bool is_array() const { return j_->is_array(); }
  bool is_object() const { return j_->is_object(); }
  bool as_bool() const { return j_->as_bool(); }
  std::string_view str() const { return j_->as_string(); }
  size_t size() const { return is_object() ? j_->as_object().size() : j_->as_array().size(); }
  template <typename F>
  Status ForEachItem(F&& f) const {
    for (J& item : j_->as_array()) SCIMD_RETURN_IF_ERROR(f(JsonIn(item)));
    return Status::Ok();
  }
  template <typename F>
  Status ForEachMember(F&& f) const {
    for (auto& [key, value] : j_->as_object()) {
      SCIMD_RETURN_IF_ERROR(f(std::string_view(key), JsonIn(value)));
    }
    return Status::Ok();
  }
  Json Take() const {
    if constexpr (std::is_const_v<J>) {
      return *j_;
    } else {
      return std::move(*j_);
    }
  }
  const Json& ToJson() const { return *j_; }

 private:
  J* j_;
};

// Sets out[name] = value, where `name` is the canonical name of an input key. Keys of an
// input known to be unique ignoring case map to distinct names: appended without a search.
template <typename V>
void Put(Json& out, const std::string& name, Json value) {
  if constexpr (V::kKeysUniqueCi) {
    out.as_object().emplace_back(name, std::move(value));
  } else {
    out.Set(name, std::move(value));
  }
}

// Decodes one simple (non-complex) value. Lenient where clients need it: booleans may
// arrive as the strings "true"/"false" in any case (Entra).
template <typename V>
Result<Json> DecodeSimple(const AttrDef& def, const V& v, std::string_view path) {
  switch (def.type) {
    case AttrType::kBoolean:
      if (v.is_bool()) return Json::Bool(v.as_bool());
      if (v.is_string() && EqualsCi(v.str(), "true")) return Json::Bool(true);
      if (v.is_string() && EqualsCi(v.str(), "false")) return Json::Bool(false);
      break;
    case AttrType::kInteger:
      if (v.is_int()) return v.Take();
      break;
    case AttrType::kDecimal:
      if (v.is_number()) return v.Take();
      break;
    case AttrType::kString:
    case AttrType::kReference:
    case AttrType::kBinary:
    case AttrType::kDateTime:
      if (v.is_string()) return v.Take();
      break;
    case AttrType::kComplex: break;
  }
  return Status::InvalidValue("attribute \"" + std::string(path) + "\" must be " +
                              std::string(TypeName(def.type)));
}

Status UnknownAttribute(std::string_view path, std::string_view schema) {
  return Status::InvalidSyntax("unknown attribute \"" + std::string(path) + "\" in schema " +
                               std::string(schema));
}

// Decodes a complex value (object) against def's sub-attributes. Returns null Json when
// every sub-attribute is unassigned.
template <typename V>
Result<Json> DecodeComplex(const AttrDef& def, const V& v, std::string_view path,
                           std::string_view schema, const DecodeOptions& opts) {
  if (!v.is_object()) {
    return Status::InvalidValue("attribute \"" + std::string(path) + "\" must be an object");
  }
  Json out = Json::MakeObject();
  out.as_object().reserve(v.size());
  SCIMD_RETURN_IF_ERROR(v.ForEachMember([&](std::string_view key, const V& value) -> Status {
    const AttrDef* sub = def.FindSub(key);
    if (sub == nullptr) {
      if (opts.ignore_unknown_attributes) return Status::Ok();
      return UnknownAttribute(std::string(path) + "." + std::string(key), schema);
    }
    if (value.is_null()) return Status::Ok();
    // Ignored on input (RFC 7643 §7).
    if (sub->mutability == Mutability::kReadOnly) return Status::Ok();
    auto decoded = DecodeSimple(*sub, value, {});
    if (!decoded.ok()) {  // named with its path (built only now: most values are fine)
      return DecodeSimple(*sub, value, std::string(path) + "." + std::string(key)).status();
    }
    Put<V>(out, sub->name, std::move(decoded).value());
    return Status::Ok();
  }));
  if (out.as_object().empty()) return Json();
  return out;
}

// Decodes the value of one attribute. Returns null Json for "unassigned".
template <typename V>
Result<Json> DecodeAttr(const AttrDef& def, const V& v, std::string_view schema,
                        const DecodeOptions& opts) {
  if (v.is_null()) return Json();
  if (def.multi_valued) {
    Json items = Json::MakeArray();
    auto add = [&](const V& item) -> Status {
      if (item.is_null()) return Status::Ok();
      if (def.type == AttrType::kComplex) {
        SCIMD_ASSIGN_OR_RETURN(Json c, DecodeComplex(def, item, def.name, schema, opts));
        if (!c.is_null()) items.Push(std::move(c));
      } else {
        SCIMD_ASSIGN_OR_RETURN(Json s, DecodeSimple(def, item, def.name));
        items.Push(std::move(s));
      }
      return Status::Ok();
    };
    if (v.is_array()) {
      items.as_array().reserve(v.size());
      SCIMD_RETURN_IF_ERROR(v.ForEachItem(add));
    } else {
      SCIMD_RETURN_IF_ERROR(add(v));  // a single value where a list belongs: take it
    }
    // At most one primary=true (RFC 7643 §2.4): the last one given wins.
    if (def.type == AttrType::kComplex && def.FindSub("primary") != nullptr) {
      bool seen = false;
      auto& arr = items.as_array();
      for (auto it = arr.rbegin(); it != arr.rend(); ++it) {
        Json* p = it->FindCi("primary");
        if (p != nullptr && p->is_bool() && p->as_bool()) {
          if (seen) *p = Json::Bool(false);
          seen = true;
        }
      }
    }
    if (items.as_array().empty()) return Json();
    return items;
  }
  if (def.type == AttrType::kComplex) return DecodeComplex(def, v, def.name, schema, opts);
  return DecodeSimple(def, v, def.name);
}

// Decodes the attributes of one schema from `obj` into `out`.
template <typename V>
Status DecodeSchemaAttrs(const SchemaDef& schema, const V& obj, const DecodeOptions& opts,
                         Json& out) {
  return obj.ForEachMember([&](std::string_view key, const V& value) -> Status {
    if (opts.accept_extension_schemas && EqualsCi(key, "schemas")) return Status::Ok();
    const AttrDef* def = schema.Find(key);
    if (def == nullptr) {
      if (opts.ignore_unknown_attributes) return Status::Ok();
      return UnknownAttribute(key, schema.id);
    }
    if (def->mutability == Mutability::kReadOnly) return Status::Ok();
    SCIMD_ASSIGN_OR_RETURN(Json decoded, DecodeAttr(*def, value, schema.id, opts));
    if (!decoded.is_null()) Put<V>(out, def->name, std::move(decoded));
    return Status::Ok();
  });
}

// Derives the index entries of `in` and checks their lengths.
Status DeriveIndexEntries(ResourceType type, const DecodeOptions& opts, InputResource& in) {
  const std::vector<IndexedAttr>& indexed =
      opts.indexed != nullptr ? *opts.indexed : SchemaRegistry::Default().indexed();
  in.index_entries = IndexEntriesOf(type, in.attrs, indexed);
  in.index_entries_for = &indexed;
  for (const auto& term : in.index_entries.values) {
    if (term.value.string.size() > kMaxIndexedValueBytes) {
      return Status::InvalidValue("value of an indexed attribute is longer than " +
                                  std::to_string(kMaxIndexedValueBytes) + " bytes");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<MemberRef>> DecodeMembers(const Json& v, const DecodeOptions& opts) {
  std::vector<MemberRef> out;
  if (v.is_null()) return out;
  if (v.is_object() || v.is_string()) {
    Json one = Json::MakeArray();
    one.Push(v);
    return DecodeMembers(one, opts);
  }
  if (!v.is_array()) return Status::InvalidValue("attribute \"members\" must be an array");
  if (v.as_array().size() > kMaxMembersPerWrite) {
    return Status::InvalidValue("more than " + std::to_string(kMaxMembersPerWrite) +
                                " members in one request; add the rest with PATCH");
  }
  for (const auto& listed : v.as_array()) {
    Json wrapped;
    if (listed.is_string()) {  // a bare id where an item belongs
      wrapped = Json::MakeObject();
      wrapped.Set("value", listed);
    }
    const Json& item = listed.is_string() ? wrapped : listed;
    if (!item.is_object()) {
      return Status::InvalidValue("each item of \"members\" must be an object with a \"value\"");
    }
    MemberRef m;
    for (const auto& [key, value] : item.as_object()) {
      if (EqualsCi(key, "value")) {
        if (!value.is_string()) {
          return Status::InvalidValue("\"members.value\" must be a string resource id");
        }
        auto id = ResourceId::Parse(value.as_string());
        if (!id.ok()) {
          if (opts.ignore_unknown_members) {
            // Kept, to be skipped with a warning where members are added (a bounded
            // copy: the warning quotes it).
            m.unparsed = value.as_string().substr(0, 128);
            if (m.unparsed.empty()) m.unparsed = "\"\"";
            continue;
          }
          return Status::InvalidValue("member \"" + value.as_string() + "\" does not exist");
        }
        m.id = *id;
      } else if (EqualsCi(key, "type")) {
        if (value.is_null()) continue;
        if (value.is_string() && EqualsCi(value.as_string(), "User")) {
          m.type = ResourceType::kUser;
        } else if (value.is_string() && EqualsCi(value.as_string(), "Group")) {
          m.type = ResourceType::kGroup;
        } else {
          return Status::InvalidValue("\"members.type\" must be \"User\" or \"Group\"");
        }
      } else if (EqualsCi(key, "display") || EqualsCi(key, "displayName")) {
        if (value.is_string()) {
          if (value.as_string().size() > kMaxIndexedValueBytes) {
            return Status::InvalidValue("\"members.display\" is longer than " +
                                        std::to_string(kMaxIndexedValueBytes) + " bytes");
          }
          m.display = value.as_string();
        }
      }
      // "$ref" and anything else a client adds to a member item is ignored: the
      // server computes $ref from the id.
    }
    if (item.FindCi("value") == nullptr) {
      return Status::InvalidValue("each item of \"members\" needs a \"value\" (the member id)");
    }
    out.push_back(std::move(m));
  }
  return out;
}

namespace {

template <typename V>
Result<InputResource> Decode(ResourceType type, const V& body, const DecodeOptions& opts) {
  if (!body.is_object()) return Status::InvalidSyntax("the request body must be a JSON object");
  const SchemaRegistry& reg = SchemaRegistry::Default();
  const ResourceTypeDef& rt = reg.resource_type(type);
  InputResource in;
  Json core_part = Json::MakeObject();
  core_part.as_object().reserve(body.size());
  std::vector<std::pair<const SchemaDef*, V>> extensions;

  SCIMD_RETURN_IF_ERROR(body.ForEachMember([&](std::string_view key, const V& value) -> Status {
    if (EqualsCi(key, "schemas")) {
      const Status not_uris = Status::InvalidSyntax("\"schemas\" must be an array of URIs");
      if (!value.is_array()) return not_uris;
      // Recomputed from the attributes present; unknown URIs are ignored.
      return value.ForEachItem([&](const V& s) { return s.is_string() ? Status::Ok() : not_uris; });
    }
    if (EqualsCi(key, "id") || EqualsCi(key, "meta")) return Status::Ok();  // readOnly: ignored
    if (EqualsCi(key, "externalId")) {
      if (value.is_null()) return Status::Ok();
      if (!value.is_string()) return Status::InvalidValue("\"externalId\" must be a string");
      Put<V>(core_part, "externalId", value.Take());
      return Status::Ok();
    }
    if (type == ResourceType::kGroup && EqualsCi(key, "members")) {
      in.has_members = true;
      SCIMD_ASSIGN_OR_RETURN(in.members, DecodeMembers(value.ToJson(), opts));
      return Status::Ok();
    }
    if (type == ResourceType::kUser && EqualsCi(key, "password")) {
      if (value.is_null()) return Status::Ok();
      if (!value.is_string()) return Status::InvalidValue("\"password\" must be a string");
      in.password = std::move(value.Take().as_string());
      return Status::Ok();
    }
    if (key.find(':') != std::string_view::npos) {  // a schema URN as key: an extension
      if (const SchemaDef* ext = rt.FindExtension(key)) {
        if (value.is_null()) return Status::Ok();
        if (!value.is_object()) {
          return Status::InvalidSyntax("extension \"" + std::string(key) + "\" must be an object");
        }
        extensions.emplace_back(ext, value);
      }
      return Status::Ok();  // unknown schema URIs are accepted and ignored (Entra sends some)
    }
    const AttrDef* def = rt.schema->Find(key);
    if (def == nullptr) {
      if (opts.ignore_unknown_attributes) return Status::Ok();
      return UnknownAttribute(key, rt.schema->id);
    }
    if (def->mutability == Mutability::kReadOnly) return Status::Ok();
    SCIMD_ASSIGN_OR_RETURN(Json decoded, DecodeAttr(*def, value, rt.schema->id, opts));
    if (!decoded.is_null()) Put<V>(core_part, def->name, std::move(decoded));
    return Status::Ok();
  }));

  // Canonical layout: schemas first, then core attributes, then extensions.
  Json schemas = Json::MakeArray();
  schemas.Push(Json::Str(rt.schema->id));
  for (const auto& [ext, value] : extensions) {
    Json ext_attrs = Json::MakeObject();
    SCIMD_RETURN_IF_ERROR(DecodeSchemaAttrs(*ext, value, opts, ext_attrs));
    if (!ext_attrs.as_object().empty()) {
      schemas.Push(Json::Str(ext->id));
      Put<V>(core_part, ext->id, std::move(ext_attrs));
    }
  }
  in.attrs.as_object().reserve(core_part.as_object().size() + 1);
  // core_part's names are distinct (Put) and none is "schemas": appended.
  in.attrs.as_object().emplace_back("schemas", std::move(schemas));
  for (auto& member : core_part.as_object()) {
    in.attrs.as_object().emplace_back(std::move(member.first), std::move(member.second));
  }

  for (const auto& a : rt.schema->attributes) {
    if (a.required && in.attrs.Find(a.name) == nullptr) {
      return Status::InvalidValue("attribute \"" + a.name + "\" is required");
    }
  }
  SCIMD_RETURN_IF_ERROR(DeriveIndexEntries(type, opts, in));
  return in;
}

}  // namespace

IndexEntries TakeIndexEntries(ResourceType type, InputResource& in,
                              const std::vector<IndexedAttr>& indexed) {
  if (in.index_entries_for != &indexed) return IndexEntriesOf(type, in.attrs, indexed);
  in.index_entries_for = nullptr;  // moved out: a second call derives them again
  return std::move(in.index_entries);
}

Result<InputResource> DecodeInput(ResourceType type, const Json& body, const DecodeOptions& opts) {
  return Decode(type, JsonIn<const Json>(body), opts);
}

Result<InputResource> DecodeInput(ResourceType type, Json&& body, const DecodeOptions& opts) {
  return Decode(type, JsonIn<Json>(body), opts);
}

Result<InputResource> DecodeInput(ResourceType type, const JsonDomValue& body,
                                  const DecodeOptions& opts) {
  return Decode(type, body, opts);
}

}  // namespace scimd::core
