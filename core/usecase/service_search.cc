// Service::Search (RFC 7644 §3.4.2, §3.4.3): filter, sort and page. One function per read
// strategy: id order (counting every match for an exact totalResults), sorted in memory
// (bounded), and a walk of a sort attribute's index (a page costs about `count` reads).
#include <algorithm>
#include <optional>

#include "core/filter/filter.h"
#include "core/filter/index_sort.h"
#include "core/filter/sort.h"
#include "core/resource/schema.h"
#include "core/usecase/service.h"
#include "core/usecase/service_internal.h"

namespace scimd::core {

namespace {

// One resource type of a search, compiled.
struct TypeQuery {
  ResourceType type;
  std::optional<CompiledFilter> filter;
  std::optional<SortSpec> sort;
};

// The filter as residual(...) names it: without the parentheses around the top term.
std::string FilterText(const CompiledFilter& filter) {
  std::string text = filter.bound().ToString();
  const auto k = filter.bound().root->kind;
  if ((k == BoundNode::Kind::kCompare || k == BoundNode::Kind::kPresent ||
       k == BoundNode::Kind::kAnd || k == BoundNode::Kind::kOr) &&
      text.size() >= 2) {
    text = text.substr(1, text.size() - 2);
  }
  return text;
}

std::string PlanOf(const TypeQuery& q) {
  return q.filter ? Explain(*q.filter) : "FullScan(" + std::string(ResourceTypeName(q.type)) + ")";
}

// The state of one search while a strategy fills its result.
class SearchRun {
 public:
  SearchRun(Store& store, const RequestContext& ctx, const SearchQuery& query,
            std::vector<TypeQuery> types)
      : store_(store), ctx_(ctx), query_(query), types_(std::move(types)) {}

  // No sortBy: type after type in id order; every match is counted, the window kept. An
  // unfiltered type is counted from its counter and only its part of the window is read.
  Status InIdOrder();
  // Sorted in memory: (key, id) of every match, then the page's resources. False when
  // there are more than kMaxSortedResults matches (nothing is kept then).
  Result<bool> SortedInMemory(const SortSpec& spec);
  // One type sorted by an indexed attribute: the index walked in value order.
  Status IndexWalk(const SortSpec& spec, const IndexedAttr& index);

  SearchResult TakeResult() { return std::move(result_); }

 private:
  // Visits every match of one type in id order, counting the rows read.
  Status VisitMatches(const TypeQuery& q, const FilterMatchVisitor& visit);
  void AddPlan(std::string plan) {
    if (query_.explain) result_.plans.push_back(std::move(plan));
  }
  Status Keep(ResourceType type, const ResourceId& id, std::string value) {
    SCIMD_ASSIGN_OR_RETURN(StoredResource r, StoredResource::FromValue(type, id, std::move(value)));
    result_.page.push_back(std::move(r));
    return Status::Ok();
  }

