#include "core/filter/filter_plan.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <utility>

#include "core/base/clock.h"
#include "core/base/json.h"
#include "core/base/strings.h"
#include "core/filter/filter_datetime.h"
#include "core/resource/index_entries.h"

namespace scimd::core {

namespace {

// Estimated candidates per scan kind. RocksDB-free heuristics in the order the brief of
// the planner fixes (eq < sw/range < pr < full scan); they only choose which indexed
// child of an `and` drives the scan, never an answer.
constexpr double kCostPoint = 1;         // id, unique value
constexpr double kCostEq = 10;           // one value of a non-unique attribute
constexpr double kCostMembership = 50;   // members of a group / groups of a member
constexpr double kCostPrefixBase = 100;  // sw: plus kCostPrefixSpread / (1 + prefix length)
constexpr double kCostPrefixSpread = 2000;
constexpr double kCostRangeBoth = 2000;  // gt/lt with both ends
constexpr double kCostRangeOne = 5000;   // one open end
constexpr double kCostPresence = 20000;
// eq on a boolean (active eq true): one of two values, about half the resources.
constexpr double kCostBooleanEq = kCostPresence;
constexpr double kCostFullScan = std::numeric_limits<double>::max();

struct Planned {
  PlanNode node;
  bool exact = false;  // the candidates are exactly the node's matches
};

}  // namespace

std::string IndexValueText(const IndexValue& v) {
  std::string out;
  switch (v.kind) {
    case IndexValue::Kind::kString: AppendJsonString(out, v.string); break;
    case IndexValue::Kind::kInteger: out = std::to_string(v.integer); break;
    case IndexValue::Kind::kDecimal: {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.17g", v.decimal);
      out = buf;
      break;
    }
    case IndexValue::Kind::kBoolean: out = v.boolean ? "true" : "false"; break;
    case IndexValue::Kind::kDateTime: AppendJsonString(out, FormatDateTimeMicros(v.integer)); break;
  }
  return out;
}

namespace {

class Planner {
 public:
  Planner(const BoundFilter& filter, const std::vector<IndexedAttr>& indexed,
          const CardinalityEstimator* estimator)
      : filter_(filter), indexed_(indexed), estimator_(estimator) {}

  // Recursion depth = bound tree depth <= kMaxFilterDepth.
  std::optional<Planned> PlanNodeOf(const BoundNode& n) const {
    switch (n.kind) {
      case BoundNode::Kind::kCompare: return Compare(n);
      case BoundNode::Kind::kPresent: {
        const IndexedAttr* ia = Index(n.path);
        if (ia == nullptr) return std::nullopt;
        Planned p{Scan(PlanNode::Kind::kPresence, *ia, kCostPresence), true};
        return p;
      }
      case BoundNode::Kind::kAnd: {
        std::vector<const BoundNode*> residual;
        return And(n, &residual);
      }
      case BoundNode::Kind::kOr: {
        Planned out{PlanNode(), true};
        out.node.kind = PlanNode::Kind::kUnion;
        for (const auto& c : n.children) {
          std::optional<Planned> child = PlanNodeOf(*c);
          if (!child) return std::nullopt;  // one unindexed branch: a full scan anyway
          out.exact = out.exact && child->exact;
          if (child->node.kind == PlanNode::Kind::kEmpty) continue;
          out.node.cost += child->node.cost;
          if (child->node.kind == PlanNode::Kind::kUnion) {
            for (auto& gc : child->node.children) out.node.children.push_back(std::move(gc));
          } else {
            out.node.children.push_back(std::move(child->node));
          }
        }
        if (out.node.children.empty()) out.node.kind = PlanNode::Kind::kEmpty;
        if (out.node.children.size() == 1) out.node = PlanNode(out.node.children[0]);
        return out;
      }
      case BoundNode::Kind::kValuePath: {
        // Candidates of the inner filter's indexed terms (on attr.sub); the element-wise
        // "exists one element satisfying all of it" is left to the re-check.
        std::optional<Planned> inner = PlanNodeOf(*n.children[0]);
        if (inner) inner->exact = false;
        return inner;
      }
      case BoundNode::Kind::kNot: return std::nullopt;
    }
    return std::nullopt;
  }

