#include "core/usecase/check.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "core/base/json.h"
#include "core/filter/filter_plan.h"
#include "core/resource/index_entries.h"
#include "core/resource/schema.h"
#include "core/resource/stored_value.h"
#include "core/tenancy/tenant_index.h"
#include "core/usecase/reindex.h"

namespace scimd::core {

namespace {

constexpr size_t kMaxValueText = 64;
// Repair operations per transaction (as core::Reindex batches its writes).
constexpr size_t kRepairBatch = 1000;

// FNV-1a over the bytes, then a splitmix64 finish so that sums of hashes mix well.
class Hasher {
 public:
  void Bytes(std::string_view s) {
    for (unsigned char c : s) h_ = (h_ ^ c) * 0x100000001b3ull;
    h_ = (h_ ^ 0xff) * 0x100000001b3ull;  // ends each field: "ab","c" != "a","bc"
  }
  void U64(uint64_t v) {
    char b[8];
    std::memcpy(b, &v, sizeof(b));
    Bytes(std::string_view(b, sizeof(b)));
  }
  uint64_t Done() const {
    uint64_t x = h_;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }

 private:
  uint64_t h_ = 0xcbf29ce484222325ull;
};

void HashValue(Hasher& h, const IndexValue& v) {
  h.U64(static_cast<uint64_t>(v.kind));
  switch (v.kind) {
    case IndexValue::Kind::kString: h.Bytes(v.string); break;
    case IndexValue::Kind::kInteger:
    case IndexValue::Kind::kDateTime: h.U64(static_cast<uint64_t>(v.integer)); break;
    case IndexValue::Kind::kDecimal: {
      uint64_t bits = 0;
      std::memcpy(&bits, &v.decimal, sizeof(bits));
      h.U64(bits);
      break;
    }
    case IndexValue::Kind::kBoolean: h.U64(v.boolean ? 1 : 0); break;
  }
}

// The three kinds of entry an indexed attribute has.
enum Family { kValue = 0, kPresence = 1, kUnique = 2 };
constexpr const char* kFamilyName[] = {"index", "presence", "unique"};

uint64_t EntryHash(Family family, const IndexValue* value, const ResourceId& id) {
  Hasher h;
  h.U64(family);
  if (value != nullptr) HashValue(h, *value);
  h.Bytes(id.AsBytes());
  return h.Done();
}

uint64_t EdgeHash(const ResourceId& group, const ResourceId& member) {
  Hasher h;
  h.Bytes(group.AsBytes());
  h.Bytes(member.AsBytes());
  return h.Done();
}

// A multiset's fingerprint: equal sets have equal tallies; unequal ones differ but for a
// 2^-64 chance.
struct Tally {
  uint64_t count = 0;
  uint64_t sum = 0;
  void Add(uint64_t hash) {
    ++count;
    sum += hash;
  }
  bool operator==(const Tally&) const = default;
};

// An entry's value for a problem line, as Explain writes values; a long string cut.
std::string ValueText(IndexValue v) {
  if (v.kind == IndexValue::Kind::kString && v.string.size() > kMaxValueText) {
    v.string = v.string.substr(0, kMaxValueText) + "...";
  }
  return IndexValueText(v);
}

std::string AttrName(const IndexedAttr& ia) {
  return std::string(ResourceTypeName(ia.type)) + "." + ia.path;
}

template <typename T>
bool Contains(const std::vector<T>& list, const T& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// What a repair will do.
struct EdgeFix {
  enum class Kind { kRemoveEdge, kAddMirror, kRemoveMirror } kind;
  ResourceId group;
  ResourceId member;
};

class Checker {
 public:
  Checker(Store& store, TenantId tenant, const ProblemVisitor& problem)
      : store_(store), tenant_(tenant), problem_(problem) {}

  Status Run() {
    SCIMD_ASSIGN_OR_RETURN(auto indexed, TenantIndexed(store_, tenant_));
    indexed_ = *indexed;
    tallies_.assign(indexed_.size(), {});
    for (ResourceType type : {ResourceType::kUser, ResourceType::kGroup}) {
      SCIMD_RETURN_IF_ERROR(ScanDerived(type));
    }
    SCIMD_RETURN_IF_ERROR(CheckIndexes());
    SCIMD_RETURN_IF_ERROR(CheckEdges());
    return CheckCounts();
  }

  // Fixes what Run found. A rebuild of the entries that fails (two resources holding one
  // unique value, a resource that does not parse) is said through the visitor and the
  // rest goes on.
  Status Repair() {
    if (index_problems_ > 0) {
      Status s = Reindex(store_, tenant_, indexed_, nullptr);
      if (!s.ok() && problem_) {
        problem_("repair: the index, presence and unique entries were not rebuilt: " +
                 s.ToString());
      }
    }
    std::unique_ptr<Transaction> txn;
    size_t in_batch = 0;
    auto step = [&]() -> Status {
      if (++in_batch < kRepairBatch) return Status::Ok();
      in_batch = 0;
      Status s = txn->Commit();
      txn.reset();
      return s;
    };
    for (const EdgeFix& fix : edge_fixes_) {
      if (!txn) txn = store_.Begin(tenant_);
      switch (fix.kind) {
        case EdgeFix::Kind::kRemoveEdge:
          SCIMD_RETURN_IF_ERROR(txn->RemoveMember(fix.group, fix.member).status());
          break;
        case EdgeFix::Kind::kAddMirror:
          SCIMD_RETURN_IF_ERROR(txn->SetMemberOfEntry(fix.member, fix.group, true));
          break;
        case EdgeFix::Kind::kRemoveMirror:
          SCIMD_RETURN_IF_ERROR(txn->SetMemberOfEntry(fix.member, fix.group, false));
          break;
      }
      SCIMD_RETURN_IF_ERROR(step());
    }
    // A removed edge lowers its counter and what it counts alike: these deltas, taken
    // before, still hold.
    for (const auto& [group, delta] : member_count_fixes_) {
      if (!txn) txn = store_.Begin(tenant_);
      SCIMD_RETURN_IF_ERROR(txn->AdjustMemberCount(group, delta));
      SCIMD_RETURN_IF_ERROR(step());
    }
    for (const auto& [type, delta] : resource_count_fixes_) {
      if (!txn) txn = store_.Begin(tenant_);
      SCIMD_RETURN_IF_ERROR(txn->AdjustResourceCount(type, delta));
      SCIMD_RETURN_IF_ERROR(step());
    }
    if (txn) SCIMD_RETURN_IF_ERROR(txn->Commit());
    return Status::Ok();
  }

  const CheckReport& report() const { return report_; }

 private:
  struct AttrTallies {
    std::array<Tally, 3> derived;
    std::array<Tally, 3> stored;
  };

  void Problem(const std::string& line) {
    ++report_.problems;
    if (problem_) problem_(line);
  }
  void Unrepairable(const std::string& line) {
    ++report_.unrepairable;
    Problem(line);
  }

  // The entries each stored resource of `type` derives, into the tallies; counts, group ids.
  Status ScanDerived(ResourceType type) {
    uint64_t& count = type == ResourceType::kUser ? report_.users : report_.groups;
    return store_.ScanResources(
        tenant_, type, std::nullopt, [&](const ResourceId& id, std::string_view stored) {
          ++count;
          if (type == ResourceType::kGroup) groups_.insert(id);
          auto split = SplitStored(stored);
          auto attrs = split.ok() ? Json::Parse(split->second) : Result<Json>(split.status());
          if (!attrs.ok()) {
            Unrepairable(std::string("resource ") + std::string(ResourceTypeName(type)) + " " +
                         id.ToString() + ": the stored value does not parse (" +
                         attrs.status().ToString() + ")");
            return true;
          }
          const IndexEntries entries = IndexEntriesOf(type, *attrs, indexed_);
          for (size_t i = 0; i < indexed_.size(); ++i) {
            const IndexedAttr& ia = indexed_[i];
            if (ia.type != type) continue;
            for (const IndexTerm& t : entries.values) {
              if (t.attr == ia.id) tallies_[i].derived[kValue].Add(EntryHash(kValue, &t.value, id));
            }
            for (const IndexTerm& t : entries.unique) {
              if (t.attr == ia.id) {
                tallies_[i].derived[kUnique].Add(EntryHash(kUnique, &t.value, id));
              }
            }
            if (Contains(entries.presence, ia.id)) {
              tallies_[i].derived[kPresence].Add(EntryHash(kPresence, nullptr, id));
            }
          }
          report_.entries +=
              entries.values.size() + entries.unique.size() + entries.presence.size();
          return true;
        });
  }

  Status ScanStored(const IndexedAttr& ia, Family family, const IndexEntryVisitor& visit) {
    switch (family) {
      case kValue: return store_.ScanIndexEntries(tenant_, ia.type, ia.id, visit);
      case kPresence:
        return store_.ScanPresence(tenant_, ia.type, ia.id,
                                   [&](const ResourceId& id) { return visit(IndexValue(), id); });
      case kUnique: return store_.ScanUniqueEntries(tenant_, ia.type, ia.id, visit);
    }
    return Status::Ok();
  }

  Status CheckIndexes() {
    for (size_t i = 0; i < indexed_.size(); ++i) {
      const IndexedAttr& ia = indexed_[i];
      for (Family f : {kValue, kPresence, kUnique}) {
        if (f == kUnique && !ia.unique) continue;
        Tally& stored = tallies_[i].stored[f];
        SCIMD_RETURN_IF_ERROR(ScanStored(ia, f, [&](const IndexValue& v, const ResourceId& id) {
          stored.Add(EntryHash(f, f == kPresence ? nullptr : &v, id));
          return true;
        }));
        if (stored == tallies_[i].derived[f]) continue;
        const uint64_t before = report_.problems;
        SCIMD_RETURN_IF_ERROR(NameIndexProblems(ia, f));
        if (report_.problems == before) {
          Problem(std::string(kFamilyName[f]) + " " + AttrName(ia) +
                  ": the entries differ from what the resources derive (" +
                  std::to_string(stored.count) + " stored, " +
                  std::to_string(tallies_[i].derived[f].count) + " derived)");
        }
        index_problems_ += report_.problems - before;
      }
    }
    return Status::Ok();
  }

  // Walks one family of one attribute entry by entry: stale entries, then missing ones.
  Status NameIndexProblems(const IndexedAttr& ia, Family f) {
    const std::string name = std::string(kFamilyName[f]) + " " + AttrName(ia);
    Status error;
    SCIMD_RETURN_IF_ERROR(ScanStored(ia, f, [&](const IndexValue& v, const ResourceId& id) {
      auto derived = DeriveStoredEntries(store_, tenant_, ia.type, id, indexed_);
      if (!derived.ok()) return true;  // a resource that does not parse: reported already
      const IndexTerm term{ia.id, v};
      const bool kept = f == kValue    ? Contains(derived->values, term)
                        : f == kUnique ? Contains(derived->unique, term)
                                       : Contains(derived->presence, ia.id);
      if (!kept) {
        Problem(name + ": stale entry " + (f == kPresence ? "" : ValueText(v) + " -> ") +
                id.ToString() + " (the resource does not derive it)");
      }
      return true;
    }));
    const std::vector<IndexedAttr> only = {ia};
    SCIMD_RETURN_IF_ERROR(store_.ScanResources(
        tenant_, ia.type, std::nullopt, [&](const ResourceId& id, std::string_view stored) {
          auto split = SplitStored(stored);
          if (!split.ok()) return true;
          auto attrs = Json::Parse(split->second);
          if (!attrs.ok()) return true;
          const IndexEntries entries = IndexEntriesOf(ia.type, *attrs, only);
          error = NameMissing(ia, f, name, id, entries);
          return error.ok();
        }));
    return error;
  }

  Status NameMissing(const IndexedAttr& ia, Family f, const std::string& name, const ResourceId& id,
                     const IndexEntries& entries) {
    if (f == kPresence) {
      if (!Contains(entries.presence, ia.id)) return Status::Ok();
      SCIMD_ASSIGN_OR_RETURN(bool has, store_.HasPresence(tenant_, ia.type, ia.id, id));
      if (!has) Problem(name + ": " + id.ToString() + " has a value but no presence entry");
      return Status::Ok();
    }
    for (const IndexTerm& t : f == kValue ? entries.values : entries.unique) {
      if (t.attr != ia.id) continue;
      if (f == kValue) {
        SCIMD_ASSIGN_OR_RETURN(bool has, store_.HasIndexEntry(tenant_, ia.type, t, id));
        if (!has)
          Problem(name + ": " + id.ToString() + " has " + ValueText(t.value) + " but no entry");
        continue;
      }
      SCIMD_ASSIGN_OR_RETURN(auto holder, store_.LookupUnique(tenant_, ia.type, t));
      if (!holder) {
        Problem(name + ": " + id.ToString() + " has " + ValueText(t.value) + " but no entry");
      } else if (*holder != id) {
        // Either the other holder derives it too (the data breaks uniqueness: a repair
        // cannot choose), or the entry is stale and named above.
        auto other = DeriveStoredEntries(store_, tenant_, ia.type, *holder, indexed_);
        if (other.ok() && Contains(other->unique, t)) {
          Unrepairable(name + ": " + id.ToString() + " and " + holder->ToString() + " both hold " +
                       ValueText(t.value));
        }
      }
    }
    return Status::Ok();
  }

  bool ResourceExists(const ResourceId& id, Status* error) {
    if (groups_.count(id) > 0) return true;
    auto user = store_.GetResource(tenant_, ResourceType::kUser, id);
    if (user.ok()) return true;
    if (!user.status().Is(Status::Code::kNotFound)) *error = user.status();
    return false;
  }

  Status CheckEdges() {
    Tally edges, mirrors;
    Status error;
    std::optional<ResourceId> current;
    uint64_t current_count = 0;
    auto end_group = [&] {
      if (current) edge_counts_[*current] = current_count;
    };
    SCIMD_RETURN_IF_ERROR(
        store_.ScanEdges(tenant_, false, [&](const ResourceId& group, const ResourceId& member) {
          edges.Add(EdgeHash(group, member));
          ++report_.edges;
          if (!current || *current != group) {
            end_group();
            current = group;
            current_count = 0;
          }
          ++current_count;
          const std::string edge = "edge Group " + group.ToString() + " -> " + member.ToString();
          if (groups_.count(group) == 0) {
            Problem(edge + ": the group does not exist");
            edge_fixes_.push_back({EdgeFix::Kind::kRemoveEdge, group, member});
          } else if (!ResourceExists(member, &error)) {
            if (!error.ok()) return false;
            Problem(edge + ": the member does not exist");
            edge_fixes_.push_back({EdgeFix::Kind::kRemoveEdge, group, member});
          }
          return true;
        }));
    SCIMD_RETURN_IF_ERROR(error);
    end_group();
    SCIMD_RETURN_IF_ERROR(
        store_.ScanEdges(tenant_, true, [&](const ResourceId& group, const ResourceId& member) {
          mirrors.Add(EdgeHash(group, member));
          return true;
        }));
    if (edges == mirrors) return Status::Ok();
    // Name the differences: both sides sorted, then compared (memory for every edge, spent
    // only when the fingerprints differ).
    std::vector<std::pair<ResourceId, ResourceId>> a, b;
    SCIMD_RETURN_IF_ERROR(
        store_.ScanEdges(tenant_, false, [&](const ResourceId& g, const ResourceId& m) {
          a.emplace_back(g, m);
          return true;
        }));
    SCIMD_RETURN_IF_ERROR(
        store_.ScanEdges(tenant_, true, [&](const ResourceId& g, const ResourceId& m) {
          b.emplace_back(g, m);
          return true;
        }));
    std::sort(b.begin(), b.end());  // a is in (group, member) order already
    std::vector<std::pair<ResourceId, ResourceId>> only_a, only_b;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only_a));
    std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(only_b));
    for (const auto& [g, m] : only_a) {
      Problem("edge Group " + g.ToString() + " -> " + m.ToString() + ": no member_of entry");
      edge_fixes_.push_back({EdgeFix::Kind::kAddMirror, g, m});
    }
    for (const auto& [g, m] : only_b) {
      Problem("member_of " + m.ToString() + " -> Group " + g.ToString() + ": no members edge");
      edge_fixes_.push_back({EdgeFix::Kind::kRemoveMirror, g, m});
    }
    return Status::Ok();
  }

