// Service::Patch: RFC 7644 §3.5.2 on top of the PATCH engine (core/usecase/patch.h). The whole
// request is one transaction: any failing operation leaves the resource untouched.
#include <algorithm>

#include "core/resource/index_entries.h"
#include "core/resource/required.h"
#include "core/tenancy/auth.h"
#include "core/usecase/patch.h"
#include "core/usecase/service.h"
#include "core/usecase/service_internal.h"

namespace scimd::core {

using internal::ChangedAttributes;
using internal::LockedResource;
using internal::LockForUpdate;
using internal::RunTransaction;

Result<WriteResult> Service::Patch(const RequestContext& ctx, ResourceType type,
                                   const ResourceId& id, const std::vector<PatchOperation>& ops,
                                   std::string_view if_match) {
  return PatchImpl(ctx, type, id, ops, if_match, true);
}

Result<WriteResult> Service::PatchImpl(const RequestContext& ctx, ResourceType type,
                                       const ResourceId& id, const std::vector<PatchOperation>& ops,
                                       std::string_view if_match, bool check_required) {
  WriteResult result;
  StoredHeader header;
  std::string value;
  std::optional<std::string> new_hash;  // computed once, outside the retry loop
  bool hashed = false;
  SCIMD_RETURN_IF_ERROR(RunTransaction(ctx, [&]() -> Status {
    auto txn = store_.Begin(ctx.tenant);
    SCIMD_ASSIGN_OR_RETURN(LockedResource old, LockForUpdate(*txn, type, id, if_match));
    const StoredHeader& old_header = old.header;
    const Json& old_attrs = old.attrs;
    SCIMD_ASSIGN_OR_RETURN(PatchOutcome outcome,
                           ApplyPatch(type, old_attrs, ops, ctx.settings.decode));
    if (check_required && type == ResourceType::kUser && ctx.settings.required) {
      SCIMD_RETURN_IF_ERROR(CheckRequired(*ctx.settings.required, outcome.attrs));
    }
    result.warnings.clear();

    // Membership: each change costs O(members it names), in request order.
    bool members_changed = false;
    for (auto& change : outcome.members) {
      switch (change.kind) {
        case MemberChange::Kind::kRemoveAll: {
          // Counted in this transaction's view: edges added by earlier operations of this
          // request count, edges an earlier operation removed do not.
          SCIMD_ASSIGN_OR_RETURN(uint64_t removed, txn->RemoveAllMembers(id));
          members_changed = members_changed || removed > 0;
          break;
        }
        case MemberChange::Kind::kRemove:
          for (const auto& member : change.ids) {
            SCIMD_ASSIGN_OR_RETURN(bool removed, txn->RemoveMember(id, member));
            members_changed = members_changed || removed;
          }
          break;
        case MemberChange::Kind::kAdd: {
          size_t added = 0;
          SCIMD_RETURN_IF_ERROR(AddMembers(*txn, ctx, id, change.members, result.warnings, &added));
          members_changed = members_changed || added > 0;
          break;
        }
      }
    }
    result.changed_attributes.clear();
    if (outcome.attrs_changed) {
      const std::vector<IndexedAttr>& indexed = ctx.settings.Maintained();
      SCIMD_RETURN_IF_ERROR(ApplyIndexDiff(*txn, type, id, IndexEntriesOf(type, old_attrs, indexed),
                                           IndexEntriesOf(type, outcome.attrs, indexed),
                                           outcome.attrs));
      result.changed_attributes = ChangedAttributes(old_attrs, outcome.attrs);
    }
    if (members_changed) result.changed_attributes.push_back("members");
    if (outcome.password_changed) result.changed_attributes.push_back("password");
    header = old_header;
    if (outcome.password_changed) {
      if (outcome.password && !hashed) {
        SCIMD_ASSIGN_OR_RETURN(new_hash, HashPassword(*outcome.password));
        hashed = true;
      }
      header.password_hash = outcome.password ? *new_hash : std::string();
    }
    result.changed = outcome.attrs_changed || members_changed || outcome.password_changed;
    if (!result.changed) {
      value = old.value;  // nothing changed: no write, no new version
      return Status::Ok();
    }
    header.version = old_header.version + 1;
    header.modified_us = ctx.NowMicros();
    value = EncodeStored(header, outcome.attrs);
    SCIMD_RETURN_IF_ERROR(txn->PutResource(type, id, value));
    return txn->Commit();
  }));
  std::sort(result.changed_attributes.begin(), result.changed_attributes.end());
  SCIMD_ASSIGN_OR_RETURN(result.resource, StoredResource::FromValue(type, id, std::move(value)));
  return result;
}

}  // namespace scimd::core
