#include "core/base/ids.h"

#include <sodium.h>

#include <array>
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
  // RFC 9562 UUIDv7 with "method 3" (§6.2): 48-bit big-endian Unix milliseconds, then
  // the 12-bit rand_a field holds the sub-millisecond fraction, so ids made one after
  // another sort in creation order. A thread that would repeat or go back (same tick,
  // clock step) takes the next tick instead: ids of one thread are strictly increasing.
  thread_local uint64_t last_tick = 0;  // ms << 12 | fraction
  const uint64_t us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  uint64_t tick = (us / 1000) << 12 | ((us % 1000) * 4096 / 1000);
  if (tick <= last_tick) tick = last_tick + 1;
  last_tick = tick;
  const uint64_t ms = tick >> 12;
  const uint16_t fraction = static_cast<uint16_t>(tick & 0x0FFF);
  // The random half from a per-thread pool refilled 512 bytes at a time: one getrandom
  // call per 64 ids instead of one each (an import makes a million; so does a large sync).
  // Thread-safe once sodium_init has run. scimd never forks, so no two processes share a
  // pool's bytes.
  thread_local std::array<uint8_t, 512> pool;
  thread_local size_t pool_at = pool.size();
  if (pool_at == pool.size()) {
    randombytes_buf(pool.data(), pool.size());
    pool_at = 0;
  }
  std::memcpy(id.bytes.data() + 8, pool.data() + pool_at, 8);
  sodium_memzero(pool.data() + pool_at, 8);  // handed out once
  pool_at += 8;
  for (int i = 0; i < 6; ++i) id.bytes[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  id.bytes[6] = static_cast<uint8_t>(0x70 | (fraction >> 8));
  id.bytes[7] = static_cast<uint8_t>(fraction & 0xFF);
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
