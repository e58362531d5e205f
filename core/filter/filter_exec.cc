// RunFilter: executes a Plan against core::Store. The plan's source yields candidate ids
// (streamed when the scan is already in id order, else collected, sorted and deduped);
// each candidate is fetched and re-checked with the evaluator, so the index only ever
// narrows what is read. Membership terms ask the store's edges through the oracle.
#include <algorithm>
#include <optional>
#include <vector>

#include "core/base/json_dom.h"
#include "core/base/limits.h"
#include "core/filter/filter.h"
#include "core/resource/stored_value.h"

namespace scimd::core {

namespace {

// Whether `member` belongs directly to `group` (any group when null).
bool MemberOfContains(Store& store, TenantId tenant, const ResourceId& member,
                      const ResourceId* group, Status* error) {
  bool found = false;
  Status s = store.ScanMemberOf(tenant, member, [&](const ResourceId& g) {
    if (group == nullptr || g == *group) {
      found = true;
      return false;
    }
    return g < *group;  // group-id order: past it, it is not there
  });
  if (!s.ok()) *error = s;
  return found;
}

// How a scan treats the probes of an Intersect. The executor may stop asking a probe that
// turns out to pass nearly every candidate (it re-checks each row anyway); the estimator
// and a count from the index keep the exact candidate set. `widened`, when given, is set
// if a probe set overflowed and let every id through (the candidates are then a superset).
struct ScanMode {
  bool may_drop_probes = false;
  bool* widened = nullptr;
};

Status ScanCandidates(Store& store, TenantId tenant, ResourceType type, const PlanNode& node,
                      const IdVisitor& visit, ScanMode mode = {});

// A point probe costs a read of the index (~1-2 us); a candidate it lets through costs the
// fetch of the resource and its check (~3x that). So once a probe has seen
// kProbeSampleIds candidates and turned away fewer than 1 in kProbeKeepIfRejectsOneIn,
// the executor stops asking it: the re-check of every fetched candidate against the whole
// filter decides instead (e.g. `active eq true`, 90% of the users, after a selective
// driver). Answers never change, only which reads decide them.
inline constexpr uint64_t kProbeSampleIds = 256;
inline constexpr uint64_t kProbeKeepIfRejectsOneIn = 4;

// "Is this id among the node's candidates?" for the probes of an Intersect: a point read
// for PointProbe() nodes, else a lookup in the node's ids collected up front (the planner
// only makes a probe of a scan it counted small; past kMaxProbeSetIds the probe is
// dropped, which only lets more candidates through to the re-check).
class Probe {
 public:
  Probe(Store& store, TenantId tenant, ResourceType type, const PlanNode& node, ScanMode mode)
      : store_(store), tenant_(tenant), type_(type), node_(node), mode_(mode) {}

  Status Prepare() {
    if (node_.kind == PlanNode::Kind::kUniqueLookup) {
      SCIMD_ASSIGN_OR_RETURN(unique_holder_,
                             store_.LookupUnique(tenant_, type_, {node_.attr, node_.value}));
      return Status::Ok();
    }
    if (node_.PointProbe()) return Status::Ok();
    bool overflow = false;
    SCIMD_RETURN_IF_ERROR(ScanCandidates(store_, tenant_, type_, node_, [&](const ResourceId& id) {
      if (set_.size() >= kMaxProbeSetIds) {
        overflow = true;
        return false;
      }
      set_.push_back(id);
      return true;
    }));
    std::sort(set_.begin(), set_.end());
    set_.erase(std::unique(set_.begin(), set_.end()), set_.end());
    if (overflow) {
      set_.clear();
      pass_all_ = true;
      if (mode_.widened != nullptr) *mode_.widened = true;
    }
    return Status::Ok();
  }

  // Contains, or true without a read once the probe has been dropped (may_drop_probes).
  Result<bool> Admits(const ResourceId& id) {
    if (dropped_) return true;
    Result<bool> in = Contains(id);
    if (mode_.may_drop_probes && node_.PointProbe() && in.ok()) {
      ++seen_;
      rejected_ += *in ? 0 : 1;
      if (seen_ == kProbeSampleIds && rejected_ * kProbeKeepIfRejectsOneIn < seen_) {
        dropped_ = true;
      }
    }
    return in;
  }

