// Value encodings of the tenants and tokens column families (see FORMAT.md). The first
// byte of every record is its format version; decoders reject versions they do not know
// with Corruption so that an old binary never misreads a newer record. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/base/store.h"

namespace scimd::storage {

// Record format versions. Persisted: do not change; add a new number for a new layout.
inline constexpr uint8_t kTenantRecordV1 = 1;
inline constexpr uint8_t kTokenRecordV1 = 1;
inline constexpr uint8_t kTokenRecordV2 = 2;  // + scope, expiry, last use, description

inline constexpr size_t kTokenHashBytes = 32;  // SHA-256
inline constexpr size_t kMaxTokenIdBytes = 64;
// A token's description is an admin's label; 256 bytes hold any sensible one.
inline constexpr size_t kMaxTokenDescriptionBytes = 256;
// Tenant names are host-like labels ("acme.qa"); 253 is the longest DNS name.
inline constexpr size_t kMaxTenantNameBytes = 253;

std::string EncodeTenantRecord(const core::TenantRecord& record);
core::Result<core::TenantRecord> DecodeTenantRecord(std::string_view value);

// The token id lives in the key; the value carries the rest. Written as v2; v1 records
// (before scopes and expiry) read as scope "scim", never expiring, never used.
// REQUIRES: record.hash.size() == kTokenHashBytes and the description at most
// kMaxTokenDescriptionBytes (checked by the store).
std::string EncodeTokenRecord(const core::TokenRecord& record);
// InvalidValue unless `record` can be encoded: the checks both stores make in PutToken.
core::Status ValidateTokenRecord(const core::TokenRecord& record);
// ValidateTokenRecord for the result of an UpdateToken change, which must keep the token's
// id and tenant (`token_id`, `tenant`: what the record held before).
core::Status CheckTokenUpdate(const core::TokenRecord& record, std::string_view token_id,
                              core::TenantId tenant);
core::Result<core::TokenRecord> DecodeTokenRecord(std::string_view token_id,
                                                  std::string_view value);

}  // namespace scimd::storage
