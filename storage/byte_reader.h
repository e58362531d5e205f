// Length-prefixed byte strings (`bytes(s) = u32be(len) s`, FORMAT.md) written and read back
// with bounds checks: every read fails instead of running past the end. Used by the tenant
// and token record codecs and by a tenant move's pages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/key_codec.h"

namespace scimd::storage {

inline void AppendBytes(std::string* dst, std::string_view s) {
  AppendU32(dst, static_cast<uint32_t>(s.size()));
  dst->append(s);
}

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  bool U8(uint8_t* v) {
    if (in_.empty()) return false;
    *v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool U32(uint32_t* v) {
    if (in_.size() < 4) return false;
    *v = ReadU32(in_.data());
    in_.remove_prefix(4);
    return true;
  }
  bool U64(uint64_t* v) {
    if (in_.size() < 8) return false;
    *v = ReadU64(in_.data());
    in_.remove_prefix(8);
    return true;
  }
  // `n` bytes, viewed in the input (valid while it is).
  bool View(size_t n, std::string_view* out) {
    if (in_.size() < n) return false;
    *out = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool Raw(size_t n, std::string* out) {
    std::string_view v;
    if (!View(n, &v)) return false;
    out->assign(v);
    return true;
  }
  bool Bytes(std::string_view* out) {
    uint32_t n = 0;
    return U32(&n) && View(n, out);
  }
  bool Bytes(std::string* out) {
    uint32_t n = 0;
    return U32(&n) && Raw(n, out);
  }
  bool AtEnd() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace scimd::storage
