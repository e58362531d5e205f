// Service::List / Search / SearchRequest: lists with filters, sorting, paging and
// projection (RFC 7644 §3.4.2, §3.4.3).
#include <algorithm>
#include <charconv>
#include <memory>

#include "core/filter.h"
#include "core/index_sort.h"
#include "core/limits.h"
#include "core/schema.h"
#include "core/service.h"
#include "core/service_internal.h"
#include "core/sort.h"
#include "core/strings.h"

namespace scimd::core {

using internal::AttachBody;
using internal::BodyItem;
using internal::BodyStream;
using internal::JsonResponse;
using internal::kInlineMemberLimit;

namespace {

Result<int64_t> ParseQueryInt(std::string_view name, std::string_view text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec == std::errc::result_out_of_range) {
    return text.front() == '-' ? INT64_MIN : INT64_MAX;
  }
  if (ec != std::errc() || ptr != end) {
    return Status(Status::Code::kInvalidValue,
                  std::string(name) + " must be an integer, not \"" + std::string(text) + "\"");
  }
  return v;
}

// One resource of a response body, rendered up to (not including) its closing brace,
// plus the group whose members follow it, if any.

// X-Scimd-Plan quotes client filter literals: at most this many bytes of it are sent
// (a filter is at most kMaxFilterLength; plan text adds a little per node).
constexpr size_t kMaxPlanHeaderBytes = 4096;

// A header value made of `text`: control bytes (CR, LF, ...) and non-ASCII bytes become
// spaces / '?', so a filter literal can never split or forge a header; bounded length.
std::string HeaderSafe(std::string_view text) {
  std::string out;
  out.reserve(std::min(text.size(), kMaxPlanHeaderBytes + 3));
  for (char c : text) {
    if (out.size() >= kMaxPlanHeaderBytes) {
      out += "...";
      break;
    }
    const auto b = static_cast<unsigned char>(c);
    out.push_back(b < 0x20 || b == 0x7F ? ' ' : b >= 0x80 ? '?' : c);
  }
  return out;
}

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

// Sends `stream` inline when the body is known to be small, else as a stream.

}  // namespace

Response Service::List(const RequestContext& ctx, ResourceType type, const ListParams& params) {
  return Search(ctx, {type}, params);
}

