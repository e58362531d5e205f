#include "tools/scimload/profile.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "tools/scimload/idp_requests.h"

namespace scimd::scimload {

// Defined by profile_entra.cc and profile_okta.cc.
std::unique_ptr<Workload> MakeEntraInitial(const ProfileOptions& options, Stats& stats);
std::unique_ptr<Workload> MakeEntraIncremental(const ProfileOptions& options, Stats& stats);
std::unique_ptr<Workload> MakeOkta(const ProfileOptions& options, Stats& stats);

namespace {

bool EqualsCi(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

constexpr int64_t kNoCount = std::numeric_limits<int64_t>::max();

}  // namespace

bool ParseProfile(std::string_view name, Profile* profile) {
  for (Profile p : {Profile::kEntraInitial, Profile::kEntraIncremental, Profile::kOkta}) {
    if (name == ProfileName(p)) {
      *profile = p;
      return true;
    }
  }
  return false;
}

std::string_view ProfileName(Profile profile) {
  switch (profile) {
    case Profile::kEntraInitial: return "entra-initial";
    case Profile::kEntraIncremental: return "entra-incremental";
    case Profile::kOkta: return "okta";
  }
  return "?";
}

std::unique_ptr<Workload> MakeWorkload(Profile profile, const ProfileOptions& options,
                                       Stats& stats) {
  switch (profile) {
    case Profile::kEntraInitial: return MakeEntraInitial(options, stats);
    case Profile::kEntraIncremental: return MakeEntraIncremental(options, stats);
    case Profile::kOkta: return MakeOkta(options, stats);
  }
  return nullptr;
}

ProfileBase::ProfileBase(const ProfileOptions& options, Stats& stats, int phases, bool okta)
    : options_(options),
      stats_(stats),
      user_ids_(options.users),
      groups_(options.groups),
      phases_(phases),
      okta_(okta) {
  std::random_device random;
  probe_guid_ =
      GuidOf((uint64_t{random()} << 32) | random(), (uint64_t{random()} << 32) | random());
}

// ---- Phases ------------------------------------------------------------------------------

void ProfileBase::Advance() {
  // Bounded by the number of phases.
  while (phase_ < phases_) {
    if (phase_ >= 0 && (next_chain_ < ChainsIn(phase_) || outstanding_ > 0 || !ready_.empty())) {
      return;
    }
    ++phase_;
    next_chain_ = 0;
    if (phase_ < phases_) OnPhaseStart(phase_);
  }
}

bool ProfileBase::Next(Step& step) {
  if (phase_ < 0) Advance();
  // Each round hands out a step, skips an operation with nothing to do, or ends a phase:
  // bounded by the operations of all phases.
  for (;;) {
    if (!ready_.empty()) {
      step = ready_.front();
      ready_.pop_front();
      ++outstanding_;
      return true;
    }
    if (phase_ >= phases_) return false;
    if (next_chain_ < ChainsIn(phase_)) {
      if (StartChain(phase_, next_chain_++, step)) {
        ++outstanding_;
        return true;
      }
      continue;
    }
    if (outstanding_ > 0) return false;
    Advance();
  }
}

void ProfileBase::OnAnswer(const Step& step, int status, std::string_view body) {
  --outstanding_;
  if (step.kind == Kind::kProbe) {
    HandleProbe(step, status, body);
  } else {
    Handle(step, status, body);
  }
}

void ProfileBase::OnAbandoned(const Step& step) {
  // The operation ends here: users without ids are left out of groups, groups without ids
  // get no members. Without a test connection there is no sync.
  --outstanding_;
  if (step.kind == Kind::kProbe) StopAfterProbe();
}

void ProfileBase::StopAfterProbe() {
  phase_ = phases_;
  ready_.clear();
}

bool ProfileBase::Done() const { return phase_ >= phases_ && ready_.empty() && outstanding_ == 0; }

std::string ProfileBase::Progress() const {
  if (phase_ < 0) return "starting";
  if (phase_ >= phases_) return "done";
  return "phase " + std::string(PhaseName(phase_)) + ": " + std::to_string(next_chain_) + "/" +
         std::to_string(ChainsIn(phase_)) + " operations started";
}

// ---- The test-connection probe -----------------------------------------------------------

bool ProfileBase::RenderProbe(const Step& step, Request& request) const {
  request.method = "GET";
  switch (step.arg) {
    case 0:
      request.target = okta_ ? "/Users?startIndex=1&count=2" : EntraUserFilter(probe_guid_);
      return true;
    case 1:
      request.target = okta_ ? OktaUserFilter(probe_guid_) : EntraGroupFilter(probe_guid_);
      return true;
    case 2: request.target = "/ServiceProviderConfig"; return true;
  }
  return false;
}

void ProfileBase::HandleProbe(const Step& step, int status, std::string_view body) {
  std::string error;
  if (status != 200) {
    error = Excerpt(status, body);
  } else if (step.arg == 2) {
    ResourceSummary config;
    if (!ReadResource(body, &config, &error)) error = "ServiceProviderConfig: " + error;
  } else {
    ListAnswer list;
    const bool window = okta_ && step.arg == 0;
    if (!ReadListAnswer(body, &list, &error)) {
      error = "not a ListResponse: " + error;
    } else if (error = CheckListWindow(list, 1, window ? 2 : kNoCount); error.empty()) {
      if (!window && list.total_results != 0) {
        error = "a filter on a random guid found " + std::to_string(list.total_results);
      }
    }
  }
  if (!error.empty()) {
    // A provider stops at a failed test connection; so do we.
    Wrong(step, "failed: " + error);
    StopAfterProbe();
    return;
  }
  if (step.arg < 2) Then(Kind::kProbe, 0, step.arg + 1);
}

// ---- Checks ------------------------------------------------------------------------------

std::string ProfileBase::Excerpt(int status, std::string_view body) {
  constexpr size_t kMaxExcerpt = 200;
  std::string text = "answered " + std::to_string(status);
  if (!body.empty()) {
    text += ": ";
    for (char c : body.substr(0, kMaxExcerpt)) text.push_back(c == '\n' || c == '\r' ? ' ' : c);
    if (body.size() > kMaxExcerpt) text += "...";
  }
  return text;
}

void ProfileBase::Wrong(const Step& step, const std::string& what) {
  std::string who;
  switch (step.kind) {
    case Kind::kProbe: who = "test connection"; break;
    case Kind::kGetFilterGroup:
    case Kind::kPostGroup: who = "group " + std::to_string(step.op); break;
    case Kind::kPatchGroupMembers: who = "group operation " + std::to_string(step.op); break;
    case Kind::kGetListPage: who = "page " + std::to_string(step.arg); break;
    default:
      who = "user " + std::to_string(step.op) + " (" + PersonOf(options_.seed, step.op).user_name +
            ")";
  }
  stats_.WrongAnswer(step.kind, who + ": " + what);
}

ProfileBase::Lookup ProfileBase::CheckLookup(const Step& step, int status, std::string_view body,
                                             std::string_view name, bool user,
                                             ResourceSummary* found) {
  if (status != 200) {
    Wrong(step, Excerpt(status, body));
    return Lookup::kWrong;
  }
  ListAnswer list;
  std::string error;
  if (!ReadListAnswer(body, &list, &error)) {
    Wrong(step, "not a ListResponse: " + error);
    return Lookup::kWrong;
  }
  if (error = CheckListWindow(list, 1, okta_ ? 100 : kNoCount); !error.empty()) {
    Wrong(step, error);
    return Lookup::kWrong;
  }
  if (list.total_results == 0) return Lookup::kAbsent;
  if (list.total_results > 1) {
    Wrong(step, std::to_string(list.total_results) + " resources named \"" + std::string(name) +
                    "\"" + (user ? " (userName is unique)" : " (this run made one)"));
    return Lookup::kWrong;
  }
  const ResourceSummary& r = list.resources[0];
  const std::string& got = user ? r.user_name : r.display_name;
  if (!EqualsCi(got, name)) {
    Wrong(step, "the filter for \"" + std::string(name) + "\" returned \"" + got + "\"");
    return Lookup::kWrong;
  }
  *found = r;
  return Lookup::kFound;
}

void ProfileBase::HandleGroupLookup(const Step& step, int status, std::string_view body) {
  ResourceSummary found;
  switch (CheckLookup(step, status, body, GroupNameOf(options_.seed, step.op), false, &found)) {
    case Lookup::kAbsent: Then(Kind::kPostGroup, step.op); break;
    case Lookup::kFound:
      groups_[step.op].id = found.id;
      ++counters_.groups_found;
      StartMembers(step.op);
      break;
    case Lookup::kWrong: break;
  }
}

void ProfileBase::HandleGroupCreated(const Step& step, int status, std::string_view body) {
  std::string id;
  if (!CheckCreated(step, status, body, &id)) return;
  groups_[step.op].id = std::move(id);
  ++counters_.groups_created;
  StartMembers(step.op);
}

bool ProfileBase::CheckCreated(const Step& step, int status, std::string_view body,
                               std::string* id) {
  if (status != 201) {
    Wrong(step, "create " + Excerpt(status, body));
    return false;
  }
  ResourceSummary created;
  std::string error;
  if (!ReadResource(body, &created, &error) || created.id.empty()) {
    Wrong(step, "201 without an id: " + (error.empty() ? Excerpt(status, body) : error));
    return false;
  }
  *id = std::move(created.id);
  return true;
}

bool ProfileBase::CheckUpdated(const Step& step, int status, std::string_view body,
                               std::string_view id) {
  if (status == 204) return true;
  if (status != 200) {
    Wrong(step, "update " + Excerpt(status, body));
    return false;
  }
  if (body.empty()) return true;
  ResourceSummary updated;
  std::string error;
  if (!ReadResource(body, &updated, &error)) {
    Wrong(step, "200 with a body that is not a resource: " + error);
    return false;
  }
  if (!updated.id.empty() && updated.id != id) {
    Wrong(step, "200 with the resource " + updated.id + " for " + std::string(id));
    return false;
  }
  return true;
}

// ---- Groups and the changed users --------------------------------------------------------

void ProfileBase::PlanGroup(uint32_t g) {
  Group& group = groups_[g];
  group.plan.clear();
  const uint64_t users = options_.users;
  const uint64_t size = std::min<uint64_t>(options_.group_size, users);
  if (size == 0) return;
  // Members offset + j * stride (mod users) for j < size: distinct when stride and users
  // are coprime; deterministic for a seed.
  std::mt19937_64 rng(options_.seed * 1'000'003 + g);
  const uint64_t offset = rng() % users;
  uint64_t stride = 1;
  for (int tries = 0; tries < 64 && users > 2; ++tries) {
    const uint64_t candidate = 1 + rng() % (users - 1);
    if (std::gcd(candidate, users) == 1) {
      stride = candidate;
      break;
    }
  }
  for (uint64_t j = 0; j < size; ++j) {
    const auto u = static_cast<uint32_t>((offset + j * stride) % users);
    if (!user_ids_[u].empty()) group.plan.push_back(u);
  }
  const uint32_t batch = std::max<uint32_t>(1, options_.member_batch);
  group.batches = static_cast<uint32_t>((group.plan.size() + batch - 1) / batch);
}

std::vector<uint32_t> ProfileBase::BatchOf(uint32_t g, uint32_t batch) const {
  const std::vector<uint32_t>& plan = groups_[g].plan;
  const size_t size = std::max<uint32_t>(1, options_.member_batch);
  const size_t begin = std::min(plan.size(), static_cast<size_t>(batch) * size);
  const size_t end = std::min(plan.size(), begin + size);
  return std::vector<uint32_t>(plan.begin() + begin, plan.begin() + end);
}

uint32_t ProfileBase::ChangedCount() const {
  if (options_.users == 0 || options_.change_percent <= 0) return 0;
  const double n = std::ceil(options_.users * std::min(100.0, options_.change_percent) / 100.0);
  return std::clamp<uint32_t>(static_cast<uint32_t>(n), 1, options_.users);
}

uint32_t ProfileBase::ChangedUser(uint32_t k) const {
  return static_cast<uint32_t>(uint64_t{k} * options_.users / ChangedCount());
}

bool ProfileBase::Verified(uint32_t user) const {
  return options_.verify_every > 0 && user % options_.verify_every == 0;
}

// ---- Report ------------------------------------------------------------------------------

void ProfileBase::AppendJson(JsonWriter& json) const {
  json.Key("directory").BeginObject();
  json.Key("users_created").Uint(counters_.users_created);
  json.Key("users_found").Uint(counters_.users_found);
  json.Key("users_changed").Uint(counters_.users_changed);
  json.Key("users_disabled").Uint(counters_.users_disabled);
  json.Key("groups_created").Uint(counters_.groups_created);
  json.Key("groups_found").Uint(counters_.groups_found);
  json.Key("members_added").Uint(counters_.members_added);
  json.Key("members_removed").Uint(counters_.members_removed);
  json.Key("members_moved").Uint(counters_.members_moved);
  json.EndObject();
  size_t members = 0;
  for (const Group& g : groups_) members += g.members.size();
  const bool list_members = members <= kMaxReportedMembers;
  json.Key("groups").BeginArray();
  for (uint32_t g = 0; g < groups_.size(); ++g) {
    json.BeginObject();
    json.Key("displayName").String(GroupNameOf(options_.seed, g));
    json.Key("id").String(groups_[g].id);
    json.Key("member_count").Uint(groups_[g].members.size());
    if (list_members) {
      std::vector<std::string_view> ids;
      for (uint32_t u : groups_[g].members) ids.push_back(user_ids_[u]);
      std::sort(ids.begin(), ids.end());
      json.Key("member_ids").BeginArray();
      for (std::string_view id : ids) json.String(id);
      json.EndArray();
    }
    json.EndObject();
  }
  json.EndArray();
}

void ProfileBase::AppendText(std::string& out) const {
  const Counters& c = counters_;
  out += "directory: users " + std::to_string(c.users_created) + " created, " +
         std::to_string(c.users_found) + " found, " + std::to_string(c.users_changed) +
         " changed, " + std::to_string(c.users_disabled) + " disabled; groups " +
         std::to_string(c.groups_created) + " created, " + std::to_string(c.groups_found) +
         " found; members " + std::to_string(c.members_added) + " added, " +
         std::to_string(c.members_removed) + " removed, " + std::to_string(c.members_moved) +
         " moved\n";
}

}  // namespace scimd::scimload