  // `and`: its indexable terms ordered by estimated candidates; the first drives, the
  // others that can be checked per id (or were counted small) become probes of an
  // Intersect; what they do not decide exactly is residual.
  std::optional<Planned> And(const BoundNode& n, std::vector<const BoundNode*>* residual) const {
    std::vector<std::optional<Planned>> plans;
    for (const auto& c : n.children) plans.push_back(PlanNodeOf(*c));
    std::vector<Term> terms = Terms(plans);
    if (terms.empty()) return std::nullopt;
    Measure(&terms);
    std::stable_sort(terms.begin(), terms.end(), [](const Term& a, const Term& b) {
      return a.planned.node.cost < b.planned.node.cost;
    });
    std::vector<bool> decided(plans.size(), false);
    auto decide = [&](const Term& t) {
      if (!t.planned.exact) return;
      for (size_t i : t.children) decided[i] = true;
    };
    Planned out{terms[0].planned.node, true};
    decide(terms[0]);
    if (out.node.kind == PlanNode::Kind::kEmpty) return out;  // so is the whole `and`
    // A point lookup yields at most one id: probing it would only add reads.
    const bool point = out.node.kind == PlanNode::Kind::kIdLookup ||
                       out.node.kind == PlanNode::Kind::kUniqueLookup;
    std::vector<PlanNode> probes;
    for (size_t k = 1; k < terms.size() && !point; ++k) {
      const PlanNode& node = terms[k].planned.node;
      const bool counted_small = node.measured && !node.measured->saturated;
      if (!node.PointProbe() && !counted_small) continue;
      probes.push_back(node);
      decide(terms[k]);
    }
    if (!probes.empty()) {
      PlanNode both;
      both.kind = PlanNode::Kind::kIntersect;
      both.cost = out.node.cost;
      both.children.push_back(std::move(out.node));
      for (auto& p : probes) both.children.push_back(std::move(p));
      out.node = std::move(both);
    }
    for (size_t i = 0; i < plans.size(); ++i) {
      if (!decided[i]) residual->push_back(n.children[i].get());
    }
    out.exact = residual->empty();
    return out;
  }

 private:
  // One indexable term of an `and`: its plan and the children of the `and` it covers.
  struct Term {
    Planned planned;
    std::vector<size_t> children;
  };

  static bool OpenRange(const std::optional<Planned>& p, bool lower) {
    return p && p->node.kind == PlanNode::Kind::kIndexRange &&
           (lower ? p->node.lower && !p->node.upper : p->node.upper && !p->node.lower);
  }

  // The indexable terms of an `and`'s children; a lower and an upper bound on the same
  // attribute make one closed range.
  static std::vector<Term> Terms(const std::vector<std::optional<Planned>>& plans) {
    std::vector<Term> terms;
    std::vector<bool> taken(plans.size(), false);
    for (size_t i = 0; i < plans.size(); ++i) {
      if (taken[i] || !OpenRange(plans[i], true)) continue;
      for (size_t j = 0; j < plans.size(); ++j) {
        if (taken[j] || !OpenRange(plans[j], false)) continue;
        const PlanNode& lo = plans[i]->node;
        const PlanNode& hi = plans[j]->node;
        if (lo.attr != hi.attr || lo.range_kind != hi.range_kind) continue;
        Planned both = *plans[i];
        both.node.upper = hi.upper;
        both.node.cost = kCostRangeBoth;
        both.exact = plans[i]->exact && plans[j]->exact;
        terms.push_back({std::move(both), {i, j}});
        taken[i] = taken[j] = true;
        break;
      }
    }
    for (size_t i = 0; i < plans.size(); ++i) {
      if (plans[i] && !taken[i]) terms.push_back({*plans[i], {i}});
    }
    return terms;
  }

