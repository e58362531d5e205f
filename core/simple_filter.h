// The filter subset of this version: `attrPath eq value` on userName, externalId,
// displayName and id. Anything else is 400 invalidFilter (never a wrong result); the
// full RFC 7644 §3.4.2.2 compiler replaces this (issue #5).
#pragma once

#include <string>
#include <string_view>

#include "core/ids.h"
#include "core/json.h"
#include "core/status.h"

namespace scimd::core {

struct EqFilter {
  std::string attr;  // canonical attribute name, e.g. "userName", or "id"
  Json value;        // the literal (string, number, boolean or null)
};

Result<EqFilter> ParseEqFilter(ResourceType type, std::string_view filter);

}  // namespace scimd::core
