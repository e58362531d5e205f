#include "core/service.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <memory>
#include <thread>

#include "core/auth.h"
#include "core/limits.h"
#include "core/schema.h"
#include "core/service_internal.h"
#include "core/filter.h"
#include "core/index_sort.h"
#include "core/sort.h"

namespace scimd::core {

using internal::ApplyIndexDiff;
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
    std::string_view item = header.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "*" || item == etag) return true;
    // A strong tag "N" matches our weak W/"N" (weak comparison, RFC 9110 §8.8.3.2).
    if (etag.size() > 2 && item == std::string_view(etag).substr(2)) return true;
    start = comma + 1;
  }
  return false;
}

std::string UniqueDetail(ResourceType type, const IndexTerm& term, const Json& attrs) {
  for (const auto& ia : SchemaRegistry::Default().indexed()) {
    if (ia.type == type && ia.id == term.attr) {
      const Json* v = attrs.Find(ia.path);
      std::string value = v != nullptr && v->is_string() ? v->as_string() : term.value.string;
      std::string detail = ia.path + " ";
      AppendJsonString(detail, value);
      detail += " is already in use by another " + std::string(ResourceTypeName(type));
      return detail;
    }
  }
  return "a unique attribute is already in use";
}

template <typename T>
bool Contains(const std::vector<T>& v, const T& x) {
  for (const auto& y : v) {
    if (y == x) return true;
  }
  return false;
}

// Applies the difference between a resource's old and new index entries to a transaction:
// unique claims first (a conflict fails before anything else is written), then value and
// presence entries. `new_attrs` names the conflicting value in a uniqueness error.
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

Status ApplyIndexDiff(Transaction& txn, ResourceType type, const ResourceId& id,
                      const IndexEntries& old_entries, const IndexEntries& new_entries,
                      const Json& new_attrs) {
  for (const auto& t : new_entries.unique) {
    if (Contains(old_entries.unique, t)) continue;
    Status s = txn.ClaimUnique(type, t, id);
    if (s.Is(Status::Code::kUniqueness)) {
      return Status::Uniqueness(UniqueDetail(type, t, new_attrs));
    }
    SCIMD_RETURN_IF_ERROR(s);
  }
  for (const auto& t : old_entries.unique) {
    if (!Contains(new_entries.unique, t)) SCIMD_RETURN_IF_ERROR(txn.ReleaseUnique(type, t));
  }
  for (const auto& t : old_entries.values) {
    if (!Contains(new_entries.values, t)) SCIMD_RETURN_IF_ERROR(txn.RemoveIndex(type, t, id));
  }
  for (const auto& t : new_entries.values) {
    if (!Contains(old_entries.values, t)) SCIMD_RETURN_IF_ERROR(txn.AddIndex(type, t, id));
  }
  for (AttrId a : old_entries.presence) {
    if (!Contains(new_entries.presence, a)) SCIMD_RETURN_IF_ERROR(txn.RemovePresence(type, a, id));
  }
  for (AttrId a : new_entries.presence) {
    if (!Contains(old_entries.presence, a)) SCIMD_RETURN_IF_ERROR(txn.AddPresence(type, a, id));
  }
  return Status::Ok();
}

}  // namespace internal

namespace {

Result<int64_t> ParseQueryInt(std::string_view name, std::string_view text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec == std::errc::result_out_of_range) {
    return text.front() == '-' ? INT64_MIN : INT64_MAX;
  }
  if (ec != std::errc() || ptr != end) {
    return Status(Status::Code::kInvalidValue,
                  std::string(name) + " must be an integer, not \"" + std::string(text) + "\"");
  }
  return v;
}

// One resource of a response body, rendered up to (not including) its closing brace,
// plus the group whose members follow it, if any.
struct BodyItem {
  std::string head;
  std::optional<ResourceId> members_of;
};

// Produces a body made of `prefix`, the items separated by commas, and `suffix`,
// streaming each group's members from the store in bounded pieces.
class BodyStream {
 public:
  BodyStream(Store& store, TenantId tenant, std::string base_url, std::string prefix,
             std::vector<BodyItem> items, std::string suffix)
      : store_(store),
        tenant_(tenant),
        base_url_(std::move(base_url)),
        prefix_(std::move(prefix)),
        items_(std::move(items)),
        suffix_(std::move(suffix)) {}

