// Bounds on client input that core enforces. Each number says where it comes from.
#pragma once

#include <cstddef>

namespace scimd::core {

// JSON nesting: a SCIM resource is at most 4 levels deep (resource > extension >
// complex multi-valued attribute > sub-attribute); Bulk and PatchOp wrap one or two
// more. 32 leaves room for that and stops stack-exhaustion attacks in our own recursion
// (simdjson's depth check is not enforced in release builds).
inline constexpr size_t kMaxJsonDepth = 32;

// Filter expressions: Entra and Okta send filters under 300 bytes; 4 KiB allows long
// hand-written ones. Longer is refused with invalidFilter.
inline constexpr size_t kMaxFilterLength = 4096;

// Page size: the largest `count` a list returns (advertised as filter.maxResults in
// /ServiceProviderConfig). Entra pages by 100, Okta by 100-200; 1000 bounds the work
// and the response size of one request.
inline constexpr size_t kMaxPageSize = 1000;
inline constexpr size_t kDefaultPageSize = 100;

// Values of `attributes`/`excludedAttributes`: bounded list length.
inline constexpr size_t kMaxProjectionPaths = 128;

// Members in one Group POST/PUT body. Larger memberships are built with PATCH.
inline constexpr size_t kMaxMembersPerWrite = 100000;

// Retries of an operation whose transaction lost a lock race (Status::kBusy). Each
// retry yields the thread; conflicts last microseconds (non-sync commits), so 200
// tries only run out under pathological contention, which answers 503.
inline constexpr int kMaxBusyRetries = 200;

// Longest string value accepted in an indexed attribute (userName, externalId,
// displayName, emails.value): index keys stay small; RFC 7643 sets no limit, real
// directory values are < 1 KiB (Entra UPN max 113 chars).
inline constexpr size_t kMaxIndexedValueBytes = 2048;

}  // namespace scimd::core
