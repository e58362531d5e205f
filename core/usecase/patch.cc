#include "core/usecase/patch.h"

#include "core/base/limits.h"
#include "core/base/strings.h"
#include "core/filter/filter.h"
#include "core/resource/schema.h"
#include "core/usecase/patch_path.h"

namespace scimd::core {

namespace {

// ---- applying ----

bool IsEmptyValue(const Json& v) {
  return v.is_null() || (v.is_string() && v.as_string().empty()) ||
         (v.is_array() && v.as_array().empty()) || (v.is_object() && v.as_object().empty());
}

// The object holding the attribute: the resource, or its extension object (created on
// demand when `create`).
Json* Container(Json& attrs, const PatchPath& p, bool create) {
  if (p.extension == nullptr) return &attrs;
  Json* ext = attrs.FindCi(p.extension->id);
  if (ext == nullptr || !ext->is_object()) {
    if (!create) return nullptr;
    return &attrs.Set(p.extension->id, Json::MakeObject());
  }
  return ext;
}

// Entra sends manager as an id string, as {"value": id}, or as [{"value": id}].
Json NormalizeComplexValue(const AttrDef& attr, const Json& v) {
  if (v.is_string() && attr.FindSub("value") != nullptr) {
    Json o = Json::MakeObject();
    o.Set("value", v);
    return o;
  }
  if (v.is_array() && v.as_array().size() == 1 && v.as_array()[0].is_object()) {
    return v.as_array()[0];
  }
  return v;
}

// Sets key (canonical name) in obj, replacing a differently-cased duplicate.
void SetCanonical(Json& obj, const std::string& key, Json value) {
  obj.EraseCi(key);
  obj.Set(key, std::move(value));
}

// After an operation set primary=true on some elements, clears it on all the others.
void KeepOnePrimary(Json& array, const std::vector<size_t>& touched) {
  if (!array.is_array()) return;
  auto& items = array.as_array();
  std::optional<size_t> winner;
  for (size_t idx : touched) {
    if (idx >= items.size() || !items[idx].is_object()) continue;
    const Json* p = items[idx].FindCi("primary");
    if (p != nullptr &&
        ((p->is_bool() && p->as_bool()) || (p->is_string() && EqualsCi(p->as_string(), "true")))) {
      winner = idx;
    }
  }
  if (!winner) return;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i == *winner || !items[i].is_object()) continue;
    Json* p = items[i].FindCi("primary");
    if (p != nullptr) *p = Json::Bool(false);
  }
}

class Patcher {
 public:
  Patcher(ResourceType type, Json attrs, const DecodeOptions& options)
      : type_(type), attrs_(std::move(attrs)), options_(options) {}

  Status Apply(const PatchOperation& op) {
    if (op.path.empty()) return ApplyNoPath(op);
    SCIMD_ASSIGN_OR_RETURN(PatchPath p, ParsePatchPath(type_, op.path));
    return ApplyPath(op.op, p, op.value, op.has_value);
  }

  Json& attrs() { return attrs_; }
  std::vector<MemberChange>& members() { return members_; }
  std::optional<std::string>& password() { return password_; }
  bool password_changed() const { return password_changed_; }

