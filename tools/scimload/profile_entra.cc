// entra-initial and entra-incremental: what Microsoft Entra ID's provisioning service
// sends (IDP-BEHAVIOUR.md). Initial: the test connection, then per user a userName filter
// and a POST (or a PATCH of a user it finds), then per group a displayName filter, a POST
// without members and Add PATCHes of at most --member-batch members. Incremental: the
// same lookups (creating what is missing), then a few % of users changed by PATCH in
// Entra's forms, one in five of those disabled, and members moved between groups.
#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "tools/scimload/idp_requests.h"
#include "tools/scimload/profile.h"

namespace scimd::scimload {
namespace {

// PATCH /Users kinds of change (Step::arg): EntraChangePatch's forms 0..3, and these.
constexpr uint32_t kDisable = kEntraChangeForms;
constexpr uint32_t kRefresh = 100;  // initial sync: a user that already exists
// Every change in this many is a disable.
constexpr uint32_t kDisableEvery = kEntraChangeForms + 1;
// GET verify userName (Step::arg): after a create, after a disable.
constexpr uint32_t kAfterCreate = 0;
constexpr uint32_t kAfterDisable = 1;
// PATCH /Groups members (Step::arg) of a move; other values are member batches.
constexpr uint32_t kMoveRemove = 0x8000'0000u;
constexpr uint32_t kMoveAdd = 0x8000'0001u;
// Initial sync: one created user in this many is created a second time (its userName in
// capitals), which must be answered 409.
constexpr uint32_t kConflictEvery = 100;

enum Phase { kProbePhase, kUsersPhase, kGroupsPhase, kChangesPhase, kMovesPhase };

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

class EntraProfile : public ProfileBase {
 public:
  EntraProfile(const ProfileOptions& options, Stats& stats, bool incremental)
      : ProfileBase(options, stats, incremental ? 5 : 3, /*okta=*/false),
        incremental_(incremental) {}

  std::string_view user_agent() const override { return {}; }  // Entra often sends none

 protected:
  std::string_view PhaseName(int phase) const override {
    static constexpr std::string_view kNames[] = {"test connection", "users", "groups", "changes",
                                                  "moves"};
    return kNames[phase];
  }

  uint32_t ChainsIn(int phase) const override {
    switch (phase) {
      case kProbePhase: return 1;
      case kUsersPhase: return options_.users;
      case kGroupsPhase: return options_.groups;
      case kChangesPhase: return ChangedCount();
      case kMovesPhase: return static_cast<uint32_t>(moves_.size());
    }
    return 0;
  }

  bool StartChain(int phase, uint32_t i, Step& step) override {
    switch (phase) {
      case kProbePhase: step = {Kind::kProbe, 0, 0}; return true;
      case kUsersPhase: step = {Kind::kGetFilterUser, i, 0}; return true;
      case kGroupsPhase: step = {Kind::kGetFilterGroup, i, 0}; return true;
      case kChangesPhase: {
        const uint32_t u = ChangedUser(i);
        if (user_ids_[u].empty()) return false;
        const uint32_t form = i % kDisableEvery;
        step = {Kind::kPatchUser, u, form == kDisableEvery - 1 ? kDisable : form};
        return true;
      }
      case kMovesPhase: step = {Kind::kPatchGroupMembers, i, kMoveRemove}; return true;
    }
    return false;
  }

  void OnPhaseStart(int phase) override {
    if (phase == kGroupsPhase) {
      for (uint32_t g = 0; g < groups_.size(); ++g) PlanGroup(g);
    } else if (phase == kMovesPhase) {
      PlanMoves();
    }
  }

