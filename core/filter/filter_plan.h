// The filter planner: a bound filter plus the set of indexed attributes -> a Plan, the
// stream of candidate ids the executor fetches and re-checks with the evaluator. The
// vocabulary (each node's Explain form):
//   FullScan(User)                          every resource of the type, in id order
//   Empty                                   no candidates (e.g. id eq "not-an-id")
//   IdLookup(<id>)                          id eq
//   UniqueLookup(User.userName = "v")       eq on a unique indexed attribute
//   IndexEq(User.emails.value = "v")        eq on an indexed attribute
//   IndexPrefix(User.userName sw "v")       sw on an indexed string attribute
//   IndexRange(User.userName > "a" < "m")   gt/ge/lt/le (both ends when an `and` has both)
//   Presence(User.emails.value)             pr on an indexed attribute
//   MemberOf(<id>)                          Group members.value eq <id>: the groups of <id>
//   Members(<id>)                           User groups.value eq <id>: the members of <id>
//   Union(a, b, ...)                        or of indexable terms
//   Intersect(a, b, ...)                    and of indexable terms: `a` drives, each id it
//                                           yields must pass b, ... before it is fetched
// followed by " AND residual(<terms>)" naming what the index does not decide. A node the
// estimator counted shows it: `IndexEq(User.title = "x")[~12]`, `[>1000]` when it stopped
// counting. Every candidate is re-checked against the whole filter, so a plan never
// changes an answer. Pure; a Plan is immutable and safe to share read-only across threads.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/base/store.h"
#include "core/filter/filter_bound.h"
#include "core/resource/schema.h"

namespace scimd::core {

// How many candidates a scan yields, as counted by an estimator: exact when not
// `saturated`, else at least `count` (the estimator stops counting at a bound).
struct CardinalityEstimate {
  uint64_t count = 0;
  bool saturated = false;
};

// The most index entries the planner reads to count one term of an `and`. Counting goes in
// rounds (x4 from kEstimateFirstBound) and stops at the first round where some term is
// counted exactly, so planning reads about 1.33 x (#terms) x the smallest term's count:
// the same order as the scan the plan then runs. 65,536 tells a 1,000-id term from a
// 50,000-id one at 1M users (1,000 could not: both saturated) and caps planning at ~87k
// entries per term (~15 ms) for an `and` of huge terms, whose execution costs far more.
inline constexpr uint64_t kEstimateBound = 65536;
// The first round's bound: most `and`s of client filters have a term this selective.
inline constexpr uint64_t kEstimateFirstBound = 16;

struct PlanNode;
// Counts the candidates of one scan node, doing bounded work (at most `bound` entries
// read); nullopt for a node it cannot count. Used to order the terms of an `and`.
using CardinalityEstimator =
    std::function<std::optional<CardinalityEstimate>(const PlanNode& node, uint64_t bound)>;

struct PlanNode {
  enum class Kind : uint8_t {
    kFullScan,
    kEmpty,
    kIdLookup,
    kUniqueLookup,
    kIndexEq,
    kIndexPrefix,
    kIndexRange,
    kPresence,
    kMemberOf,
    kMembers,
    kUnion,
    kIntersect,
  };
  Kind kind = Kind::kFullScan;
  AttrId attr = 0;
  std::string attr_path;  // for Explain: "emails.value"
  IndexValue value;       // kUniqueLookup, kIndexEq; kIndexPrefix: the normalized prefix
  IndexValue::Kind range_kind = IndexValue::Kind::kString;
  std::optional<IndexBound> lower, upper;  // kIndexRange
  ResourceId id;                           // kIdLookup, kMemberOf, kMembers
  // kUnion: the branches; kIntersect: the driver first, then the probes, most selective
  // first. A probe is a point check per id (PointProbe()) or, when its count was
  // measured small, a set the executor collects before the driver runs.
  std::vector<PlanNode> children;
  double cost = 0;  // estimated candidates: measured when `measured`, else heuristic
  std::optional<CardinalityEstimate> measured;

  // Whether the candidate stream comes out in id order without repeats.
  bool IdOrdered() const;
  // Whether "is id among this node's candidates" is a point read (no scan).
  bool PointProbe() const;
  std::string ToString(ResourceType type) const;

 private:
  std::string NodeText(ResourceType type) const;  // ToString without the estimate
};

struct Plan {
  ResourceType type = ResourceType::kUser;
  PlanNode source;
  // The terms the source does not decide (for Explain only: the executor re-checks the
  // whole filter). Point into the BoundFilter the plan was made from.
  std::vector<const BoundNode*> residual;

  std::string Explain() const;
};

// Plans `filter` given the indexed attributes (SchemaRegistry::indexed(), possibly
// extended per tenant). With an estimator, the terms of an `and` are ordered by their
// measured counts (the store's, at planning time); without, by fixed heuristics.
// REQUIRES: filter.root; `filter` outlives the Plan.
// An index value as Explain writes it: strings and dates as JSON strings, numbers and
// booleans as JSON literals (also scimctl check's problem lines).
std::string IndexValueText(const IndexValue& v);

Plan PlanFilter(const BoundFilter& filter, const std::vector<IndexedAttr>& indexed,
                const CardinalityEstimator* estimator = nullptr);

}  // namespace scimd::core