 private:
  Status ApplyNoPath(const PatchOperation& op) {
    if (op.op == PatchOperation::Op::kRemove) {
      return Status::NoTarget("a remove operation needs a \"path\"");
    }
    if (!op.value.is_object()) {
      return Status::InvalidValue(
          "an add or replace without \"path\" needs an object \"value\" of attributes");
    }
    const ResourceTypeDef& rt = SchemaRegistry::Default().resource_type(type_);
    for (const auto& [key, value] : op.value.as_object()) {
      if (EqualsCi(key, "schemas") || EqualsCi(key, "id") || EqualsCi(key, "meta")) continue;
      if (const SchemaDef* ext = rt.FindExtension(key)) {
        // {"urn:...:enterprise:2.0:User": {"department": "X"}}
        if (value.is_null()) {
          PatchPath whole;
          whole.extension = ext;
          SCIMD_RETURN_IF_ERROR(ApplyPath(PatchOperation::Op::kRemove, whole, Json(), false));
          continue;
        }
        if (!value.is_object()) {
          return Status::InvalidValue("extension \"" + key + "\" must be an object");
        }
        for (const auto& [sub_key, sub_value] : value.as_object()) {
          SCIMD_RETURN_IF_ERROR(ApplyKey(op.op, ext->id + ":" + sub_key, sub_value));
        }
        continue;
      }
      if (key.find(':') != std::string::npos) {
        // A URN-qualified attribute ("urn:...:User:department") of a known schema, or an
        // attribute of an unknown schema, which is ignored like unknown schemas on input.
        bool known = StartsWithCi(key, rt.schema->id);
        for (const auto* e : rt.extensions) {
          known = known || StartsWithCi(key, e->id);
        }
        if (!known) continue;
      }
      SCIMD_RETURN_IF_ERROR(ApplyKey(op.op, key, value));
    }
    return Status::Ok();
  }

  Status ApplyKey(PatchOperation::Op op, const std::string& key, const Json& value) {
    auto p = ParsePatchPath(type_, key);
    if (!p.ok()) {
      return Status::InvalidValue("unknown attribute \"" + key + "\" in the value of a " +
                                  (op == PatchOperation::Op::kAdd ? "add" : "replace"));
    }
    if (p->read_only) return Status::Ok();  // readOnly values in a no-path value: ignored
    return ApplyPath(op, *p, value, true);
  }

  Status ApplyPath(PatchOperation::Op op, const PatchPath& p, const Json& raw_value,
                   bool has_value) {
    using Op = PatchOperation::Op;
    if (p.read_only) {
      return Status::Mutability("attribute \"" + p.text + "\" is read-only");
    }
    if (type_ == ResourceType::kGroup && p.attr != nullptr && p.attr->name == "members" &&
        p.extension == nullptr) {
      return ApplyMembers(op, p, raw_value, has_value);
    }
    if (p.attr != nullptr && p.attr->name == "password" && p.extension == nullptr) {
      password_changed_ = true;
      if (op == Op::kRemove || IsEmptyValue(raw_value)) {
        password_.reset();
        return Status::Ok();
      }
      if (!raw_value.is_string()) return Status::InvalidValue("\"password\" must be a string");
      password_ = raw_value.as_string();
      return Status::Ok();
    }
    // Entra: a null or empty value means "remove".
    if (op != Op::kRemove && has_value && IsEmptyValue(raw_value) && !p.filter) {
      return Remove(p, Json(), false);
    }
    if (op == Op::kRemove) return Remove(p, raw_value, has_value);
    if (!has_value) {
      return Status::InvalidValue("operation on \"" + p.text + "\" needs a \"value\"");
    }
    if (p.attr == nullptr) {  // the whole extension object
      if (!raw_value.is_object()) {
        return Status::InvalidValue("extension \"" + p.extension->id + "\" must be an object");
      }
      for (const auto& [k, v] : raw_value.as_object()) {
        SCIMD_RETURN_IF_ERROR(ApplyKey(op, p.extension->id + ":" + k, v));
      }
      return Status::Ok();
    }
    return Set(op, p, raw_value);
  }

