// core::Service: creates, replacements, deletes and reads by id; the transaction retry
// policy. PATCH is in service_patch.cc, searches in service_search.cc.
#include "core/usecase/service.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "core/base/strings.h"
#include "core/resource/index_entries.h"
#include "core/resource/required.h"
#include "core/resource/schema.h"
#include "core/tenancy/auth.h"
#include "core/usecase/service_internal.h"

namespace scimd::core {

namespace internal {

Status RunTransaction(const RequestContext& ctx, const std::function<Status()>& attempt) {
  if (!ctx.may_wait) {
    for (int i = 0; i < kInlineBusyAttempts; ++i) {
      Status s = attempt();
      if (!s.Is(Status::Code::kBusy)) return s;
    }
    return Status::Busy("the resource is being changed by another request");
  }
  // Lock conflicts last as long as the winner's transaction: microseconds for most writes,
  // milliseconds for a PATCH adding thousands of members, a second or two for clearing a
  // million members. Yield first, then back off exponentially, up to a deadline.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::microseconds(kBusyRetryDeadlineMicros);
  auto pause = std::chrono::microseconds(20);
  for (int i = 0;; ++i) {
    Status s = attempt();
    if (!s.Is(Status::Code::kBusy)) return s;
    if (std::chrono::steady_clock::now() > deadline) break;
    if (i < kBusyYields) {
      std::this_thread::yield();
      continue;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(kMaxBusyPauseMicros));
  }
  return Status::Busy("the resource is being changed by other requests; retry shortly");
}

Result<LockedResource> LockForUpdate(Transaction& txn, ResourceType type, const ResourceId& id,
                                     std::string_view if_match) {
  auto value = txn.GetResourceForUpdate(type, id);
  if (!value.ok()) {
    return value.status().Is(Status::Code::kNotFound) ? ResourceNotFound(type, id.ToString())
                                                      : value.status();
  }
  LockedResource r;
  r.value = std::move(value).value();
  SCIMD_ASSIGN_OR_RETURN(auto split, SplitStored(r.value));
  r.header = std::move(split.first);
  if (!if_match.empty() && !EtagListMatches(if_match, WeakEtag(r.header.version))) {
    return Status::PreconditionFailed("If-Match does not match the current version " +
                                      WeakEtag(r.header.version));
  }
  SCIMD_ASSIGN_OR_RETURN(r.attrs, Json::Parse(split.second));
  return r;
}

std::vector<std::string> ChangedAttributes(const Json& before, const Json& after) {
  // Top-level attributes compare whole; an extension (a URN key) compares attribute by
  // attribute and reports "<urn>:<name>". "schemas" follows from the others.
  std::vector<std::string> out;
  auto compare = [&](const Json* a, const Json* b, const std::string& prefix, auto& self) -> void {
    auto names = [](const Json* o, std::vector<std::string>& into) {
      if (o == nullptr || !o->is_object()) return;
      for (const auto& [k, v] : o->as_object()) {
        if (std::find(into.begin(), into.end(), k) == into.end()) into.push_back(k);
      }
    };
    std::vector<std::string> keys;
    names(a, keys);
    names(b, keys);
    for (const auto& k : keys) {
      if (prefix.empty() && k == "schemas") continue;
      const Json* x = a != nullptr && a->is_object() ? a->Find(k) : nullptr;
      const Json* y = b != nullptr && b->is_object() ? b->Find(k) : nullptr;
      if (prefix.empty() && k.find(':') != std::string::npos) {
        self(x, y, k + ":", self);
        continue;
      }
      const bool same =
          (x == nullptr) == (y == nullptr) && (x == nullptr || x->Serialize() == y->Serialize());
      if (!same) out.push_back(prefix + k);
    }
  };
  compare(before.is_object() ? &before : nullptr, after.is_object() ? &after : nullptr, "",
          compare);
  return out;
}

}  // namespace internal

using internal::ChangedAttributes;
using internal::LockedResource;
using internal::LockForUpdate;
using internal::RunTransaction;

Status ResourceNotFound(ResourceType type, std::string_view id_text) {
  return Status::NotFound(std::string(ResourceTypeName(type)) + " \"" + std::string(id_text) +
                          "\" not found");
}

bool EtagListMatches(std::string_view header, std::string_view etag) {
  size_t start = 0;
  while (start < header.size()) {
    size_t comma = header.find(',', start);
    if (comma == std::string_view::npos) comma = header.size();
    const std::string_view item = TrimSpaces(header.substr(start, comma - start));
    if (item == "*" || item == etag) return true;
    if (etag.size() > 2 && item == etag.substr(2)) return true;
    start = comma + 1;
  }
  return false;
}

void SearchQuery::SetPage(std::optional<int64_t> start, std::optional<int64_t> page_size) {
  if (start) start_index = *start < 1 ? 1 : static_cast<uint64_t>(*start);
  if (page_size) count = *page_size < 0 ? 0 : static_cast<uint64_t>(*page_size);
  count = std::min<uint64_t>(count, kMaxPageSize);
}

Status Service::CheckNoCycle(const RequestContext& ctx, const ResourceId& parent,
                             const ResourceId& child) {
  // Adding `child` (a group) to `parent` closes a cycle iff `child` is `parent` or one of
  // its ancestors: walk up from `parent` through member_of.
  if (parent == child) return Status::InvalidValue("a group cannot be a member of itself");
  std::vector<ResourceId> frontier = {parent};
  std::vector<ResourceId> seen;
  while (!frontier.empty()) {
    ResourceId g = frontier.back();
    frontier.pop_back();
    bool cycle = false;
    Status s = store_.ScanMemberOf(ctx.tenant, g, [&](const ResourceId& up) {
      if (up == child) {
        cycle = true;
        return false;
      }
      for (const auto& x : seen) {
        if (x == up) return true;
      }
      seen.push_back(up);
      frontier.push_back(up);
      return seen.size() < kMaxNestingVisits;
    });
    SCIMD_RETURN_IF_ERROR(s);
    if (cycle) {
      return Status::InvalidValue("adding group \"" + child.ToString() + "\" to group \"" +
                                  parent.ToString() + "\" would create a membership cycle");
    }
    if (seen.size() >= kMaxNestingVisits) {
      return Status::InvalidValue("group nesting is too deep to check for cycles");
    }
  }
  return Status::Ok();
}

namespace {

// Appends a warning, bounded by kMaxWriteWarnings (the last one counts the rest).
void Warn(std::vector<std::string>& warnings, std::string text, size_t& dropped) {
  if (warnings.size() + 1 < kMaxWriteWarnings) {
    warnings.push_back(std::move(text));
    return;
  }
  ++dropped;
  const std::string more = "and " + std::to_string(dropped) + " more members skipped";
  if (warnings.size() < kMaxWriteWarnings) {
    warnings.push_back(more);
  } else {
    warnings.back() = more;
  }
}

}  // namespace

Status Service::AddMembers(Transaction& txn, const RequestContext& ctx, const ResourceId& group,
                           std::vector<MemberRef>& members, std::vector<std::string>& warnings,
                           size_t* added_count) {
  size_t dropped = 0;
  for (auto& m : members) {
    if (!m.unparsed.empty()) {
      Warn(warnings, "member \"" + m.unparsed + "\" is not a resource id; skipped", dropped);
      continue;
    }
    // Lock the member so it cannot be deleted before this commit (no dangling edges).
    std::optional<ResourceType> found;
    for (ResourceType t : {ResourceType::kUser, ResourceType::kGroup}) {
      if (m.type && *m.type != t) continue;
      auto r = txn.GetResourceForUpdate(t, m.id);
      if (r.ok()) {
        found = t;
        break;
      }
      if (!r.status().Is(Status::Code::kNotFound)) return r.status();
    }
    if (!found) {
      if (!ctx.settings.decode.ignore_unknown_members) {
        return Status::InvalidValue("member \"" + m.id.ToString() + "\" does not exist");
      }
      Warn(warnings, "member \"" + m.id.ToString() + "\" does not exist; skipped", dropped);
      continue;
    }
    m.type = found;
    if (*found == ResourceType::kGroup) SCIMD_RETURN_IF_ERROR(CheckNoCycle(ctx, group, m.id));
    SCIMD_ASSIGN_OR_RETURN(bool added, txn.AddMember(group, m.id, *found, m.display));
    if (added && added_count != nullptr) ++*added_count;  // a present member is no error
  }
  return Status::Ok();
}

Result<WriteResult> Service::Create(const RequestContext& ctx, ResourceType type,
                                    InputResource in) {
  if (type == ResourceType::kUser && ctx.settings.required) {
    SCIMD_RETURN_IF_ERROR(CheckRequired(*ctx.settings.required, in.attrs));
  }
  const ResourceId id = ResourceId::Generate();
  const int64_t now = ctx.NowMicros();
  StoredHeader header{1, now, now, ""};
  if (in.password && !in.password->empty()) {
    SCIMD_ASSIGN_OR_RETURN(header.password_hash, HashPassword(*in.password));
  }
  std::string value = EncodeStored(header, in.attrs);
  const IndexEntries entries = TakeIndexEntries(type, in, ctx.settings.Maintained());

  WriteResult result;
  SCIMD_RETURN_IF_ERROR(RunTransaction(ctx, [&]() -> Status {
    auto txn = store_.Begin(ctx.tenant);
    result.warnings.clear();
    SCIMD_RETURN_IF_ERROR(ApplyIndexDiff(*txn, type, id, {}, entries, in.attrs));
    if (type == ResourceType::kGroup) {
      SCIMD_RETURN_IF_ERROR(AddMembers(*txn, ctx, id, in.members, result.warnings));
    }
    SCIMD_RETURN_IF_ERROR(txn->PutResource(type, id, value));
    SCIMD_RETURN_IF_ERROR(txn->AdjustResourceCount(type, 1));
    return txn->Commit();
  }));

  result.changed = true;
  result.changed_attributes = ChangedAttributes(Json(), in.attrs);
  if (!in.members.empty()) result.changed_attributes.push_back("members");
  if (!header.password_hash.empty()) result.changed_attributes.push_back("password");
  std::sort(result.changed_attributes.begin(), result.changed_attributes.end());
  SCIMD_ASSIGN_OR_RETURN(result.resource, StoredResource::FromValue(type, id, std::move(value)));
  return result;
}

Result<StoredResource> Service::Get(const RequestContext& ctx, ResourceType type,
                                    const ResourceId& id) {
  auto value = store_.GetResource(ctx.tenant, type, id);
  if (!value.ok()) {
    return value.status().Is(Status::Code::kNotFound) ? ResourceNotFound(type, id.ToString())
                                                      : value.status();
  }
  return StoredResource::FromValue(type, id, std::move(value).value());
}

Result<WriteResult> Service::Replace(const RequestContext& ctx, ResourceType type,
                                     const ResourceId& id, InputResource in,
                                     std::string_view if_match) {
  if (type == ResourceType::kUser && ctx.settings.required) {
    SCIMD_RETURN_IF_ERROR(CheckRequired(*ctx.settings.required, in.attrs));
  }
  const IndexEntries entries = TakeIndexEntries(type, in, ctx.settings.Maintained());
  // A PUT without a password keeps the stored one: clients (Okta) replace users without
  // resending the write-only password, and clearing it would be a surprise.
  std::optional<std::string> new_hash;
  if (in.password && !in.password->empty()) {
    SCIMD_ASSIGN_OR_RETURN(new_hash, HashPassword(*in.password));
  }

  WriteResult result;
  StoredHeader header;
  std::string value;
  SCIMD_RETURN_IF_ERROR(RunTransaction(ctx, [&]() -> Status {
    auto txn = store_.Begin(ctx.tenant);
    SCIMD_ASSIGN_OR_RETURN(LockedResource old, LockForUpdate(*txn, type, id, if_match));
    const StoredHeader& old_header = old.header;
    SCIMD_RETURN_IF_ERROR(ApplyIndexDiff(*txn, type, id,
                                         IndexEntriesOf(type, old.attrs, ctx.settings.Maintained()),
                                         entries, in.attrs));
    bool members_changed = false;
    result.warnings.clear();
    if (type == ResourceType::kGroup) {
      // PUT replaces the whole membership (RFC 7644 §3.5.1); an absent "members" clears it.
      SCIMD_ASSIGN_OR_RETURN(uint64_t removed, txn->RemoveAllMembers(id));
      SCIMD_RETURN_IF_ERROR(AddMembers(*txn, ctx, id, in.members, result.warnings));
      members_changed = removed > 0 || !in.members.empty();
    }
    result.changed_attributes = ChangedAttributes(old.attrs, in.attrs);
    if (members_changed) result.changed_attributes.push_back("members");
    if (new_hash) result.changed_attributes.push_back("password");
    header = old_header;
    if (new_hash) header.password_hash = *new_hash;
    result.changed = !result.changed_attributes.empty();
    if (result.changed) {
      header.version = old_header.version + 1;
      header.modified_us = ctx.NowMicros();
    }
    value = EncodeStored(header, in.attrs);
    SCIMD_RETURN_IF_ERROR(txn->PutResource(type, id, value));
    return txn->Commit();
  }));
  std::sort(result.changed_attributes.begin(), result.changed_attributes.end());
  SCIMD_ASSIGN_OR_RETURN(result.resource, StoredResource::FromValue(type, id, std::move(value)));
  return result;
}

Result<DeleteResult> Service::Delete(const RequestContext& ctx, ResourceType type,
                                     const ResourceId& id, std::string_view if_match) {
  if (type == ResourceType::kUser && ctx.settings.soft_delete) {
    // delete-policy=soft: deprovision instead of removing (the user stays findable).
    PatchOperation deactivate;
    deactivate.op = PatchOperation::Op::kReplace;
    deactivate.path = "active";
    deactivate.value = Json::Bool(false);
    deactivate.has_value = true;
    SCIMD_RETURN_IF_ERROR(PatchImpl(ctx, type, id, {deactivate}, if_match, false).status());
    return DeleteResult{true};
  }
  // A group's edges go in the same transaction as the group, however many: RemoveAllMembers
  // needs ~80 bytes of commit batch per edge and no per-edge lock (docs/PERFORMANCE.md #6).
  SCIMD_RETURN_IF_ERROR(RunTransaction(ctx, [&]() -> Status {
    auto txn = store_.Begin(ctx.tenant);
    SCIMD_ASSIGN_OR_RETURN(LockedResource old, LockForUpdate(*txn, type, id, if_match));
    SCIMD_RETURN_IF_ERROR(ApplyIndexDiff(
        *txn, type, id, IndexEntriesOf(type, old.attrs, ctx.settings.Maintained()), {}, old.attrs));
    if (type == ResourceType::kGroup) SCIMD_RETURN_IF_ERROR(txn->RemoveAllMembers(id).status());
    SCIMD_RETURN_IF_ERROR(txn->RemoveFromAllGroups(id));
    SCIMD_RETURN_IF_ERROR(txn->DeleteResource(type, id));
    SCIMD_RETURN_IF_ERROR(txn->AdjustResourceCount(type, -1));
    return txn->Commit();
  }));
  return DeleteResult{false};
}

Result<uint64_t> Service::CountMembers(const RequestContext& ctx, const ResourceId& group) {
  return store_.CountMembers(ctx.tenant, group);
}

Status Service::ScanMembers(const RequestContext& ctx, const ResourceId& group,
                            const std::optional<ResourceId>& start_after,
                            const MemberVisitor& visit) {
  return store_.ScanMembers(ctx.tenant, group, start_after, visit);
}

Result<std::vector<GroupMembership>> Service::GroupsOf(const RequestContext& ctx,
                                                       const ResourceId& user) {
  // Direct groups from member_of, then their ancestors (indirect), breadth first with
  // every group visited once and the walk bounded.
  std::vector<GroupMembership> found;
  auto seen = [&](const ResourceId& g) {
    for (const auto& f : found) {
      if (f.group == g) return true;
    }
    return false;
  };
  SCIMD_RETURN_IF_ERROR(store_.ScanMemberOf(ctx.tenant, user, [&](const ResourceId& g) {
    found.push_back({g, "", true});
    return found.size() < kMaxNestingVisits;
  }));
  for (size_t next = 0; next < found.size() && found.size() < kMaxNestingVisits; ++next) {
    const ResourceId group = found[next].group;
    SCIMD_RETURN_IF_ERROR(store_.ScanMemberOf(ctx.tenant, group, [&](const ResourceId& up) {
      if (!seen(up)) found.push_back({up, "", false});
      return found.size() < kMaxNestingVisits;
    }));
  }
  std::vector<GroupMembership> out;
  out.reserve(found.size());
  for (auto& f : found) {
    auto value = store_.GetResource(ctx.tenant, ResourceType::kGroup, f.group);
    if (!value.ok()) {
      // An edge whose group is gone cannot be committed (deletes remove edges in the same
      // transaction), but a read between snapshots may still meet one: skip it.
      if (value.status().Is(Status::Code::kNotFound)) continue;
      return value.status();
    }
    if (auto split = SplitStored(*value); split.ok()) {
      if (auto attrs = Json::Parse(split->second); attrs.ok()) {
        if (const Json* d = attrs->Find("displayName"); d != nullptr && d->is_string()) {
          f.display = d->as_string();
        }
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace scimd::core
