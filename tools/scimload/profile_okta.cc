// okta: what Okta's SCIM client sends (IDP-BEHAVIOUR.md). The test connection; per user a
// userName filter with startIndex=1&count=100 (some in capitals: Okta may send them so),
// a POST with password and groups: [] when absent, a PUT of the whole user when found;
// then a few % of users updated by PUT, one in five deactivated by a no-path replace;
// group push: a displayName filter, POST /Groups, lowercase "add" PATCHes with display
// names and one "remove" by members[value eq ...]; last, Okta's import: every page of
// /Users and /Groups with startIndex/count, checked against what this run wrote.
#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "tools/scimload/idp_requests.h"
#include "tools/scimload/profile.h"

namespace scimd::scimload {
namespace {

enum Phase { kProbePhase, kUsersPhase, kUpdatesPhase, kGroupsPhase, kListPhase };

constexpr uint32_t kPageSize = 100;  // Okta's count
// One lookup in this many sends the userName in capitals.
constexpr uint32_t kUpperEvery = 7;
// Every update in this many is a deactivation; the others are PUTs.
constexpr uint32_t kDeactivateEvery = 5;
// PATCH /Users arg, GET verify userName arg.
constexpr uint32_t kDeactivate = 1;
constexpr uint32_t kAfterCreate = 0;
constexpr uint32_t kAfterDeactivate = 1;
// PATCH /Groups members arg for the one removal per group; other values are batches.
constexpr uint32_t kRemoveOne = 0x8000'0000u;
// Okta sends a password when it syncs passwords.
constexpr std::string_view kPassword = "Scimload-Passw0rd!";

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

class OktaProfile : public ProfileBase {
 public:
  OktaProfile(const ProfileOptions& options, Stats& stats)
      : ProfileBase(options, stats, 5, /*okta=*/true) {}

  std::string_view user_agent() const override { return "Okta SCIM Client 1.0.0"; }

 protected:
  std::string_view PhaseName(int phase) const override {
    static constexpr std::string_view kNames[] = {"test connection", "users", "updates", "groups",
                                                  "list"};
    return kNames[phase];
  }

  uint32_t ChainsIn(int phase) const override {
    switch (phase) {
      case kProbePhase: return 1;
      case kUsersPhase: return options_.users;
      case kUpdatesPhase: return ChangedCount();
      case kGroupsPhase: return options_.groups;
      case kListPhase: return 2;  // /Users and /Groups
    }
    return 0;
  }

  bool StartChain(int phase, uint32_t i, Step& step) override {
    switch (phase) {
      case kProbePhase: step = {Kind::kProbe, 0, 0}; return true;
      case kUsersPhase: step = {Kind::kGetFilterUser, i, 0}; return true;
      case kUpdatesPhase: {
        const uint32_t u = ChangedUser(i);
        if (user_ids_[u].empty()) return false;
        step = i % kDeactivateEvery == kDeactivateEvery - 1
                   ? Step{Kind::kPatchUser, u, kDeactivate}
                   : Step{Kind::kPutUser, u, 1 + i % kDeactivateEvery};
        return true;
      }
      case kGroupsPhase: step = {Kind::kGetFilterGroup, i, 0}; return true;
      case kListPhase: step = {Kind::kGetListPage, i, 0}; return true;
    }
    return false;
  }

  void OnPhaseStart(int phase) override {
    if (phase == kGroupsPhase) {
      for (uint32_t g = 0; g < groups_.size(); ++g) PlanGroup(g);
    } else if (phase == kListPhase) {
      for (const std::string& id : user_ids_) {
        if (!id.empty()) known_[0].insert(id);
      }
      for (const Group& g : groups_) {
        if (!g.id.empty()) known_[1].insert(g.id);
      }
    }
  }