  // add / replace of a value at `p`.
  Status Set(PatchOperation::Op op, const PatchPath& p, const Json& raw_value) {
    using Op = PatchOperation::Op;
    const AttrDef& attr = *p.attr;
    Json* container = Container(attrs_, p, true);
    Json* current = container->FindCi(attr.name);

    if (!attr.multi_valued) {
      if (attr.type != AttrType::kComplex) {
        if (p.sub != nullptr)
          return Status::InvalidPath("\"" + attr.name + "\" has no sub-attributes");
        SetCanonical(*container, attr.name, raw_value);
        return Status::Ok();
      }
      // Complex single-valued (name, manager): sub-attributes given are set, the others
      // are left as they are (RFC 7644 §3.5.2.1 and .3).
      if (current == nullptr || !current->is_object()) {
        SetCanonical(*container, attr.name, Json::MakeObject());
        current = container->FindCi(attr.name);
      }
      if (p.sub != nullptr) {
        SetCanonical(*current, p.sub->name, raw_value);
        return Status::Ok();
      }
      const Json value = NormalizeComplexValue(attr, raw_value);
      if (!value.is_object()) {
        return Status::InvalidValue("attribute \"" + attr.name + "\" takes an object");
      }
      for (const auto& [k, v] : value.as_object()) {
        const AttrDef* sub = attr.FindSub(k);
        if (v.is_null()) {
          current->EraseCi(k);
        } else {
          SetCanonical(*current, sub != nullptr ? sub->name : k, v);
        }
      }
      if (current->as_object().empty()) container->EraseCi(attr.name);
      return Status::Ok();
    }

    // Multi-valued.
    if (current == nullptr || !current->is_array()) {
      Json arr = Json::MakeArray();
      if (current != nullptr && !current->is_null()) arr.Push(*current);
      SetCanonical(*container, attr.name, std::move(arr));
      current = container->FindCi(attr.name);
    }
    auto& items = current->as_array();
    std::vector<size_t> touched;
    if (p.filter) {
      for (size_t i = 0; i < items.size(); ++i) {
        if (!MatchesElement(*p.filter, items[i])) continue;
        touched.push_back(i);
        if (p.sub != nullptr) {
          SetCanonical(items[i], p.sub->name, raw_value);
        } else if (raw_value.is_object()) {
          if (op == Op::kReplace) {
            items[i] = raw_value;
          } else {
            for (const auto& [k, v] : raw_value.as_object()) SetCanonical(items[i], k, v);
          }
        } else {
          return Status::InvalidValue("a value for \"" + p.text + "\" must be an object");
        }
      }
      if (touched.empty()) {
        // Nothing matched: create the element when the filter says what it is (Entra's
        // `emails[type eq "work"].value` for a user without a work email).
        std::vector<std::pair<std::string, Json>> literals;
        if (!EqConjunction(*p.filter->root, &literals)) {
          return Status::NoTarget("no value of \"" + attr.name + "\" matches [" + p.filter_text +
                                  "]");
        }
        Json element = Json::MakeObject();
        for (auto& [sub, literal] : literals) element.Set(sub, std::move(literal));
        if (p.sub != nullptr) {
          SetCanonical(element, p.sub->name, raw_value);
        } else if (raw_value.is_object()) {
          for (const auto& [k, v] : raw_value.as_object()) SetCanonical(element, k, v);
        } else {
          return Status::InvalidValue("a value for \"" + p.text + "\" must be an object");
        }
        items.push_back(std::move(element));
        touched.push_back(items.size() - 1);
      }
      KeepOnePrimary(*current, touched);
      return Status::Ok();
    }
    if (p.sub != nullptr) {
      // emails.value without a filter: every element (creating one if there is none).
      if (items.empty()) items.push_back(Json::MakeObject());
      for (size_t i = 0; i < items.size(); ++i) {
        if (!items[i].is_object()) continue;
        SetCanonical(items[i], p.sub->name, raw_value);
        touched.push_back(i);
      }
      KeepOnePrimary(*current, touched);
      return Status::Ok();
    }
    std::vector<Json> incoming;
    if (raw_value.is_array()) {
      for (const auto& v : raw_value.as_array()) incoming.push_back(v);
    } else {
      incoming.push_back(raw_value);
    }
    if (op == Op::kReplace) items.clear();
    for (auto& v : incoming) {
      bool duplicate = false;
      for (const auto& existing : items) {
        if (existing.Serialize() == v.Serialize()) duplicate = true;
      }
      if (duplicate) continue;
      items.push_back(std::move(v));
      touched.push_back(items.size() - 1);
    }
    KeepOnePrimary(*current, touched);
    return Status::Ok();
  }