  Result<bool> Contains(const ResourceId& id) {
    Status error;
    switch (node_.kind) {
      case PlanNode::Kind::kEmpty: return false;
      case PlanNode::Kind::kIdLookup: return id == node_.id;
      case PlanNode::Kind::kUniqueLookup: return unique_holder_ && *unique_holder_ == id;
      case PlanNode::Kind::kIndexEq:
        return store_.HasIndexEntry(tenant_, type_, {node_.attr, node_.value}, id);
      case PlanNode::Kind::kPresence: return store_.HasPresence(tenant_, type_, node_.attr, id);
      case PlanNode::Kind::kMemberOf: {  // groups that node_.id is a member of
        const bool in = MemberOfContains(store_, tenant_, node_.id, &id, &error);
        SCIMD_RETURN_IF_ERROR(error);
        return in;
      }
      case PlanNode::Kind::kMembers: {  // members of group node_.id
        const bool in = MemberOfContains(store_, tenant_, id, &node_.id, &error);
        SCIMD_RETURN_IF_ERROR(error);
        return in;
      }
      default: return pass_all_ || std::binary_search(set_.begin(), set_.end(), id);
    }
  }

 private:
  Store& store_;
  TenantId tenant_;
  ResourceType type_;
  const PlanNode& node_;
  const ScanMode mode_;
  std::optional<ResourceId> unique_holder_;
  std::vector<ResourceId> set_;
  bool pass_all_ = false;
  uint64_t seen_ = 0;  // candidates asked while sampling, and how many were turned away
  uint64_t rejected_ = 0;
  bool dropped_ = false;
};

// Emits the ids of one plan node (any order, possibly repeated; IdOrdered() nodes in id
// order without repeats).
Status ScanCandidates(Store& store, TenantId tenant, ResourceType type, const PlanNode& node,
                      const IdVisitor& visit, ScanMode mode) {
  switch (node.kind) {
    case PlanNode::Kind::kIdLookup: visit(node.id); return Status::Ok();
    case PlanNode::Kind::kEmpty: return Status::Ok();
    case PlanNode::Kind::kUniqueLookup: {
      SCIMD_ASSIGN_OR_RETURN(std::optional<ResourceId> id,
                             store.LookupUnique(tenant, type, {node.attr, node.value}));
      if (id) visit(*id);
      return Status::Ok();
    }
    case PlanNode::Kind::kIndexEq:
      return store.ScanIndexEq(tenant, type, {node.attr, node.value}, visit);
    case PlanNode::Kind::kIndexPrefix:
      return store.ScanIndexPrefix(tenant, type, node.attr, node.value.string, visit);
    case PlanNode::Kind::kIndexRange:
      return store.ScanIndexRange(tenant, type, node.attr, node.range_kind, node.lower, node.upper,
                                  visit);
    case PlanNode::Kind::kPresence: return store.ScanPresence(tenant, type, node.attr, visit);
    case PlanNode::Kind::kMemberOf: return store.ScanMemberOf(tenant, node.id, visit);
    case PlanNode::Kind::kMembers:
      return store.ScanMembers(tenant, node.id, std::nullopt,
                               [&](const ResourceId& m, ResourceType t, std::string_view) {
                                 return t != type || visit(m);
                               });
    case PlanNode::Kind::kUnion: {
      bool go_on = true;
      for (const PlanNode& child : node.children) {
        SCIMD_RETURN_IF_ERROR(ScanCandidates(
            store, tenant, type, child,
            [&](const ResourceId& id) {
              go_on = visit(id);
              return go_on;
            },
            mode));
        if (!go_on) break;
      }
      return Status::Ok();
    }
    case PlanNode::Kind::kIntersect: {
      std::vector<Probe> probes;
      probes.reserve(node.children.size() - 1);
      for (size_t i = 1; i < node.children.size(); ++i) {
        probes.emplace_back(store, tenant, type, node.children[i], mode);
        SCIMD_RETURN_IF_ERROR(probes.back().Prepare());
      }
      Status error;
      SCIMD_RETURN_IF_ERROR(ScanCandidates(
          store, tenant, type, node.children[0],
          [&](const ResourceId& id) {
            for (Probe& p : probes) {
              Result<bool> in = p.Admits(id);
              if (!in.ok()) {
                error = in.status();
                return false;
              }
              if (!*in) return true;
            }
            return visit(id);
          },
          mode));
      return error;
    }
    case PlanNode::Kind::kFullScan: return Status::Internal("full scan is not a candidate set");
  }
  return Status::Internal("unknown plan node");
}

// Visits the ids of `node` in id order without repeats: streamed when the scan already
// yields them so, else collected, sorted and deduped first (sw, ranges and unions come in
// value order, and a multi-valued attribute repeats an id).
Status VisitInIdOrder(Store& store, TenantId tenant, ResourceType type, const PlanNode& node,
                      const IdVisitor& visit, ScanMode mode) {
  if (node.IdOrdered()) return ScanCandidates(store, tenant, type, node, visit, mode);
  std::vector<ResourceId> ids;
  SCIMD_RETURN_IF_ERROR(ScanCandidates(
      store, tenant, type, node,
      [&](const ResourceId& id) {
        ids.push_back(id);
        return true;
      },
      mode));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (const ResourceId& id : ids) {
    if (!visit(id)) break;
  }
  return Status::Ok();
}

class Executor {
 public:
  Executor(Store& store, TenantId tenant, const CompiledFilter& filter,
           const FilterMatchVisitor& on_match, FilterStats* stats)
      : store_(store),
        tenant_(tenant),
        filter_(filter),
        type_(filter.type()),
        on_match_(on_match),
        stats_(stats) {}

