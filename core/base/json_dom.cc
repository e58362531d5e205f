// ParseDom, JsonDomValue and Json::Parse: see json_dom.h and json.h. Json::Parse lives
// here so that it shares ParseDom's checks (json.h does not include simdjson).
#include "core/base/json_dom.h"

#include <string>
#include <vector>

#include "core/base/limits.h"
#include "core/base/strings.h"

namespace scimd::core {

namespace {

Status TooDeep() {
  return Status::InvalidSyntax("JSON nesting deeper than " + std::to_string(kMaxJsonDepth) +
                               " levels");
}

// What Json::Parse and ParseDom check beyond simdjson: nesting depth (a value at depth
// kMaxJsonDepth + 1 or more is refused; the root is at depth 1) and keys that differ only
// in case within one object (SCIM names are case-insensitive). `el` is an array or an
// object at `depth`; only containers are visited.
Status CheckParsed(simdjson::dom::element el, size_t depth) {
  const bool children_too_deep = depth + 1 > kMaxJsonDepth;
  if (el.type() == simdjson::dom::element_type::ARRAY) {
    simdjson::dom::array arr;
    if (el.get_array().get(arr)) return Status::InvalidSyntax("malformed JSON array");
    for (simdjson::dom::element child : arr) {
      if (children_too_deep) return TooDeep();
      if (child.is_array() || child.is_object()) {
        SCIMD_RETURN_IF_ERROR(CheckParsed(child, depth + 1));
      }
    }
    return Status::Ok();
  }
  simdjson::dom::object obj;
  if (el.get_object().get(obj)) return Status::InvalidSyntax("malformed JSON object");
  // The keys seen so far (a resource's objects have a few dozen at most; more go to the
  // heap), each compared with the later ones.
  constexpr size_t kInline = 32;
  std::string_view inline_keys[kInline];
  std::vector<std::string_view> more;
  size_t n = 0;
  for (simdjson::dom::key_value_pair field : obj) {
    const std::string_view key = field.key;
    for (size_t i = 0; i < n; ++i) {
      const std::string_view before = i < kInline ? inline_keys[i] : more[i - kInline];
      if (before.size() == key.size() && EqualsCi(before, key)) {
        return Status::InvalidSyntax("duplicate attribute \"" + std::string(key) +
                                     "\" in one object (names are case-insensitive)");
      }
    }
    if (n < kInline) {
      inline_keys[n] = key;
    } else {
      more.push_back(key);
    }
    ++n;
    if (children_too_deep) return TooDeep();
    if (field.value.is_array() || field.value.is_object()) {
      SCIMD_RETURN_IF_ERROR(CheckParsed(field.value, depth + 1));
    }
  }
  return Status::Ok();
}

// A checked document as a Json tree.
Json Build(simdjson::dom::element el) {
  switch (el.type()) {
    case simdjson::dom::element_type::NULL_VALUE: return Json();
    case simdjson::dom::element_type::BOOL: return Json::Bool(el.get_bool().value_unsafe());
    case simdjson::dom::element_type::INT64: return Json::Int(el.get_int64().value_unsafe());
    case simdjson::dom::element_type::UINT64:
      return Json::Double(static_cast<double>(el.get_uint64().value_unsafe()));
    case simdjson::dom::element_type::DOUBLE: return Json::Double(el.get_double().value_unsafe());
    case simdjson::dom::element_type::STRING:
      return Json::Str(std::string(el.get_string().value_unsafe()));
    case simdjson::dom::element_type::ARRAY: {
      Json out = Json::MakeArray();
      simdjson::dom::array arr = el.get_array().value_unsafe();
      out.as_array().reserve(arr.size());  // size(): O(1) from the tape (saturates, harmless)
      for (simdjson::dom::element child : arr) out.Push(Build(child));
      return out;
    }
    case simdjson::dom::element_type::OBJECT: {
      Json out = Json::MakeObject();
      auto& members = out.as_object();
      simdjson::dom::object obj = el.get_object().value_unsafe();
      members.reserve(obj.size());
      for (auto field : obj) members.emplace_back(std::string(field.key), Build(field.value));
      return out;
    }
  }
  return Json();
}

// Parses `text` into `parser`, checked.
Result<simdjson::dom::element> ParseChecked(simdjson::dom::parser& parser, std::string_view text) {
  simdjson::dom::element root;
  auto error = parser.parse(text.data(), text.size(), true).get(root);
  if (error) {
    return Status::InvalidSyntax(std::string("request body is not valid JSON: ") +
                                 simdjson::error_message(error));
  }
  if (root.is_array() || root.is_object()) SCIMD_RETURN_IF_ERROR(CheckParsed(root, 1));
  return root;
}

}  // namespace

Result<Json> Json::Parse(std::string_view text) {
  // One parser per thread: reuses its buffers across requests (thread-per-core).
  thread_local simdjson::dom::parser parser;
  SCIMD_ASSIGN_OR_RETURN(simdjson::dom::element root, ParseChecked(parser, text));
  return Build(root);
}

Result<JsonDomValue> ParseDom(std::string_view text) {
  thread_local simdjson::dom::parser parser;
  SCIMD_ASSIGN_OR_RETURN(simdjson::dom::element root, ParseChecked(parser, text));
  return JsonDomValue(root);
}

Result<JsonDomValue> ParseStoredDom(std::string_view text) {
  thread_local simdjson::dom::parser parser;  // not ParseDom's: its values stay valid
  simdjson::dom::element root;
  if (auto error = parser.parse(text.data(), text.size(), true).get(root)) {
    return Status::Corruption(std::string("stored JSON does not parse: ") +
                              simdjson::error_message(error));
  }
  return JsonDomValue(root);
}

size_t JsonDomValue::size() const {
  if (is_object()) return e_.get_object().value_unsafe().size();
  if (is_array()) return e_.get_array().value_unsafe().size();
  return 0;
}

std::optional<JsonDomValue> JsonDomValue::FindCi(std::string_view key) const {
  const simdjson::dom::object object = e_.get_object().value_unsafe();
  for (simdjson::dom::key_value_pair m : object) {
    if (EqualsCi(m.key, key)) return JsonDomValue(m.value);
  }
  return std::nullopt;
}

void JsonDomValue::FindEachCi(std::span<const std::string_view> keys,
                              std::optional<JsonDomValue>* found) const {
  for (size_t i = 0; i < keys.size(); ++i) found[i].reset();
  const simdjson::dom::object object = e_.get_object().value_unsafe();
  for (simdjson::dom::key_value_pair m : object) {
    const std::string_view key = m.key;
    for (size_t i = 0; i < keys.size(); ++i) {
      // Most members have no name of the size asked: no call. (Two keys never differ
      // only in case: ParseDom refuses them; the first match is the only one.)
      if (key.size() == keys[i].size() && !found[i] && EqualsCi(key, keys[i])) {
        found[i] = JsonDomValue(m.value);
      }
    }
  }
}

Json JsonDomValue::ToJson() const { return Build(e_); }

}  // namespace scimd::core