  Status Remove(const PatchPath& p, const Json& value, bool has_value) {
    if (p.attr == nullptr) {  // the whole extension
      attrs_.EraseCi(p.extension->id);
      return Status::Ok();
    }
    const AttrDef& attr = *p.attr;
    if (attr.required && p.sub == nullptr && !p.filter) {
      return Status::Mutability("attribute \"" + attr.name +
                                "\" is required and cannot be removed");
    }
    Json* container = Container(attrs_, p, false);
    if (container == nullptr) return Status::Ok();
    Json* current = container->FindCi(attr.name);
    if (current == nullptr) return Status::Ok();  // removing what is not there: no change
    if (!p.filter && p.sub == nullptr) {
      if (attr.multi_valued && has_value && !value.is_null() && current->is_array()) {
        // remove with a value: only the listed values (matched on "value", else whole).
        std::vector<Json> listed;
        if (value.is_array()) {
          for (const auto& v : value.as_array()) listed.push_back(v);
        } else {
          listed.push_back(value);
        }
        auto& items = current->as_array();
        for (const auto& l : listed) {
          const Json* lv = l.is_object() ? l.FindCi("value") : &l;
          for (auto it = items.begin(); it != items.end();) {
            const Json* iv = it->is_object() ? it->FindCi("value") : &*it;
            const bool same = lv != nullptr && iv != nullptr && lv->Serialize() == iv->Serialize();
            it = same ? items.erase(it) : it + 1;
          }
        }
        if (items.empty()) container->EraseCi(attr.name);
      } else {
        container->EraseCi(attr.name);
      }
    } else if (!attr.multi_valued) {
      if (current->is_object()) current->EraseCi(p.sub->name);
      if (current->is_object() && current->as_object().empty()) container->EraseCi(attr.name);
    } else if (current->is_array()) {
      auto& items = current->as_array();
      for (auto it = items.begin(); it != items.end();) {
        const bool match = !p.filter || MatchesElement(*p.filter, *it);
        if (!match) {
          ++it;
          continue;
        }
        if (p.sub == nullptr) {
          it = items.erase(it);
          continue;
        }
        if (it->is_object()) it->EraseCi(p.sub->name);
        it = it->is_object() && it->as_object().empty() ? items.erase(it) : it + 1;
      }
      if (items.empty()) container->EraseCi(attr.name);
    }
    if (p.extension != nullptr) {
      Json* ext = attrs_.FindCi(p.extension->id);
      if (ext != nullptr && ext->is_object() && ext->as_object().empty()) {
        attrs_.EraseCi(p.extension->id);
      }
    }
    return Status::Ok();
  }

  Status ApplyMembers(PatchOperation::Op op, const PatchPath& p, const Json& value,
                      bool has_value) {
    using Op = PatchOperation::Op;
    if (p.sub != nullptr) {
      if (p.sub->mutability == Mutability::kImmutable && op != Op::kAdd) {
        // RFC 7643 §2.2: value, $ref and type of a member never change in place.
        return Status::Mutability("\"" + p.text + "\" is immutable: remove the member and add " +
                                  "the new one");
      }
      return Status::InvalidPath("\"" + p.text + "\": members are changed as a whole item");
    }
    if (p.filter) {
      if (op != Op::kRemove) {
        return Status::InvalidPath("\"" + p.text +
                                   "\": add or replace members with path \"members\"");
      }
      // members[value eq "id"] (or several joined by "or"): those members.
      MemberChange change;
      change.kind = MemberChange::Kind::kRemove;
      if (!MemberIds(*p.filter->root, &change.ids)) {
        return Status::InvalidFilter(
            "filter \"" + p.filter_text +
            "\": members are selected with value eq \"id\" (joined by or)");
      }
      members_.push_back(std::move(change));
      return Status::Ok();
    }
    if (op == Op::kRemove) {
      if (!has_value || value.is_null()) {
        members_.push_back({MemberChange::Kind::kRemoveAll, {}, {}});
        return Status::Ok();
      }
      SCIMD_ASSIGN_OR_RETURN(std::vector<MemberRef> refs, DecodeMembers(value, options_));
      MemberChange change;
      change.kind = MemberChange::Kind::kRemove;
      for (const auto& r : refs) {
        if (r.unparsed.empty()) change.ids.push_back(r.id);  // a non-id names no member
      }
      members_.push_back(std::move(change));
      return Status::Ok();
    }
    if (!has_value) return Status::InvalidValue("adding members needs a \"value\"");
    if (op == Op::kReplace) members_.push_back({MemberChange::Kind::kRemoveAll, {}, {}});
    if (value.is_null() || (value.is_array() && value.as_array().empty())) return Status::Ok();
    SCIMD_ASSIGN_OR_RETURN(std::vector<MemberRef> refs, DecodeMembers(value, options_));
    members_.push_back({MemberChange::Kind::kAdd, std::move(refs), {}});
    return Status::Ok();
  }

