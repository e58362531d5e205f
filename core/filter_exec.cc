// RunFilter: executes a Plan against core::Store. The plan's source yields candidate ids
// (streamed when the scan is already in id order, else collected, sorted and deduped);
// each candidate is fetched and re-checked with the evaluator, so the index only ever
// narrows what is read. Membership terms ask the store's edges through the oracle.
#include <algorithm>
#include <optional>
#include <vector>

#include "core/filter.h"
#include "core/resource.h"

namespace scimd::core {

namespace {

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
      case PlanNode::Kind::kEmpty:
        return Status::Ok();
      case PlanNode::Kind::kIdLookup:
        Fetch(source.id);
        return error_;
      case PlanNode::Kind::kUniqueLookup: {
        SCIMD_ASSIGN_OR_RETURN(std::optional<ResourceId> id,
                               store_.LookupUnique(tenant_, type_, {source.attr, source.value}));
        if (id) Fetch(*id);
        return error_;
      }
      default:
        break;
    }
    if (source.IdOrdered()) {  // stream: fetch while the scan runs
      SCIMD_RETURN_IF_ERROR(Candidates(source, [&](const ResourceId& id) { return Fetch(id); }));
      return error_;
    }
    std::vector<ResourceId> ids;
    SCIMD_RETURN_IF_ERROR(Candidates(source, [&](const ResourceId& id) {
      ids.push_back(id);
      return true;
    }));
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (const ResourceId& id : ids) {
      if (!Fetch(id)) break;
    }
    return error_;
  }

 private:
  // Emits the ids of one plan node (any order, possibly repeated).
  Status Candidates(const PlanNode& node, const IdVisitor& visit) {
    switch (node.kind) {
      case PlanNode::Kind::kIdLookup:
        visit(node.id);
        return Status::Ok();
      case PlanNode::Kind::kEmpty:
        return Status::Ok();
      case PlanNode::Kind::kUniqueLookup: {
        SCIMD_ASSIGN_OR_RETURN(std::optional<ResourceId> id,
                               store_.LookupUnique(tenant_, type_, {node.attr, node.value}));
        if (id) visit(*id);
        return Status::Ok();
      }
      case PlanNode::Kind::kIndexEq:
        return store_.ScanIndexEq(tenant_, type_, {node.attr, node.value}, visit);
      case PlanNode::Kind::kIndexPrefix:
        return store_.ScanIndexPrefix(tenant_, type_, node.attr, node.value.string, visit);
      case PlanNode::Kind::kIndexRange:
        return store_.ScanIndexRange(tenant_, type_, node.attr, node.range_kind, node.lower,
                                     node.upper, visit);
      case PlanNode::Kind::kPresence:
        return store_.ScanPresence(tenant_, type_, node.attr, visit);
      case PlanNode::Kind::kMemberOf:
        return store_.ScanMemberOf(tenant_, node.id, visit);
      case PlanNode::Kind::kMembers:
        return store_.ScanMembers(tenant_, node.id, std::nullopt,
                                  [&](const ResourceId& m, ResourceType t, std::string_view) {
                                    return t != type_ || visit(m);
                                  });
      case PlanNode::Kind::kUnion: {
        bool go_on = true;
        for (const PlanNode& child : node.children) {
          SCIMD_RETURN_IF_ERROR(Candidates(child, [&](const ResourceId& id) {
            go_on = visit(id);
            return go_on;
          }));
          if (!go_on) break;
        }
        return Status::Ok();
      }
      case PlanNode::Kind::kFullScan:
        return Status::Internal("full scan is not a candidate set");
    }
    return Status::Internal("unknown plan node");
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
};

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

}  // namespace

Result<bool> MatchesStored(Store& store, TenantId tenant, const CompiledFilter& filter,
                           const ResourceId& id, std::string_view stored) {
  SCIMD_ASSIGN_OR_RETURN(auto split, SplitStored(stored));
  auto attrs = Json::Parse(split.second);
  if (!attrs.ok()) {
    return Status::Corruption("stored resource " + id.ToString() + " is not valid JSON");
  }
  ResourceView view;
  view.type = filter.type();
  view.id = id;
  view.header = split.first;
  view.attrs = &*attrs;
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

Status RunFilter(Store& store, TenantId tenant, const CompiledFilter& filter,
                 const FilterMatchVisitor& on_match, FilterStats* stats) {
  FilterStats local;
  if (stats == nullptr) stats = &local;
  *stats = FilterStats();
  stats->plan = Explain(filter);
  return Executor(store, tenant, filter, on_match, stats).Run();
}

}  // namespace scimd::core
