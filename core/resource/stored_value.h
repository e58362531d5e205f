// The stored value of a resource (the `resources` column family's value): a fixed
// binary header (format, version, timestamps, password hash) and the canonical attribute
// JSON. Pure functions; safe on any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "core/base/ids.h"
#include "core/base/json.h"
#include "core/base/status.h"

namespace scimd::core {

// The stored value of a resource: a fixed header, then the canonical attributes as JSON.
//   byte 0       format: 1 = no password hash, 2 = with one -- do not change their meaning
//   bytes 1-8    version, uint64 big-endian (meta.version; bumped on every change)
//   bytes 9-16   created, int64 big-endian microseconds since the Unix epoch
//   bytes 17-24  lastModified, same encoding
//   format 2:    2 bytes big-endian length N, then N bytes of password hash (the
//                libsodium crypto_pwhash_str text: algorithm, parameters, salt, hash)
//   then         JSON object text of the attributes
struct StoredHeader {
  uint64_t version = 0;
  int64_t created_us = 0;
  int64_t modified_us = 0;
  std::string password_hash;  // empty: no password (never rendered)
};
inline constexpr size_t kStoredHeaderBytes = 25;
std::string EncodeStored(const StoredHeader& header, const Json& attrs);
// Writes `header` over the first kStoredHeaderBytes of `value` (left for it by a writer of the
// attribute JSON), inserting the password hash after them when there is one.
void PutStoredHeader(const StoredHeader& header, std::string& value);
// Splits a stored value; the returned view points into `value`.
Result<std::pair<StoredHeader, std::string_view>> SplitStored(std::string_view value);

// meta.version and the ETag of a version: W/"<version>".
std::string WeakEtag(uint64_t version);

// One resource as stored, decoded enough to render or compare it: what the typed use cases
// of core/usecase/service.h return. Owns its bytes; the attribute JSON is a view into `value`.
struct StoredResource {
  ResourceType type = ResourceType::kUser;
  ResourceId id;
  StoredHeader header;
  std::string value;  // the stored bytes: header, then the attribute JSON

  std::string_view AttrsJson() const { return std::string_view(value).substr(attrs_at_); }
  std::string Etag() const { return WeakEtag(header.version); }
  // Corruption when `value` is not a stored resource.
  static Result<StoredResource> FromValue(ResourceType type, const ResourceId& id,
                                          std::string value);

 private:
  size_t attrs_at_ = 0;  // offset of the JSON in `value`
};

}  // namespace scimd::core