Response Service::Search(const RequestContext& ctx, const std::vector<ResourceType>& types,
                         const ListParams& params) {
  int64_t start_index = 1;
  int64_t count = static_cast<int64_t>(kDefaultPageSize);
  if (!params.start_index.empty()) {
    auto v = ParseQueryInt("startIndex", params.start_index);
    if (!v.ok()) return Error(v.status());
    start_index = *v < 1 ? 1 : *v;  // RFC 7644 §3.4.2.4: values < 1 are treated as 1
  }
  if (!params.count.empty()) {
    auto v = ParseQueryInt("count", params.count);
    if (!v.ok()) return Error(v.status());
    count = *v < 0 ? 0 : *v;  // negative is treated as 0
  }
  if (count > static_cast<int64_t>(kMaxPageSize)) count = static_cast<int64_t>(kMaxPageSize);
  const uint64_t first = static_cast<uint64_t>(start_index);  // 1-based
  const uint64_t window_end = first + static_cast<uint64_t>(count);

  // Per type: projection, filter and sort. With several types (a search at the root), a
  // filter or sortBy that names an attribute one type lacks simply matches nothing there.
  struct TypeQuery {
    ResourceType type;
    Projection projection;
    std::optional<CompiledFilter> filter;
    std::optional<SortSpec> sort;
  };
  std::vector<TypeQuery> queries;
  Status first_error;
  for (ResourceType type : types) {
    TypeQuery q{type, {}, std::nullopt, std::nullopt};
    auto projection = ParseProjection(type, params.attributes, params.excluded_attributes);
    if (!projection.ok()) return Error(projection.status());
    q.projection = std::move(projection).value();
    if (!params.filter.empty()) {
      // The store counts the terms of an `and` so the most selective one drives.
      const CardinalityEstimator estimator = MakeCardinalityEstimator(store_, ctx.tenant, type);
      auto filter = CompileFilter(type, params.filter, ctx.settings.Indexed(), &estimator);
      if (!filter.ok()) {
        if (first_error.ok()) first_error = filter.status();
        continue;
      }
      q.filter = std::move(filter).value();
    }
    if (!params.sort_by.empty()) {
      auto sort = ParseSort(type, params.sort_by, params.sort_order);
      if (!sort.ok()) {
        if (first_error.ok()) first_error = sort.status();
        continue;
      }
      q.sort = std::move(sort).value();
    } else if (!params.sort_order.empty()) {
      if (auto sort = ParseSort(type, "id", params.sort_order); !sort.ok()) {
        return Error(sort.status());
      }
    }
    queries.push_back(std::move(q));
  }
  if (queries.empty()) return Error(first_error);

  struct Row {
    ResourceType type;
    ResourceId id;
    std::string value;
  };
  std::vector<Row> rows;
  uint64_t total = 0;
  // For X-Scimd-Plan / X-Scimd-Rows-Examined: how each type was read, and how many
  // resources were read in all.
  std::vector<std::string> plans;
  uint64_t rows_examined = 0;
  auto plan_of = [](const TypeQuery& q) {
    return q.filter ? Explain(*q.filter)
                    : "FullScan(" + std::string(ResourceTypeName(q.type)) + ")";
  };
  // Visits every match of one type in id order.
  auto visit_matches = [&](const TypeQuery& q, const FilterMatchVisitor& visit) -> Status {
    if (q.filter) {
      FilterStats stats;
      Status s = RunFilter(store_, ctx.tenant, *q.filter, visit, &stats);
      rows_examined += stats.rows_examined;
      return s;
    }
    return store_.ScanResources(ctx.tenant, q.type, std::nullopt,
                                [&](const ResourceId& id, std::string_view value) {
                                  ++rows_examined;
                                  return visit(id, value);
                                });
  };

  if (params.sort_by.empty()) {
    // Id order, type after type: count every match (totalResults is exact) and keep the
    // ones in the requested window. An unfiltered type is counted from its counter.
    for (const auto& q : queries) {
      plans.push_back(plan_of(q));
      if (!q.filter) {
        auto n = store_.CountResources(ctx.tenant, q.type);
        if (!n.ok()) return Error(n.status());
        const uint64_t type_first = total + 1;
        total += *n;
        if (count == 0 || window_end <= type_first || first > total) continue;
        uint64_t skip = first > type_first ? first - type_first : 0;
        Status s = store_.ScanResources(ctx.tenant, q.type, std::nullopt,
                                        [&](const ResourceId& id, std::string_view value) {
                                          ++rows_examined;
                                          if (skip > 0) {
                                            --skip;
                                            return true;
                                          }
                                          rows.push_back({q.type, id, std::string(value)});
                                          return rows.size() < static_cast<size_t>(count);
                                        });
        if (!s.ok()) return Error(s);
        continue;
      }
      Status s = visit_matches(q, [&](const ResourceId& id, std::string_view value) {
        ++total;
        if (total >= first && total < window_end) rows.push_back({q.type, id, std::string(value)});
        return true;
      });
      if (!s.ok()) return Error(s);
    }
  } else {
    const SortSpec& spec = *queries.front().sort;  // same direction for every type
    // One type sorted by an indexed attribute: walk the index in value order (a page
    // reads about `count` resources), unless a filter with an index of its own narrows
    // the matches enough to sort them in memory.
    const IndexedAttr* index =
        queries.size() == 1 ? SortIndexFor(queries.front().type, spec, ctx.settings.Indexed())
                            : nullptr;
    bool walk_index = index != nullptr &&
                      (!queries.front().filter ||
                       queries.front().filter->plan().source.kind == PlanNode::Kind::kFullScan);
    if (!walk_index) {
      // Sorted in memory: collect (key, id) of every match, bounded, then sort and fetch
      // the page.
      struct Keyed {
        size_t query;
        ResourceId id;
        SortKey key;
      };
      std::vector<Keyed> keyed;
      bool too_many = false;
      for (size_t qi = 0; qi < queries.size() && !too_many; ++qi) {
        const auto& q = queries[qi];
        Status s = visit_matches(q, [&](const ResourceId& id, std::string_view value) {
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
        });
        if (!s.ok()) return Error(s);
      }
      if (too_many && index == nullptr) {
        return Error(Status(Status::Code::kTooMany, "sorting is limited to " +
                                                        std::to_string(kMaxSortedResults) +
                                                        " results; narrow the filter"));
      }
      if (too_many) {
        walk_index = true;  // too many to sort in memory: the index walk needs no memory
      } else {
        std::sort(keyed.begin(), keyed.end(), [&](const Keyed& a, const Keyed& b) {
          return SortBefore(spec, a.key, a.id, b.key, b.id);
        });
        total = keyed.size();
        for (uint64_t i = first; i < window_end && i <= total; ++i) {
          const Keyed& k = keyed[i - 1];
          auto value = store_.GetResource(ctx.tenant, queries[k.query].type, k.id);
          if (!value.ok()) {
            if (value.status().Is(Status::Code::kNotFound)) continue;  // deleted meanwhile
            return Error(value.status());
          }
          ++rows_examined;
          rows.push_back({queries[k.query].type, k.id, std::move(value).value()});
        }
        for (const auto& q : queries) {
          plans.push_back(plan_of(q) + " THEN SortInMemory(" + std::string(params.sort_by) +
                          (spec.descending ? " descending)" : " ascending)"));
        }
      }
    }
    if (walk_index) {
      const TypeQuery& q = queries.front();
      const CompiledFilter* filter = q.filter ? &*q.filter : nullptr;
      SortedWindow window;
      Status s = IndexOrderedWindow(store_, ctx.tenant, q.type, spec, *index, filter, first,
                                    static_cast<uint64_t>(count), &window);
      if (!s.ok()) return Error(s);
      total = window.total;
      rows_examined += window.rows_examined;
      for (auto& [id, value] : window.rows) rows.push_back({q.type, id, std::move(value)});
      plans.push_back(ExplainIndexOrder(q.type, *index, spec.descending) +
                      (filter ? " AND residual(" + FilterText(*filter) + ")" : ""));
    }
  }

  std::vector<BodyItem> items;
  bool small = true;
  for (const auto& row : rows) {
    const TypeQuery* q = nullptr;
    for (const auto& candidate : queries) {
      if (candidate.type == row.type) q = &candidate;
    }
    auto split = SplitStored(row.value);
    if (!split.ok()) return Error(split.status());
    BodyItem item;
    RenderResource(row.type, row.id, split->first, split->second, ctx.base_url, q->projection,
                   item.head);
    if (row.type == ResourceType::kUser && q->projection.WantsGroups()) {
      if (Status s = AppendUserGroups(ctx, row.id, item.head); !s.ok()) return Error(s);
    }
    if (row.type == ResourceType::kGroup && q->projection.WantsMembers()) {
      auto n = store_.CountMembers(ctx.tenant, row.id);
      if (!n.ok()) return Error(n.status());
      if (*n > 0) item.members_of = row.id;
      if (*n > kInlineMemberLimit) small = false;
    }
    items.push_back(std::move(item));
  }
  std::string prefix = "{\"schemas\":[\"";
  prefix += kListResponseSchema;
  prefix += "\"],\"totalResults\":" + std::to_string(total) +
            ",\"startIndex\":" + std::to_string(start_index) +
            ",\"itemsPerPage\":" + std::to_string(items.size()) + ",\"Resources\":[";
  Response r = JsonResponse(200, "");
  if (params.explain) {
    std::string plan;
    for (const auto& p : plans) plan += (plan.empty() ? "" : "; ") + p;
    r.headers.emplace_back("X-Scimd-Plan", HeaderSafe(plan));
    r.headers.emplace_back("X-Scimd-Rows-Examined", std::to_string(rows_examined));
  }
  auto stream = std::make_shared<BodyStream>(store_, ctx.tenant, ctx.base_url, std::move(prefix),
                                             std::move(items), "]}");
  AttachBody(r, std::move(stream), small);
  return r;
}

