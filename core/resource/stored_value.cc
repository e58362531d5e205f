#include "core/resource/stored_value.h"

#include <algorithm>

namespace scimd::core {

namespace {

void PutBigEndian64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (56 - 8 * i));
}
uint64_t GetBigEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace

std::string EncodeStored(const StoredHeader& header, const Json& attrs) {
  std::string out;
  out.reserve(1024);  // a typical user: one allocation instead of growing through six
  out.resize(kStoredHeaderBytes, '\0');
  attrs.Serialize(out);
  PutStoredHeader(header, out);
  return out;
}

void PutStoredHeader(const StoredHeader& header, std::string& value) {
  char* out = value.data();
  out[0] = header.password_hash.empty() ? 1 : 2;
  PutBigEndian64(&out[1], header.version);
  PutBigEndian64(&out[9], static_cast<uint64_t>(header.created_us));
  PutBigEndian64(&out[17], static_cast<uint64_t>(header.modified_us));
  if (!header.password_hash.empty()) {
    const size_t n = std::min<size_t>(header.password_hash.size(), 0xFFFF);
    std::string hash;
    hash.reserve(n + 2);
    hash.push_back(static_cast<char>(n >> 8));
    hash.push_back(static_cast<char>(n & 0xFF));
    hash.append(header.password_hash, 0, n);
    value.insert(kStoredHeaderBytes, hash);
  }
}

Result<std::pair<StoredHeader, std::string_view>> SplitStored(std::string_view value) {
  if (value.size() < kStoredHeaderBytes + 2 || (value[0] != 1 && value[0] != 2)) {
    return Status::Corruption("stored resource has an unknown format");
  }
  StoredHeader h;
  h.version = GetBigEndian64(&value[1]);
  h.created_us = static_cast<int64_t>(GetBigEndian64(&value[9]));
  h.modified_us = static_cast<int64_t>(GetBigEndian64(&value[17]));
  size_t json_at = kStoredHeaderBytes;
  if (value[0] == 2) {
    const size_t n = static_cast<uint8_t>(value[25]) << 8 | static_cast<uint8_t>(value[26]);
    if (value.size() < kStoredHeaderBytes + 2 + n + 2) {
      return Status::Corruption("stored resource has a truncated password hash");
    }
    h.password_hash = std::string(value.substr(kStoredHeaderBytes + 2, n));
    json_at = kStoredHeaderBytes + 2 + n;
  }
  return std::make_pair(std::move(h), value.substr(json_at));
}

Result<StoredResource> StoredResource::FromValue(ResourceType type, const ResourceId& id,
                                                 std::string value) {
  StoredResource r;
  r.type = type;
  r.id = id;
  r.value = std::move(value);
  SCIMD_ASSIGN_OR_RETURN(auto split, SplitStored(r.value));
  r.header = std::move(split.first);
  r.attrs_at_ = static_cast<size_t>(split.second.data() - r.value.data());
  return r;
}

std::string WeakEtag(uint64_t version) { return "W/\"" + std::to_string(version) + "\""; }

}  // namespace scimd::core
