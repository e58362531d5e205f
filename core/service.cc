#include "core/service.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include "core/auth.h"
#include "core/limits.h"
#include "core/schema.h"
#include "core/service_internal.h"
#include "core/strings.h"

namespace scimd::core {

using internal::AttachBody;
using internal::BodyItem;
using internal::BodyStream;
using internal::EtagListMatches;
using internal::JsonResponse;
using internal::LockedResource;
using internal::LockForUpdate;
using internal::NotFound;
using internal::WithRetry;

using internal::kContentType;
using internal::kInlineMemberLimit;
using internal::kMaxNestingVisits;
using internal::kMembersPerPiece;

namespace internal {

Response JsonResponse(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", std::string(kContentType));
  return r;
}

Status WithRetry(const std::function<Status()>& fn) {
  // Lock conflicts last as long as the winner's transaction: microseconds for most writes,
  // milliseconds for a PATCH adding thousands of members. Yield first, then back off
  // exponentially (this stalls only this reactor thread), up to a deadline.
  const auto deadline = std::chrono::steady_clock::now() + kBusyRetryDeadline;
  auto pause = std::chrono::microseconds(20);
  for (int attempt = 0;; ++attempt) {
    Status s = fn();
    if (!s.Is(Status::Code::kBusy)) return s;
    if (std::chrono::steady_clock::now() > deadline) break;
    if (attempt < kBusyYields) {
      std::this_thread::yield();
      continue;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(kMaxBusyPauseMicros));
  }
  return Status::Busy("the resource is being changed by other requests; retry shortly");
}

std::string ResourceLabel(ResourceType type, std::string_view id) {
  return std::string(ResourceTypeName(type)) + " \"" + std::string(id) + "\"";
}

Status NotFound(ResourceType type, std::string_view id) {
  return Status::NotFound(ResourceLabel(type, id) + " not found");
}

// Whether an If-Match / If-None-Match header value lists `etag` (or is "*").
bool EtagListMatches(std::string_view header, const std::string& etag) {
  size_t start = 0;
  while (start < header.size()) {
    size_t comma = header.find(',', start);
    if (comma == std::string_view::npos) comma = header.size();
    const std::string_view item = TrimSpaces(header.substr(start, comma - start));
    if (item == "*" || item == etag) return true;
    // A strong tag "N" matches our weak W/"N" (weak comparison, RFC 9110 §8.8.3.2).
    if (etag.size() > 2 && item == std::string_view(etag).substr(2)) return true;
    start = comma + 1;
  }
  return false;
}

Result<LockedResource> LockForUpdate(Transaction& txn, ResourceType type, const ResourceId& id,
                                     std::string_view id_text, std::string_view if_match) {
  auto value = txn.GetResourceForUpdate(type, id);
  if (!value.ok()) {
    return value.status().Is(Status::Code::kNotFound) ? NotFound(type, id_text) : value.status();
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

bool BodyStream::Next(std::string& out) {
  if (!started_) {
    out += prefix_;
    started_ = true;
  }
  while (index_ < items_.size()) {
    BodyItem& item = items_[index_];
    if (!item_open_) {
      if (index_ > 0) out.push_back(',');
      out += item.head;
      item.head.clear();
      item.head.shrink_to_fit();
      item_open_ = true;
      if (item.members_of) out += ",\"members\":[";
    }
    if (item.members_of && !members_done_) {
      size_t n = 0;
      Status s = store_.ScanMembers(
          tenant_, *item.members_of, last_member_,
          [&](const ResourceId& member, ResourceType type, std::string_view display) {
            if (wrote_member_) out.push_back(',');
            wrote_member_ = true;
            RenderMember(member, type, display, base_url_, out);
            last_member_ = member;
            return ++n < kMembersPerPiece;
          });
      // A store failure mid-stream cannot change the status line any more: end the
      // list where it is (the body stays valid JSON).
      if (!s.ok() || n < kMembersPerPiece) members_done_ = true;
      if (!members_done_) return true;  // more members: hand this piece out
    }
    if (item.members_of) out.push_back(']');
    out.push_back('}');
    ++index_;
    item_open_ = false;
    members_done_ = false;
    wrote_member_ = false;
    last_member_.reset();
    if (out.size() >= 64 * 1024 && index_ < items_.size()) return true;
  }
  out += suffix_;
  suffix_.clear();
  return false;
}

void AttachBody(Response& r, std::shared_ptr<BodyStream> stream, bool small) {
  if (small) {
    while (stream->Next(r.body)) {
    }
    return;
  }
  r.stream = [stream](std::string& out) { return stream->Next(out); };
}

}  // namespace internal

Response Service::Error(const Status& status) {
  const StatusHttp http = ToHttp(status.code());
  Response r;
  r.status = http.http_status;
  if (http.http_status == 304) return r;
  std::string body = "{\"schemas\":[\"";
  body += kErrorSchema;
  body += "\"],\"status\":\"";
  body += std::to_string(http.http_status);
  body += "\"";
  if (!http.scim_type.empty()) {
    body += ",\"scimType\":\"";
    body += http.scim_type;
    body += "\"";
  }
  body += ",\"detail\":";
  AppendJsonString(body, status.detail());
  body += "}";
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", std::string(kContentType));
  if (http.http_status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"scimd\"");
  if (status.Is(Status::Code::kBusy)) r.headers.emplace_back("Retry-After", "1");
  return r;
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

Status Service::AddMembers(Transaction& txn, const RequestContext& ctx, const ResourceId& group,
                           std::vector<MemberRef>& members, size_t* added_count) {
  for (auto& m : members) {
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
      if (ctx.settings.decode.ignore_unknown_members) continue;
      return Status::InvalidValue("member \"" + m.id.ToString() + "\" does not exist");
    }
    m.type = found;
    if (*found == ResourceType::kGroup) SCIMD_RETURN_IF_ERROR(CheckNoCycle(ctx, group, m.id));
    SCIMD_ASSIGN_OR_RETURN(bool added, txn.AddMember(group, m.id, *found, m.display));
    if (added && added_count != nullptr) ++*added_count;  // a present member is no error
  }
  return Status::Ok();
}

Response Service::RenderOne(const RequestContext& ctx, ResourceType type, const ResourceId& id,
                            const StoredHeader& header, std::string_view attrs_json,
                            const Projection& projection, int status) {
  Response r = JsonResponse(status, "");
  r.headers.emplace_back("ETag", WeakEtag(header.version));
  std::string head;
  RenderResource(type, id, header, attrs_json, ctx.base_url, projection, head);
  if (type == ResourceType::kGroup && projection.WantsMembers()) {
    auto count = store_.CountMembers(ctx.tenant, id);
    if (!count.ok()) return Error(count.status());
    if (*count == 0) {  // no members: the attribute is unassigned, and omitted
      r.body = std::move(head);
      FinishResource(r.body);
      return r;
    }
    std::vector<BodyItem> items;
    items.push_back({std::move(head), id});
    auto stream =
        std::make_shared<BodyStream>(store_, ctx.tenant, ctx.base_url, "", std::move(items), "");
    AttachBody(r, std::move(stream), *count <= kInlineMemberLimit);
    return r;
  }
  if (type == ResourceType::kUser && projection.WantsGroups()) {
    if (Status s = AppendUserGroups(ctx, id, head); !s.ok()) return Error(s);
  }
  r.body = std::move(head);
  FinishResource(r.body);
  return r;
}

Status Service::AppendUserGroups(const RequestContext& ctx, const ResourceId& user,
                                 std::string& out) {
  // Direct groups from member_of, then their ancestors (indirect), breadth first with
  // every group visited once and the walk bounded.
  struct Found {
    ResourceId id;
    bool direct;
  };
  std::vector<Found> found;
  auto seen = [&](const ResourceId& g) {
    for (const auto& f : found) {
      if (f.id == g) return true;
    }
    return false;
  };
  SCIMD_RETURN_IF_ERROR(store_.ScanMemberOf(ctx.tenant, user, [&](const ResourceId& g) {
    found.push_back({g, true});
    return found.size() < kMaxNestingVisits;
  }));
  for (size_t next = 0; next < found.size() && found.size() < kMaxNestingVisits; ++next) {
    const ResourceId group = found[next].id;
    SCIMD_RETURN_IF_ERROR(store_.ScanMemberOf(ctx.tenant, group, [&](const ResourceId& up) {
      if (!seen(up)) found.push_back({up, false});
      return found.size() < kMaxNestingVisits;
    }));
  }
  if (found.empty()) return Status::Ok();
  std::string items;
  for (const auto& f : found) {
    std::string display;
    auto value = store_.GetResource(ctx.tenant, ResourceType::kGroup, f.id);
    if (value.ok()) {
      auto split = SplitStored(*value);
      if (split.ok()) {
        auto attrs = Json::Parse(split->second);
        if (attrs.ok()) {
          if (const Json* d = attrs->Find("displayName"); d != nullptr && d->is_string()) {
            display = d->as_string();
          }
        }
      }
    } else if (value.status().Is(Status::Code::kNotFound)) {
      continue;  // an edge left behind by an interrupted delete of a large group
    } else {
      return value.status();
    }
    if (!items.empty()) items.push_back(',');
    const std::string gid = f.id.ToString();
    items += "{\"value\":\"" + gid + "\",\"$ref\":";
    AppendJsonString(items, ctx.base_url + "/Groups/" + gid);
    if (!display.empty()) {
      items += ",\"display\":";
      AppendJsonString(items, display);
    }
    items += f.direct ? ",\"type\":\"direct\"}" : ",\"type\":\"indirect\"}";
  }
  if (!items.empty()) out += ",\"groups\":[" + items + "]";
  return Status::Ok();
}

Response Service::Create(const RequestContext& ctx, ResourceType type, std::string_view body) {
  auto json = Json::Parse(body);
  if (!json.ok()) return Error(json.status());
  auto input = DecodeInput(type, *json, ctx.settings.decode);
  if (!input.ok()) return Error(input.status());
  InputResource& in = *input;

  const ResourceId id = ResourceId::Generate();
  const int64_t now = NowMicros();
  StoredHeader header{1, now, now, ""};
  if (in.password && !in.password->empty()) {
    auto hash = HashPassword(*in.password);
    if (!hash.ok()) return Error(hash.status());
    header.password_hash = std::move(hash).value();
  }
  const std::string value = EncodeStored(header, in.attrs);
  const IndexEntries entries = IndexEntriesOf(type, in.attrs, ctx.settings.Indexed());

  Status s = WithRetry([&]() -> Status {
    auto txn = store_.Begin(ctx.tenant);
    SCIMD_RETURN_IF_ERROR(ApplyIndexDiff(*txn, type, id, {}, entries, in.attrs));
    if (type == ResourceType::kGroup) {
      SCIMD_RETURN_IF_ERROR(AddMembers(*txn, ctx, id, in.members));
    }
    SCIMD_RETURN_IF_ERROR(txn->PutResource(type, id, value));
    SCIMD_RETURN_IF_ERROR(txn->AdjustResourceCount(type, 1));
    return txn->Commit();
  });
  if (!s.ok()) return Error(s);

  const auto split = SplitStored(value);
  Response r = RenderOne(ctx, type, id, header, split->second, Projection{}, 201);
  const auto& rt = SchemaRegistry::Default().resource_type(type);
  r.headers.emplace_back("Location", ctx.base_url + rt.endpoint + "/" + id.ToString());
  return r;
}

Response Service::Get(const RequestContext& ctx, ResourceType type, std::string_view id_text,
                      const ReadParams& params) {
  auto id = ResourceId::Parse(id_text);
  if (!id.ok()) return Error(NotFound(type, id_text));
  auto value = store_.GetResource(ctx.tenant, type, *id);
  if (!value.ok()) {
    return Error(value.status().Is(Status::Code::kNotFound) ? NotFound(type, id_text)
                                                            : value.status());
  }
  auto split = SplitStored(*value);
  if (!split.ok()) return Error(split.status());
  const auto& [header, attrs_json] = *split;
  if (!params.if_none_match.empty() &&
      EtagListMatches(params.if_none_match, WeakEtag(header.version))) {
    Response r;
    r.status = 304;
    r.headers.emplace_back("ETag", WeakEtag(header.version));
    return r;
  }
  auto projection = ParseProjection(type, params.attributes, params.excluded_attributes);
  if (!projection.ok()) return Error(projection.status());
  return RenderOne(ctx, type, *id, header, attrs_json, *projection, 200);
}

Response Service::Replace(const RequestContext& ctx, ResourceType type, std::string_view id_text,
                          std::string_view body, std::string_view if_match) {
  auto id = ResourceId::Parse(id_text);
  if (!id.ok()) return Error(NotFound(type, id_text));
  auto json = Json::Parse(body);
  if (!json.ok()) return Error(json.status());
  auto input = DecodeInput(type, *json, ctx.settings.decode);
  if (!input.ok()) return Error(input.status());
  InputResource& in = *input;
  const IndexEntries entries = IndexEntriesOf(type, in.attrs, ctx.settings.Indexed());
  // A PUT without a password keeps the stored one: clients (Okta) replace users without
  // resending the write-only password, and clearing it would be a surprise.
  std::optional<std::string> new_hash;
  if (in.password && !in.password->empty()) {
    auto hash = HashPassword(*in.password);
    if (!hash.ok()) return Error(hash.status());
    new_hash = std::move(hash).value();
  }

  StoredHeader header;
  std::string value;
  Status s = WithRetry([&]() -> Status {
    auto txn = store_.Begin(ctx.tenant);
    SCIMD_ASSIGN_OR_RETURN(LockedResource old, LockForUpdate(*txn, type, *id, id_text, if_match));
    const StoredHeader& old_header = old.header;
    SCIMD_RETURN_IF_ERROR(ApplyIndexDiff(*txn, type, *id,
                                         IndexEntriesOf(type, old.attrs, ctx.settings.Indexed()),
                                         entries, in.attrs));
    bool members_changed = false;
    if (type == ResourceType::kGroup) {
      // PUT replaces the whole membership (RFC 7644 §3.5.1); an absent "members" clears it.
      SCIMD_ASSIGN_OR_RETURN(uint64_t removed, txn->RemoveAllMembers(*id));
      SCIMD_RETURN_IF_ERROR(AddMembers(*txn, ctx, *id, in.members));
      members_changed = removed > 0 || !in.members.empty();
    }
    std::string new_json = in.attrs.Serialize();
    header = old_header;
    if (new_hash) header.password_hash = *new_hash;
    if (members_changed || new_json != old.attrs.Serialize() || new_hash) {
      header.version = old_header.version + 1;
      header.modified_us = NowMicros();
    }
    value = EncodeStored(header, in.attrs);
    SCIMD_RETURN_IF_ERROR(txn->PutResource(type, *id, value));
    return txn->Commit();
  });
  if (!s.ok()) return Error(s);
  const auto split = SplitStored(value);
  return RenderOne(ctx, type, *id, header, split->second, Projection{}, 200);
}

Response Service::Delete(const RequestContext& ctx, ResourceType type, std::string_view id_text,
                         std::string_view if_match) {
  auto id = ResourceId::Parse(id_text);
  if (!id.ok()) return Error(NotFound(type, id_text));
  if (type == ResourceType::kUser && ctx.settings.soft_delete) {
    // delete-policy=soft: deprovision instead of removing (the user stays findable).
    PatchParams p;
    p.if_match = if_match;
    p.prefer_minimal = true;
    Response r = Patch(ctx, type, id_text,
                       R"({"Operations":[{"op":"replace","path":"active","value":false}]})", p);
    if (r.status == 200 || r.status == 204) {
      r.status = 204;
      r.body.clear();
      r.stream = nullptr;
      r.headers.clear();
    }
    return r;
  }
  // A group's edges go in the same transaction as the group, however many: RemoveAllMembers
  // needs ~80 bytes of commit batch per edge and no per-edge lock (docs/PERFORMANCE.md #6).
  Status s = WithRetry([&]() -> Status {
    auto txn = store_.Begin(ctx.tenant);
    SCIMD_ASSIGN_OR_RETURN(LockedResource old, LockForUpdate(*txn, type, *id, id_text, if_match));
    SCIMD_RETURN_IF_ERROR(ApplyIndexDiff(
        *txn, type, *id, IndexEntriesOf(type, old.attrs, ctx.settings.Indexed()), {}, old.attrs));
    if (type == ResourceType::kGroup) SCIMD_RETURN_IF_ERROR(txn->RemoveAllMembers(*id).status());
    SCIMD_RETURN_IF_ERROR(txn->RemoveFromAllGroups(*id));
    SCIMD_RETURN_IF_ERROR(txn->DeleteResource(type, *id));
    SCIMD_RETURN_IF_ERROR(txn->AdjustResourceCount(type, -1));
    return txn->Commit();
  });
  if (!s.ok()) return Error(s);
  Response r;
  r.status = 204;
  return r;
}

}  // namespace scimd::core
