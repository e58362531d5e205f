// The profiles (entra-initial, entra-incremental, okta) and what they share: ProfileBase
// runs a profile's phases one after another (a phase's operations all start before the
// next phase begins, e.g. groups after every user has an id), keeps the directory it
// builds (users' and groups' ids, the members the server confirmed) and the checks of
// answers that every profile makes. Single-threaded, like the runner that calls it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "tools/scimload/scim_reply.h"
#include "tools/scimload/stats.h"
#include "tools/scimload/workload.h"

namespace scimd::scimload {

// The member ids of each group are listed in the report while the groups hold at most
// this many members in all; above it only counts (a report stays readable).
constexpr size_t kMaxReportedMembers = 10'000;
// The list walk of the okta profile reads at most this many pages per resource type.
constexpr uint32_t kMaxListPages = 100'000;
// Entra ID's member batch (IDP-BEHAVIOUR.md: "One PATCH may carry hundreds of member
// operations"); --member-batch changes it.
constexpr uint32_t kDefaultMemberBatch = 500;

struct ProfileOptions {
  uint32_t users = 0;
  uint32_t groups = 0;
  uint32_t group_size = 0;  // members per group (at most `users`)
  uint64_t seed = 1;
  uint32_t verify_every = 10;  // a created user in this many is looked up again; 0: none
  double change_percent = 5;   // incremental and okta: share of users changed
  uint32_t member_batch = kDefaultMemberBatch;
};

enum class Profile { kEntraInitial, kEntraIncremental, kOkta };
bool ParseProfile(std::string_view name, Profile* profile);
std::string_view ProfileName(Profile profile);
std::unique_ptr<Workload> MakeWorkload(Profile profile, const ProfileOptions& options,
                                       Stats& stats);

class ProfileBase : public Workload {
 public:
  bool Next(Step& step) final;
  void OnAnswer(const Step& step, int status, std::string_view body) final;
  void OnAbandoned(const Step& step) final;
  bool Done() const final;
  std::string Progress() const override;
  void AppendJson(JsonWriter& json) const override;
  void AppendText(std::string& out) const override;

 protected:
  struct Group {
    std::string id;
    std::vector<uint32_t> plan;            // users to add (with ids), in batch order
    std::unordered_set<uint32_t> members;  // users the server confirmed as members
    uint32_t batches = 0;                  // member batches of `plan`
  };
  struct Counters {
    uint64_t users_created = 0, users_found = 0, users_changed = 0, users_disabled = 0;
    uint64_t groups_created = 0, groups_found = 0;
    uint64_t members_added = 0, members_removed = 0, members_moved = 0;
  };

  ProfileBase(const ProfileOptions& options, Stats& stats, int phases, bool okta);

  // A profile's phases: phase p runs ChainsIn(p) operations; StartChain gives operation
  // i's first step, or false when it has none.
  virtual uint32_t ChainsIn(int phase) const = 0;
  virtual bool StartChain(int phase, uint32_t i, Step& step) = 0;
  virtual void OnPhaseStart(int phase) {}
  virtual std::string_view PhaseName(int phase) const = 0;
  // The answer (not injected, not 429) to a step of the profile's own.
  virtual void Handle(const Step& step, int status, std::string_view body) = 0;

  // Makes a step ready (the next of an operation).
  void Then(Kind kind, uint32_t op, uint32_t arg = 0) { ready_.push_back({kind, op, arg}); }

  // The test-connection probe, phase 0 of every profile.
  bool RenderProbe(const Step& step, Request& request) const;
  void HandleProbe(const Step& step, int status, std::string_view body);

  // Checks. Each records a wrong answer when the answer is not what it expects.
  enum class Lookup { kAbsent, kFound, kWrong };
  // A filter GET for one userName (or displayName): 200, a consistent ListResponse with
  // 0 or 1 match, the match named `name` case-insensitively; `found` gets the match.
  Lookup CheckLookup(const Step& step, int status, std::string_view body, std::string_view name,
                     bool user, ResourceSummary* found);
  // A create: 201 with an id.
  bool CheckCreated(const Step& step, int status, std::string_view body, std::string* id);
  // A write answered 200 (with the resource `id` when a body came) or 204.
  bool CheckUpdated(const Step& step, int status, std::string_view body, std::string_view id);
  void Wrong(const Step& step, const std::string& what);
  static std::string Excerpt(int status, std::string_view body);

  // Group push, alike in every profile: the displayName lookup (absent: a POST; found: its
  // members), the create, then the first batch of members (StartMembers).
  void HandleGroupLookup(const Step& step, int status, std::string_view body);
  void HandleGroupCreated(const Step& step, int status, std::string_view body);
  void StartMembers(uint32_t g) {
    if (groups_[g].batches > 0) Then(Kind::kPatchGroupMembers, g, 0);
  }

  // Groups: the planned members of group g, those with ids put into batches.
  void PlanGroup(uint32_t g);
  std::vector<uint32_t> BatchOf(uint32_t g, uint32_t batch) const;
  // Users changed by the incremental phases: the k-th of ChangedCount(), spread evenly.
  uint32_t ChangedCount() const;
  uint32_t ChangedUser(uint32_t k) const;
  bool Verified(uint32_t user) const;  // looked up again after its create

  const ProfileOptions options_;
  Stats& stats_;
  std::vector<std::string> user_ids_;  // "" while unknown
  std::vector<Group> groups_;
  Counters counters_;

 private:
  void Advance();
  // A provider does not sync when its test connection fails: the workload ends.
  void StopAfterProbe();
  std::deque<Step> ready_;
  const int phases_;
  const bool okta_;
  int phase_ = -1;
  uint32_t next_chain_ = 0;
  uint64_t outstanding_ = 0;  // steps handed out and not yet answered or abandoned
  std::string probe_guid_;
};

}  // namespace scimd::scimload