  Status Run() {
    const PlanNode& source = filter_.plan().source;
    switch (source.kind) {
      case PlanNode::Kind::kFullScan: {
        SCIMD_RETURN_IF_ERROR(store_.ScanResources(
            tenant_, type_, std::nullopt, [&](const ResourceId& id, std::string_view value) {
              ++stats_->candidates;
              return Check(id, value);
            }));
        return error_;
      }
      case PlanNode::Kind::kEmpty: return Status::Ok();
      case PlanNode::Kind::kIdLookup: Fetch(source.id); return error_;
      case PlanNode::Kind::kUniqueLookup: {
        SCIMD_ASSIGN_OR_RETURN(std::optional<ResourceId> id,
                               store_.LookupUnique(tenant_, type_, {source.attr, source.value}));
        if (id) Fetch(*id);
        return error_;
      }
      default: break;
    }
    // A source in id order is fetched while its scan runs.
    SCIMD_RETURN_IF_ERROR(VisitInIdOrder(
        store_, tenant_, type_, source, [&](const ResourceId& id) { return Add(id); },
        ScanMode{.may_drop_probes = true}));
    if (error_.ok()) FetchBatch();
    return error_;
  }

 private:
  // Candidates are read kFetchBatch at a time with one Store::GetResources: a batched read
  // of keys in order costs far less per key than a read each (docs/PERFORMANCE.md, "The
  // compound filter"). Ids arrive in id order on both paths.
  static constexpr size_t kFetchBatch = 64;

  // Queues one candidate; false to stop (a batch said so, or an error).
  bool Add(const ResourceId& id) {
    batch_.push_back(id);
    return batch_.size() < kFetchBatch || FetchBatch();
  }

  // Fetches and checks the queued candidates; false to stop.
  bool FetchBatch() {
    if (batch_.empty()) return true;
    bool go_on = true;
    Status s = store_.GetResources(
        tenant_, type_, batch_, [&](const ResourceId& id, std::optional<std::string_view> value) {
          ++stats_->candidates;
          if (!value) return true;  // deleted meanwhile
          go_on = Check(id, *value);
          return go_on;
        });
    batch_.clear();
    if (!s.ok()) {
      error_ = s;
      return false;
    }
    return go_on;
  }

  // Fetches and checks one candidate; false to stop (on_match said so, or an error).
  bool Fetch(const ResourceId& id) {
    ++stats_->candidates;
    Result<std::string> value = store_.GetResource(tenant_, type_, id);
    if (!value.ok()) {
      if (value.status().Is(Status::Code::kNotFound)) return true;  // deleted meanwhile
      error_ = value.status();
      return false;
    }
    return Check(id, *value);
  }

  // Evaluates one stored resource; calls on_match if it matches. False to stop.
  bool Check(const ResourceId& id, std::string_view stored) {
    ++stats_->rows_examined;
    Result<bool> match = MatchesStored(store_, tenant_, filter_, id, stored);
    if (!match.ok()) {
      error_ = match.status();
      return false;
    }
    return !*match || on_match_(id, stored);
  }

