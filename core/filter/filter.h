// SCIM filters (RFC 7644 §3.4.2.2), the public face of the filter compiler:
//   text -> ParseFilter (filter_parser.h) -> BindFilter (filter_binder.h) -> PlanFilter
//   (filter_plan.h) -> RunFilter (below), with Matches (filter_eval.h) re-checking every
// candidate. A CompiledFilter is immutable, cheap to copy and move (one shared pointer),
// and safe to share read-only across threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/base/store.h"
#include "core/filter/filter_bound.h"
#include "core/filter/filter_eval.h"
#include "core/filter/filter_plan.h"
#include "core/resource/schema.h"

namespace scimd::core {

// How strictly a client's filter is read; per tenant (core/tenancy/tenant_settings.h).
struct FilterOptions {
  // A value written without double quotes (`name.familyName eq Employee`, or `'x'`):
  // accepted as a string (Microsoft's reference client sends them; the "entra" profile),
  // or refused as the grammar says (400 invalidFilter, the default for tenants). Callers
  // that read their own text (tools, tests) keep the lenient reading.
  bool allow_bare_words = true;
};

class CompiledFilter {
 public:
  ResourceType type() const { return state_->bound.type; }
  const BoundFilter& bound() const { return state_->bound; }
  const Plan& plan() const { return state_->plan; }

 private:
  friend Result<CompiledFilter> CompileFilter(ResourceType, std::string_view,
                                              const std::vector<IndexedAttr>&,
                                              const CardinalityEstimator*, const FilterOptions&);
  struct State {
    BoundFilter bound;
    Plan plan;  // points into `bound`: State is never moved once built
  };
  explicit CompiledFilter(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

// Parses, binds and plans a filter over resources of `type` using the built-in indexed
// attributes (SchemaRegistry::Default().indexed()). InvalidFilter with the position and
// what was expected, or naming the unknown attribute / wrong operator or literal.
Result<CompiledFilter> CompileFilter(ResourceType type, std::string_view text);
// The same with an explicit set of indexed attributes (e.g. extended per tenant), and
// optionally an estimator (MakeCardinalityEstimator) so that the terms of an `and` are
// ordered by the store's counts. Only attributes whose entries the store really holds
// may be listed.
Result<CompiledFilter> CompileFilter(ResourceType type, std::string_view text,
                                     const std::vector<IndexedAttr>& indexed,
                                     const CardinalityEstimator* estimator = nullptr,
                                     const FilterOptions& options = {});

// Counts a plan node's candidates in `store` (up to the bound the planner gives): what
// lets the planner order an `and` by measured cardinality. Reads only; `store` must
// outlive the estimator.
CardinalityEstimator MakeCardinalityEstimator(Store& store, TenantId tenant, ResourceType type);

inline bool Matches(const CompiledFilter& filter, const ResourceView& view) {
  return Matches(filter.bound(), view);
}

// A value filter relative to one complex attribute, for PATCH paths:
// CompileValueFilter(kUser, "emails", "type eq \"work\"") matches elements of emails
// with MatchesElement. `attr` may be URN-qualified. The result is move-only.
Result<BoundFilter> CompileValueFilter(ResourceType type, std::string_view attr,
                                       std::string_view text);

// What one RunFilter did.
struct FilterStats {
  uint64_t candidates = 0;     // ids the plan's source produced (after dedupe)
  uint64_t rows_examined = 0;  // resources fetched and evaluated
  std::string plan;            // Explain() of the plan that ran
};

using FilterMatchVisitor = std::function<bool(const ResourceId& id, std::string_view stored_value)>;

// Visits every resource of the tenant that matches, in id order; `on_match` gets the
// stored value (header + JSON, see SplitStored) and returns false to stop. Reads are not
// one snapshot: a resource changed during the run is judged on the version read.
// `stats` may be null.
Status RunFilter(Store& store, TenantId tenant, const CompiledFilter& filter,
                 const FilterMatchVisitor& on_match, FilterStats* stats);

// A list's matches counted from the indexes alone, for a filter its plan decides exactly
// (no residual): `total` matches, and the ids at 0-based positions [skip, skip + take) of
// the id order, without reading a resource. The caller reads and re-checks the window's
// rows. Reads are not one snapshot: a resource deleted while the index is read is still
// counted (as RunFilter would have counted it had it read the row before the delete).
struct IndexCount {
  uint64_t total = 0;
  std::vector<ResourceId> window;
};
// nullopt when the plan does not decide the filter exactly (a residual, a full scan, an id
// lookup: it names an id whether or not it exists; a presence scan: it also holds ""; a
// probe set that overflowed), and for a unique lookup or an empty plan, which read at
// most one row anyway.
Result<std::optional<IndexCount>> CountFromIndex(Store& store, TenantId tenant,
                                                 const CompiledFilter& filter, uint64_t skip,
                                                 uint64_t take);

// Evaluates `filter` on one stored resource (header + JSON, see SplitStored), asking the
// store about membership terms: what RunFilter does to each candidate, for callers that
// produce candidates themselves (the index-ordered sort). Corruption if `stored` does not
// decode.
Result<bool> MatchesStored(Store& store, TenantId tenant, const CompiledFilter& filter,
                           const ResourceId& id, std::string_view stored);

// The chosen plan in a stable, readable form, e.g.
// `IndexPrefix(User.userName sw "bj") AND residual(title pr)` (vocabulary: filter_plan.h).
std::string Explain(const CompiledFilter& filter);

// A filter planned with the store's counts and run: its plan, the candidates the plan's
// source produced, the resources read and the matches (scimctl explain, the admin API).
struct FilterExplanation {
  std::string plan;
  uint64_t candidates = 0;
  uint64_t rows_examined = 0;
  uint64_t matches = 0;
};
Result<FilterExplanation> ExplainFilter(Store& store, TenantId tenant, ResourceType type,
                                        std::string_view text,
                                        const std::vector<IndexedAttr>& indexed);

}  // namespace scimd::core
