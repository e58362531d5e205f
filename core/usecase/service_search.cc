// Service::Search (RFC 7644 §3.4.2, §3.4.3): filter, sort and page. One function per read
// strategy: id order (counting every match for an exact totalResults; an unfiltered list
// resumes from a page cursor), sorted in memory (bounded), and a walk of a sort attribute's
// index (a page costs about `count` reads).
#include <algorithm>
#include <cstddef>
#include <optional>
#include <vector>

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
  SearchRun(Store& store, PageCursors& cursors, const RequestContext& ctx, const SearchQuery& query,
            std::vector<TypeQuery> types)
      : store_(store), cursors_(cursors), ctx_(ctx), query_(query), types_(std::move(types)) {}

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
  // Appends the resources of `type` at positions [first, first + want) in id order (fewer
  // at the end of the list), resuming from a page cursor when one is valid.
  Status ReadWindow(ResourceType type, uint64_t first, uint64_t want, bool use_cursor = true);
  Status ReadCountedWindow(const CompiledFilter& filter, const std::vector<ResourceId>& ids);
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
  PageCursors& cursors_;
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
      const uint64_t type_position = first > type_first ? first - type_first + 1 : 1;
      SCIMD_RETURN_IF_ERROR(ReadWindow(q.type, type_position, query_.count - result_.page.size()));
      continue;
    }
    // A filter its plan decides exactly is counted from the index, and only the window's
    // rows are read; otherwise every match is read and checked.
    const uint64_t type_first = total + 1;
    const uint64_t skip = first > type_first ? first - type_first : 0;
    SCIMD_ASSIGN_OR_RETURN(
        std::optional<IndexCount> counted,
        CountFromIndex(store_, ctx_.tenant, *q.filter, skip, query_.count - result_.page.size()));
    if (counted) {
      total += counted->total;
      if (query_.explain) result_.plans.back() += " THEN CountFromIndex";
      SCIMD_RETURN_IF_ERROR(ReadCountedWindow(*q.filter, counted->window));
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

// The rows of a window counted from the index, each re-checked: one changed or deleted
// since the index was read is left out (the page is then short; the count stays the
// index's).
Status SearchRun::ReadCountedWindow(const CompiledFilter& filter,
                                    const std::vector<ResourceId>& ids) {
  Status error;
  SCIMD_RETURN_IF_ERROR(store_.GetResources(
      ctx_.tenant, filter.type(), ids,
      [&](const ResourceId& id, std::optional<std::string_view> value) {
        if (!value) return true;
        ++result_.rows_examined;
        Result<bool> match = MatchesStored(store_, ctx_.tenant, filter, id, *value);
        if (match.ok() && *match) {
          error = Keep(filter.type(), id, std::string(*value));
        } else if (!match.ok()) {
          error = match.status();
        }
        return error.ok();
      }));
  return error;
}

// Why a cursor gives exactly the page a scan from the start would. A cursor (p, id) says
// "id is at position p of the list as it was at generation g" (Store::ResourceSetGeneration;
// Learn only takes cursors from a read that saw the same g before and after it). A read
// here uses a cursor of generation g only if the generation was g before its scan, and
// keeps the page only if it is still g after: equal values mean that no resource of the
// type was added or removed in between, so the scan read the same set of ids as the read
// that learned the cursor, id is still at p, and the rows after id are positions p+1...
// exactly as a scan from the start would number them. If the generation moved (a create
// or delete committed meanwhile), the page is read again from the start, as before the
// cursors existed: a busy list costs what it used to, never a wrong page. Replacing a
// resource changes no position (its id stays), so it leaves the cursors alone.
Status SearchRun::ReadWindow(ResourceType type, uint64_t first, uint64_t want, bool use_cursor) {
  if (want == 0) return Status::Ok();
  const std::optional<uint64_t> generation = store_.ResourceSetGeneration(ctx_.tenant, type);
  std::optional<PageCursors::Cursor> from;
  if (use_cursor && generation && first > 1) {
    from = cursors_.Find(ctx_.tenant, type, *generation, first - 1);
  }
  const size_t page_before = result_.page.size();
  uint64_t position = from ? from->position : 0;  // of the last row read
  std::optional<ResourceId> last;
  std::vector<PageCursors::Cursor> checkpoints;  // crossed while skipping
  std::optional<PageCursors::Cursor> before_first;
  Status kept;
  SCIMD_RETURN_IF_ERROR(store_.ScanResources(
      ctx_.tenant, type, from ? std::optional<ResourceId>(from->id) : std::nullopt,
      [&](const ResourceId& id, std::string_view value) {
        ++result_.rows_examined;
        ++position;
        last = id;
        if (position < first) {
          if (position + 1 == first) {
            before_first = PageCursors::Cursor{position, id};
          } else if (position % kCursorStride == 0) {
            checkpoints.push_back({position, id});
          }
          return true;
        }
        kept = Keep(type, id, std::string(value));
        return kept.ok() && result_.page.size() - page_before < want;
      }));
  SCIMD_RETURN_IF_ERROR(kept);
  const std::optional<uint64_t> after = store_.ResourceSetGeneration(ctx_.tenant, type);
  const bool unchanged = generation && after == generation;
  if (from && !unchanged) {
    result_.page.erase(result_.page.begin() + static_cast<ptrdiff_t>(page_before),
                       result_.page.end());
    return ReadWindow(type, first, want, /*use_cursor=*/false);
  }
  if (unchanged) {
    // Most valuable first: where the next page starts, where this one did, then the rest.
    std::vector<PageCursors::Cursor> learned;
    if (last && position > 0) learned.push_back({position, *last});
    if (before_first) learned.push_back(*before_first);
    for (auto it = checkpoints.rbegin(); it != checkpoints.rend(); ++it) learned.push_back(*it);
    cursors_.Learn(ctx_.tenant, type, *generation, learned);
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
  SearchRun run(store_, cursors_, ctx, query, std::move(types));
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
