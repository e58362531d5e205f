// sortBy / sortOrder (RFC 7644 §3.4.2.3): which value of a resource a list is ordered by,
// and how two of them compare (case rules from the schema, missing values last, ties in
// id order so pages stay stable). Pure; any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/base/ids.h"
#include "core/base/json.h"
#include "core/base/status.h"
#include "core/resource/schema.h"
#include "core/resource/stored_value.h"

namespace scimd::core {

struct SortSpec {
  enum class Source { kAttribute, kId, kCreated, kModified };
  Source source = Source::kAttribute;
  std::string extension;  // URN of the extension holding the attribute, or empty
  std::string attr;       // canonical attribute name
  std::string sub;        // canonical sub-attribute name, or empty
  bool multi_valued = false;
  AttrType type = AttrType::kString;
  bool case_exact = false;
  bool descending = false;
};

// Resolves sortBy against the schema of `type`; sortOrder is "ascending" (the default)
// or "descending", case-insensitively. InvalidValue names what is wrong.
Result<SortSpec> ParseSort(ResourceType type, std::string_view sort_by,
                           std::string_view sort_order);

struct SortKey {
  enum class Kind : uint8_t { kMissing, kString, kNumber, kBoolean };
  Kind kind = Kind::kMissing;
  std::string text;   // kString: folded when caseExact=false
  double number = 0;  // kNumber (dateTime as microseconds), kBoolean (0/1)
};

// The value a resource sorts by: for a multi-valued attribute, the primary value, else
// the first.
SortKey ExtractSortKey(const SortSpec& spec, const ResourceId& id, const StoredHeader& header,
                       const Json& attrs);

// Strict weak order: by key in the requested direction, missing values last either way,
// then by id.
bool SortBefore(const SortSpec& spec, const SortKey& a, const ResourceId& a_id, const SortKey& b,
                const ResourceId& b_id);

}  // namespace scimd::core
