#include "core/resource/decode.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "core/base/limits.h"
#include "core/base/strings.h"
#include "core/resource/index_entries.h"
#include "core/resource/stored_value.h"

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

// A simple value as decoded: the input's value as it is, or a boolean that arrived as a
// string ("True" from Entra) or a primary flag turned off.
struct Simple {
  bool as_is = true;
  bool b = false;
};

template <typename V>
bool IsTrue(const Simple& s, const V& v) {
  return s.as_is ? v.is_bool() && v.as_bool() : s.b;
}

// Where a simple value sits: its attribute, its sub-attribute (or null), and whether it is
// one item of a multi-valued attribute. The text output finds index entries by it.
struct ValueAt {
  const AttrDef& top;
  const AttrDef* sub;
  bool in_array;
};

// The decoder writes the canonical resource through one of two outputs with the same calls:
// TreeOut builds a Json (requests: PATCH, policies and renders need the tree), TextOut writes
// the stored JSON text and collects index entries as it goes (the import). Objects and
// arrays are opened with Begin and closed with End, which drops them when nothing was
// written into them (an unassigned attribute) and says whether they were kept. The root
// holds the core attributes, then the extension objects; Finish puts "schemas" first.
template <typename V>
class TreeOut {
 public:
  // Finish writes the resource to `attrs`.
  explicit TreeOut(Json& attrs) : attrs_(attrs) {
    frames_.push_back({nullptr, Json::MakeObject()});
  }
  void Reserve(size_t n) { frames_.back().value.as_object().reserve(n); }
  void Value(const std::string& name, const V& v, Simple s, const ValueAt&) {
    Add(name, s.as_is ? v.Take() : Json::Bool(s.b));
  }
  void BeginObject(const std::string& name, size_t reserve) {
    frames_.push_back({&name, Json::MakeObject()});
    frames_.back().value.as_object().reserve(reserve);
  }
  void BeginArray(const std::string& name, size_t reserve) {
    frames_.push_back({&name, Json::MakeArray()});
    frames_.back().value.as_array().reserve(reserve);
  }
  bool End() {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    const bool kept =
        f.value.is_object() ? !f.value.as_object().empty() : !f.value.as_array().empty();
    if (kept) Add(*f.name, std::move(f.value));
    return kept;
  }
  void Finish(const std::string& core_schema, const std::vector<const std::string*>& extensions) {
    Json schemas = Json::MakeArray();
    schemas.Push(Json::Str(core_schema));
    for (const std::string* ext : extensions) schemas.Push(Json::Str(*ext));
    Json::Object& core = frames_.front().value.as_object();
    attrs_ = Json::MakeObject();
    attrs_.as_object().reserve(core.size() + 1);
    // The root's names are distinct (Put) and none is "schemas": appended.
    attrs_.as_object().emplace_back("schemas", std::move(schemas));
    for (auto& member : core) {
      attrs_.as_object().emplace_back(std::move(member.first), std::move(member.second));
    }
  }

 private:
  struct Frame {
    const std::string* name;
    Json value;
  };
  void Add(const std::string& name, Json value) {
    Json& into = frames_.back().value;
    if (into.is_array()) {
      into.Push(std::move(value));
    } else {
      Put<V>(into, name, std::move(value));
    }
  }
  Json& attrs_;
  std::vector<Frame> frames_;
};

// Writes the JSON text Json::Serialize writes for TreeOut's tree. Its input's keys must be
// unique ignoring case (a later key cannot replace an earlier one in written text).
template <typename V>
class TextOut {
  static_assert(V::kKeysUniqueCi);