  Status CheckCounts() {
    for (ResourceType type : {ResourceType::kUser, ResourceType::kGroup}) {
      SCIMD_ASSIGN_OR_RETURN(uint64_t counted, store_.CountResources(tenant_, type));
      const uint64_t actual = type == ResourceType::kUser ? report_.users : report_.groups;
      if (counted == actual) continue;
      Problem("count " + std::string(ResourceTypeName(type)) + ": the counter says " +
              std::to_string(counted) + ", " + std::to_string(actual) + " are stored");
      resource_count_fixes_.emplace_back(
          type, static_cast<int64_t>(actual) - static_cast<int64_t>(counted));
    }
    for (const ResourceId& group : groups_) {
      SCIMD_ASSIGN_OR_RETURN(uint64_t counted, store_.CountMembers(tenant_, group));
      auto it = edge_counts_.find(group);
      const uint64_t actual = it == edge_counts_.end() ? 0 : it->second;
      if (counted == actual) continue;
      Problem("member count Group " + group.ToString() + ": the counter says " +
              std::to_string(counted) + ", " + std::to_string(actual) + " edges are stored");
      member_count_fixes_.emplace_back(
          group, static_cast<int64_t>(actual) - static_cast<int64_t>(counted));
    }
    return Status::Ok();
  }

