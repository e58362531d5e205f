#include "core/scim/scim_render.h"

#include <memory>

#include "core/base/json.h"
#include "core/base/limits.h"
#include "core/resource/schema.h"
#include "core/scim/render.h"

namespace scimd::core {

namespace {

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
  BodyStream(Service& service, RequestContext ctx, std::string base_url, std::string prefix,
             std::vector<BodyItem> items, std::string suffix)
      : service_(service),
        ctx_(std::move(ctx)),
        base_url_(std::move(base_url)),
        prefix_(std::move(prefix)),
        items_(std::move(items)),
        suffix_(std::move(suffix)) {}

  // Appends the next piece; false once the last piece has been appended.
  bool Next(std::string& out);

 private:
  Service& service_;
  RequestContext ctx_;
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
      Status s = service_.ScanMembers(
          ctx_, *item.members_of, last_member_,
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

// The body of `stream`, whole when it is known to be small, else streamed.
Body Finish(std::shared_ptr<BodyStream> stream, bool small) {
  Body body;
  if (small) {
    while (stream->Next(body.text)) {
    }
    return body;
  }
  body.stream = [stream](std::string& out) { return stream->Next(out); };
  return body;
}

// `,"groups":[...]` of a user, or nothing when it belongs to no group.
void AppendGroups(const std::vector<GroupMembership>& groups, std::string_view base_url,
                  std::string& out) {
  if (groups.empty()) return;
  out += ",\"groups\":[";
  bool first = true;
  for (const auto& g : groups) {
    if (!first) out.push_back(',');
    first = false;
    const std::string gid = g.group.ToString();
    out += "{\"value\":\"" + gid + "\",\"$ref\":";
    AppendJsonString(out, std::string(base_url) + "/Groups/" + gid);
    if (!g.display.empty()) {
      out += ",\"display\":";
      AppendJsonString(out, g.display);
    }
    out += g.direct ? ",\"type\":\"direct\"}" : ",\"type\":\"indirect\"}";
  }
  out += "]";
}

}  // namespace

Status ScimRenderer::RenderHead(const RequestContext& ctx, std::string_view base_url,
                                const StoredResource& r, const Projection& projection,
                                std::string& out) {
  RenderResource(r.type, r.id, r.header, r.AttrsJson(), base_url, projection, out);
  if (r.type == ResourceType::kUser && projection.WantsGroups()) {
    SCIMD_ASSIGN_OR_RETURN(std::vector<GroupMembership> groups, service_.GroupsOf(ctx, r.id));
    AppendGroups(groups, base_url, out);
  }
  return Status::Ok();
}

Result<Body> ScimRenderer::Resource(const RequestContext& ctx, std::string_view base_url,
                                    const StoredResource& r, const Projection& projection) {
  std::string head;
  SCIMD_RETURN_IF_ERROR(RenderHead(ctx, base_url, r, projection, head));
  if (r.type == ResourceType::kGroup && projection.WantsMembers()) {
    SCIMD_ASSIGN_OR_RETURN(uint64_t count, service_.CountMembers(ctx, r.id));
    if (count > 0) {  // no members: the attribute is unassigned, and omitted
      std::vector<BodyItem> items;
      items.push_back({std::move(head), r.id});
      return Finish(std::make_shared<BodyStream>(service_, ctx, std::string(base_url), "",
                                                 std::move(items), ""),
                    count <= kInlineMemberLimit);
    }
  }
  Body body;
  body.text = std::move(head);
  FinishResource(body.text);
  return body;
}

Result<Body> ScimRenderer::List(const RequestContext& ctx, std::string_view base_url,
                                const SearchResult& result, uint64_t start_index,
                                const ProjectionByType& projections) {
  std::vector<BodyItem> items;
  items.reserve(result.page.size());
  bool small = true;
  for (const StoredResource& r : result.page) {
    const Projection* projection = nullptr;
    for (const auto& [type, p] : projections) {
      if (type == r.type) projection = &p;
    }
    if (projection == nullptr) return Status::Internal("no projection for a listed type");
    BodyItem item;
    SCIMD_RETURN_IF_ERROR(RenderHead(ctx, base_url, r, *projection, item.head));
    if (r.type == ResourceType::kGroup && projection->WantsMembers()) {
      SCIMD_ASSIGN_OR_RETURN(uint64_t n, service_.CountMembers(ctx, r.id));
      if (n > 0) item.members_of = r.id;
      if (n > kInlineMemberLimit) small = false;
    }
    items.push_back(std::move(item));
  }
  std::string prefix = "{\"schemas\":[\"";
  prefix += kListResponseSchema;
  prefix += "\"],\"totalResults\":" + std::to_string(result.total) +
            ",\"startIndex\":" + std::to_string(start_index) +
            ",\"itemsPerPage\":" + std::to_string(items.size()) + ",\"Resources\":[";
  return Finish(std::make_shared<BodyStream>(service_, ctx, std::string(base_url),
                                             std::move(prefix), std::move(items), "]}"),
                small);
}

Result<bool> ScimRenderer::PatchAnswersWithResource(const RequestContext& ctx,
                                                    const StoredResource& r, bool prefer_minimal,
                                                    bool names_attributes) {
  if (prefer_minimal || ctx.settings.patch_no_content) return false;
  if (r.type != ResourceType::kGroup || names_attributes) return true;
  Result<uint64_t> members = service_.CountMembers(ctx, r.id);
  return !members.ok() || *members <= kInlineMemberLimit;
}

}  // namespace scimd::core