 public:
  // `root`: scratch for the root's members; Finish writes the stored value to `value`.
  TextOut(std::string& root, IndexEntryCollector& index, std::string& value)
      : out_(root), index_(index), value_(value) {
    out_.clear();
  }
  void Reserve(size_t) {}
  void Value(const std::string& name, const V& v, Simple s, const ValueAt& at) {
    Key(name);
    if (!s.as_is) {
      out_ += s.b ? "true" : "false";
      index_.Add(at.top, at.sub, at.in_array, s.b);
    } else if (v.is_string()) {
      AppendJsonString(out_, v.str());
      index_.Add(at.top, at.sub, at.in_array, v.str());
    } else if (v.is_bool()) {
      out_ += v.as_bool() ? "true" : "false";
      index_.Add(at.top, at.sub, at.in_array, v.as_bool());
    } else {
      v.Take().Serialize(out_);  // a number: written exactly as the tree writes it
    }
  }
  void BeginObject(const std::string& name, size_t) { Begin(name, '{', false); }
  void BeginArray(const std::string& name, size_t) { Begin(name, '[', true); }
  bool End() {
    const Frame f = frames_[--depth_];
    if (first_) {  // nothing written: dropped
      out_.resize(f.at);
      first_ = f.first;
      return false;
    }
    out_.push_back(f.array ? ']' : '}');
    first_ = false;
    return true;
  }
  // The value: the header's room, {"schemas":[...], then the root as written, then }.
  void Finish(const std::string& core_schema, const std::vector<const std::string*>& extensions) {
    value_.assign(kStoredHeaderBytes, '\0');
    value_.reserve(kStoredHeaderBytes + out_.size() + 128);
    value_ += "{\"schemas\":[";
    AppendJsonString(value_, core_schema);
    for (const std::string* ext : extensions) {
      value_.push_back(',');
      AppendJsonString(value_, *ext);
    }
    value_.push_back(']');
    value_ += out_;  // each root member written with its leading comma
    value_.push_back('}');
  }

 private:
  struct Frame {
    size_t at;  // where the container's key (or item) starts: dropped back to this
    bool first;
    bool array;
  };
  // The separator and, in an object, the key. The root always has a member before
  // ("schemas").
  void Key(const std::string& name) {
    if (!first_) out_.push_back(',');
    first_ = false;
    if (depth_ == 0 || !frames_[depth_ - 1].array) {
      // A schema's name or URN: nothing in it to escape (SchemaRegistry's own strings).
      const size_t at = out_.size();
      out_.resize(at + name.size() + 3);
      char* p = out_.data() + at;
      p[0] = '"';
      std::memcpy(p + 1, name.data(), name.size());
      p[name.size() + 1] = '"';
      p[name.size() + 2] = ':';
    }
  }
  void Begin(const std::string& name, char open, bool array) {
    // The schema bounds nesting: extension, multi-valued attribute, complex item.
    if (depth_ == kMaxDepth) std::abort();
    frames_[depth_] = {out_.size(), first_, array};
    Key(name);
    ++depth_;
    out_.push_back(open);
    first_ = true;
  }
  static constexpr size_t kMaxDepth = 4;
  std::string& out_;
  IndexEntryCollector& index_;
  std::string& value_;
  Frame frames_[kMaxDepth];
  size_t depth_ = 0;
  bool first_ = false;
};

// Decodes one simple (non-complex) value. Lenient where clients need it: booleans may
// arrive as the strings "true"/"false" in any case (Entra).
template <typename V>
Result<Simple> DecodeSimple(const AttrDef& def, const V& v, std::string_view path) {
  switch (def.type) {
    case AttrType::kBoolean:
      if (v.is_bool()) return Simple{};
      if (v.is_string() && EqualsCi(v.str(), "true")) return Simple{false, true};
      if (v.is_string() && EqualsCi(v.str(), "false")) return Simple{false, false};
      break;
    case AttrType::kInteger:
      if (v.is_int()) return Simple{};
      break;
    case AttrType::kDecimal:
      if (v.is_number()) return Simple{};
      break;
    case AttrType::kString:
    case AttrType::kReference:
    case AttrType::kBinary:
    case AttrType::kDateTime:
      if (v.is_string()) return Simple{};
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

// Whether an item of a multi-valued complex attribute says primary=true (as decoded; the
// last "primary" key counts, as the tree keeps the last of equal names).
template <typename V>
bool SaysPrimary(const AttrDef& primary, const V& item) {
  bool said = false;
  if (!item.is_object()) return false;
  (void)item.ForEachMember([&](std::string_view key, const V& value) -> Status {
    if (EqualsCi(key, primary.name) && !value.is_null()) {
      auto d = DecodeSimple(primary, value, {});
      said = d.ok() && IsTrue(*d, value);
    }
    return Status::Ok();
  });
  return said;
}

// Decodes a complex value (object) against def's sub-attributes; written only when some
// sub-attribute is assigned. `primary_off`: a primary=true in it is written false (another
// item of the list is primary).
template <typename V, typename Out>
Status DecodeComplex(const AttrDef& def, const V& v, std::string_view path, std::string_view schema,
                     const DecodeOptions& opts, bool in_array, bool primary_off, Out& out,
                     bool* kept = nullptr) {
  if (!v.is_object()) {
    return Status::InvalidValue("attribute \"" + std::string(path) + "\" must be an object");
  }
  out.BeginObject(def.name, v.size());
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
    Simple s = *decoded;
    if (primary_off && sub->name == "primary" && IsTrue(s, value)) s = Simple{false, false};
    out.Value(sub->name, value, s, ValueAt{def, sub, in_array});
    return Status::Ok();
  }));
  const bool written = out.End();
  if (kept != nullptr) *kept = written;
  return Status::Ok();
}

