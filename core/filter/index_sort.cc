#include "core/filter/index_sort.h"

#include <algorithm>
#include <optional>

#include "core/base/strings.h"
#include "core/resource/index_entries.h"
#include "core/resource/stored_value.h"

namespace scimd::core {

const IndexedAttr* SortIndexFor(ResourceType type, const SortSpec& spec,
                                const std::vector<IndexedAttr>& indexed) {
  if (spec.source != SortSpec::Source::kAttribute || spec.multi_valued ||
      spec.type != AttrType::kString || !spec.extension.empty()) {
    return nullptr;
  }
  const std::string path = spec.sub.empty() ? spec.attr : spec.attr + "." + spec.sub;
  const IndexedAttr* ia = nullptr;
  for (const auto& candidate : indexed) {
    if (candidate.type == type && EqualsCi(candidate.path, path)) ia = &candidate;
  }
  // A folding index cannot order a case-exact sort, nor the other way round.
  if (ia == nullptr || ia->case_exact != spec.case_exact) return nullptr;
  return ia;
}

std::string ExplainIndexOrder(ResourceType type, const IndexedAttr& index, bool descending) {
  return "IndexOrder(" + std::string(ResourceTypeName(type)) + "." + index.path +
         (descending ? " descending)" : " ascending)");
}

namespace {

// Whether the stored resource has an entry in `index`: by the one derivation of entries,
// so exactly the resources the index walk visited. Corruption if it does not decode.
Result<bool> HasIndexEntry(ResourceType type, const IndexedAttr& index, std::string_view stored) {
  SCIMD_ASSIGN_OR_RETURN(auto split, SplitStored(stored));
  auto attrs = Json::Parse(split.second);
  if (!attrs.ok()) return Status::Corruption("stored resource is not valid JSON");
  return !IndexEntriesOf(type, *attrs, {index}).presence.empty();
}

}  // namespace

Status IndexOrderedWindow(Store& store, TenantId tenant, ResourceType type, const SortSpec& spec,
                          const IndexedAttr& index, const CompiledFilter* filter, uint64_t first,
                          uint64_t count, SortedWindow* out) {
  *out = SortedWindow();
  const uint64_t window_end = first + count;  // first <= INT64_MAX, count <= kMaxPageSize
  uint64_t pos = 0;                           // matches placed so far
  Status error;
  auto window_full = [&] { return pos + 1 >= window_end; };

  // Places one resource (in sort order) if it matches. False to stop on an error.
  auto place = [&](const ResourceId& id, std::string_view stored) {
    if (filter != nullptr) {
      Result<bool> match = MatchesStored(store, tenant, *filter, id, stored);
      if (!match.ok()) {
        error = match.status();
        return false;
      }
      if (!*match) return true;
    }
    ++pos;
    if (pos >= first && pos < window_end) out->rows.emplace_back(id, std::string(stored));
    return true;
  };

  if (filter == nullptr) {
    SCIMD_ASSIGN_OR_RETURN(out->total, store.CountResources(tenant, type));
    if (first > out->total) return Status::Ok();  // past the end: nothing to read
  }

  // 1. Resources with a value, in index order. Without a filter every entry is a match,
  // so entries before the window are counted without reading the resource and the walk
  // stops at the window's end; with one, every resource is read to count the total.
  bool stopped = false;
  auto on_id = [&](const ResourceId& id) {
    ++out->candidates;
    if (filter == nullptr) {
      if (pos + 1 < first) {
        ++pos;
        return true;
      }
      if (window_full()) {
        stopped = true;
        return false;
      }
    }
    Result<std::string> value = store.GetResource(tenant, type, id);
    if (!value.ok()) {
      if (value.status().Is(Status::Code::kNotFound)) return true;  // deleted meanwhile
      error = value.status();
      return false;
    }
    ++out->rows_examined;
    return place(id, *value);
  };
  Status s;
  if (!spec.descending) {
    s = store.ScanIndexRange(tenant, type, index.id, IndexValue::Kind::kString, std::nullopt,
                             std::nullopt, on_id);
  } else {
    // Values in descending order, ties still in ascending id order (SortBefore).
    s = store.ScanIndexValuesDescending(
        tenant, type, index.id, IndexValue::Kind::kString,
        [&](const IndexValue& value, const ResourceId&) {
          bool go_on = true;
          Status eq = store.ScanIndexEq(tenant, type, {index.id, value}, [&](const ResourceId& id) {
            go_on = on_id(id);
            return go_on;
          });
          if (!eq.ok()) {
            error = eq;
            return false;
          }
          return go_on;
        });
  }
  SCIMD_RETURN_IF_ERROR(s);
  SCIMD_RETURN_IF_ERROR(error);

  // 2. Resources without a value come last, in id order. They have no entry to walk: scan
  // the resources and skip those that have one. Without a filter the counter says how
  // many there are, so the scan stops after the last of them or at the window's end.
  uint64_t missing_left = UINT64_MAX;
  if (filter == nullptr) {
    if (stopped || window_full()) return Status::Ok();
    missing_left = out->total > pos ? out->total - pos : 0;
    if (missing_left == 0) return Status::Ok();
  }
  s = store.ScanResources(tenant, type, std::nullopt,
                          [&](const ResourceId& id, std::string_view stored) {
                            ++out->candidates;
                            ++out->rows_examined;
                            Result<bool> has = HasIndexEntry(type, index, stored);
                            if (!has.ok()) {
                              error = has.status();
                              return false;
                            }
                            if (*has) return true;
                            if (!place(id, stored)) return false;
                            if (filter != nullptr) return true;
                            return --missing_left > 0 && !window_full();
                          });
  SCIMD_RETURN_IF_ERROR(s);
  SCIMD_RETURN_IF_ERROR(error);
  if (filter != nullptr) out->total = pos;
  return Status::Ok();
}

}  // namespace scimd::core
