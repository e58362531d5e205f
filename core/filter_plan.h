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
// followed by " AND residual(<terms>)" naming what the index does not decide. Every
// candidate is re-checked against the whole filter, so a plan never changes an answer.
// Pure; a Plan is immutable and safe to share read-only across threads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/filter_bound.h"
#include "core/schema.h"
#include "core/store.h"

namespace scimd::core {

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
  };
  Kind kind = Kind::kFullScan;
  AttrId attr = 0;
  std::string attr_path;  // for Explain: "emails.value"
  IndexValue value;       // kUniqueLookup, kIndexEq; kIndexPrefix: the normalized prefix
  IndexValue::Kind range_kind = IndexValue::Kind::kString;
  std::optional<IndexBound> lower, upper;  // kIndexRange
  ResourceId id;                           // kIdLookup, kMemberOf, kMembers
  std::vector<PlanNode> children;          // kUnion
  double cost = 0;                         // estimated candidates (heuristic; see filter_plan.cc)

  // Whether the candidate stream comes out in id order without repeats.
  bool IdOrdered() const;
  std::string ToString(ResourceType type) const;
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
// extended per tenant). REQUIRES: filter.root; `filter` outlives the Plan.
Plan PlanFilter(const BoundFilter& filter, const std::vector<IndexedAttr>& indexed);

}  // namespace scimd::core