// Decodes the value of one attribute; null (unassigned) writes nothing. *wrote: whether a
// value was written.
template <typename V, typename Out>
Status DecodeAttr(const AttrDef& def, const V& v, std::string_view schema,
                  const DecodeOptions& opts, Out& out, bool* wrote = nullptr) {
  if (v.is_null()) return Status::Ok();
  bool kept = true;
  if (!def.multi_valued) {
    if (def.type == AttrType::kComplex) {
      SCIMD_RETURN_IF_ERROR(
          DecodeComplex(def, v, def.name, schema, opts, false, false, out, &kept));
    } else {
      SCIMD_ASSIGN_OR_RETURN(Simple s, DecodeSimple(def, v, def.name));
      out.Value(def.name, v, s, ValueAt{def, nullptr, false});
    }
    if (wrote != nullptr) *wrote = kept;
    return Status::Ok();
  }
  // At most one primary=true (RFC 7643 §2.4): the last one given wins.
  const AttrDef* primary = def.type == AttrType::kComplex ? def.FindSub("primary") : nullptr;
  size_t winner = SIZE_MAX;
  if (primary != nullptr && v.is_array() && v.size() > 1) {
    size_t i = 0;
    (void)v.ForEachItem([&](const V& item) {
      if (SaysPrimary(*primary, item)) winner = i;
      ++i;
      return Status::Ok();
    });
  }
  size_t i = 0;
  auto add = [&](const V& item) -> Status {
    const bool primary_off = winner != SIZE_MAX && i++ != winner;
    if (item.is_null()) return Status::Ok();
    if (def.type == AttrType::kComplex) {
      return DecodeComplex(def, item, def.name, schema, opts, true, primary_off, out);
    }
    SCIMD_ASSIGN_OR_RETURN(Simple s, DecodeSimple(def, item, def.name));
    out.Value(def.name, item, s, ValueAt{def, nullptr, true});
    return Status::Ok();
  };
  out.BeginArray(def.name, v.is_array() ? v.size() : 1);
  if (v.is_array()) {
    SCIMD_RETURN_IF_ERROR(v.ForEachItem(add));
  } else {
    SCIMD_RETURN_IF_ERROR(add(v));  // a single value where a list belongs: take it
  }
  kept = out.End();
  if (wrote != nullptr) *wrote = kept;
  return Status::Ok();
}

// Decodes the attributes of one schema from `obj`.
template <typename V, typename Out>
Status DecodeSchemaAttrs(const SchemaDef& schema, const V& obj, const DecodeOptions& opts,
                         Out& out) {
  return obj.ForEachMember([&](std::string_view key, const V& value) -> Status {
    if (opts.accept_extension_schemas && EqualsCi(key, "schemas")) return Status::Ok();
    const AttrDef* def = schema.Find(key);
    if (def == nullptr) {
      if (opts.ignore_unknown_attributes) return Status::Ok();
      return UnknownAttribute(key, schema.id);
    }
    if (def->mutability == Mutability::kReadOnly) return Status::Ok();
    return DecodeAttr(*def, value, schema.id, opts, out);
  });
}

