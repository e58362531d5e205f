// JsonDomValue: a parsed JSON value read in place, in simdjson's document, without building
// a Json tree. For code that reads a body once and keeps only part of it (an import decodes
// a million records; each would otherwise be a tree of allocations built, copied from and
// freed). ParseDom checks exactly what Json::Parse checks. Thread rules: the value belongs
// to the calling thread's parser and is valid until that thread's next ParseDom.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/base/json.h"
#include "core/base/status.h"

namespace scimd::core {

class JsonDomValue {
 public:
  explicit JsonDomValue(simdjson::dom::element e) : e_(e) {}
  // ParseDom has checked that no two keys of an object differ only in case.
  static constexpr bool kKeysUniqueCi = true;

  bool is_null() const { return e_.type() == Kind::NULL_VALUE; }
  bool is_bool() const { return e_.type() == Kind::BOOL; }
  // Integers as Json has them: int64 only (a uint64 beyond it is a double, as in Json).
  bool is_int() const { return e_.type() == Kind::INT64; }
  bool is_number() const {
    const Kind k = e_.type();
    return k == Kind::INT64 || k == Kind::UINT64 || k == Kind::DOUBLE;
  }
  bool is_string() const { return e_.type() == Kind::STRING; }
  bool is_array() const { return e_.type() == Kind::ARRAY; }
  bool is_object() const { return e_.type() == Kind::OBJECT; }

  // REQUIRES: the matching is_...().
  bool as_bool() const { return e_.get_bool().value_unsafe(); }
  int64_t as_int() const { return e_.get_int64().value_unsafe(); }
  // Any number as a double. REQUIRES: is_number().
  double as_double() const {
    switch (e_.type()) {
      case Kind::INT64: return static_cast<double>(e_.get_int64().value_unsafe());
      case Kind::UINT64: return static_cast<double>(e_.get_uint64().value_unsafe());
      default: return e_.get_double().value_unsafe();
    }
  }
  std::string_view str() const { return e_.get_string().value_unsafe(); }
  // Members of an object or items of an array.
  size_t size() const;

  // The member named `key` (ASCII case-insensitive). REQUIRES: is_object().
  std::optional<JsonDomValue> FindCi(std::string_view key) const;
  // found[i] = FindCi(keys[i]) for every i, in one pass over the members (a reader that
  // wants several names of one object). REQUIRES: is_object(), found has keys.size() slots.
  void FindEachCi(std::span<const std::string_view> keys, std::optional<JsonDomValue>* found) const;
  // Calls f(item) for each item of an array; stops at the first error. REQUIRES: is_array().
  template <typename F>
  Status ForEachItem(F&& f) const {
    const simdjson::dom::array array = e_.get_array().value_unsafe();  // named: outlives the loop
    for (simdjson::dom::element item : array) {
      SCIMD_RETURN_IF_ERROR(f(JsonDomValue(item)));
    }
    return Status::Ok();
  }
  // Whether f(item) is true for some item of an array, stopping at the first; f(value)
  // for some member's value of an object. REQUIRES: is_array() / is_object().
  template <typename F>
  bool AnyItem(F&& f) const {
    const simdjson::dom::array array = e_.get_array().value_unsafe();
    for (simdjson::dom::element item : array) {
      if (f(JsonDomValue(item))) return true;
    }
    return false;
  }
  template <typename F>
  bool AnyMemberValue(F&& f) const {
    const simdjson::dom::object object = e_.get_object().value_unsafe();
    for (simdjson::dom::key_value_pair m : object) {
      if (f(JsonDomValue(m.value))) return true;
    }
    return false;
  }
  // Calls f(key, value) for each member of an object; stops at the first error.
  template <typename F>
  Status ForEachMember(F&& f) const {
    const simdjson::dom::object object = e_.get_object().value_unsafe();
    for (simdjson::dom::key_value_pair m : object) {
      SCIMD_RETURN_IF_ERROR(f(m.key, JsonDomValue(m.value)));
    }
    return Status::Ok();
  }

  // The value as a Json tree (a copy).
  Json ToJson() const;
  // The value as Json, for a reader that keeps it (for Json input, a move; here a copy).
  Json Take() const { return ToJson(); }

 private:
  using Kind = simdjson::dom::element_type;
  simdjson::dom::element e_;
};

// Parses `text` with the calling thread's parser and checks it as Json::Parse does (depth,
// duplicate keys compared case-insensitively), with the same InvalidSyntax details.
Result<JsonDomValue> ParseDom(std::string_view text);

// Parses JSON that scimd wrote itself (a stored resource: checked as a request body before
// it was stored) without ParseDom's depth and duplicate-key checks, which cost about as
// much as the parse. Its own parser: a ParseDom value stays valid. Corruption when `text`
// does not parse.
Result<JsonDomValue> ParseStoredDom(std::string_view text);

}  // namespace scimd::core
