// Reading SCIM answers with simdjson: a resource's id and the few attributes the checks
// look at, and a ListResponse's totalResults, startIndex, itemsPerPage and Resources.
// Attribute names are matched case-insensitively (RFC 7643 section 2.1); the first of
// duplicate names wins. One simdjson parser per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace scimd::scimload {

// A resource as the checks see it. Fields absent from the answer stay empty / -1.
struct ResourceSummary {
  std::string id;
  std::string user_name;
  std::string display_name;
  int active = -1;  // -1 absent, 0 false, 1 true
};

struct ListAnswer {
  int64_t total_results = -1;
  int64_t start_index = -1;
  int64_t items_per_page = -1;
  bool has_resources = false;  // "Resources" present (may be empty)
  std::vector<ResourceSummary> resources;
};

// Return false with a reason in `error` when `body` is not what they read.
bool ReadResource(std::string_view body, ResourceSummary* out, std::string* error);
bool ReadListAnswer(std::string_view body, ListAnswer* out, std::string* error);

// Checks what any ListResponse must satisfy for a request of `count` items from
// `start_index`: totalResults present, as many Resources as the window holds, each with an
// id. Returns "" when it holds, else what is wrong.
std::string CheckListWindow(const ListAnswer& list, int64_t start_index, int64_t count);

}  // namespace scimd::scimload