  // Replaces heuristic costs by counts from the estimator when there is a choice to make.
  // Counting is in rounds with a growing bound (16, 64, ..., kEstimateBound) and stops at
  // the first round in which some term is counted exactly: the others are known to be
  // larger, which is all the choice needs (see kEstimateBound for the cost). Within a
  // round, terms are counted in heuristic order, and once one is exact at n the rest that
  // are checked per id are counted only up to n: whether they reach n is all that decides
  // the order (for `familyName sw "Sm" and active eq true` at 1M users, 8,918 entries of
  // the active index read in the last round instead of 16,384).
  void Measure(std::vector<Term>* terms) const {
    if (estimator_ == nullptr || terms->size() < 2) return;
    for (const Term& t : *terms) {
      switch (t.planned.node.kind) {
        case PlanNode::Kind::kEmpty:
        case PlanNode::Kind::kIdLookup:
        case PlanNode::Kind::kUniqueLookup: return;  // at most one id drives: nothing to choose
        default: break;
      }
    }
    std::vector<double> heuristic;
    for (const Term& t : *terms) heuristic.push_back(t.planned.node.cost);
    std::vector<size_t> order(terms->size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return heuristic[a] < heuristic[b]; });
    std::vector<bool> settled(terms->size(), false);
    for (uint64_t bound = kEstimateFirstBound;; bound = std::min(bound * 4, kEstimateBound)) {
      bool exact = false;
      uint64_t round_bound = bound;
      for (size_t i : order) {
        if (settled[i]) continue;
        PlanNode& node = (*terms)[i].planned.node;
        // A term checked per id is a probe whatever its count: past n, its count changes
        // nothing. Others are counted to the round's bound: counted small, they become a
        // probe set (And above).
        std::optional<CardinalityEstimate> e =
            (*estimator_)(node, node.PointProbe() ? round_bound : bound);
        if (!e) {
          settled[i] = true;  // cannot be counted: keeps its heuristic cost
          continue;
        }
        node.measured = e;
        // Saturated: after every exactly counted term, in heuristic order among themselves.
        node.cost = e->saturated ? static_cast<double>(kEstimateBound) + heuristic[i]
                                 : static_cast<double>(e->count);
        settled[i] = !e->saturated;
        exact = exact || !e->saturated;
        if (!e->saturated) round_bound = std::max<uint64_t>(1, std::min(round_bound, e->count));
      }
      if (exact || bound >= kEstimateBound) return;
    }
  }

  const IndexedAttr* Index(const BoundPath& p) const {
    if (p.field != FieldKind::kAttr) return nullptr;
    std::string key = p.IndexPath();
    if (!p.schema.empty()) key = p.schema + ":" + key;
    for (const auto& ia : indexed_) {
      if (ia.type == filter_.type && EqualsCi(ia.path, key)) return &ia;
    }
    return nullptr;
  }

  static PlanNode Scan(PlanNode::Kind kind, const IndexedAttr& ia, double cost) {
    PlanNode node;
    node.kind = kind;
    node.attr = ia.id;
    node.attr_path = ia.path;
    node.cost = cost;
    return node;
  }

  // The literal in the index's form, if this index can answer comparisons of `n`.
  static std::optional<IndexValue> IndexForm(const BoundNode& n, const IndexedAttr& ia,
                                             bool* exact) {
    *exact = true;
    switch (n.value.kind) {
      case BoundValue::Kind::kString:
        // A case-exact index cannot find case-insensitive matches; a folding index over a
        // caseExact attribute finds a superset (the re-check removes the rest).
        if (ia.case_exact && !n.path.case_exact) return std::nullopt;
        *exact = ia.case_exact == n.path.case_exact;
        return IndexValue::String(NormalizeForIndex(n.value.string, ia.case_exact));
      case BoundValue::Kind::kBoolean: return IndexValue::Boolean(n.value.boolean);
      case BoundValue::Kind::kInteger:
        if (n.path.type == AttrType::kDecimal) return IndexValue::Decimal(n.value.decimal);
        return IndexValue::Integer(n.value.integer);
      case BoundValue::Kind::kDecimal:
        if (n.path.type != AttrType::kDecimal) return std::nullopt;
        return IndexValue::Decimal(n.value.decimal);
      case BoundValue::Kind::kDateTime: return IndexValue::DateTime(n.value.integer);
    }
    return std::nullopt;
  }