Status CheckIndexedLengths(const IndexEntries& entries) {
  for (const auto& term : entries.values) {
    if (term.value.string.size() > kMaxIndexedValueBytes) {
      return Status::InvalidValue("value of an indexed attribute is longer than " +
                                  std::to_string(kMaxIndexedValueBytes) + " bytes");
    }
  }
  return Status::Ok();
}

// Derives the index entries of `in` and checks their lengths.
Status DeriveIndexEntries(ResourceType type, const DecodeOptions& opts, InputResource& in) {
  const std::vector<IndexedAttr>& indexed =
      opts.indexed != nullptr ? *opts.indexed : SchemaRegistry::Default().indexed();
  in.index_entries = IndexEntriesOf(type, in.attrs, indexed);
  in.index_entries_for = &indexed;
  return CheckIndexedLengths(in.index_entries);
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

// Decodes `body` into `out` (the canonical attributes, finished) and `in` (the rest).
template <typename V, typename Out>
Status Decode(ResourceType type, const V& body, const DecodeOptions& opts, InputResource& in,
              Out& out) {
  if (!body.is_object()) return Status::InvalidSyntax("the request body must be a JSON object");
  const SchemaRegistry& reg = SchemaRegistry::Default();
  const ResourceTypeDef& rt = reg.resource_type(type);
  const std::vector<AttrDef>& core_attrs = rt.schema->attributes;
  uint64_t written = 0;  // core attributes written, by position in core_attrs (< 64)
  out.Reserve(body.size());
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
      const AttrDef& def = ExternalIdDef();
      out.Value(def.name, value, Simple{}, ValueAt{def, nullptr, false});
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
    bool wrote = false;
    SCIMD_RETURN_IF_ERROR(DecodeAttr(*def, value, rt.schema->id, opts, out, &wrote));
    if (wrote && def->required) written |= uint64_t{1} << (def - core_attrs.data());
    return Status::Ok();
  }));

  // Canonical layout: schemas first, then core attributes, then extensions.
  std::vector<const std::string*> extensions_written;
  for (const auto& [ext, value] : extensions) {
    out.BeginObject(ext->id, value.size());
    SCIMD_RETURN_IF_ERROR(DecodeSchemaAttrs(*ext, value, opts, out));
    if (out.End()) extensions_written.push_back(&ext->id);
  }
  for (size_t i = 0; i < core_attrs.size(); ++i) {
    if (core_attrs[i].required && (i >= 64 || (written >> i & 1) == 0)) {
      return Status::InvalidValue("attribute \"" + core_attrs[i].name + "\" is required");
    }
  }
  out.Finish(rt.schema->id, extensions_written);
  return Status::Ok();
}

template <typename V>
Result<InputResource> DecodeTree(ResourceType type, const V& body, const DecodeOptions& opts) {
  InputResource in;
  TreeOut<V> out(in.attrs);
  SCIMD_RETURN_IF_ERROR(Decode(type, body, opts, in, out));
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
  return DecodeTree(type, JsonIn<const Json>(body), opts);
}

Result<InputResource> DecodeInput(ResourceType type, Json&& body, const DecodeOptions& opts) {
  return DecodeTree(type, JsonIn<Json>(body), opts);
}

Result<InputResource> DecodeInput(ResourceType type, const JsonDomValue& body,
                                  const DecodeOptions& opts) {
  return DecodeTree(type, body, opts);
}

Status DecodeToStored(ResourceType type, const JsonDomValue& body, const DecodeOptions& opts,
                      const IndexPaths& paths, StoredInput& stored) {
  thread_local std::string root;  // reused: the root's text before "schemas" is known
  IndexEntryCollector index(paths);
  TextOut<JsonDomValue> out(root, index, stored.value);
  InputResource in;
  SCIMD_RETURN_IF_ERROR(Decode(type, body, opts, in, out));
  stored.index_entries = index.Finish();
  SCIMD_RETURN_IF_ERROR(CheckIndexedLengths(stored.index_entries));
  stored.password = std::move(in.password);
  stored.members = std::move(in.members);
  stored.has_members = in.has_members;
  stored.external_id.reset();  // checked to be a string or null
  if (auto v = body.FindCi("externalId"); v && v->is_string()) stored.external_id = v->str();
  return Status::Ok();
}

}  // namespace scimd::core
