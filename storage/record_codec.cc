// Tenant and token record codecs. Layouts (all integers big-endian):
//   tenant v1: 0x01 | id(4) | created_unix(8) | len(4) name | count(4) (len(4) k len(4) v)*
//   token v1:  0x01 | tenant(4) | created_unix(8) | hash(32)
//   token v2:  0x02 | tenant(4) | created_unix(8) | hash(32) | scope(1) | expires_unix(8)
//              | last_used_unix(8) | len(4) description
#include "storage/record_codec.h"

#include <utility>

#include "storage/byte_reader.h"
#include "storage/key_codec.h"

namespace scimd::storage {

using core::Result;
using core::Status;

std::string EncodeTenantRecord(const core::TenantRecord& record) {
  std::string v(1, static_cast<char>(kTenantRecordV1));
  AppendU32(&v, record.id);
  AppendU64(&v, static_cast<uint64_t>(record.created_unix));
  AppendBytes(&v, record.name);
  AppendU32(&v, static_cast<uint32_t>(record.settings.size()));
  for (const auto& [k, val] : record.settings) {
    AppendBytes(&v, k);
    AppendBytes(&v, val);
  }
  return v;
}

Result<core::TenantRecord> DecodeTenantRecord(std::string_view value) {
  ByteReader r(value);
  uint8_t version = 0;
  if (!r.U8(&version) || version != kTenantRecordV1) {
    return Status::Corruption("tenant record: unknown format version");
  }
  core::TenantRecord t;
  uint64_t created = 0;
  uint32_t count = 0;
  if (!r.U32(&t.id) || !r.U64(&created) || !r.Bytes(&t.name) || !r.U32(&count)) {
    return Status::Corruption("tenant record: truncated");
  }
  t.created_unix = static_cast<int64_t>(created);
  // Each setting takes at least 8 bytes, so `count` is bounded by the record's size.
  for (uint32_t i = 0; i < count; ++i) {
    std::string k, v;
    if (!r.Bytes(&k) || !r.Bytes(&v)) return Status::Corruption("tenant record: truncated");
    t.settings.insert_or_assign(std::move(k), std::move(v));
  }
  if (!r.AtEnd()) return Status::Corruption("tenant record: trailing bytes");
  return t;
}

std::string EncodeTokenRecord(const core::TokenRecord& record) {
  std::string v(1, static_cast<char>(kTokenRecordV2));
  AppendU32(&v, record.tenant);
  AppendU64(&v, static_cast<uint64_t>(record.created_unix));
  v.append(record.hash);
  v.push_back(static_cast<char>(record.scope));
  AppendU64(&v, static_cast<uint64_t>(record.expires_unix));
  AppendU64(&v, static_cast<uint64_t>(record.last_used_unix));
  AppendBytes(&v, record.description);
  return v;
}

Status ValidateTokenRecord(const core::TokenRecord& token) {
  if (token.token_id.empty() || token.token_id.size() > kMaxTokenIdBytes) {
    return Status::InvalidValue("token id must be 1 to 64 bytes");
  }
  if (token.hash.size() != kTokenHashBytes) {
    return Status::InvalidValue("token hash must be 32 bytes");
  }
  if (token.description.size() > kMaxTokenDescriptionBytes) {
    return Status::InvalidValue("a token description is at most " +
                                std::to_string(kMaxTokenDescriptionBytes) + " bytes");
  }
  return Status::Ok();
}

Status CheckTokenUpdate(const core::TokenRecord& record, std::string_view token_id,
                        core::TenantId tenant) {
  if (record.token_id != token_id || record.tenant != tenant) {
    return Status::InvalidValue("a token update may not change the token's id or tenant");
  }
  return ValidateTokenRecord(record);
}

Result<core::TokenRecord> DecodeTokenRecord(std::string_view token_id, std::string_view value) {
  ByteReader r(value);
  uint8_t version = 0;
  if (!r.U8(&version) || (version != kTokenRecordV1 && version != kTokenRecordV2)) {
    return Status::Corruption("token record: unknown format version");
  }
  core::TokenRecord t;
  t.token_id.assign(token_id);
  uint64_t created = 0;
  if (!r.U32(&t.tenant) || !r.U64(&created) || !r.Raw(kTokenHashBytes, &t.hash)) {
    return Status::Corruption("token record: bad size");
  }
  t.created_unix = static_cast<int64_t>(created);
  if (version == kTokenRecordV2) {
    uint8_t scope = 0;
    uint64_t expires = 0, last_used = 0;
    if (!r.U8(&scope) || !r.U64(&expires) || !r.U64(&last_used) || !r.Bytes(&t.description)) {
      return Status::Corruption("token record: bad size");
    }
    if (scope != static_cast<uint8_t>(core::TokenRecord::Scope::kScim) &&
        scope != static_cast<uint8_t>(core::TokenRecord::Scope::kScimRead)) {
      return Status::Corruption("token record: unknown scope");
    }
    t.scope = static_cast<core::TokenRecord::Scope>(scope);
    t.expires_unix = static_cast<int64_t>(expires);
    t.last_used_unix = static_cast<int64_t>(last_used);
  }
  if (!r.AtEnd()) return Status::Corruption("token record: bad size");
  return t;
}

}  // namespace scimd::storage
