#include "core/filter/sort.h"

#include "core/base/strings.h"
#include "core/filter/filter_datetime.h"
#include "core/resource/index_entries.h"

namespace scimd::core {

Result<SortSpec> ParseSort(ResourceType type, std::string_view sort_by,
                           std::string_view sort_order) {
  SortSpec spec;
  if (!sort_order.empty()) {
    if (EqualsCi(sort_order, "descending")) {
      spec.descending = true;
    } else if (!EqualsCi(sort_order, "ascending")) {
      return Status::InvalidValue("sortOrder must be \"ascending\" or \"descending\"");
    }
  }
  const ResourceTypeDef& rt = SchemaRegistry::Default().resource_type(type);
  std::string_view path = sort_by;
  const SchemaDef* schema = rt.schema;
  auto strip = [&](const SchemaDef* s) {
    if (path.size() > s->id.size() && StartsWithCi(path, s->id) && path[s->id.size()] == ':') {
      path.remove_prefix(s->id.size() + 1);
      schema = s;
      return true;
    }
    return false;
  };
  if (!strip(rt.schema)) {
    for (const auto* e : rt.extensions) {
      if (strip(e)) break;
    }
  }
  const size_t dot = path.find('.');
  const std::string_view attr = path.substr(0, dot);
  const std::string_view sub =
      dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  auto unknown = [&] {
    return Status::InvalidValue("cannot sort by \"" + std::string(sort_by) +
                                "\": not an attribute of " + rt.name);
  };
  if (schema == rt.schema) {
    if (EqualsCi(attr, "id") && sub.empty()) {
      spec.source = SortSpec::Source::kId;
      return spec;
    }
    if (EqualsCi(attr, "meta")) {
      if (EqualsCi(sub, "created"))
        spec.source = SortSpec::Source::kCreated;
      else if (EqualsCi(sub, "lastModified"))
        spec.source = SortSpec::Source::kModified;
      else
        return unknown();
      return spec;
    }
    if (EqualsCi(attr, "externalId") && sub.empty()) {
      spec.attr = "externalId";
      spec.case_exact = true;
      return spec;
    }
  }
  const AttrDef* def = schema->Find(attr);
  if (def == nullptr) return unknown();
  if (schema != rt.schema) spec.extension = schema->id;
  spec.attr = def->name;
  spec.multi_valued = def->multi_valued;
  const AttrDef* leaf = def;
  if (def->type == AttrType::kComplex) {
    // A complex attribute sorts by its "value" sub-attribute unless one is named.
    const AttrDef* s = def->FindSub(sub.empty() ? std::string_view("value") : sub);
    if (s == nullptr) return unknown();
    spec.sub = s->name;
    leaf = s;
  } else if (!sub.empty()) {
    return unknown();
  }
  spec.type = leaf->type;
  spec.case_exact = leaf->case_exact;
  return spec;
}

namespace {

SortKey KeyOf(const SortSpec& spec, const Json& v) {
  SortKey k;
  if (v.is_string()) {
    if (spec.type == AttrType::kDateTime) {
      if (auto us = ParseDateTimeMicros(v.as_string())) {
        k.kind = SortKey::Kind::kNumber;
        k.number = static_cast<double>(*us);
        return k;
      }
    }
    k.kind = SortKey::Kind::kString;
    k.text = NormalizeForIndex(v.as_string(), spec.case_exact);
  } else if (v.is_number()) {
    k.kind = SortKey::Kind::kNumber;
    k.number = v.as_double();
  } else if (v.is_bool()) {
    k.kind = SortKey::Kind::kBoolean;
    k.number = v.as_bool() ? 1 : 0;
  }
  return k;
}

}  // namespace

SortKey ExtractSortKey(const SortSpec& spec, const ResourceId& id, const StoredHeader& header,
                       const Json& attrs) {
  SortKey k;
  switch (spec.source) {
    case SortSpec::Source::kId:
      k.kind = SortKey::Kind::kString;
      k.text = id.ToString();
      return k;
    case SortSpec::Source::kCreated:
    case SortSpec::Source::kModified:
      k.kind = SortKey::Kind::kNumber;
      k.number = static_cast<double>(
          spec.source == SortSpec::Source::kCreated ? header.created_us : header.modified_us);
      return k;
    case SortSpec::Source::kAttribute: break;
  }
  const Json* holder = &attrs;
  if (!spec.extension.empty()) holder = attrs.Find(spec.extension);
  if (holder == nullptr || !holder->is_object()) return k;
  const Json* v = holder->Find(spec.attr);
  if (v == nullptr) return k;
  if (v->is_array()) {
    const Json* chosen = nullptr;
    for (const auto& item : v->as_array()) {
      const Json* p = item.is_object() ? item.Find("primary") : nullptr;
      if (p != nullptr && p->is_bool() && p->as_bool()) {
        chosen = &item;
        break;
      }
      if (chosen == nullptr) chosen = &item;
    }
    if (chosen == nullptr) return k;
    v = chosen;
  }
  if (!spec.sub.empty()) {
    v = v->is_object() ? v->Find(spec.sub) : nullptr;
    if (v == nullptr) return k;
  }
  return KeyOf(spec, *v);
}

bool SortBefore(const SortSpec& spec, const SortKey& a, const ResourceId& a_id, const SortKey& b,
                const ResourceId& b_id) {
  const bool a_missing = a.kind == SortKey::Kind::kMissing;
  const bool b_missing = b.kind == SortKey::Kind::kMissing;
  if (a_missing != b_missing) return b_missing;  // missing values last, either direction
  if (!a_missing) {
    int cmp = 0;
    if (a.kind != b.kind) {
      cmp = a.kind < b.kind ? -1 : 1;
    } else if (a.kind == SortKey::Kind::kString) {
      cmp = a.text.compare(b.text);
    } else {
      cmp = a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
    }
    if (cmp != 0) return spec.descending ? cmp > 0 : cmp < 0;
  }
  return a_id < b_id;
}

}  // namespace scimd::core
