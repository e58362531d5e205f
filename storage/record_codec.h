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

inline constexpr size_t kTokenHashBytes = 32;  // SHA-256
inline constexpr size_t kMaxTokenIdBytes = 64;
// Tenant names are host-like labels ("acme.qa"); 253 is the longest DNS name.
inline constexpr size_t kMaxTenantNameBytes = 253;

std::string EncodeTenantRecord(const core::TenantRecord& record);
core::Result<core::TenantRecord> DecodeTenantRecord(std::string_view value);

// The token id lives in the key; the value carries the rest.
// REQUIRES: record.hash.size() == kTokenHashBytes (checked by the store).
std::string EncodeTokenRecord(const core::TokenRecord& record);
core::Result<core::TokenRecord> DecodeTokenRecord(std::string_view token_id,
                                                  std::string_view value);

}  // namespace scimd::storage
