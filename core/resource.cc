#include "core/resource.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>

#include "core/filter.h"
#include "core/limits.h"

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

// Decodes one simple (non-complex) value. Lenient where clients need it: booleans may
// arrive as the strings "true"/"false" in any case (Entra).
Result<Json> DecodeSimple(const AttrDef& def, const Json& v, std::string_view path) {
  switch (def.type) {
    case AttrType::kBoolean:
      if (v.is_bool()) return v;
      if (v.is_string() && EqualsCi(v.as_string(), "true")) return Json::Bool(true);
      if (v.is_string() && EqualsCi(v.as_string(), "false")) return Json::Bool(false);
      break;
    case AttrType::kInteger:
      if (v.is_int()) return v;
      break;
    case AttrType::kDecimal:
      if (v.is_number()) return v;
      break;
    case AttrType::kString:
    case AttrType::kReference:
    case AttrType::kBinary:
    case AttrType::kDateTime:
      if (v.is_string()) return v;
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
Result<Json> DecodeComplex(const AttrDef& def, const Json& v, std::string_view path,
                           std::string_view schema, const DecodeOptions& opts) {
  if (!v.is_object()) {
    return Status::InvalidValue("attribute \"" + std::string(path) + "\" must be an object");
  }
  Json out = Json::MakeObject();
  for (const auto& [key, value] : v.as_object()) {
    const AttrDef* sub = def.FindSub(key);
    const std::string sub_path = std::string(path) + "." + key;
    if (sub == nullptr) {
      if (opts.ignore_unknown_attributes) continue;
      return UnknownAttribute(sub_path, schema);
    }
    if (value.is_null()) continue;
    if (sub->mutability == Mutability::kReadOnly) continue;  // ignored on input (RFC 7643 §7)
    SCIMD_ASSIGN_OR_RETURN(Json decoded, DecodeSimple(*sub, value, sub_path));
    out.Set(sub->name, std::move(decoded));
  }
  if (out.as_object().empty()) return Json();
  return out;
}

// Decodes the value of one attribute. Returns null Json for "unassigned".
Result<Json> DecodeAttr(const AttrDef& def, const Json& v, std::string_view schema,
                        const DecodeOptions& opts) {
  if (v.is_null()) return Json();
  if (def.multi_valued) {
    Json items = Json::MakeArray();
    auto add = [&](const Json& item) -> Status {
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
      for (const auto& item : v.as_array()) SCIMD_RETURN_IF_ERROR(add(item));
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
Status DecodeSchemaAttrs(const SchemaDef& schema, const Json& obj, const DecodeOptions& opts,
                         Json& out) {
  for (const auto& [key, value] : obj.as_object()) {
    const AttrDef* def = schema.Find(key);
    if (def == nullptr) {
      if (opts.ignore_unknown_attributes) continue;
      return UnknownAttribute(key, schema.id);
    }
    if (def->mutability == Mutability::kReadOnly) continue;
    SCIMD_ASSIGN_OR_RETURN(Json decoded, DecodeAttr(*def, value, schema.id, opts));
    if (!decoded.is_null()) out.Set(def->name, std::move(decoded));
  }
  return Status::Ok();
}

Status CheckIndexedLength(ResourceType type, const Json& attrs, const DecodeOptions& opts) {
  const std::vector<IndexedAttr>& indexed =
      opts.indexed != nullptr ? *opts.indexed : SchemaRegistry::Default().indexed();
  for (const auto& term : IndexEntriesOf(type, attrs, indexed).values) {
    if (term.value.string.size() > kMaxIndexedValueBytes) {
      return Status::InvalidValue("value of an indexed attribute is longer than " +
                                  std::to_string(kMaxIndexedValueBytes) + " bytes");
    }
  }
  return Status::Ok();
}

void PutBigEndian64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (56 - 8 * i));
}
uint64_t GetBigEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
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
    bool skip = false;
    for (const auto& [key, value] : item.as_object()) {
      if (EqualsCi(key, "value")) {
        if (!value.is_string()) {
          return Status::InvalidValue("\"members.value\" must be a string resource id");
        }
        auto id = ResourceId::Parse(value.as_string());
        if (!id.ok()) {
          if (opts.ignore_unknown_members) {
            skip = true;
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
    if (!skip) out.push_back(std::move(m));
  }
  return out;
}

Result<InputResource> DecodeInput(ResourceType type, const Json& body, const DecodeOptions& opts) {
  if (!body.is_object()) return Status::InvalidSyntax("the request body must be a JSON object");
  const SchemaRegistry& reg = SchemaRegistry::Default();
  const ResourceTypeDef& rt = reg.resource_type(type);
  InputResource in;
  Json core_part = Json::MakeObject();
  std::vector<std::pair<const SchemaDef*, const Json*>> extensions;

  for (const auto& [key, value] : body.as_object()) {
    if (EqualsCi(key, "schemas")) {
      if (!value.is_array()) return Status::InvalidSyntax("\"schemas\" must be an array of URIs");
      for (const auto& s : value.as_array()) {
        if (!s.is_string()) return Status::InvalidSyntax("\"schemas\" must be an array of URIs");
      }
      continue;  // recomputed from the attributes present; unknown URIs are ignored
    }
    if (EqualsCi(key, "id") || EqualsCi(key, "meta")) continue;  // readOnly: ignored
    if (EqualsCi(key, "externalId")) {
      if (value.is_null()) continue;
      if (!value.is_string()) return Status::InvalidValue("\"externalId\" must be a string");
      core_part.Set("externalId", value);
      continue;
    }
    if (type == ResourceType::kGroup && EqualsCi(key, "members")) {
      in.has_members = true;
      SCIMD_ASSIGN_OR_RETURN(in.members, DecodeMembers(value, opts));
      continue;
    }
    if (type == ResourceType::kUser && EqualsCi(key, "password")) {
      if (value.is_null()) continue;
      if (!value.is_string()) return Status::InvalidValue("\"password\" must be a string");
      in.password = value.as_string();
      continue;
    }
    if (key.find(':') != std::string::npos) {  // a schema URN as key: an extension
      if (const SchemaDef* ext = rt.FindExtension(key)) {
        if (value.is_null()) continue;
        if (!value.is_object()) {
          return Status::InvalidSyntax("extension \"" + key + "\" must be an object");
        }
        extensions.emplace_back(ext, &value);
      }
      continue;  // unknown schema URIs are accepted and ignored (Entra sends some)
    }
    const AttrDef* def = rt.schema->Find(key);
    if (def == nullptr) {
      if (opts.ignore_unknown_attributes) continue;
      return UnknownAttribute(key, rt.schema->id);
    }
    if (def->mutability == Mutability::kReadOnly) continue;
    SCIMD_ASSIGN_OR_RETURN(Json decoded, DecodeAttr(*def, value, rt.schema->id, opts));
    if (!decoded.is_null()) core_part.Set(def->name, std::move(decoded));
  }

  // Canonical layout: schemas first, then core attributes, then extensions.
  Json schemas = Json::MakeArray();
  schemas.Push(Json::Str(rt.schema->id));
  for (const auto& [ext, value] : extensions) {
    Json ext_attrs = Json::MakeObject();
    SCIMD_RETURN_IF_ERROR(DecodeSchemaAttrs(*ext, *value, opts, ext_attrs));
    if (!ext_attrs.as_object().empty()) {
      schemas.Push(Json::Str(ext->id));
      core_part.Set(ext->id, std::move(ext_attrs));
    }
  }
  in.attrs.Set("schemas", std::move(schemas));
  for (auto& member : core_part.as_object()) in.attrs.Set(member.first, std::move(member.second));

  for (const auto& a : rt.schema->attributes) {
    if (a.required && in.attrs.Find(a.name) == nullptr) {
      return Status::InvalidValue("attribute \"" + a.name + "\" is required");
    }
  }
  SCIMD_RETURN_IF_ERROR(CheckIndexedLength(type, in.attrs, opts));
  return in;
}

std::string EncodeStored(const StoredHeader& header, const Json& attrs) {
  std::string out(kStoredHeaderBytes, '\0');
  out[0] = header.password_hash.empty() ? 1 : 2;
  PutBigEndian64(&out[1], header.version);
  PutBigEndian64(&out[9], static_cast<uint64_t>(header.created_us));
  PutBigEndian64(&out[17], static_cast<uint64_t>(header.modified_us));
  if (!header.password_hash.empty()) {
    const size_t n = std::min<size_t>(header.password_hash.size(), 0xFFFF);
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
    out.append(header.password_hash, 0, n);
  }
  attrs.Serialize(out);
  return out;
}

Result<std::pair<StoredHeader, std::string_view>> SplitStored(std::string_view value) {
  if (value.size() < kStoredHeaderBytes + 2 || (value[0] != 1 && value[0] != 2)) {
    return Status::Corruption("stored resource has an unknown format");
  }
  StoredHeader h;
  h.version = GetBigEndian64(&value[1]);
  h.created_us = static_cast<int64_t>(GetBigEndian64(&value[9]));
  h.modified_us = static_cast<int64_t>(GetBigEndian64(&value[17]));
  size_t json_at = kStoredHeaderBytes;
  if (value[0] == 2) {
    const size_t n = static_cast<uint8_t>(value[25]) << 8 | static_cast<uint8_t>(value[26]);
    if (value.size() < kStoredHeaderBytes + 2 + n + 2) {
      return Status::Corruption("stored resource has a truncated password hash");
    }
    h.password_hash = std::string(value.substr(kStoredHeaderBytes + 2, n));
    json_at = kStoredHeaderBytes + 2 + n;
  }
  return std::make_pair(std::move(h), value.substr(json_at));
}

std::string NormalizeForIndex(std::string_view value, bool case_exact) {
  // caseExact=false values compare case-insensitively: fold ASCII letters. Non-ASCII
  // letters are compared exactly (a documented gap: no Unicode case folding yet).
  return case_exact ? std::string(value) : ToLowerAscii(value);
}

IndexEntries IndexEntriesOf(ResourceType type, const Json& attrs) {
  return IndexEntriesOf(type, attrs, SchemaRegistry::Default().indexed());
}

IndexEntries IndexEntriesOf(ResourceType type, const Json& attrs,
                            const std::vector<IndexedAttr>& indexed) {
  IndexEntries out;
  for (const auto& ia : indexed) {
    if (ia.type != type) continue;
    // "urn:...:User:manager.value": the extension's object, then "manager.value" in it
    // (attribute names hold no ':'; the URN's "2.0" holds a '.').
    std::string_view path = ia.path;
    const Json* scope = &attrs;
    if (const size_t colon = path.rfind(':'); colon != std::string_view::npos) {
      scope = attrs.Find(path.substr(0, colon));
      if (scope == nullptr || !scope->is_object()) continue;
      path = path.substr(colon + 1);
    }
    const size_t dot = path.find('.');
    const std::string_view top = path.substr(0, dot);
    const Json* v = scope->Find(top);
    if (v == nullptr) continue;
    bool present = false;
    // Strings (folded unless caseExact) and booleans are indexed; the decoder has already
    // checked every value against its attribute's type, so nothing else reaches here.
    auto add = [&](const Json& s) {
      IndexTerm t{ia.id, {}};
      if (s.is_string()) {
        t.value = IndexValue::String(NormalizeForIndex(s.as_string(), ia.case_exact));
      } else if (s.is_bool()) {
        t.value = IndexValue::Boolean(s.as_bool());
      } else {
        return;
      }
      present = true;
      for (const auto& existing : out.values) {
        if (existing == t) return;  // one entry per distinct value
      }
      if (ia.unique) out.unique.push_back(t);
      out.values.push_back(std::move(t));
    };
    if (dot == std::string::npos) {
      add(*v);
    } else {
      // "attr.sub": the sub-attribute of every element of a multi-valued complex
      // attribute (emails.value), or of a single-valued one (name.familyName).
      const std::string_view sub = path.substr(dot + 1);
      auto add_sub = [&](const Json& item) {
        if (const Json* s = item.is_object() ? item.Find(sub) : nullptr) add(*s);
      };
      if (v->is_array()) {
        for (const auto& item : v->as_array()) add_sub(item);
      } else {
        add_sub(*v);
      }
    }
    if (present) out.presence.push_back(ia.id);
  }
  return out;
}

namespace {

std::string UniqueDetail(ResourceType type, const IndexTerm& term, const Json& attrs) {
  for (const auto& ia : SchemaRegistry::Default().indexed()) {
    if (ia.type == type && ia.id == term.attr) {
      const Json* v = attrs.Find(ia.path);
      std::string value = v != nullptr && v->is_string() ? v->as_string() : term.value.string;
      std::string detail = ia.path + " ";
      AppendJsonString(detail, value);
      detail += " is already in use by another " + std::string(ResourceTypeName(type));
      return detail;
    }
  }
  return "a unique attribute is already in use";
}

template <typename T>
bool Contains(const std::vector<T>& v, const T& x) {
  for (const auto& y : v) {
    if (y == x) return true;
  }
  return false;
}

}  // namespace

// Applies the difference between a resource's old and new index entries to a transaction:
// unique claims first (a conflict fails before anything else is written), then value and
// presence entries. `new_attrs` names the conflicting value in a uniqueness error.
Status ApplyIndexDiff(Transaction& txn, ResourceType type, const ResourceId& id,
                      const IndexEntries& old_entries, const IndexEntries& new_entries,
                      const Json& new_attrs) {
  for (const auto& t : new_entries.unique) {
    if (Contains(old_entries.unique, t)) continue;
    Status s = txn.ClaimUnique(type, t, id);
    if (s.Is(Status::Code::kUniqueness)) {
      return Status::Uniqueness(UniqueDetail(type, t, new_attrs));
    }
    SCIMD_RETURN_IF_ERROR(s);
  }
  for (const auto& t : old_entries.unique) {
    if (!Contains(new_entries.unique, t)) SCIMD_RETURN_IF_ERROR(txn.ReleaseUnique(type, t));
  }
  for (const auto& t : old_entries.values) {
    if (!Contains(new_entries.values, t)) SCIMD_RETURN_IF_ERROR(txn.RemoveIndex(type, t, id));
  }
  for (const auto& t : new_entries.values) {
    if (!Contains(old_entries.values, t)) SCIMD_RETURN_IF_ERROR(txn.AddIndex(type, t, id));
  }
  for (AttrId a : old_entries.presence) {
    if (!Contains(new_entries.presence, a)) SCIMD_RETURN_IF_ERROR(txn.RemovePresence(type, a, id));
  }
  for (AttrId a : new_entries.presence) {
    if (!Contains(old_entries.presence, a)) SCIMD_RETURN_IF_ERROR(txn.AddPresence(type, a, id));
  }
  return Status::Ok();
}

// ---- projection ----

namespace {

// "urn:...:User:name.givenName" / "name.givenName" / "members" -> lower-cased
// "<schema urn>:<attr>[.<sub>]". Unknown names still normalize (they match nothing).
std::string NormalizePath(ResourceType type, std::string_view path) {
  const ResourceTypeDef& rt = SchemaRegistry::Default().resource_type(type);
  std::string lower = ToLowerAscii(path);
  if (lower.rfind("urn:", 0) == 0) {
    // Whole-schema or schema-qualified attribute: find the longest known schema prefix.
    std::vector<const SchemaDef*> candidates = {rt.schema};
    for (const auto* e : rt.extensions) candidates.push_back(e);
    for (const auto* s : candidates) {
      const std::string urn = ToLowerAscii(s->id);
      if (lower == urn) return urn;
      if (lower.size() > urn.size() && lower.compare(0, urn.size(), urn) == 0 &&
          lower[urn.size()] == ':') {
        return lower;
      }
    }
    return lower;
  }
  return ToLowerAscii(rt.schema->id) + ":" + lower;
}

// Whether `path` (normalized) is selected by `list`: an exact entry, an entry for its
// parent attribute or whole schema (when parent_selects), or, for a parent, an entry
// for one of its sub-attributes (when child_selects).
bool Selected(const std::vector<std::string>& list, const std::string& path, bool parent_selects,
              bool child_selects) {
  for (const auto& p : list) {
    if (p == path) return true;
    if (parent_selects && path.size() > p.size() && path.compare(0, p.size(), p) == 0 &&
        (path[p.size()] == '.' || path[p.size()] == ':')) {
      return true;
    }
    if (child_selects && p.size() > path.size() && p.compare(0, path.size(), path) == 0 &&
        (p[path.size()] == '.' || p[path.size()] == ':')) {
      return true;
    }
  }
  return false;
}

// Splits an attributes / excludedAttributes list at the commas that are not inside a
// [filter] or a quoted string; bracketed items add an element filter to `p`.
Result<std::vector<std::string>> SplitPaths(ResourceType type, std::string_view list, bool include,
                                            Projection& p) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = start;
    int depth = 0;
    bool quoted = false;
    for (; end < list.size(); ++end) {
      const char c = list[end];
      if (quoted) {
        if (c == '\\')
          ++end;
        else if (c == '"')
          quoted = false;
      } else if (c == '"') {
        quoted = true;
      } else if (c == '[') {
        ++depth;
      } else if (c == ']') {
        --depth;
      } else if (c == ',' && depth == 0) {
        break;
      }
    }
    std::string_view item = list.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) {
      if (out.size() >= kMaxProjectionPaths) {
        return Status::BadRequest("more than " + std::to_string(kMaxProjectionPaths) +
                                  " attribute paths");
      }
      const size_t bracket = item.find('[');
      if (bracket != std::string_view::npos) {
        if (item.back() != ']') {
          return Status::InvalidFilter("attribute path \"" + std::string(item) +
                                       "\": expected ']' at its end");
        }
        const std::string_view attr = item.substr(0, bracket);
        const std::string_view text = item.substr(bracket + 1, item.size() - bracket - 2);
        SCIMD_ASSIGN_OR_RETURN(BoundFilter bound, CompileValueFilter(type, attr, text));
        out.push_back(NormalizePath(type, attr));
        p.element_filters.push_back(
            {out.back(), include, std::make_shared<const BoundFilter>(std::move(bound))});
      } else {
        out.push_back(NormalizePath(type, item));
      }
    }
    start = end + 1;
  }
  return out;
}

// Applies the projection to the attributes of one schema (`obj`, whose keys are
// attribute names) whose normalized prefix is `schema_prefix` ("urn...:user").
void ProjectObject(const Projection& p, const std::string& schema_prefix, Json& obj) {
  auto& members = obj.as_object();
  for (auto it = members.begin(); it != members.end();) {
    const std::string path = schema_prefix + ":" + ToLowerAscii(it->first);
    bool keep = true;
    bool filter_subs = false;
    if (!p.include.empty()) {
      keep = Selected(p.include, path, true, true);
      filter_subs = keep && !Selected(p.include, path, true, false);
    }
    if (keep && !p.exclude.empty()) {
      if (Selected(p.exclude, path, true, false))
        keep = false;
      else if (Selected(p.exclude, path, false, true))
        filter_subs = true;
    }
    if (keep && filter_subs) {
      auto filter = [&](Json& complex) {
        if (!complex.is_object()) return;
        auto& subs = complex.as_object();
        for (auto s = subs.begin(); s != subs.end();) {
          const std::string sub_path = path + "." + ToLowerAscii(s->first);
          bool keep_sub = p.include.empty() || Selected(p.include, sub_path, true, false);
          if (keep_sub && Selected(p.exclude, sub_path, true, false)) keep_sub = false;
          s = keep_sub ? s + 1 : subs.erase(s);
        }
      };
      if (it->second.is_array()) {
        for (auto& item : it->second.as_array()) filter(item);
      } else {
        filter(it->second);
      }
    }
    if (keep && it->second.is_array()) {
      for (const auto& f : p.element_filters) {
        if (f.path != path) continue;
        auto& items = it->second.as_array();
        for (auto e = items.begin(); e != items.end();) {
          e = MatchesElement(*f.filter, *e) == f.include ? e + 1 : items.erase(e);
        }
      }
      keep = !it->second.as_array().empty();
    }
    it = keep ? it + 1 : members.erase(it);
  }
}

}  // namespace

Result<Projection> ParseProjection(ResourceType type, std::string_view attributes,
                                   std::string_view excluded_attributes) {
  Projection p;
  SCIMD_ASSIGN_OR_RETURN(p.include, SplitPaths(type, attributes, true, p));
  SCIMD_ASSIGN_OR_RETURN(p.exclude, SplitPaths(type, excluded_attributes, false, p));
  // An element filter in excludedAttributes removes elements, not the attribute.
  for (const auto& f : p.element_filters) {
    if (f.include) continue;
    p.exclude.erase(std::remove(p.exclude.begin(), p.exclude.end(), f.path), p.exclude.end());
  }
  return p;
}

bool Projection::WantsGroups() const {
  const std::string path = ToLowerAscii(kUserSchema) + ":groups";
  if (!include.empty() && !Selected(include, path, true, true)) return false;
  return !Selected(exclude, path, true, false);
}

bool Projection::WantsMembers() const {
  const std::string path = ToLowerAscii(kGroupSchema) + ":members";
  if (!include.empty() && !Selected(include, path, true, true)) return false;
  return !Selected(exclude, path, true, false);
}

std::string WeakEtag(uint64_t version) { return "W/\"" + std::to_string(version) + "\""; }

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatDateTime(int64_t micros) {
  const time_t secs = static_cast<time_t>(micros / 1000000);
  const int millis = static_cast<int>((micros % 1000000) / 1000);
  struct tm tm_utc;
  gmtime_r(&secs, &tm_utc);
  char buf[96];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm_utc.tm_year + 1900,
           tm_utc.tm_mon + 1, tm_utc.tm_mday, tm_utc.tm_hour, tm_utc.tm_min, tm_utc.tm_sec, millis);
  return buf;
}

namespace {
void AppendMeta(ResourceType type, const ResourceId& id, const StoredHeader& h,
                std::string_view base_url, std::string& out) {
  const auto& rt = SchemaRegistry::Default().resource_type(type);
  out += "\"meta\":{\"resourceType\":\"";
  out += rt.name;
  out += "\",\"created\":\"";
  out += FormatDateTime(h.created_us);
  out += "\",\"lastModified\":\"";
  out += FormatDateTime(h.modified_us);
  out += "\",\"location\":";
  AppendJsonString(out, std::string(base_url) + rt.endpoint + "/" + id.ToString());
  out += ",\"version\":";
  AppendJsonString(out, WeakEtag(h.version));
  out += "}";
}
}  // namespace

void RenderResource(ResourceType type, const ResourceId& id, const StoredHeader& header,
                    std::string_view attrs_json, std::string_view base_url,
                    const Projection& projection, std::string& out) {
  const std::string id_text = id.ToString();
  if (projection.empty()) {
    // Fast path: splice the stored JSON between the id and meta without parsing it.
    // attrs_json is an object that always holds "schemas", so it is never "{}".
    out += "{\"id\":\"";
    out += id_text;
    out += "\",";
    out.append(attrs_json.data() + 1, attrs_json.size() - 2);
    out.push_back(',');
    AppendMeta(type, id, header, base_url, out);
    return;
  }
  auto parsed = Json::Parse(attrs_json);
  Json attrs = parsed.ok() ? std::move(parsed).value() : Json::MakeObject();
  const auto& rt = SchemaRegistry::Default().resource_type(type);
  const std::string core_prefix = ToLowerAscii(rt.schema->id);
  // Core attributes (top-level keys that are not extension URNs and not "schemas").
  Json core_attrs = Json::MakeObject();
  Json result = Json::MakeObject();
  std::vector<std::pair<std::string, Json>> exts;
  Json schemas;
  for (auto& [k, v] : attrs.as_object()) {
    if (k == "schemas")
      schemas = std::move(v);
    else if (k.find(':') != std::string::npos)
      exts.emplace_back(k, std::move(v));
    else
      core_attrs.Set(k, std::move(v));
  }
  core_attrs.Set("meta", Json());  // placeholder so meta follows the projection rules
  ProjectObject(projection, core_prefix, core_attrs);
  out += "{\"id\":\"";
  out += id_text;
  out += "\"";
  if (!schemas.is_null()) {
    out += ",\"schemas\":";
    schemas.Serialize(out);
  }
  bool want_meta = false;
  for (const auto& [k, v] : core_attrs.as_object()) {
    if (k == "meta") {
      want_meta = true;
      continue;
    }
    out.push_back(',');
    AppendJsonString(out, k);
    out.push_back(':');
    v.Serialize(out);
  }
  for (auto& [urn, ext] : exts) {
    if (!ext.is_object()) continue;
    ProjectObject(projection, ToLowerAscii(urn), ext);
    if (ext.as_object().empty()) continue;
    out.push_back(',');
    AppendJsonString(out, urn);
    out.push_back(':');
    ext.Serialize(out);
  }
  if (want_meta) {
    out.push_back(',');
    AppendMeta(type, id, header, base_url, out);
  }
}

void RenderMember(const ResourceId& member, ResourceType type, std::string_view display,
                  std::string_view base_url, std::string& out) {
  const auto& rt = SchemaRegistry::Default().resource_type(type);
  const std::string id = member.ToString();
  out += "{\"value\":\"";
  out += id;
  out += "\",\"$ref\":";
  AppendJsonString(out, std::string(base_url) + rt.endpoint + "/" + id);
  out += ",\"type\":\"";
  out += rt.name;
  out += "\"";
  if (!display.empty()) {
    out += ",\"display\":";
    AppendJsonString(out, display);
  }
  out += "}";
}

}  // namespace scimd::core