  Store& store_;
  const RequestContext& ctx_;
  const SearchQuery& query_;
  std::vector<TypeQuery> types_;
  SearchResult result_;
};

Status SearchRun::VisitMatches(const TypeQuery& q, const FilterMatchVisitor& visit) {
  if (q.filter) {
    FilterStats stats;
    Status s = RunFilter(store_, ctx_.tenant, *q.filter, visit, &stats);
    result_.rows_examined += stats.rows_examined;
    return s;
  }
  return store_.ScanResources(ctx_.tenant, q.type, std::nullopt,
                              [&](const ResourceId& id, std::string_view value) {
                                ++result_.rows_examined;
                                return visit(id, value);
                              });
}

Status SearchRun::InIdOrder() {
  const uint64_t first = query_.start_index;
  const uint64_t window_end = first + query_.count;
  uint64_t& total = result_.total;
  for (const auto& q : types_) {
    AddPlan(PlanOf(q));
    Status kept;
    if (!q.filter) {
      SCIMD_ASSIGN_OR_RETURN(uint64_t n, store_.CountResources(ctx_.tenant, q.type));
      const uint64_t type_first = total + 1;
      total += n;
      if (query_.count == 0 || window_end <= type_first || first > total) continue;
      uint64_t skip = first > type_first ? first - type_first : 0;
      SCIMD_RETURN_IF_ERROR(store_.ScanResources(
          ctx_.tenant, q.type, std::nullopt, [&](const ResourceId& id, std::string_view value) {
            ++result_.rows_examined;
            if (skip > 0) {
              --skip;
              return true;
            }
            kept = Keep(q.type, id, std::string(value));
            return kept.ok() && result_.page.size() < query_.count;
          }));
      SCIMD_RETURN_IF_ERROR(kept);
      continue;
    }
    SCIMD_RETURN_IF_ERROR(VisitMatches(q, [&](const ResourceId& id, std::string_view value) {
      ++total;
      if (total >= first && total < window_end) kept = Keep(q.type, id, std::string(value));
      return kept.ok();
    }));
    SCIMD_RETURN_IF_ERROR(kept);
  }
  return Status::Ok();
}

Result<bool> SearchRun::SortedInMemory(const SortSpec& spec) {
  struct Keyed {
    size_t query;
    ResourceId id;
    SortKey key;
  };
  std::vector<Keyed> keyed;
  bool too_many = false;
  for (size_t qi = 0; qi < types_.size() && !too_many; ++qi) {
    const auto& q = types_[qi];
    SCIMD_RETURN_IF_ERROR(VisitMatches(q, [&](const ResourceId& id, std::string_view value) {
      if (keyed.size() >= kMaxSortedResults) {
        too_many = true;
        return false;
      }
      auto split = SplitStored(value);
      if (!split.ok()) return true;
      auto attrs = Json::Parse(split->second);
      Keyed k{qi, id, {}};
      if (attrs.ok()) k.key = ExtractSortKey(*q.sort, id, split->first, *attrs);
      keyed.push_back(std::move(k));
      return true;
    }));
  }
  if (too_many) return false;
  std::sort(keyed.begin(), keyed.end(), [&](const Keyed& a, const Keyed& b) {
    return SortBefore(spec, a.key, a.id, b.key, b.id);
  });
  result_.total = keyed.size();
  const uint64_t window_end = query_.start_index + query_.count;
  for (uint64_t i = query_.start_index; i < window_end && i <= result_.total; ++i) {
    const Keyed& k = keyed[i - 1];
    const ResourceType type = types_[k.query].type;
    auto value = store_.GetResource(ctx_.tenant, type, k.id);
    if (!value.ok()) {
      if (value.status().Is(Status::Code::kNotFound)) continue;  // deleted meanwhile
      return value.status();
    }
    ++result_.rows_examined;
    SCIMD_RETURN_IF_ERROR(Keep(type, k.id, std::move(value).value()));
  }
  for (const auto& q : types_) {
    AddPlan(PlanOf(q) + " THEN SortInMemory(" + std::string(query_.sort_by) +
            (spec.descending ? " descending)" : " ascending)"));
  }
  return true;
}

Status SearchRun::IndexWalk(const SortSpec& spec, const IndexedAttr& index) {
  const TypeQuery& q = types_.front();
  const CompiledFilter* filter = q.filter ? &*q.filter : nullptr;
  SortedWindow window;
  SCIMD_RETURN_IF_ERROR(IndexOrderedWindow(store_, ctx_.tenant, q.type, spec, index, filter,
                                           query_.start_index, query_.count, &window));
  result_.total = window.total;
  result_.rows_examined += window.rows_examined;
  for (auto& [id, value] : window.rows) SCIMD_RETURN_IF_ERROR(Keep(q.type, id, std::move(value)));
  AddPlan(ExplainIndexOrder(q.type, index, spec.descending) +
          (filter ? " AND residual(" + FilterText(*filter) + ")" : ""));
  return Status::Ok();
}

}  // namespace

Result<SearchResult> Service::Search(const RequestContext& ctx, const SearchQuery& query) {
  // Per type: filter and sort. With several types (a search at the root), a filter or
  // sortBy that names an attribute one type lacks simply matches nothing there.
  std::vector<TypeQuery> types;
  Status first_error;
  for (ResourceType type : query.types) {
    TypeQuery q{type, std::nullopt, std::nullopt};
    if (!query.filter.empty()) {
      // The store counts the terms of an `and` so the most selective one drives.
      const CardinalityEstimator estimator = MakeCardinalityEstimator(store_, ctx.tenant, type);
      auto filter = CompileFilter(type, query.filter, ctx.settings.Indexed(), &estimator,
                                  ctx.settings.filter);
      if (!filter.ok()) {
        if (first_error.ok()) first_error = filter.status();
        continue;
      }
      q.filter = std::move(filter).value();
    }
    if (!query.sort_by.empty()) {
      auto sort = ParseSort(type, query.sort_by, query.sort_order);
      if (!sort.ok()) {
        if (first_error.ok()) first_error = sort.status();
        continue;
      }
      q.sort = std::move(sort).value();
    } else if (!query.sort_order.empty()) {
      SCIMD_RETURN_IF_ERROR(ParseSort(type, "id", query.sort_order).status());
    }
    types.push_back(std::move(q));
  }
  if (types.empty()) return first_error;

  const std::optional<SortSpec> sort = types.front().sort;  // one direction for every type
  // A single type sorted by an indexed attribute walks the index, unless a filter with an
  // index of its own narrows the matches enough to sort them in memory.
  const IndexedAttr* index = sort && types.size() == 1
                                 ? SortIndexFor(types.front().type, *sort, ctx.settings.Indexed())
                                 : nullptr;
  const bool walk_first =
      index != nullptr && (!types.front().filter ||
                           types.front().filter->plan().source.kind == PlanNode::Kind::kFullScan);
  SearchRun run(store_, ctx, query, std::move(types));
  if (!sort) {
    SCIMD_RETURN_IF_ERROR(run.InIdOrder());
  } else if (walk_first) {
    SCIMD_RETURN_IF_ERROR(run.IndexWalk(*sort, *index));
  } else {
    SCIMD_ASSIGN_OR_RETURN(bool sorted, run.SortedInMemory(*sort));
    if (!sorted && index == nullptr) {
      return Status(Status::Code::kTooMany, "sorting is limited to " +
                                                std::to_string(kMaxSortedResults) +
                                                " results; narrow the filter");
    }
    // Too many to sort in memory: the index walk needs no memory.
    if (!sorted) SCIMD_RETURN_IF_ERROR(run.IndexWalk(*sort, *index));
  }
  return run.TakeResult();
}

}  // namespace scimd::core
