// The SCIM use cases (create, read, replace, delete, list, discovery) over the Store
// interface. HTTP-shaped but socket-free: it returns a Response that net/ writes out.
// Stateless apart from the store reference; safe to call from every reactor thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ids.h"
#include "core/resource.h"
#include "core/status.h"
#include "core/store.h"
#include "core/tenant_settings.h"

namespace scimd::core {

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the body is produced piece by piece (see net/http_types.h).
  std::function<bool(std::string& out)> stream;
};

// Who is asking and where: resolved by the router from the token and the request URL.
struct RequestContext {
  TenantId tenant = 0;
  TenantSettings settings;
  std::string base_url;  // e.g. "http://127.0.0.1:8080/scim/v2", no trailing slash
};

struct ReadParams {
  std::string_view attributes;
  std::string_view excluded_attributes;
  std::string_view if_none_match;
};

struct PatchParams {
  std::string_view if_match;
  std::string_view attributes;  // projection of the 200 response
  std::string_view excluded_attributes;
  bool prefer_minimal = false;  // Prefer: return=minimal (RFC 7240) -> 204
};

struct ListParams {
  std::string_view filter;
  std::string_view attributes;
  std::string_view excluded_attributes;
  std::string_view start_index;  // raw query values; empty when absent
  std::string_view count;
  std::string_view sort_by;
  std::string_view sort_order;
  // Operators' debug aid (X-Scimd-Explain: 1): the response carries X-Scimd-Plan (how the
  // list was read) and X-Scimd-Rows-Examined (resources read to answer it).
  bool explain = false;
};

class Service {
 public:
  explicit Service(Store& store) : store_(store) {}

  Response Create(const RequestContext& ctx, ResourceType type, std::string_view body);
  Response Get(const RequestContext& ctx, ResourceType type, std::string_view id,
               const ReadParams& params);
  Response Replace(const RequestContext& ctx, ResourceType type, std::string_view id,
                   std::string_view body, std::string_view if_match);
  Response Delete(const RequestContext& ctx, ResourceType type, std::string_view id,
                  std::string_view if_match);
  // RFC 7644 §3.5.2 PATCH (core/service_patch.cc).
  Response Patch(const RequestContext& ctx, ResourceType type, std::string_view id,
                 std::string_view body, const PatchParams& params);
  Response List(const RequestContext& ctx, ResourceType type, const ListParams& params);
  // A list over several resource types (the root endpoint's search): matches of each type
  // in turn, or all of them ordered together when sorted.
  Response Search(const RequestContext& ctx, const std::vector<ResourceType>& types,
                  const ListParams& params);
  // POST .search with a SearchRequest body (RFC 7644 §3.4.3).
  Response SearchRequest(const RequestContext& ctx, const std::vector<ResourceType>& types,
                         std::string_view body, bool explain = false);

  // Discovery (RFC 7644 §4). `name` selects one entry; empty lists all.
  static Response ServiceProviderConfig(std::string_view base_url);
  static Response ResourceTypes(std::string_view base_url, std::string_view name);
  static Response Schemas(std::string_view base_url, std::string_view id);

  // A SCIM error response for `status` (RFC 7644 §3.12).
  static Response Error(const Status& status);

 private:
  // Adds edges after checking (and locking) each member; `added` counts new edges.
  Status AddMembers(Transaction& txn, const RequestContext& ctx, const ResourceId& group,
                    std::vector<MemberRef>& members, size_t* added = nullptr);
  Status CheckNoCycle(const RequestContext& ctx, const ResourceId& parent, const ResourceId& child);
  // Appends `,"groups":[...]` (direct and indirect groups of a user, from member_of) to
  // a rendered user, or nothing when it belongs to no group.
  Status AppendUserGroups(const RequestContext& ctx, const ResourceId& user, std::string& out);
  Response RenderOne(const RequestContext& ctx, ResourceType type, const ResourceId& id,
                     const StoredHeader& header, std::string_view attrs_json,
                     const Projection& projection, int status);

  Store& store_;
};

}  // namespace scimd::core
