// Rendering a stored resource as SCIM JSON: the stored attribute JSON spliced between
// the id and a generated `meta` (or projected), and group member items. Pure functions;
// safe on any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/base/ids.h"
#include "core/resource/stored_value.h"
#include "core/scim/projection.h"

namespace scimd::core {

// Renders the resource as SCIM JSON into `out` without the closing brace of the top-level
// object, so that a caller may stream members after it; call FinishResource to close.
// `base_url` is e.g. "http://host/scim/v2" and prefixes meta.location.
void RenderResource(ResourceType type, const ResourceId& id, const StoredHeader& header,
                    std::string_view attrs_json, std::string_view base_url,
                    const Projection& projection, std::string& out);
inline void FinishResource(std::string& out) { out.push_back('}'); }
// One member item: {"value":..,"$ref":..,"type":..,"display":..}
void RenderMember(const ResourceId& member, ResourceType type, std::string_view display,
                  std::string_view base_url, std::string& out);

}  // namespace scimd::core
