#include "tools/scimload/scim_reply.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>

namespace scimd::scimload {
namespace {

bool EqualsCi(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The first member of `object` named `name` (case-insensitively), or an error.
simdjson::simdjson_result<simdjson::dom::element> FindCi(simdjson::dom::object object,
                                                         std::string_view name) {
  for (auto field : object) {
    if (EqualsCi(field.key, name)) return simdjson::dom::element(field.value);
  }
  return simdjson::NO_SUCH_FIELD;
}

std::string StringOf(simdjson::dom::object object, std::string_view name) {
  std::string_view value;
  if (FindCi(object, name).get_string().get(value) != simdjson::SUCCESS) return {};
  return std::string(value);
}

int64_t IntOf(simdjson::dom::object object, std::string_view name) {
  int64_t value = -1;
  if (FindCi(object, name).get_int64().get(value) != simdjson::SUCCESS) return -1;
  return value;
}

void Summarize(simdjson::dom::object object, ResourceSummary* out) {
  out->id = StringOf(object, "id");
  out->user_name = StringOf(object, "userName");
  out->display_name = StringOf(object, "displayName");
  bool active = false;
  out->active = FindCi(object, "active").get_bool().get(active) == simdjson::SUCCESS ? active : -1;
}

bool ParseObject(simdjson::dom::parser& parser, std::string_view body,
                 simdjson::dom::object* object, std::string* error) {
  simdjson::dom::element root;
  if (auto e = parser.parse(body.data(), body.size()).get(root); e != simdjson::SUCCESS) {
    *error = std::string("not JSON: ") + simdjson::error_message(e);
    return false;
  }
  if (root.get_object().get(*object) != simdjson::SUCCESS) {
    *error = "not a JSON object";
    return false;
  }
  return true;
}

simdjson::dom::parser& Parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

}  // namespace

bool ReadResource(std::string_view body, ResourceSummary* out, std::string* error) {
  simdjson::dom::object object;
  if (!ParseObject(Parser(), body, &object, error)) return false;
  Summarize(object, out);
  return true;
}

bool ReadListAnswer(std::string_view body, ListAnswer* out, std::string* error) {
  simdjson::dom::object object;
  if (!ParseObject(Parser(), body, &object, error)) return false;
  out->total_results = IntOf(object, "totalResults");
  out->start_index = IntOf(object, "startIndex");
  out->items_per_page = IntOf(object, "itemsPerPage");
  out->resources.clear();
  simdjson::dom::array resources;
  out->has_resources = FindCi(object, "Resources").get_array().get(resources) == simdjson::SUCCESS;
  if (out->has_resources) {
    for (simdjson::dom::element item : resources) {
      simdjson::dom::object resource;
      out->resources.emplace_back();
      if (item.get_object().get(resource) == simdjson::SUCCESS) {
        Summarize(resource, &out->resources.back());
      }
    }
  }
  return true;
}

std::string CheckListWindow(const ListAnswer& list, int64_t start_index, int64_t count) {
  if (list.total_results < 0) return "no totalResults";
  const int64_t remaining = std::max<int64_t>(0, list.total_results - (start_index - 1));
  const auto expected = static_cast<size_t>(std::min(remaining, count));
  if (list.resources.size() != expected) {
    return "totalResults " + std::to_string(list.total_results) + " from startIndex " +
           std::to_string(start_index) + " with count " + std::to_string(count) + " should give " +
           std::to_string(expected) + " Resources, got " + std::to_string(list.resources.size());
  }
  if (expected > 0 && !list.has_resources) return "no Resources";
  if (list.items_per_page >= 0 && static_cast<size_t>(list.items_per_page) != expected) {
    return "itemsPerPage " + std::to_string(list.items_per_page) + " but " +
           std::to_string(expected) + " Resources";
  }
  for (const auto& r : list.resources) {
    if (r.id.empty()) return "a resource without an id";
  }
  return {};
}

}  // namespace scimd::scimload
