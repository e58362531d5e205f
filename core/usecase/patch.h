// The PATCH engine (RFC 7644 §3.5.2): parses a PatchOp request and applies its operations
// to a resource's canonical attributes, in memory and all or nothing. Group membership
// operations are not applied to the document: they come back as an ordered list of edge
// changes for the caller to write, so their cost is O(changed members), never O(group).
// Pure functions; safe on any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/ids.h"
#include "core/base/json.h"
#include "core/base/status.h"
#include "core/resource/decode.h"

namespace scimd::core {

struct PatchOperation {
  enum class Op { kAdd, kReplace, kRemove };
  Op op = Op::kAdd;
  std::string path;  // empty when the operation has no path
  Json value;        // null when absent
  bool has_value = false;
};

// Parses {"schemas":[PatchOp], "Operations":[...]}. Op names are case-insensitive
// (Entra sends "Replace"); InvalidSyntax/InvalidValue on a malformed request.
Result<std::vector<PatchOperation>> ParsePatchRequest(const Json& body);

// A change to a group's membership, in request order.
struct MemberChange {
  enum class Kind { kAdd, kRemove, kRemoveAll };
  Kind kind = Kind::kAdd;
  std::vector<MemberRef> members;  // kAdd: members to add (existence checked by the caller)
  std::vector<ResourceId> ids;     // kRemove: members to remove
};

struct PatchOutcome {
  Json attrs;                           // the patched attributes, validated and canonical
  std::vector<MemberChange> members;    // Groups only
  bool password_changed = false;        // the patch set or removed the password
  std::optional<std::string> password;  // the new one (nullopt: removed); never stored as is
  bool attrs_changed = false;           // attrs differ from the input attributes
};

// Applies `ops` to `attrs` (the stored canonical attributes of a resource of `type`).
// On any failing operation returns its error (noTarget, invalidPath, invalidValue,
// mutability, invalidFilter) and nothing is applied.
Result<PatchOutcome> ApplyPatch(ResourceType type, const Json& attrs,
                                const std::vector<PatchOperation>& ops,
                                const DecodeOptions& options);

}  // namespace scimd::core