  ResourceType type_;
  Json attrs_;
  const DecodeOptions& options_;
  std::vector<MemberChange> members_;
  std::optional<std::string> password_;
  bool password_changed_ = false;
};

}  // namespace

Result<std::vector<PatchOperation>> ParsePatchRequest(const Json& body) {
  if (!body.is_object()) return Status::InvalidSyntax("a PATCH body must be a JSON object");
  if (const Json* schemas = body.FindCi("schemas")) {
    bool ok = schemas->is_array();
    bool has_patch_op = false;
    if (ok) {
      for (const auto& s : schemas->as_array()) {
        if (!s.is_string())
          ok = false;
        else if (EqualsCi(s.as_string(), kPatchOpSchema))
          has_patch_op = true;
      }
    }
    if (!ok || !has_patch_op) {
      return Status::InvalidSyntax("\"schemas\" of a PATCH must list " +
                                   std::string(kPatchOpSchema));
    }
  }
  const Json* ops = body.FindCi("Operations");
  if (ops == nullptr || !ops->is_array()) {
    return Status::InvalidSyntax("a PATCH body needs an \"Operations\" array");
  }
  if (ops->as_array().size() > kMaxPatchOperations) {
    return Status::InvalidValue("more than " + std::to_string(kMaxPatchOperations) +
                                " operations in one PATCH");
  }
  std::vector<PatchOperation> out;
  for (const auto& o : ops->as_array()) {
    if (!o.is_object()) return Status::InvalidSyntax("each PATCH operation must be an object");
    PatchOperation op;
    const Json* name = o.FindCi("op");
    if (name == nullptr || !name->is_string()) {
      return Status::InvalidSyntax("each PATCH operation needs \"op\": add, replace or remove");
    }
    if (EqualsCi(name->as_string(), "add"))
      op.op = PatchOperation::Op::kAdd;
    else if (EqualsCi(name->as_string(), "replace"))
      op.op = PatchOperation::Op::kReplace;
    else if (EqualsCi(name->as_string(), "remove"))
      op.op = PatchOperation::Op::kRemove;
    else {
      return Status::InvalidSyntax("unknown PATCH op \"" + name->as_string() +
                                   "\": use add, replace or remove");
    }
    if (const Json* path = o.FindCi("path"); path != nullptr && !path->is_null()) {
      if (!path->is_string()) return Status::InvalidPath("\"path\" must be a string");
      op.path = path->as_string();
      while (!op.path.empty() && op.path.front() == ' ') op.path.erase(0, 1);
      while (!op.path.empty() && op.path.back() == ' ') op.path.pop_back();
    }
    if (const Json* value = o.FindCi("value")) {
      op.value = *value;
      op.has_value = true;
    }
    out.push_back(std::move(op));
  }
  return out;
}

Result<PatchOutcome> ApplyPatch(ResourceType type, const Json& attrs,
                                const std::vector<PatchOperation>& ops,
                                const DecodeOptions& options) {
  Patcher patcher(type, attrs, options);
  for (const auto& op : ops) SCIMD_RETURN_IF_ERROR(patcher.Apply(op));
  // Validate and canonicalize the result exactly as a PUT body would be.
  SCIMD_ASSIGN_OR_RETURN(InputResource in, DecodeInput(type, std::move(patcher.attrs()), options));
  PatchOutcome out;
  out.attrs_changed = in.attrs.Serialize() != attrs.Serialize();
  out.attrs = std::move(in.attrs);
  out.members = std::move(patcher.members());
  out.password = std::move(patcher.password());
  out.password_changed = patcher.password_changed();
  return out;
}

}  // namespace scimd::core
