#include "core/ids.h"

#include <sodium.h>

#include <chrono>
#include <cstring>

namespace scimd::core {

std::string_view ResourceTypeName(ResourceType t) {
  switch (t) {
    case ResourceType::kUser: return "User";
    case ResourceType::kGroup: return "Group";
  }
  return "Unknown";
}

ResourceId ResourceId::Generate() {
  ResourceId id;
  // RFC 9562 UUIDv7: 48-bit big-endian Unix milliseconds, version 7, variant 10, random.
  const uint64_t ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  randombytes_buf(id.bytes.data() + 6, 10);  // thread-safe, never fails after sodium_init
  for (int i = 0; i < 6; ++i) id.bytes[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  id.bytes[6] = static_cast<uint8_t>(0x70 | (id.bytes[6] & 0x0F));
  id.bytes[8] = static_cast<uint8_t>(0x80 | (id.bytes[8] & 0x3F));
  return id;
}

namespace {
int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Result<ResourceId> ResourceId::Parse(std::string_view text) {
  if (text.size() != 36) return Status::InvalidValue("not a resource id");
  ResourceId id;
  size_t out = 0;
  for (size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return Status::InvalidValue("not a resource id");
      ++i;
      continue;
    }
    const int hi = HexVal(text[i]);
    const int lo = HexVal(text[i + 1]);
    if (hi < 0 || lo < 0) return Status::InvalidValue("not a resource id");
    id.bytes[out++] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return id;
}

ResourceId ResourceId::FromBytes(std::string_view raw) {
  ResourceId id;
  std::memcpy(id.bytes.data(), raw.data(), id.bytes.size());
  return id;
}

std::string ResourceId::ToString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(kHex[bytes[i] >> 4]);
    s.push_back(kHex[bytes[i] & 0x0F]);
  }
  return s;
}

}  // namespace scimd::core