  // Appends the next piece; false once the last piece has been appended.
  bool Next(std::string& out) {
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

 private:
  Store& store_;
  TenantId tenant_;
  std::string base_url_;
  std::string prefix_;
  std::vector<BodyItem> items_;
  std::string suffix_;
  bool started_ = false;
  size_t index_ = 0;
  bool item_open_ = false;
  bool members_done_ = false;
  bool wrote_member_ = false;
  std::optional<ResourceId> last_member_;
};

// X-Scimd-Plan quotes client filter literals: at most this many bytes of it are sent
// (a filter is at most kMaxFilterLength; plan text adds a little per node).
constexpr size_t kMaxPlanHeaderBytes = 4096;

// A header value made of `text`: control bytes (CR, LF, ...) and non-ASCII bytes become
// spaces / '?', so a filter literal can never split or forge a header; bounded length.
std::string HeaderSafe(std::string_view text) {
  std::string out;
  out.reserve(std::min(text.size(), kMaxPlanHeaderBytes + 3));
  for (char c : text) {
    if (out.size() >= kMaxPlanHeaderBytes) {
      out += "...";
      break;
    }
    const auto b = static_cast<unsigned char>(c);
    out.push_back(b < 0x20 || b == 0x7F ? ' ' : b >= 0x80 ? '?' : c);
  }
  return out;
}

// The filter as residual(...) names it: without the parentheses around the top term.
std::string FilterText(const CompiledFilter& filter) {
  std::string text = filter.bound().ToString();
  const auto k = filter.bound().root->kind;
  if ((k == BoundNode::Kind::kCompare || k == BoundNode::Kind::kPresent ||
       k == BoundNode::Kind::kAnd || k == BoundNode::Kind::kOr) &&
      text.size() >= 2) {
    text = text.substr(1, text.size() - 2);
  }
  return text;
}

// Sends `stream` inline when the body is known to be small, else as a stream.
void AttachBody(Response& r, std::shared_ptr<BodyStream> stream, bool small) {
  if (small) {
    while (stream->Next(r.body)) {
    }
    return;
  }
  r.stream = [stream](std::string& out) { return stream->Next(out); };
}

}  // namespace

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
    auto stream = std::make_shared<BodyStream>(store_, ctx.tenant, ctx.base_url, "",
                                               std::move(items), "");
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
  out += ",\"groups\":[";
  bool first = true;
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
    } else if (!value.status().Is(Status::Code::kNotFound)) {
      return value.status();
    }
    if (!first) out.push_back(',');
    first = false;
    const std::string gid = f.id.ToString();
    out += "{\"value\":\"" + gid + "\",\"$ref\":";
    AppendJsonString(out, ctx.base_url + "/Groups/" + gid);
    if (!display.empty()) {
      out += ",\"display\":";
      AppendJsonString(out, display);
    }
    out += f.direct ? ",\"type\":\"direct\"}" : ",\"type\":\"indirect\"}";
  }
  out.push_back(']');
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
  const IndexEntries entries = IndexEntriesOf(type, in.attrs);

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
  const IndexEntries entries = IndexEntriesOf(type, in.attrs);
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
    SCIMD_RETURN_IF_ERROR(
        ApplyIndexDiff(*txn, type, *id, IndexEntriesOf(type, old.attrs), entries, in.attrs));
    bool members_changed = false;
    if (type == ResourceType::kGroup) {
      // PUT replaces the whole membership (RFC 7644 §3.5.1); an absent "members" clears it.
      SCIMD_ASSIGN_OR_RETURN(uint64_t before, store_.CountMembers(ctx.tenant, *id));
      if (before > 0 || !in.members.empty()) {
        SCIMD_RETURN_IF_ERROR(txn->RemoveAllMembers(*id));
        SCIMD_RETURN_IF_ERROR(AddMembers(*txn, ctx, *id, in.members));
        members_changed = true;
      }
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
  Status s = WithRetry([&]() -> Status {
    auto txn = store_.Begin(ctx.tenant);
    SCIMD_ASSIGN_OR_RETURN(LockedResource old, LockForUpdate(*txn, type, *id, id_text, if_match));
    SCIMD_RETURN_IF_ERROR(
        ApplyIndexDiff(*txn, type, *id, IndexEntriesOf(type, old.attrs), {}, old.attrs));
    if (type == ResourceType::kGroup) SCIMD_RETURN_IF_ERROR(txn->RemoveAllMembers(*id));
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

Response Service::List(const RequestContext& ctx, ResourceType type, const ListParams& params) {
  return Search(ctx, {type}, params);
}

Response Service::Search(const RequestContext& ctx, const std::vector<ResourceType>& types,
                         const ListParams& params) {
  int64_t start_index = 1;
  int64_t count = static_cast<int64_t>(kDefaultPageSize);
  if (!params.start_index.empty()) {
    auto v = ParseQueryInt("startIndex", params.start_index);
    if (!v.ok()) return Error(v.status());
    start_index = *v < 1 ? 1 : *v;  // RFC 7644 §3.4.2.4: values < 1 are treated as 1
  }
  if (!params.count.empty()) {
    auto v = ParseQueryInt("count", params.count);
    if (!v.ok()) return Error(v.status());
    count = *v < 0 ? 0 : *v;  // negative is treated as 0
  }
  if (count > static_cast<int64_t>(kMaxPageSize)) count = static_cast<int64_t>(kMaxPageSize);
  const uint64_t first = static_cast<uint64_t>(start_index);  // 1-based
  const uint64_t window_end = first + static_cast<uint64_t>(count);

  // Per type: projection, filter and sort. With several types (a search at the root), a
  // filter or sortBy that names an attribute one type lacks simply matches nothing there.
  struct TypeQuery {
    ResourceType type;
    Projection projection;
    std::optional<CompiledFilter> filter;
    std::optional<SortSpec> sort;
  };
  std::vector<TypeQuery> queries;
  Status first_error;
  for (ResourceType type : types) {
    TypeQuery q{type, {}, std::nullopt, std::nullopt};
    auto projection = ParseProjection(type, params.attributes, params.excluded_attributes);
    if (!projection.ok()) return Error(projection.status());
    q.projection = std::move(projection).value();
    if (!params.filter.empty()) {
      auto filter = CompileFilter(type, params.filter);
      if (!filter.ok()) {
        if (first_error.ok()) first_error = filter.status();
        continue;
      }
      q.filter = std::move(filter).value();
    }
    if (!params.sort_by.empty()) {
      auto sort = ParseSort(type, params.sort_by, params.sort_order);
      if (!sort.ok()) {
        if (first_error.ok()) first_error = sort.status();
        continue;
      }
      q.sort = std::move(sort).value();
    } else if (!params.sort_order.empty()) {
      if (auto sort = ParseSort(type, "id", params.sort_order); !sort.ok()) {
        return Error(sort.status());
      }
    }
    queries.push_back(std::move(q));
  }
  if (queries.empty()) return Error(first_error);

  struct Row {
    ResourceType type;
    ResourceId id;
    std::string value;
  };
  std::vector<Row> rows;
  uint64_t total = 0;
  // For X-Scimd-Plan / X-Scimd-Rows-Examined: how each type was read, and how many
  // resources were read in all.
  std::vector<std::string> plans;
  uint64_t rows_examined = 0;
  auto plan_of = [](const TypeQuery& q) {
    return q.filter ? Explain(*q.filter)
                    : "FullScan(" + std::string(ResourceTypeName(q.type)) + ")";
  };
  // Visits every match of one type in id order.
  auto visit_matches = [&](const TypeQuery& q, const FilterMatchVisitor& visit) -> Status {
    if (q.filter) {
      FilterStats stats;
      Status s = RunFilter(store_, ctx.tenant, *q.filter, visit, &stats);
      rows_examined += stats.rows_examined;
      return s;
    }
    return store_.ScanResources(ctx.tenant, q.type, std::nullopt,
                                [&](const ResourceId& id, std::string_view value) {
                                  ++rows_examined;
                                  return visit(id, value);
                                });
  };

  if (params.sort_by.empty()) {
    // Id order, type after type: count every match (totalResults is exact) and keep the
    // ones in the requested window. An unfiltered type is counted from its counter.
    for (const auto& q : queries) {
      plans.push_back(plan_of(q));
      if (!q.filter) {
        auto n = store_.CountResources(ctx.tenant, q.type);
        if (!n.ok()) return Error(n.status());
        const uint64_t type_first = total + 1;
        total += *n;
        if (count == 0 || window_end <= type_first || first > total) continue;
        uint64_t skip = first > type_first ? first - type_first : 0;
        Status s = store_.ScanResources(ctx.tenant, q.type, std::nullopt,
                                        [&](const ResourceId& id, std::string_view value) {
                                          ++rows_examined;
                                          if (skip > 0) {
                                            --skip;
                                            return true;
                                          }
                                          rows.push_back({q.type, id, std::string(value)});
                                          return rows.size() < static_cast<size_t>(count);
                                        });
        if (!s.ok()) return Error(s);
        continue;
      }
      Status s = visit_matches(q, [&](const ResourceId& id, std::string_view value) {
        ++total;
        if (total >= first && total < window_end) rows.push_back({q.type, id, std::string(value)});
        return true;
      });
      if (!s.ok()) return Error(s);
    }
  } else {
    const SortSpec& spec = *queries.front().sort;  // same direction for every type
    // One type sorted by an indexed attribute: walk the index in value order (a page
    // reads about `count` resources), unless a filter with an index of its own narrows
    // the matches enough to sort them in memory.
    const IndexedAttr* index =
        queries.size() == 1 ? SortIndexFor(queries.front().type, spec) : nullptr;
    bool walk_index = index != nullptr &&
                      (!queries.front().filter ||
                       queries.front().filter->plan().source.kind == PlanNode::Kind::kFullScan);
    if (!walk_index) {
      // Sorted in memory: collect (key, id) of every match, bounded, then sort and fetch
      // the page.
      struct Keyed {
        size_t query;
        ResourceId id;
        SortKey key;
      };
      std::vector<Keyed> keyed;
      bool too_many = false;
      for (size_t qi = 0; qi < queries.size() && !too_many; ++qi) {
        const auto& q = queries[qi];
        Status s = visit_matches(q, [&](const ResourceId& id, std::string_view value) {
          if (keyed.size() >= kMaxSortedResults) {
            too_many = true;
            return false;
          }
          auto split = SplitStored(value);
          if (!split.ok()) return true;
          auto attrs = Json::Parse(split->second);
          Keyed k{qi, id, {}};
          if (attrs.ok()) k.key = ExtractSortKey(*q.sort, id, split->first, *attrs);
          keyed.push_back(std::move(k));
          return true;
        });
        if (!s.ok()) return Error(s);
      }
      if (too_many && index == nullptr) {
        return Error(Status(Status::Code::kTooMany,
                            "sorting is limited to " + std::to_string(kMaxSortedResults) +
                                " results; narrow the filter"));
      }
      if (too_many) {
        walk_index = true;  // too many to sort in memory: the index walk needs no memory
      } else {
        std::sort(keyed.begin(), keyed.end(), [&](const Keyed& a, const Keyed& b) {
          return SortBefore(spec, a.key, a.id, b.key, b.id);
        });
        total = keyed.size();
        for (uint64_t i = first; i < window_end && i <= total; ++i) {
          const Keyed& k = keyed[i - 1];
          auto value = store_.GetResource(ctx.tenant, queries[k.query].type, k.id);
          if (!value.ok()) {
            if (value.status().Is(Status::Code::kNotFound)) continue;  // deleted meanwhile
            return Error(value.status());
          }
          ++rows_examined;
          rows.push_back({queries[k.query].type, k.id, std::move(value).value()});
        }
        for (const auto& q : queries) {
          plans.push_back(plan_of(q) + " THEN SortInMemory(" + std::string(params.sort_by) +
                          (spec.descending ? " descending)" : " ascending)"));
        }
      }
    }
    if (walk_index) {
      const TypeQuery& q = queries.front();
      const CompiledFilter* filter = q.filter ? &*q.filter : nullptr;
      SortedWindow window;
      Status s = IndexOrderedWindow(store_, ctx.tenant, q.type, spec, *index, filter, first,
                                    static_cast<uint64_t>(count), &window);
      if (!s.ok()) return Error(s);
      total = window.total;
      rows_examined += window.rows_examined;
      for (auto& [id, value] : window.rows) rows.push_back({q.type, id, std::move(value)});
      plans.push_back(ExplainIndexOrder(q.type, *index, spec.descending) +
                      (filter ? " AND residual(" + FilterText(*filter) + ")" : ""));
    }
  }

  std::vector<BodyItem> items;
  bool small = true;
  for (const auto& row : rows) {
    const TypeQuery* q = nullptr;
    for (const auto& candidate : queries) {
      if (candidate.type == row.type) q = &candidate;
    }
    auto split = SplitStored(row.value);
    if (!split.ok()) return Error(split.status());
    BodyItem item;
    RenderResource(row.type, row.id, split->first, split->second, ctx.base_url, q->projection,
                   item.head);
    if (row.type == ResourceType::kUser && q->projection.WantsGroups()) {
      if (Status s = AppendUserGroups(ctx, row.id, item.head); !s.ok()) return Error(s);
    }
    if (row.type == ResourceType::kGroup && q->projection.WantsMembers()) {
      auto n = store_.CountMembers(ctx.tenant, row.id);
      if (!n.ok()) return Error(n.status());
      if (*n > 0) item.members_of = row.id;
      if (*n > kInlineMemberLimit) small = false;
    }
    items.push_back(std::move(item));
  }
  std::string prefix = "{\"schemas\":[\"";
  prefix += kListResponseSchema;
  prefix += "\"],\"totalResults\":" + std::to_string(total) +
            ",\"startIndex\":" + std::to_string(start_index) +
            ",\"itemsPerPage\":" + std::to_string(items.size()) + ",\"Resources\":[";
  Response r = JsonResponse(200, "");
  if (params.explain) {
    std::string plan;
    for (const auto& p : plans) plan += (plan.empty() ? "" : "; ") + p;
    r.headers.emplace_back("X-Scimd-Plan", HeaderSafe(plan));
    r.headers.emplace_back("X-Scimd-Rows-Examined", std::to_string(rows_examined));
  }
  auto stream = std::make_shared<BodyStream>(store_, ctx.tenant, ctx.base_url, std::move(prefix),
                                             std::move(items), "]}");
  AttachBody(r, std::move(stream), small);
  return r;
}

Response Service::SearchRequest(const RequestContext& ctx, const std::vector<ResourceType>& types,
                                std::string_view body, bool explain) {
  // POST .search (RFC 7644 §3.4.3): the query parameters as a SearchRequest message.
  auto json = Json::Parse(body);
  if (!json.ok()) return Error(json.status());
  if (!json->is_object()) return Error(Status::InvalidSyntax("a SearchRequest must be a JSON object"));
  if (const Json* schemas = json->FindCi("schemas")) {
    bool ok = false;
    if (schemas->is_array()) {
      for (const auto& s : schemas->as_array()) {
        ok = ok || (s.is_string() && EqualsCi(s.as_string(), kSearchRequestSchema));
      }
    }
    if (!ok) {
      return Error(Status::InvalidSyntax("\"schemas\" of a search must list " +
                                         std::string(kSearchRequestSchema)));
    }
  }
  std::string attributes, excluded, filter, sort_by, sort_order, start_index, count;
  auto text = [&](const char* name, std::string& out) -> Status {
    const Json* v = json->FindCi(name);
    if (v == nullptr || v->is_null()) return Status::Ok();
    if (v->is_string()) {
      out = v->as_string();
    } else if (v->is_int()) {
      out = std::to_string(v->as_int());
    } else if (v->is_array()) {  // attributes / excludedAttributes: a list of paths
      for (const auto& item : v->as_array()) {
        if (!item.is_string()) {
          return Status::InvalidValue("\"" + std::string(name) + "\" must list strings");
        }
        if (!out.empty()) out += ",";
        out += item.as_string();
      }
    } else {
      return Status::InvalidValue("\"" + std::string(name) + "\" has the wrong type");
    }
    return Status::Ok();
  };
  for (auto [name, out] : {std::pair<const char*, std::string*>{"attributes", &attributes},
                           {"excludedAttributes", &excluded}, {"filter", &filter},
                           {"sortBy", &sort_by}, {"sortOrder", &sort_order},
                           {"startIndex", &start_index}, {"count", &count}}) {
    if (Status s = text(name, *out); !s.ok()) return Error(s);
  }
  ListParams p;
  p.attributes = attributes;
  p.excluded_attributes = excluded;
  p.filter = filter;
  p.sort_by = sort_by;
  p.sort_order = sort_order;
  p.start_index = start_index;
  p.count = count;
  p.explain = explain;
  return Search(ctx, types, p);
}

// ---- discovery ----

namespace {
Json ListOf(std::vector<Json> resources) {
  Json list = Json::MakeObject();
  Json schemas = Json::MakeArray();
  schemas.Push(Json::Str(std::string(kListResponseSchema)));
  list.Set("schemas", std::move(schemas));
  list.Set("totalResults", Json::Int(static_cast<int64_t>(resources.size())));
  list.Set("itemsPerPage", Json::Int(static_cast<int64_t>(resources.size())));
  list.Set("startIndex", Json::Int(1));
  Json arr = Json::MakeArray();
  for (auto& r : resources) arr.Push(std::move(r));
  list.Set("Resources", std::move(arr));
  return list;
}
Json Supported(bool yes) {
  Json j = Json::MakeObject();
  j.Set("supported", Json::Bool(yes));
  return j;
}
}  // namespace

Response Service::ServiceProviderConfig(std::string_view base_url) {
  Json j = Json::MakeObject();
  Json schemas = Json::MakeArray();
  schemas.Push(Json::Str("urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"));
  j.Set("schemas", std::move(schemas));
  j.Set("documentationUri", Json::Str("https://github.com/scimd/scimd/tree/main/docs"));
  // Truthful: what is not implemented is not advertised.
  j.Set("patch", Supported(true));
  Json bulk = Supported(true);  // core/bulk.h; the limits are RunBulk's defaults
  bulk.Set("maxOperations", Json::Int(static_cast<int64_t>(kBulkMaxOperations)));
  bulk.Set("maxPayloadSize", Json::Int(static_cast<int64_t>(kBulkMaxPayloadBytes)));
  j.Set("bulk", std::move(bulk));
  Json filter = Supported(true);
  filter.Set("maxResults", Json::Int(static_cast<int64_t>(kMaxPageSize)));
  j.Set("filter", std::move(filter));
  j.Set("changePassword", Supported(false));
  j.Set("sort", Supported(true));
  j.Set("etag", Supported(true));
  Json schemes = Json::MakeArray();
  Json bearer = Json::MakeObject();
  bearer.Set("type", Json::Str("oauthbearertoken"));
  bearer.Set("name", Json::Str("OAuth Bearer Token"));
  bearer.Set("description",
             Json::Str("Authentication with a bearer token issued by `scimctl token issue`."));
  bearer.Set("primary", Json::Bool(true));
  schemes.Push(std::move(bearer));
  j.Set("authenticationSchemes", std::move(schemes));
  Json meta = Json::MakeObject();
  meta.Set("resourceType", Json::Str("ServiceProviderConfig"));
  meta.Set("location", Json::Str(std::string(base_url) + "/ServiceProviderConfig"));
  j.Set("meta", std::move(meta));
  return JsonResponse(200, j.Serialize());
}

Response Service::ResourceTypes(std::string_view base_url, std::string_view name) {
  const SchemaRegistry& reg = SchemaRegistry::Default();
  std::vector<Json> all;
  for (ResourceType t : {ResourceType::kUser, ResourceType::kGroup}) {
    const auto& rt = reg.resource_type(t);
    if (!name.empty()) {
      if (EqualsCi(rt.name, name)) return JsonResponse(200, reg.ResourceTypeJson(rt, base_url).Serialize());
      continue;
    }
    all.push_back(reg.ResourceTypeJson(rt, base_url));
  }
  if (!name.empty()) return Error(Status::NotFound("resource type \"" + std::string(name) + "\" not found"));
  return JsonResponse(200, ListOf(std::move(all)).Serialize());
}

Response Service::Schemas(std::string_view base_url, std::string_view id) {
  const SchemaRegistry& reg = SchemaRegistry::Default();
  if (!id.empty()) {
    const SchemaDef* s = reg.FindSchema(id);
    if (s == nullptr) return Error(Status::NotFound("schema \"" + std::string(id) + "\" not found"));
    return JsonResponse(200, reg.SchemaJson(*s, base_url).Serialize());
  }
  std::vector<Json> all;
  for (const auto* s : reg.schemas()) all.push_back(reg.SchemaJson(*s, base_url));
  return JsonResponse(200, ListOf(std::move(all)).Serialize());
}

}  // namespace scimd::core