  void Render(const Step& step, Request& r) override {
    const uint32_t op = step.op;
    switch (step.kind) {
      case Kind::kProbe: RenderProbe(step, r); return;
      case Kind::kGetFilterUser:
      case Kind::kGetVerifyUser:
        r.method = "GET";
        r.target = EntraUserFilter(PersonOf(options_.seed, op).user_name);
        return;
      case Kind::kPostUser:
        r.method = "POST";
        r.target = "/Users";
        r.body = EntraUserBody(PersonOf(options_.seed, op), ManagerOf(op));
        return;
      case Kind::kPostUserConflict: {
        Person p = PersonOf(options_.seed, op);
        p.user_name = Upper(p.user_name);
        r.method = "POST";
        r.target = "/Users";
        r.body = EntraUserBody(p, "");
        return;
      }
      case Kind::kPatchUser: {
        const Person p = PersonOf(options_.seed, op);
        r.method = "PATCH";
        r.target = "/Users/" + user_ids_[op];
        r.body = step.arg == kRefresh   ? EntraRefreshPatch(p)
                 : step.arg == kDisable ? EntraDisablePatch()
                                        : EntraChangePatch(p, step.arg, ManagerOf(op));
        return;
      }
      case Kind::kGetFilterGroup:
        r.method = "GET";
        r.target = EntraGroupFilter(GroupNameOf(options_.seed, op));
        return;
      case Kind::kPostGroup:
        r.method = "POST";
        r.target = "/Groups";
        r.body =
            EntraGroupBody(GroupNameOf(options_.seed, op), GroupExternalIdOf(options_.seed, op));
        return;
      case Kind::kPatchGroupMembers: {
        r.method = "PATCH";
        std::vector<std::string_view> ids;
        if (step.arg == kMoveRemove || step.arg == kMoveAdd) {
          const Move& m = moves_[op];
          const bool remove = step.arg == kMoveRemove;
          r.target = "/Groups/" + groups_[remove ? m.from : m.to].id;
          ids.push_back(user_ids_[m.user]);
          r.body = EntraMembersPatch(remove ? "Remove" : "Add", ids);
          return;
        }
        r.target = "/Groups/" + groups_[op].id;
        for (uint32_t u : BatchOf(op, step.arg)) ids.push_back(user_ids_[u]);
        r.body = EntraMembersPatch("Add", ids);
        return;
      }
      default: return;  // not sent by this profile
    }
  }

  void Handle(const Step& step, int status, std::string_view body) override {
    const uint32_t op = step.op;
    ResourceSummary found;
    std::string id;
    switch (step.kind) {
      case Kind::kGetFilterUser:
        switch (
            CheckLookup(step, status, body, PersonOf(options_.seed, op).user_name, true, &found)) {
          case Lookup::kAbsent: Then(Kind::kPostUser, op); break;
          case Lookup::kFound:
            user_ids_[op] = found.id;
            ++counters_.users_found;
            if (!incremental_) Then(Kind::kPatchUser, op, kRefresh);
            break;
          case Lookup::kWrong: break;
        }
        return;
      case Kind::kPostUser:
        if (!CheckCreated(step, status, body, &id)) return;
        user_ids_[op] = std::move(id);
        ++counters_.users_created;
        if (Verified(op)) Then(Kind::kGetVerifyUser, op, kAfterCreate);
        if (!incremental_ && op % kConflictEvery == kConflictEvery / 2) {
          Then(Kind::kPostUserConflict, op);
        }
        return;
      case Kind::kPostUserConflict:
        if (status != 409)
          Wrong(step, "a second create (userName in capitals) " + Excerpt(status, body));
        return;
      case Kind::kGetVerifyUser: {
        const Person p = PersonOf(options_.seed, op);
        const Lookup lookup = CheckLookup(step, status, body, p.user_name, true, &found);
        if (lookup == Lookup::kAbsent) {
          Wrong(step, "the filter does not find the user just written (" + user_ids_[op] + ")");
        } else if (lookup == Lookup::kFound && found.id != user_ids_[op]) {
          Wrong(step, "the filter finds id " + found.id + ", the create answered " + user_ids_[op]);
        } else if (lookup == Lookup::kFound && step.arg == kAfterDisable && found.active != 0) {
          Wrong(step, "disabled (active \"False\") but the filter returns active " +
                          std::string(found.active == 1 ? "true" : "absent"));
        }
        return;
      }
      case Kind::kPatchUser:
        if (!CheckUpdated(step, status, body, user_ids_[op])) return;
        if (step.arg == kDisable) {
          ++counters_.users_disabled;
          Then(Kind::kGetVerifyUser, op, kAfterDisable);
        } else if (step.arg != kRefresh) {
          ++counters_.users_changed;
        }
        return;
      case Kind::kGetFilterGroup: HandleGroupLookup(step, status, body); return;
      case Kind::kPostGroup: HandleGroupCreated(step, status, body); return;
      case Kind::kPatchGroupMembers: HandleMembers(step, status, body); return;
      default: return;
    }
  }