  Store& store_;
  TenantId tenant_;
  const CompiledFilter& filter_;
  ResourceType type_;
  const FilterMatchVisitor& on_match_;
  FilterStats* stats_;
  Status error_;
  std::vector<ResourceId> batch_;
};

}  // namespace

Result<bool> MatchesStored(Store& store, TenantId tenant, const CompiledFilter& filter,
                           const ResourceId& id, std::string_view stored) {
  SCIMD_ASSIGN_OR_RETURN(auto split, SplitStored(stored));
  // Checked in place in simdjson's document: no Json tree is built for a candidate (a
  // stored user is ~1 KB of a dozen members; docs/PERFORMANCE.md, "The compound filter").
  auto dom = ParseStoredDom(split.second);
  if (!dom.ok() || !dom->is_object()) {
    return Status::Corruption("stored resource " + id.ToString() + " is not valid JSON");
  }
  ResourceView view;
  view.type = filter.type();
  view.id = id;
  view.header = split.first;
  view.dom = &*dom;
  Status oracle_error;
  if (filter.type() == ResourceType::kGroup) {
    view.membership = [&](const ResourceId& member) {
      return MemberOfContains(store, tenant, member, &id, &oracle_error);
    };
    view.has_membership = [&]() {
      bool any = false;
      Status s = store.ScanMembers(tenant, id, std::nullopt,
                                   [&](const ResourceId&, ResourceType, std::string_view) {
                                     any = true;
                                     return false;
                                   });
      if (!s.ok()) oracle_error = s;
      return any;
    };
  } else {
    view.membership = [&](const ResourceId& group) {
      return MemberOfContains(store, tenant, id, &group, &oracle_error);
    };
    view.has_membership = [&]() {
      return MemberOfContains(store, tenant, id, nullptr, &oracle_error);
    };
  }
  const bool match = Matches(filter, view);
  SCIMD_RETURN_IF_ERROR(oracle_error);
  return match;
}

CardinalityEstimator MakeCardinalityEstimator(Store& store, TenantId tenant, ResourceType type) {
  return [&store, tenant, type](const PlanNode& node,
                                uint64_t bound) -> std::optional<CardinalityEstimate> {
    if (node.kind == PlanNode::Kind::kFullScan) return std::nullopt;
    CardinalityEstimate e;
    Status s = ScanCandidates(store, tenant, type, node, [&](const ResourceId&) {
      if (e.count >= bound) {
        e.saturated = true;
        return false;
      }
      ++e.count;
      return true;
    });
    if (!s.ok()) return std::nullopt;  // no estimate: the heuristic decides
    return e;
  };
}

namespace {

// Whether the ids of `node` are exactly its matches, without a look at the rows. Not an
// id lookup (it yields its id whether or not the resource exists), nor a presence scan:
// a presence entry is written for every string value, "" included, which `pr` does not
// count (RFC 7643 §3.4.2.2: empty is not present), so its ids are a superset that the
// row check narrows (FilterPropertyTest found it). Value entries are exact: eq, sw and
// ranges compare the folded value as the evaluator does.
bool CountableFromIndex(const PlanNode& node) {
  switch (node.kind) {
    case PlanNode::Kind::kIdLookup:
    case PlanNode::Kind::kFullScan:
    case PlanNode::Kind::kPresence: return false;
    default: break;
  }
  for (const PlanNode& child : node.children) {
    if (!CountableFromIndex(child)) return false;
  }
  return true;
}

}  // namespace

Result<std::optional<IndexCount>> CountFromIndex(Store& store, TenantId tenant,
                                                 const CompiledFilter& filter, uint64_t skip,
                                                 uint64_t take) {
  const Plan& plan = filter.plan();
  // A point lookup reads its one row either way: it keeps the plain path (and its plan).
  const bool point = plan.source.kind == PlanNode::Kind::kUniqueLookup ||
                     plan.source.kind == PlanNode::Kind::kEmpty;
  if (point || !plan.residual.empty() || !CountableFromIndex(plan.source)) {
    return std::optional<IndexCount>();
  }
  IndexCount out;
  bool widened = false;
  const ScanMode exact{.may_drop_probes = false, .widened = &widened};
  SCIMD_RETURN_IF_ERROR(VisitInIdOrder(
      store, tenant, filter.type(), plan.source,
      [&](const ResourceId& id) {
        if (out.total >= skip && out.total - skip < take) out.window.push_back(id);
        ++out.total;
        return true;
      },
      exact));
  if (widened) return std::optional<IndexCount>();  // a probe set overflowed: not exact
  return std::optional<IndexCount>(std::move(out));
}

Status RunFilter(Store& store, TenantId tenant, const CompiledFilter& filter,
                 const FilterMatchVisitor& on_match, FilterStats* stats) {
  FilterStats local;
  if (stats == nullptr) stats = &local;
  *stats = FilterStats();
  stats->plan = Explain(filter);
  return Executor(store, tenant, filter, on_match, stats).Run();
}

Result<FilterExplanation> ExplainFilter(Store& store, TenantId tenant, ResourceType type,
                                        std::string_view text,
                                        const std::vector<IndexedAttr>& indexed) {
  const CardinalityEstimator estimator = MakeCardinalityEstimator(store, tenant, type);
  SCIMD_ASSIGN_OR_RETURN(CompiledFilter filter, CompileFilter(type, text, indexed, &estimator));
  FilterExplanation out;
  out.plan = Explain(filter);
  FilterStats stats;
  SCIMD_RETURN_IF_ERROR(RunFilter(
      store, tenant, filter,
      [&](const ResourceId&, std::string_view) {
        ++out.matches;
        return true;
      },
      &stats));
  out.candidates = stats.candidates;
  out.rows_examined = stats.rows_examined;
  return out;
}

}  // namespace scimd::core
