// Service::Patch: RFC 7644 §3.5.2 (the PATCH engine is core/patch.h).
#include "core/service.h"

namespace scimd::core {

Response Service::Patch(const RequestContext& ctx, ResourceType type, std::string_view id,
                        std::string_view body, const PatchParams& params) {
  return Error(Status::NotImplemented("PATCH is not supported yet by this version of scimd"));
}

}  // namespace scimd::core