 private:
  struct Move {
    uint32_t user, from, to;
  };

  // A manager already known to the server: the first user of each block of ten.
  std::string ManagerOf(uint32_t u) const {
    const uint32_t manager = u - u % 10;
    return manager == u ? std::string() : user_ids_[manager];
  }

  void HandleMembers(const Step& step, int status, std::string_view body) {
    if (step.arg == kMoveRemove || step.arg == kMoveAdd) {
      const Move& m = moves_[step.op];
      const bool remove = step.arg == kMoveRemove;
      if (!CheckUpdated(step, status, body, groups_[remove ? m.from : m.to].id)) return;
      if (remove) {
        groups_[m.from].members.erase(m.user);
        ++counters_.members_removed;
        Then(Kind::kPatchGroupMembers, step.op, kMoveAdd);
      } else {
        groups_[m.to].members.insert(m.user);
        ++counters_.members_moved;
      }
      return;
    }
    Group& group = groups_[step.op];
    if (!CheckUpdated(step, status, body, group.id)) return;
    for (uint32_t u : BatchOf(step.op, step.arg)) {
      if (group.members.insert(u).second) ++counters_.members_added;
    }
    if (step.arg + 1 < group.batches) Then(Kind::kPatchGroupMembers, step.op, step.arg + 1);
  }

  // A member of group k % G (the (k / G)-th by user number) moves to the next group that
  // does not have them; each user moves at most once.
  void PlanMoves() {
    moves_.clear();
    const uint32_t groups = static_cast<uint32_t>(groups_.size());
    if (groups < 2) return;
    std::vector<std::vector<uint32_t>> sorted(groups);
    for (uint32_t g = 0; g < groups; ++g) {
      sorted[g].assign(groups_[g].members.begin(), groups_[g].members.end());
      std::sort(sorted[g].begin(), sorted[g].end());
    }
    const uint32_t wanted = std::max<uint32_t>(1, ChangedCount() / kDisableEvery);
    std::unordered_set<uint32_t> moved;
    // Bounded: `wanted` moves tried twice over.
    for (uint32_t k = 0; k < 2 * wanted && moves_.size() < wanted; ++k) {
      const uint32_t from = k % groups;
      if (sorted[from].empty() || groups_[from].id.empty()) continue;
      const uint32_t user = sorted[from][(k / groups) % sorted[from].size()];
      if (moved.count(user) > 0) continue;
      for (uint32_t d = 1; d < groups; ++d) {
        const uint32_t to = (from + d) % groups;
        if (!groups_[to].id.empty() && groups_[to].members.count(user) == 0) {
          moves_.push_back({user, from, to});
          moved.insert(user);
          break;
        }
      }
    }
  }

  const bool incremental_;
  std::vector<Move> moves_;
};

}  // namespace

std::unique_ptr<Workload> MakeEntraInitial(const ProfileOptions& options, Stats& stats) {
  return std::make_unique<EntraProfile>(options, stats, /*incremental=*/false);
}

std::unique_ptr<Workload> MakeEntraIncremental(const ProfileOptions& options, Stats& stats) {
  return std::make_unique<EntraProfile>(options, stats, /*incremental=*/true);
}

}  // namespace scimd::scimload