  std::optional<Planned> Compare(const BoundNode& n) const {
    if (n.path.field == FieldKind::kId && n.op == CompareOp::kEq) {
      Planned p{PlanNode(), true};
      p.node.kind = n.value.id ? PlanNode::Kind::kIdLookup : PlanNode::Kind::kEmpty;
      if (n.value.id) p.node.id = *n.value.id;
      p.node.cost = n.value.id ? kCostPoint : 0;
      return p;
    }
    if (n.path.field == FieldKind::kMembers || n.path.field == FieldKind::kGroups) {
      Planned p{PlanNode(), true};
      p.node.kind = !n.value.id                           ? PlanNode::Kind::kEmpty
                    : n.path.field == FieldKind::kMembers ? PlanNode::Kind::kMemberOf
                                                          : PlanNode::Kind::kMembers;
      if (n.value.id) p.node.id = *n.value.id;
      p.node.cost = n.value.id ? kCostMembership : 0;
      return p;
    }
    const IndexedAttr* ia = Index(n.path);
    if (ia == nullptr) return std::nullopt;
    bool exact = true;
    std::optional<IndexValue> value = IndexForm(n, *ia, &exact);
    if (!value) return std::nullopt;
    Planned p;
    p.exact = exact;
    switch (n.op) {
      case CompareOp::kEq:
        p.node = ia->unique ? Scan(PlanNode::Kind::kUniqueLookup, *ia, kCostPoint)
                 : value->kind == IndexValue::Kind::kBoolean
                     ? Scan(PlanNode::Kind::kIndexEq, *ia, kCostBooleanEq)
                     : Scan(PlanNode::Kind::kIndexEq, *ia, kCostEq);
        p.node.value = *std::move(value);
        return p;
      case CompareOp::kSw:
        if (value->kind != IndexValue::Kind::kString) return std::nullopt;
        p.node = Scan(PlanNode::Kind::kIndexPrefix, *ia,
                      kCostPrefixBase + kCostPrefixSpread / (1.0 + value->string.size()));
        p.node.value = *std::move(value);
        return p;
      case CompareOp::kGt:
      case CompareOp::kGe:
      case CompareOp::kLt:
      case CompareOp::kLe: {
        // Booleans have no order (the binder rejects gt/ge/lt/le on them): eq and pr only.
        if (value->kind == IndexValue::Kind::kBoolean) return std::nullopt;
        p.node = Scan(PlanNode::Kind::kIndexRange, *ia, kCostRangeOne);
        p.node.range_kind = value->kind;
        IndexBound bound{*std::move(value), n.op == CompareOp::kGe || n.op == CompareOp::kLe};
        if (n.op == CompareOp::kGt || n.op == CompareOp::kGe) {
          p.node.lower = std::move(bound);
        } else {
          p.node.upper = std::move(bound);
        }
        return p;
      }
      default: return std::nullopt;  // ne, co, ew: no index form
    }
  }

  const BoundFilter& filter_;
  const std::vector<IndexedAttr>& indexed_;
  const CardinalityEstimator* estimator_;
};

}  // namespace

bool PlanNode::IdOrdered() const {
  switch (kind) {
    case Kind::kIndexPrefix:
    case Kind::kIndexRange:
    case Kind::kUnion: return false;
    case Kind::kIntersect: return children[0].IdOrdered();
    default: return true;
  }
}

