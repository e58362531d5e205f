#include "core/base/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/base/strings.h"

namespace scimd::core {

Json Json::Bool(bool b) {
  Json j;
  j.type_ = Type::kBool;
  j.b_ = b;
  return j;
}
Json Json::Int(int64_t i) {
  Json j;
  j.type_ = Type::kInt;
  j.i_ = i;
  return j;
}
Json Json::Double(double d) {
  Json j;
  j.type_ = Type::kDouble;
  j.d_ = d;
  return j;
}
Json Json::Str(std::string s) {
  Json j;
  j.type_ = Type::kString;
  j.s_ = std::move(s);
  return j;
}
Json Json::MakeArray() {
  Json j;
  j.type_ = Type::kArray;
  j.arr_ = std::make_unique<Array>();
  return j;
}
Json Json::MakeObject() {
  Json j;
  j.type_ = Type::kObject;
  j.obj_ = std::make_unique<Object>();
  return j;
}

void Json::CopyFrom(const Json& o) {
  type_ = o.type_;
  b_ = o.b_;
  i_ = o.i_;
  d_ = o.d_;
  s_ = o.s_;
  arr_ = o.arr_ ? std::make_unique<Array>(*o.arr_) : nullptr;
  obj_ = o.obj_ ? std::make_unique<Object>(*o.obj_) : nullptr;
}

const Json* Json::Find(std::string_view key) const {
  for (const auto& [k, v] : *obj_) {
    if (k == key) return &v;
  }
  return nullptr;
}
const Json* Json::FindCi(std::string_view key) const {
  for (const auto& [k, v] : *obj_) {
    if (EqualsCi(k, key)) return &v;
  }
  return nullptr;
}
Json* Json::FindCi(std::string_view key) {
  for (auto& [k, v] : *obj_) {
    if (EqualsCi(k, key)) return &v;
  }
  return nullptr;
}
Json& Json::Set(std::string key, Json value) {
  for (auto& [k, v] : *obj_) {
    if (k == key) {
      v = std::move(value);
      return v;
    }
  }
  obj_->emplace_back(std::move(key), std::move(value));
  return obj_->back().second;
}
bool Json::EraseCi(std::string_view key) {
  for (auto it = obj_->begin(); it != obj_->end(); ++it) {
    if (EqualsCi(it->first, key)) {
      obj_->erase(it);
      return true;
    }
  }
  return false;
}

namespace {

// Whether any of the 8 bytes in `w` is a control character, '"' or '\\' (exact as a
// whole; which byte is not said).
bool NeedsEscape8(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto below = [](uint64_t x, uint64_t n) { return (x - kOnes * n) & ~x & kHigh; };
  return (below(w, 0x20) | below(w ^ (kOnes * '"'), 1) | below(w ^ (kOnes * '\\'), 1)) != 0;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the current run of bytes that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    // Eight bytes at a time while none needs escaping (most strings: all of them).
    while (i + 8 <= s.size()) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (NeedsEscape8(w)) break;
      i += 8;
    }
    if (i == s.size()) break;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

void Json::Serialize(std::string& out) const {
  switch (type_) {
    case Type::kNull: out += "null"; return;
    case Type::kBool: out += b_ ? "true" : "false"; return;
    case Type::kInt: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, i_);
      out.append(buf, r.ptr);
      return;
    }
    case Type::kDouble: {
      if (!std::isfinite(d_)) {
        out += "null";  // JSON has no NaN/Infinity; never produced from parsed input
        return;
      }
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, d_);
      out.append(buf, r.ptr);
      // The shortest form of a large double may be all digits ("1333131112131133400000"):
      // read back, that is an integer past 64 bits, which a JSON reader (ours included)
      // refuses or turns into something else. Keep it a decimal (fuzz_resource's finding).
      if (std::find_if(buf, r.ptr, [](char c) { return c == '.' || c == 'e' || c == 'E'; }) ==
          r.ptr) {
        out += ".0";
      }
      return;
    }
    case Type::kString: AppendJsonString(out, s_); return;
    case Type::kArray: {
      out.push_back('[');
      bool first = true;
      for (const auto& v : *arr_) {
        if (!first) out.push_back(',');
        first = false;
        v.Serialize(out);
      }
      out.push_back(']');
      return;
    }
    case Type::kObject: {
      out.push_back('{');
      bool first = true;
      for (const auto& [k, v] : *obj_) {
        if (!first) out.push_back(',');
        first = false;
        AppendJsonString(out, k);
        out.push_back(':');
        v.Serialize(out);
      }
      out.push_back('}');
      return;
    }
  }
}

}  // namespace scimd::core