  Store& store_;
  const TenantId tenant_;
  const ProblemVisitor& problem_;
  std::vector<IndexedAttr> indexed_;
  std::vector<AttrTallies> tallies_;  // per indexed_ entry
  std::set<ResourceId> groups_;
  std::map<ResourceId, uint64_t> edge_counts_;
  CheckReport report_;
  uint64_t index_problems_ = 0;
  std::vector<EdgeFix> edge_fixes_;
  std::vector<std::pair<ResourceId, int64_t>> member_count_fixes_;
  std::vector<std::pair<ResourceType, int64_t>> resource_count_fixes_;
};

}  // namespace

Result<CheckReport> CheckTenant(Store& store, TenantId tenant, bool repair,
                                const ProblemVisitor& problem) {
  Checker first(store, tenant, problem);
  SCIMD_RETURN_IF_ERROR(first.Run());
  CheckReport report = first.report();
  if (!repair || report.problems == 0) return report;
  SCIMD_RETURN_IF_ERROR(first.Repair());
  const ProblemVisitor quiet;
  Checker second(store, tenant, quiet);
  SCIMD_RETURN_IF_ERROR(second.Run());
  const uint64_t left = second.report().problems;
  report.repaired = left < report.problems ? report.problems - left : 0;
  return report;
}

}  // namespace scimd::core
