#include "core/resource/index_entries.h"

#include "core/base/strings.h"

namespace scimd::core {

std::string NormalizeForIndex(std::string_view value, bool case_exact) {
  // caseExact=false values compare case-insensitively: all of Unicode folds (FoldCase).
  return case_exact ? std::string(value) : FoldCase(value);
}

namespace {

// Adds one value of `ia`: one entry per distinct value.
void AddTerm(IndexEntries& out, const IndexedAttr& ia, IndexValue value) {
  IndexTerm t{ia.id, std::move(value)};
  for (const auto& existing : out.values) {
    if (existing == t) return;
  }
  if (ia.unique) out.unique.push_back(t);
  out.values.push_back(std::move(t));
}

IndexValue StringTerm(const IndexedAttr& ia, std::string_view s) {
  return IndexValue::String(NormalizeForIndex(s, ia.case_exact));
}

}  // namespace

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
      if (s.is_string()) {
        AddTerm(out, ia, StringTerm(ia, s.as_string()));
      } else if (s.is_bool()) {
        AddTerm(out, ia, IndexValue::Boolean(s.as_bool()));
      } else {
        return;
      }
      present = true;
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

IndexPaths::IndexPaths(ResourceType type, const std::vector<IndexedAttr>& indexed)
    : indexed_(&indexed) {
  const ResourceTypeDef& rt = SchemaRegistry::Default().resource_type(type);
  for (size_t slot = 0; slot < indexed.size(); ++slot) {
    const IndexedAttr& ia = indexed[slot];
    if (ia.type != type) continue;
    // Resolved by exact names, as IndexEntriesOf finds them in a resource's canonical tree:
    // a path that names nothing there names nothing here.
    std::string_view path = ia.path;
    const SchemaDef* schema = rt.schema;
    if (const size_t colon = path.rfind(':'); colon != std::string_view::npos) {
      schema = nullptr;
      for (const SchemaDef* ext : rt.extensions) {
        if (ext->id == path.substr(0, colon)) schema = ext;
      }
      if (schema == nullptr) continue;
      path = path.substr(colon + 1);
    }
    const size_t dot = path.find('.');
    const std::string_view top_name = path.substr(0, dot);
    const AttrDef* top = schema == rt.schema && top_name == ExternalIdDef().name
                             ? &ExternalIdDef()
                             : schema->Find(top_name);
    if (top == nullptr || top->name != top_name) continue;
    const AttrDef* sub = nullptr;
    if (dot != std::string_view::npos) {
      const std::string_view sub_name = path.substr(dot + 1);
      sub = top->FindSub(sub_name);
      if (sub == nullptr || sub->name != sub_name) continue;
    }
    paths_.push_back({top, sub, slot});
  }
}

template <typename F>
void IndexEntryCollector::ForEachSlot(const AttrDef& top, const AttrDef* sub, bool in_array, F f) {
  // A value of the attribute itself counts only when single-valued (IndexEntriesOf indexes
  // neither an array of simple values nor an object by the attribute's own path).
  if (sub == nullptr && in_array) return;
  for (const auto& p : paths_.paths_) {
    if (p.top == &top && p.sub == sub) f(p.slot);
  }
}

void IndexEntryCollector::Add(const AttrDef& top, const AttrDef* sub, bool in_array,
                              std::string_view value) {
  ForEachSlot(top, sub, in_array, [&](size_t slot) {
    found_.emplace_back(slot, StringTerm(paths_.indexed()[slot], value));
  });
}

void IndexEntryCollector::Add(const AttrDef& top, const AttrDef* sub, bool in_array, bool value) {
  ForEachSlot(top, sub, in_array,
              [&](size_t slot) { found_.emplace_back(slot, IndexValue::Boolean(value)); });
}

IndexEntries IndexEntryCollector::Finish() {
  // In IndexEntriesOf's order: by indexed attribute, then as written.
  IndexEntries out;
  out.values.reserve(found_.size());
  out.presence.reserve(paths_.paths_.size());
  const std::vector<IndexedAttr>& indexed = paths_.indexed();
  for (const auto& p : paths_.paths_) {
    bool present = false;
    for (auto& [slot, value] : found_) {
      if (slot != p.slot) continue;
      present = true;
      AddTerm(out, indexed[slot], std::move(value));
    }
    if (present) out.presence.push_back(indexed[p.slot].id);
  }
  found_.clear();
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

}  // namespace scimd::core
