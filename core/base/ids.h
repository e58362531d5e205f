// Identifiers shared by core and storage: tenants, resource types and resource ids.
// ResourceType values and the 16-byte id layout are persisted in keys: do not change them.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace scimd::core {

// A tenant's number; every key in the store starts with it (4 bytes, big-endian).
using TenantId = uint32_t;

// Persisted in keys: do not change the values.
enum class ResourceType : uint8_t {
  kUser = 1,
  kGroup = 2,
};
std::string_view ResourceTypeName(ResourceType t);  // "User" / "Group"

// A resource id: a UUID (version 7: 48-bit millisecond time, 12-bit sub-millisecond time,
// then 62 random bits), kept as
// 16 raw bytes in keys and written as the canonical 36-character lowercase text form.
// Version 7 makes ids of new resources sort after older ones, so listing in id order
// is close to creation order and appends at the end of the key range.
struct ResourceId {
  std::array<uint8_t, 16> bytes{};

  static ResourceId Generate();
  // Accepts the canonical text form, case-insensitively. NotFound-worthy input (wrong
  // length, not hex) gives InvalidValue; callers that look ids up turn it into 404.
  static Result<ResourceId> Parse(std::string_view text);
  static ResourceId FromBytes(std::string_view raw);  // REQUIRES: raw.size() == 16
  std::string ToString() const;
  std::string_view AsBytes() const {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  auto operator<=>(const ResourceId&) const = default;
};

}  // namespace scimd::core