bool PlanNode::PointProbe() const {
  switch (kind) {
    case Kind::kEmpty:
    case Kind::kIdLookup:
    case Kind::kUniqueLookup:
    case Kind::kIndexEq:
    case Kind::kPresence:
    case Kind::kMemberOf:
    case Kind::kMembers: return true;
    default: return false;
  }
}

std::string PlanNode::ToString(ResourceType type) const {
  std::string out = NodeText(type);
  if (measured) {
    out += measured->saturated ? "[" + std::to_string(measured->count) + "+]"
                               : "[~" + std::to_string(measured->count) + "]";
  }
  return out;
}

std::string PlanNode::NodeText(ResourceType type) const {
  const std::string t(ResourceTypeName(type));
  switch (kind) {
    case Kind::kFullScan: return "FullScan(" + t + ")";
    case Kind::kEmpty: return "Empty";
    case Kind::kIdLookup: return "IdLookup(" + id.ToString() + ")";
    case Kind::kUniqueLookup:
      return "UniqueLookup(" + t + "." + attr_path + " = " + IndexValueText(value) + ")";
    case Kind::kIndexEq:
      return "IndexEq(" + t + "." + attr_path + " = " + IndexValueText(value) + ")";
    case Kind::kIndexPrefix:
      return "IndexPrefix(" + t + "." + attr_path + " sw " + IndexValueText(value) + ")";
    case Kind::kIndexRange: {
      std::string out = "IndexRange(" + t + "." + attr_path;
      if (lower) out += (lower->inclusive ? " >= " : " > ") + IndexValueText(lower->value);
      if (upper) out += (upper->inclusive ? " <= " : " < ") + IndexValueText(upper->value);
      return out + ")";
    }
    case Kind::kPresence: return "Presence(" + t + "." + attr_path + ")";
    case Kind::kMemberOf: return "MemberOf(" + id.ToString() + ")";
    case Kind::kMembers: return "Members(" + id.ToString() + ")";
    case Kind::kUnion:
    case Kind::kIntersect: {
      std::string out = kind == Kind::kUnion ? "Union(" : "Intersect(";
      for (size_t i = 0; i < children.size(); ++i) {
        if (i > 0) out += ", ";
        out += children[i].ToString(type);
      }
      return out + ")";
    }
  }
  return "?";
}

std::string Plan::Explain() const {
  std::string out = source.ToString(type);
  if (residual.empty()) return out;
  out += " AND residual(";
  if (residual.size() == 1) {
    std::string one = residual[0]->ToString();
    const auto k = residual[0]->kind;
    if (k == BoundNode::Kind::kCompare || k == BoundNode::Kind::kPresent ||
        k == BoundNode::Kind::kAnd || k == BoundNode::Kind::kOr) {
      one = one.substr(1, one.size() - 2);
    }
    out += one;
  } else {
    for (size_t i = 0; i < residual.size(); ++i) {
      if (i > 0) out += " and ";
      out += residual[i]->ToString();
    }
  }
  return out + ")";
}

Plan PlanFilter(const BoundFilter& filter, const std::vector<IndexedAttr>& indexed,
                const CardinalityEstimator* estimator) {
  Plan plan;
  plan.type = filter.type;
  Planner planner(filter, indexed, estimator);
  const BoundNode& root = *filter.root;
  std::optional<Planned> best;
  if (root.kind == BoundNode::Kind::kAnd) {
    best = planner.And(root, &plan.residual);
    if (!best) plan.residual.clear();
  } else {
    best = planner.PlanNodeOf(root);
  }
  if (!best) {
    plan.source.kind = PlanNode::Kind::kFullScan;
    plan.source.cost = kCostFullScan;
    plan.residual = {&root};
    return plan;
  }
  if (root.kind != BoundNode::Kind::kAnd && !best->exact) plan.residual = {&root};
  plan.source = std::move(best->node);
  return plan;
}

}  // namespace scimd::core
