// Writing JSON text: string escaping (request bodies, the report) and JsonWriter, a small
// streaming writer that places commas itself. Output only; scimload reads JSON with
// simdjson (scim_reply.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace scimd::scimload {

// Appends `text` as a JSON string, quotes included.
void AppendJsonString(std::string& out, std::string_view text);
std::string JsonString(std::string_view text);

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // The name of the next member. REQUIRES: inside an object.
  JsonWriter& Key(std::string_view name);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Double(double value);  // 3 decimals; not finite -> null
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  const std::string& text() const { return out_; }

 private:
  void BeforeValue();
  std::string out_;
  std::vector<bool> first_;  // per open container: no member written yet
  bool after_key_ = false;
};

}  // namespace scimd::scimload
