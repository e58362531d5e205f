// Json: a small mutable JSON document used for resources, PATCH and output. Objects keep
// insertion order; keys are compared case-insensitively where SCIM needs it (FindCi).
// Parsing uses simdjson, then checks depth and case-insensitive duplicate keys itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"

namespace scimd::core {

class Json {
 public:
  enum class Type : uint8_t { kNull, kBool, kInt, kDouble, kString, kArray, kObject };
  using Array = std::vector<Json>;
  using Member = std::pair<std::string, Json>;
  using Object = std::vector<Member>;

  Json() = default;  // null
  static Json Bool(bool b);
  static Json Int(int64_t i);
  static Json Double(double d);
  static Json Str(std::string s);
  static Json MakeArray();
  static Json MakeObject();

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kInt || type_ == Type::kDouble; }
  bool is_int() const { return type_ == Type::kInt; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  bool as_bool() const { return b_; }
  int64_t as_int() const { return i_; }
  double as_double() const { return type_ == Type::kInt ? static_cast<double>(i_) : d_; }
  const std::string& as_string() const { return s_; }
  std::string& as_string() { return s_; }
  const Array& as_array() const { return *arr_; }
  Array& as_array() { return *arr_; }
  const Object& as_object() const { return *obj_; }
  Object& as_object() { return *obj_; }

  // Object access. REQUIRES: is_object().
  const Json* Find(std::string_view key) const;    // exact key
  const Json* FindCi(std::string_view key) const;  // ASCII case-insensitive key
  Json* FindCi(std::string_view key);
  Json& Set(std::string key, Json value);  // replaces an exact-key match
  bool EraseCi(std::string_view key);

  // REQUIRES: is_array().
  void Push(Json value) { arr_->push_back(std::move(value)); }

  // Parses text; InvalidSyntax with a detail on malformed JSON, depth over kMaxJsonDepth,
  // or duplicate keys (compared case-insensitively) within one object.
  static Result<Json> Parse(std::string_view text);

  void Serialize(std::string& out) const;
  std::string Serialize() const {
    std::string s;
    Serialize(s);
    return s;
  }

  Json(const Json& other) { CopyFrom(other); }
  Json& operator=(const Json& other) {
    if (this != &other) CopyFrom(other);
    return *this;
  }
  Json(Json&&) noexcept = default;
  Json& operator=(Json&&) noexcept = default;

 private:
  void CopyFrom(const Json& other);

  Type type_ = Type::kNull;
  bool b_ = false;
  int64_t i_ = 0;
  double d_ = 0;
  std::string s_;
  std::unique_ptr<Array> arr_;
  std::unique_ptr<Object> obj_;
};

// Appends `s` as a JSON string literal (with quotes) to `out`.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace scimd::core
