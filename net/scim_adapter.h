// The thin SCIM adapter: for each endpoint, decodes the HTTP request into the typed inputs
// of core's use cases (core/usecase/service.h), calls them, and writes their results as SCIM HTTP
// responses (status, Location, ETag, body via core/scim/scim_render.h, errors via
// core/scim/scim_error.h). Which endpoint and whether it runs on the reactor is the router's
// business (net/scim_router.h). Safe on any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/scim/scim_render.h"
#include "core/tenancy/activity.h"
#include "core/tenancy/faults.h"
#include "core/tenancy/gate.h"
#include "core/tenancy/request_context.h"
#include "core/usecase/service.h"
#include "net/http_types.h"
#include "net/scim_target.h"

namespace scimd::net {

// What a handler learned for the activity log (core/tenancy/activity.h).
struct ActivityNote {
  std::string resource_id;
  std::vector<std::string> changed;   // attribute names a write changed
  std::vector<std::string> warnings;  // what it skipped
  core::Status error;                 // the failure answered, if any
};

// One request on its way through the adapter. `request` outlives the call (and a deferred
// job that carries it: HttpResponse::deferred's contract).
struct ScimCall {
  const HttpRequest* request = nullptr;
  ScimTarget target;
  core::RequestContext ctx;
  QueryParams query;
  std::chrono::steady_clock::time_point started;  // when the router took it
  core::FaultDraw fault;                          // injected on purpose (core/tenancy/faults.h)
  mutable ActivityNote note;                      // filled by the handler
};

// Writes `status` as a SCIM error response (RFC 7644 §3.12), with WWW-Authenticate on 401
// and Retry-After when the status says when to retry.
void AnswerError(const core::Status& status, HttpResponse& out);

class ScimAdapter {
 public:
  // `token_tenant`: the tenant whose tokens /Token hands out (scimd
  // --insecure-token-endpoint), empty when that endpoint is off.
  ScimAdapter(core::Service& service, core::Gate& gate, core::ActivityLog& activity,
              std::string token_tenant)
      : service_(service),
        renderer_(service),
        gate_(gate),
        activity_(activity),
        token_tenant_(std::move(token_tenant)) {}

  // Each answers the call into `out` and returns true, except a write that lost a lock race
  // on a reactor thread (call.ctx.may_wait false): it returns false and leaves `out` alone,
  // for the router to run it again where waiting is allowed.
  bool ServiceProviderConfig(const ScimCall& call, HttpResponse& out);
  bool ResourceTypes(const ScimCall& call, HttpResponse& out);
  bool Schemas(const ScimCall& call, HttpResponse& out);
  bool Token(const ScimCall& call, HttpResponse& out);
  bool Me(const ScimCall& call, HttpResponse& out);
  bool Bulk(const ScimCall& call, HttpResponse& out);
  bool List(const ScimCall& call, HttpResponse& out);    // GET /Users
  bool Search(const ScimCall& call, HttpResponse& out);  // POST [/Users]/.search
  bool Create(const ScimCall& call, HttpResponse& out);
  bool Get(const ScimCall& call, HttpResponse& out);
  bool Replace(const ScimCall& call, HttpResponse& out);
  bool Patch(const ScimCall& call, HttpResponse& out);
  bool Delete(const ScimCall& call, HttpResponse& out);

 private:
  // Answers a failed use case: false for Busy on a reactor thread, else the error.
  bool Fail(const ScimCall& call, const core::Status& status, HttpResponse& out);
  // Runs a search and answers its ListResponse.
  bool AnswerSearch(const ScimCall& call, core::SearchQuery& query, std::string_view attributes,
                    std::string_view excluded_attributes, HttpResponse& out);
  // Answers one written or read resource with `status`, its ETag and its body.
  bool AnswerResource(const ScimCall& call, int status, const core::StoredResource& resource,
                      const core::Projection& projection, HttpResponse& out);

  core::Service& service_;
  core::ScimRenderer renderer_;
  // Notes a write's result for the activity log.
  static void NoteWrite(const ScimCall& call, const core::WriteResult& written);

  core::Gate& gate_;
  core::ActivityLog& activity_;
  std::string token_tenant_;
};

}  // namespace scimd::net
