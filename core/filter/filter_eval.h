// The filter evaluator: a plain in-memory check of a bound filter against one resource
// (or one element of a multi-valued attribute). It decides every answer: the planner's
// index scans only choose which resources it looks at. It is also the oracle of the tests.
// Semantics (RFC 7644 §3.4.2.2): a comparison on a multi-valued path matches when ANY
// value matches; `ne` is the negation of `eq` (a missing attribute satisfies ne); pr = a
// non-null, non-empty value; caseExact=false strings compare after NormalizeForIndex's
// folding in every operator. Stateless; any thread.
#pragma once

#include <functional>
#include <string_view>

#include "core/base/ids.h"
#include "core/base/json.h"
#include "core/base/json_dom.h"
#include "core/filter/filter_bound.h"
#include "core/resource/stored_value.h"

namespace scimd::core {

// What the evaluator sees of one stored resource.
struct ResourceView {
  ResourceType type = ResourceType::kUser;
  ResourceId id;
  StoredHeader header;
  const Json* attrs = nullptr;  // the canonical stored attributes (an object)
  // The same read in place from the stored JSON (MatchesStored): used instead of `attrs`
  // when set, so that a check builds no Json tree.
  const JsonDomValue* dom = nullptr;
  // The membership oracle. Group: "has member `other`"; User: "is a direct member of the
  // group `other`". Unset answers false.
  std::function<bool(const ResourceId& other)> membership;
  // Group: "has any member"; User: "belongs to any group" (members pr / groups pr).
  // Unset answers false.
  std::function<bool()> has_membership;
  std::string_view base_url;  // prefixes meta.location; empty gives "/Users/<id>"
};

// Whether the resource satisfies the filter. REQUIRES: !filter.element_attr, view.attrs or
// view.dom set.
bool Matches(const BoundFilter& filter, const ResourceView& view);

// Whether one element (e.g. {"type":"work","value":"a@b"}) of the attribute a value
// filter was bound for satisfies it. REQUIRES: filter.element_attr.
bool MatchesElement(const BoundFilter& filter, const Json& element);

}  // namespace scimd::core