Response Service::SearchRequest(const RequestContext& ctx, const std::vector<ResourceType>& types,
                                std::string_view body, bool explain) {
  // POST .search (RFC 7644 §3.4.3): the query parameters as a SearchRequest message.
  auto json = Json::Parse(body);
  if (!json.ok()) return Error(json.status());
  if (!json->is_object())
    return Error(Status::InvalidSyntax("a SearchRequest must be a JSON object"));
  if (const Json* schemas = json->FindCi("schemas")) {
    bool ok = false;
    if (schemas->is_array()) {
      for (const auto& s : schemas->as_array()) {
        ok = ok || (s.is_string() && EqualsCi(s.as_string(), kSearchRequestSchema));
      }
    }
    if (!ok) {
      return Error(Status::InvalidSyntax("\"schemas\" of a search must list " +
                                         std::string(kSearchRequestSchema)));
    }
  }
  std::string attributes, excluded, filter, sort_by, sort_order, start_index, count;
  auto text = [&](const char* name, std::string& out) -> Status {
    const Json* v = json->FindCi(name);
    if (v == nullptr || v->is_null()) return Status::Ok();
    if (v->is_string()) {
      out = v->as_string();
    } else if (v->is_int()) {
      out = std::to_string(v->as_int());
    } else if (v->is_array()) {  // attributes / excludedAttributes: a list of paths
      for (const auto& item : v->as_array()) {
        if (!item.is_string()) {
          return Status::InvalidValue("\"" + std::string(name) + "\" must list strings");
        }
        if (!out.empty()) out += ",";
        out += item.as_string();
      }
    } else {
      return Status::InvalidValue("\"" + std::string(name) + "\" has the wrong type");
    }
    return Status::Ok();
  };
  for (auto [name, out] : {std::pair<const char*, std::string*>{"attributes", &attributes},
                           {"excludedAttributes", &excluded},
                           {"filter", &filter},
                           {"sortBy", &sort_by},
                           {"sortOrder", &sort_order},
                           {"startIndex", &start_index},
                           {"count", &count}}) {
    if (Status s = text(name, *out); !s.ok()) return Error(s);
  }
  ListParams p;
  p.attributes = attributes;
  p.excluded_attributes = excluded;
  p.filter = filter;
  p.sort_by = sort_by;
  p.sort_order = sort_order;
  p.start_index = start_index;
  p.count = count;
  p.explain = explain;
  return Search(ctx, types, p);
}

}  // namespace scimd::core
