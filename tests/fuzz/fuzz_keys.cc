// libFuzzer target: the key codecs (storage/key_codec.h). Every parser must refuse or
// accept any bytes without a crash, and a key it accepts must encode back to the same
// bytes (resource, index value and presence, unique, members/member_of keys): a key that
// parses one way but was written another would break scans and uniqueness.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "storage/key_codec.h"
#include "storage/record_codec.h"

namespace {

void Same(const std::string& again, std::string_view key, const char* what) {
  if (again == key) return;
  std::fprintf(stderr, "fuzz_keys: a %s key does not encode back to itself\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace scimd;
  using namespace scimd::storage;
  const std::string_view key(reinterpret_cast<const char*>(data), size);
  if (auto r = ParseResourceKey(key); r.ok())
    Same(ResourceKey(r->tenant, r->type, r->id), key, "resource");
  if (auto r = ParseIndexKey(key); r.ok()) {
    if (r->entry == IndexEntryKind::kValue) {
      auto again = IndexValueKey(r->tenant, r->type, {r->attr, r->value}, r->id);
      if (again.ok()) Same(*again, key, "index value");
    } else {
      Same(IndexPresenceKey(r->tenant, r->type, r->attr, r->id), key, "presence");
    }
  }
  if (auto r = ParseUniqueKey(key); r.ok()) {
    auto again = UniqueKey(r->tenant, r->type, r->term);
    if (again.ok()) Same(*again, key, "unique");
  }
  if (auto r = ParseEdgeKey(key); r.ok())
    Same(MemberKey(r->tenant, r->first, r->second), key, "edge");
  (void)DecodeMemberValue(key);
  (void)ParseCounterKey(key);
  (void)DecodeCounter(key);
  (void)ParseChangelogKey(key);
  (void)ParseTenantIdKey(key);
  (void)DecodeTenantId(key);
  (void)ParseTokenByTenantKey(key);
  (void)DecodeTenantRecord(key);
  (void)DecodeTokenRecord("t", key);
  return 0;
}
