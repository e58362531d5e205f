// PATCH paths (RFC 7644 §3.5.2): `attr`, `attr.sub`, `urn:...:attr`, and value filters
// `emails[type eq "work"].value` compiled by the filter compiler relative to the attribute,
// resolved against the schema registry. The part of the PATCH engine (core/usecase/patch.h) that
// reads paths; pure functions, safe on any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/ids.h"
#include "core/base/json.h"
#include "core/base/status.h"
#include "core/filter/filter_bound.h"
#include "core/resource/schema.h"

namespace scimd::core {

// A resolved PATCH path.
struct PatchPath {
  const SchemaDef* extension = nullptr;  // the attribute lives under attrs[extension->id]
  const AttrDef* attr = nullptr;         // nullptr: the whole extension object
  const AttrDef* sub = nullptr;
  std::optional<BoundFilter> filter;
  std::string filter_text;
  bool read_only = false;  // id, meta, schemas, groups: not patchable
  std::string text;
};

// Resolves `path` for a resource of `type`: InvalidPath naming what is wrong, or
// InvalidFilter for a bad value filter.
Result<PatchPath> ParsePatchPath(ResourceType type, std::string_view path);

// When the filter is `sub eq literal` terms joined by "and", the (sub, literal) pairs: a
// missing element can be created from them (Entra's `emails[type eq "work"].value` on a
// user without a work email). Otherwise false.
bool EqConjunction(const BoundNode& n, std::vector<std::pair<std::string, Json>>* out);

// members[value eq "a" or value eq "b"]: the ids named, or false for any other shape.
bool MemberIds(const BoundNode& n, std::vector<ResourceId>* out);

}  // namespace scimd::core
