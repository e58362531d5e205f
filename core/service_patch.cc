// Service::Patch: RFC 7644 §3.5.2 on top of the PATCH engine (core/patch.h). The whole
// request is one transaction: any failing operation leaves the resource untouched.
#include "core/auth.h"
#include "core/patch.h"
#include "core/service.h"
#include "core/service_internal.h"

namespace scimd::core {

using internal::LockedResource;
using internal::LockForUpdate;
using internal::NotFound;
using internal::WithRetry;

Response Service::Patch(const RequestContext& ctx, ResourceType type, std::string_view id_text,
                        std::string_view body, const PatchParams& params) {
  auto id = ResourceId::Parse(id_text);
  if (!id.ok()) return Error(NotFound(type, id_text));
  auto json = Json::Parse(body);
  if (!json.ok()) return Error(json.status());
  auto ops = ParsePatchRequest(*json);
  if (!ops.ok()) return Error(ops.status());
  auto projection = ParseProjection(type, params.attributes, params.excluded_attributes);
  if (!projection.ok()) return Error(projection.status());

  StoredHeader header;
  std::string value;
  std::optional<std::string> new_hash;  // computed once, outside the retry loop
  bool hashed = false;
  Status s = WithRetry([&]() -> Status {
    auto txn = store_.Begin(ctx.tenant);
    SCIMD_ASSIGN_OR_RETURN(LockedResource old,
                           LockForUpdate(*txn, type, *id, id_text, params.if_match));
    const StoredHeader& old_header = old.header;
    const Json& old_attrs = old.attrs;
    SCIMD_ASSIGN_OR_RETURN(PatchOutcome outcome,
                           ApplyPatch(type, old_attrs, *ops, ctx.settings.decode));

    // Membership: each change costs O(members it names), in request order.
    bool members_changed = false;
    for (auto& change : outcome.members) {
      switch (change.kind) {
        case MemberChange::Kind::kRemoveAll: {
          // Counted in this transaction's view: edges added by earlier operations of this
          // request count, edges an earlier operation removed do not.
          SCIMD_ASSIGN_OR_RETURN(uint64_t removed, txn->RemoveAllMembers(*id));
          members_changed = members_changed || removed > 0;
          break;
        }
        case MemberChange::Kind::kRemove:
          for (const auto& member : change.ids) {
            SCIMD_ASSIGN_OR_RETURN(bool removed, txn->RemoveMember(*id, member));
            members_changed = members_changed || removed;
          }
          break;
        case MemberChange::Kind::kAdd: {
          size_t added = 0;
          SCIMD_RETURN_IF_ERROR(AddMembers(*txn, ctx, *id, change.members, &added));
          members_changed = members_changed || added > 0;
          break;
        }
      }
    }
    if (outcome.attrs_changed) {
      const std::vector<IndexedAttr>& indexed = ctx.settings.Indexed();
      SCIMD_RETURN_IF_ERROR(
          ApplyIndexDiff(*txn, type, *id, IndexEntriesOf(type, old_attrs, indexed),
                         IndexEntriesOf(type, outcome.attrs, indexed), outcome.attrs));
    }
    header = old_header;
    if (outcome.password_changed) {
      if (outcome.password && !hashed) {
        SCIMD_ASSIGN_OR_RETURN(new_hash, HashPassword(*outcome.password));
        hashed = true;
      }
      header.password_hash = outcome.password ? *new_hash : std::string();
    }
    if (!outcome.attrs_changed && !members_changed && !outcome.password_changed) {
      value = old.value;  // nothing changed: no write, no new version
      return Status::Ok();
    }
    header.version = old_header.version + 1;
    header.modified_us = NowMicros();
    value = EncodeStored(header, outcome.attrs);
    SCIMD_RETURN_IF_ERROR(txn->PutResource(type, *id, value));
    return txn->Commit();
  });
  if (!s.ok()) return Error(s);

  bool no_content = params.prefer_minimal || ctx.settings.patch_no_content;
  if (!no_content && type == ResourceType::kGroup && params.attributes.empty() &&
      params.excluded_attributes.empty()) {
    // The 200 body would be the whole membership, O(group size) for a change of a few
    // members: a group too large to render inline is answered 204, which RFC 7644
    // §3.5.2 allows; a client that names attributes or excludedAttributes still gets 200.
    Result<uint64_t> members = store_.CountMembers(ctx.tenant, *id);
    no_content = members.ok() && *members > internal::kInlineMemberLimit;
  }
  if (no_content) {
    Response r;
    r.status = 204;
    r.headers.emplace_back("ETag", WeakEtag(header.version));
    return r;
  }
  const auto split = SplitStored(value);
  return RenderOne(ctx, type, *id, header, split->second, *projection, 200);
}

}  // namespace scimd::core
