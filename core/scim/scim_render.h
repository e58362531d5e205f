// SCIM response bodies from the typed results of core/usecase/service.h: one resource (with a
// group's members streamed from the store in bounded pieces, a user's computed "groups"),
// a ListResponse, and the answer policy of a PATCH. net/'s SCIM adapter puts them into
// HTTP responses. Safe on any thread; a streamed Body reads the store when pulled.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/resource/stored_value.h"
#include "core/scim/projection.h"
#include "core/tenancy/request_context.h"
#include "core/usecase/service.h"

namespace scimd::core {

// A response body: whole in `text`, or, when `stream` is set, produced piece by piece (each
// call appends the next piece of about 64 KiB to `out` and returns false after the last).
struct Body {
  std::string text;
  std::function<bool(std::string& out)> stream;
};

// The projection of each resource type of a list (a search at the root has two).
using ProjectionByType = std::vector<std::pair<ResourceType, Projection>>;

class ScimRenderer {
 public:
  explicit ScimRenderer(Service& service) : service_(service) {}

  // One resource as RFC 7643 renders it, with meta; `base_url` ("http://host/scim/v2")
  // prefixes meta.location and $ref. A group of more than kInlineMemberLimit members
  // streams; a user's groups are read when the projection asks for them.
  Result<Body> Resource(const RequestContext& ctx, std::string_view base_url,
                        const StoredResource& resource, const Projection& projection);
  // A ListResponse of `result`'s page (RFC 7644 §3.4.2).
  Result<Body> List(const RequestContext& ctx, std::string_view base_url,
                    const SearchResult& result, uint64_t start_index,
                    const ProjectionByType& projections);

  // Whether a successful PATCH is answered 200 with the resource (RFC 7644 §3.5.2's
  // default), or 204: when the client prefers it (Prefer: return=minimal), when the tenant
  // says so (patch-response=no-content), and for a group above kInlineMemberLimit members
  // unless the client names attributes or excludedAttributes (the 200 would carry the
  // whole membership for a change of a few members).
  Result<bool> PatchAnswersWithResource(const RequestContext& ctx, const StoredResource& resource,
                                        bool prefer_minimal, bool names_attributes);

 private:
  // The resource up to (not including) its closing brace, with a user's groups.
  Status RenderHead(const RequestContext& ctx, std::string_view base_url,
                    const StoredResource& resource, const Projection& projection, std::string& out);

  Service& service_;
};

}  // namespace scimd::core
