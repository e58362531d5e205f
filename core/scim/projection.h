// Projection: which attributes a response carries, from `attributes` and
// `excludedAttributes` (RFC 7644 §3.9), including Microsoft's element filters
// (`emails[type eq "work"]`, compiled with the filter compiler). Safe on any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/ids.h"
#include "core/base/json.h"
#include "core/base/status.h"

namespace scimd::core {

struct BoundFilter;  // core/filter/filter_bound.h

// What to include when rendering; built from attributes/excludedAttributes.
struct Projection {
  // Canonical "urn:attr" or "urn:attr.sub" paths, lower-cased; empty = everything default.
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  // `attributes=emails[type eq "work"]` (Microsoft's clients): of a multi-valued
  // attribute, only the elements that match (or, in excludedAttributes, all but those).
  struct ElementFilter {
    std::string path;  // normalized like include/exclude
    bool include = true;
    std::shared_ptr<const BoundFilter> filter;
  };
  std::vector<ElementFilter> element_filters;
  bool empty() const { return include.empty() && exclude.empty() && element_filters.empty(); }
  // Whether a Group's members are rendered.
  bool WantsMembers() const;
  // Whether a User's computed "groups" attribute is rendered.
  bool WantsGroups() const;
};
Result<Projection> ParseProjection(ResourceType type, std::string_view attributes,
                                   std::string_view excluded_attributes);

// Applies `p` to the attributes of one schema (`obj`, whose keys are attribute names)
// whose normalized prefix is `schema_prefix` ("urn:...:user"): drops what is not
// selected, and the elements an element filter rejects.
void ProjectObject(const Projection& p, const std::string& schema_prefix, Json& obj);

}  // namespace scimd::core