  void Render(const Step& step, Request& r) override {
    const uint32_t op = step.op;
    switch (step.kind) {
      case Kind::kProbe: RenderProbe(step, r); return;
      case Kind::kGetFilterUser:
      case Kind::kGetVerifyUser: {
        const std::string name = PersonOf(options_.seed, op).user_name;
        const bool upper = step.kind == Kind::kGetVerifyUser || op % kUpperEvery == 3;
        r.method = "GET";
        r.target = OktaUserFilter(upper ? Upper(name) : name);
        return;
      }
      case Kind::kPostUser:
        r.method = "POST";
        r.target = "/Users";
        r.body = OktaUserBody(PersonOf(options_.seed, op), kPassword);
        return;
      case Kind::kPutUser:
        r.method = "PUT";
        r.target = "/Users/" + user_ids_[op];
        r.body = OktaPutBody(PersonOf(options_.seed, op), user_ids_[op], step.arg);
        return;
      case Kind::kPatchUser:
        r.method = "PATCH";
        r.target = "/Users/" + user_ids_[op];
        r.body = OktaDeactivatePatch();
        return;
      case Kind::kGetFilterGroup:
        r.method = "GET";
        r.target = OktaGroupFilter(GroupNameOf(options_.seed, op));
        return;
      case Kind::kPostGroup:
        r.method = "POST";
        r.target = "/Groups";
        r.body = OktaGroupBody(GroupNameOf(options_.seed, op));
        return;
      case Kind::kPatchGroupMembers: {
        const Group& group = groups_[op];
        r.method = "PATCH";
        r.target = "/Groups/" + group.id;
        if (step.arg == kRemoveOne) {
          r.body = OktaRemoveMemberPatch(user_ids_[group.plan.front()]);
          return;
        }
        std::vector<std::pair<std::string_view, std::string>> members;
        for (uint32_t u : BatchOf(op, step.arg)) {
          members.emplace_back(user_ids_[u], PersonOf(options_.seed, u).user_name);
        }
        r.body = OktaAddMembersPatch(members);
        return;
      }
      case Kind::kGetListPage:
        r.method = "GET";
        r.target = std::string(op == 0 ? "/Users?" : "/Groups?excludedAttributes=members&") +
                   "startIndex=" + std::to_string(1 + uint64_t{step.arg} * kPageSize) +
                   "&count=" + std::to_string(kPageSize);
        return;
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
            Then(Kind::kPutUser, op, 0);
            break;
          case Lookup::kWrong: break;
        }
        return;
      case Kind::kPostUser:
        if (!CheckCreated(step, status, body, &id)) return;
        user_ids_[op] = std::move(id);
        ++counters_.users_created;
        if (Verified(op)) Then(Kind::kGetVerifyUser, op, kAfterCreate);
        return;
      case Kind::kGetVerifyUser: {
        const Lookup lookup =
            CheckLookup(step, status, body, PersonOf(options_.seed, op).user_name, true, &found);
        if (lookup == Lookup::kAbsent) {
          Wrong(step, "the filter (userName in capitals) does not find the user just written");
        } else if (lookup == Lookup::kFound && found.id != user_ids_[op]) {
          Wrong(step, "the filter finds id " + found.id + ", the create answered " + user_ids_[op]);
        } else if (lookup == Lookup::kFound && step.arg == kAfterDeactivate && found.active != 0) {
          Wrong(step, "deactivated but the filter returns active " +
                          std::string(found.active == 1 ? "true" : "absent"));
        }
        return;
      }
      case Kind::kPutUser:
        if (CheckUpdated(step, status, body, user_ids_[op]) && step.arg != 0) {
          ++counters_.users_changed;
        }
        return;
      case Kind::kPatchUser:
        if (!CheckUpdated(step, status, body, user_ids_[op])) return;
        ++counters_.users_disabled;
        Then(Kind::kGetVerifyUser, op, kAfterDeactivate);
        return;
      case Kind::kGetFilterGroup: HandleGroupLookup(step, status, body); return;
      case Kind::kPostGroup: HandleGroupCreated(step, status, body); return;
      case Kind::kPatchGroupMembers: HandleMembers(step, status, body); return;
      case Kind::kGetListPage: HandlePage(step, status, body); return;
      default: return;
    }
  }

 private:
  void HandleMembers(const Step& step, int status, std::string_view body) {
    Group& group = groups_[step.op];
    if (!CheckUpdated(step, status, body, group.id)) return;
    if (step.arg == kRemoveOne) {
      group.members.erase(group.plan.front());
      ++counters_.members_removed;
      return;
    }
    for (uint32_t u : BatchOf(step.op, step.arg)) {
      if (group.members.insert(u).second) ++counters_.members_added;
    }
    if (step.arg + 1 < group.batches) {
      Then(Kind::kPatchGroupMembers, step.op, step.arg + 1);
    } else if (group.plan.size() >= 2) {
      Then(Kind::kPatchGroupMembers, step.op, kRemoveOne);
    }
  }

  void HandlePage(const Step& step, int status, std::string_view body) {
    const uint32_t op = step.op;  // 0: /Users, 1: /Groups
    const int64_t start = 1 + int64_t{step.arg} * kPageSize;
    if (status != 200) return Wrong(step, Excerpt(status, body));
    ListAnswer list;
    std::string error;
    if (!ReadListAnswer(body, &list, &error)) return Wrong(step, "not a ListResponse: " + error);
    if (error = CheckListWindow(list, start, kPageSize); !error.empty()) {
      return Wrong(step, error);
    }
    if (list.start_index >= 0 && list.start_index != start) {
      return Wrong(
          step, "startIndex " + std::to_string(list.start_index) + " for " + std::to_string(start));
    }
    const char* type = op == 0 ? "users" : "groups";
    if (step.arg == 0) {
      total_[op] = list.total_results;
      if (static_cast<size_t>(list.total_results) < known_[op].size()) {
        return Wrong(step, "totalResults " + std::to_string(list.total_results) +
                               " but this run "
                               "wrote " +
                               std::to_string(known_[op].size()) + " " + type);
      }
    } else if (list.total_results != total_[op]) {
      return Wrong(step, "totalResults changed from " + std::to_string(total_[op]) + " to " +
                             std::to_string(list.total_results) + " while nothing was written");
    }
    for (const ResourceSummary& r : list.resources) seen_[op] += known_[op].count(r.id);
    if (start + kPageSize <= list.total_results && step.arg + 1 < kMaxListPages) {
      Then(Kind::kGetListPage, op, step.arg + 1);
    } else if (seen_[op] != known_[op].size()) {
      Wrong(step, "the pages hold " + std::to_string(seen_[op]) + " of the " +
                      std::to_string(known_[op].size()) + " " + type + " this run wrote");
    }
  }

  std::unordered_set<std::string> known_[2];  // ids this run wrote: users, groups
  int64_t total_[2] = {0, 0};                 // totalResults of the first page
  size_t seen_[2] = {0, 0};                   // known ids met in the pages so far
};

}  // namespace

std::unique_ptr<Workload> MakeOkta(const ProfileOptions& options, Stats& stats) {
  return std::make_unique<OktaProfile>(options, stats);
}

}  // namespace scimd::scimload
