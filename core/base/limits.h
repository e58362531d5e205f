// Bounds on client input that core enforces. Each number says where it comes from.
#pragma once

#include <cstddef>
#include <cstdint>

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

// Longest string value accepted in an indexed attribute (userName, externalId,
// displayName, emails.value): index keys stay small; RFC 7643 sets no limit, real
// directory values are < 1 KiB (Entra UPN max 113 chars).
inline constexpr size_t kMaxIndexedValueBytes = 2048;

// Operations in one PATCH request. Entra batches member changes into one request with
// hundreds of operations; 10,000 bounds the work of one request and its transaction.
inline constexpr size_t kMaxPatchOperations = 10000;

// /Bulk (RFC 7644 §3.7.4): operations per request, advertised as bulk.maxOperations in
// /ServiceProviderConfig. 1000 is what IBM Security Verify advertises and matches our page
// size (kMaxPageSize): a client can write back one page per request. One bulk request runs
// on one blocking thread; 1000 non-sync commits take tens of milliseconds. Over: 413.
inline constexpr size_t kBulkMaxOperations = 1000;

// /Bulk request body in bytes, advertised as bulk.maxPayloadSize. The RFC's example and
// IBM Security Verify use 1 MiB, but 1000 POSTs of a rich User (enterprise extension,
// addresses, phones, two emails) measured 1.14 MB compact, more pretty-printed, and a Group
// POST with 1000 members is ~50 KB: 1 MiB would make kBulkMaxOperations unreachable for
// real batches. 4 MiB leaves that room, stays below the HTTP server's 8 MiB body cap
// (net::kDefaultMaxBodyBytes), and bounds the parsed DOM (~5x the text: 72-byte nodes) to
// ~20 MiB per in-flight bulk request. Over: 413 with the limit in the detail.
inline constexpr size_t kBulkMaxPayloadBytes = 4 * 1024 * 1024;

// Cycle members named in the detail of a circular-reference error: keeps error bodies
// small when a client sends a long ring of bulkIds.
inline constexpr size_t kBulkMaxIdsInDetail = 10;

// Filter nesting: parentheses, `not` and valuePath brackets, each one level. Real client
// filters (Entra, Okta) nest at most 2-3 levels; 32 bounds the recursion of the parser,
// binder and evaluator (each level is one stack frame per pass).
inline constexpr size_t kMaxFilterDepth = 32;

// Nodes (comparisons, and/or/not, valuePaths) in one filter. kMaxFilterLength already
// allows at most ~800 (`a pr or a pr ...`); 1024 keeps the work of compiling and of
// evaluating per resource bounded even if the length limit grows.
inline constexpr size_t kMaxFilterNodes = 1024;

// Matches a sorted list may order in memory (key + id each, ~100 bytes: ~20 MiB).
// A larger sorted result answers 400 tooMany, unless the sort attribute is indexed (then
// the list walks the index instead: core/filter/index_sort.h); unsorted lists have no such limit.
inline constexpr size_t kMaxSortedResults = 200000;

// Page cursors (core/usecase/page_cursors.h): remembered positions in id order that let an
// unfiltered list page skip to its startIndex instead of reading every row before it.
// Lists (tenant x type) remembered at once: clients page through a few tenants at a time;
// 512 x 256 cursors of 40 bytes is at most ~5 MiB.
inline constexpr size_t kMaxPagingLists = 512;
// Cursors per list: a client's sequential walk needs one (the end of its last page); the
// rest are checkpoints every kCursorStride rows, learned while skipping: 256 cover 2M rows,
// so a jump elsewhere in a list of that size reads at most 8,192 rows (~6 ms).
inline constexpr size_t kMaxCursorsPerList = 256;
inline constexpr uint64_t kCursorStride = 8192;

// Ids an Intersect collects from a probe that is a scan (filter_exec.cc). The planner only
// makes such probes of scans it counted at <= kEstimateBound (65,536) ids; this bound holds
// if the data grew meanwhile (1.6 MB of ids), and past it the probe is simply dropped.
inline constexpr size_t kMaxProbeSetIds = 100000;

// Attributes one tenant may index beyond the built-in ones (core/tenancy/tenant_index.h). Each
// adds an index write per change of the attribute and entries per resource; 32 covers
// every string attribute of User and Enterprise User a filter is likely to name.
inline constexpr size_t kMaxTenantIndexes = 32;

// ---- Waiting for other writers (core/usecase/service.cc, RunTransaction) ----

// A write that loses a lock race on a reactor thread (RequestContext::may_wait false) is
// tried this many times back to back, without pausing, then handed back as Busy and re-run
// on a blocking thread. Most conflicts are two short transactions meeting (microseconds);
// one immediate retry usually wins, and a long holder (a million-member clear) is not
// worth more tries: the reactor must not spin on it either.
inline constexpr int kInlineBusyAttempts = 3;
// On a blocking thread: plain yields first, then pauses that double up to
// kMaxBusyPauseMicros, until kBusyRetryDeadline has passed (then 503 + Retry-After).
// 32 clients each adding 1,000 members to one group queue up for ~32 transactions of a
// few milliseconds each, and clearing a million members holds a group for 1.2-1.8 s
// (docs/PERFORMANCE.md): both well within the deadline.
inline constexpr int kBusyYields = 8;
inline constexpr int64_t kMaxBusyPauseMicros = 2000;
inline constexpr int64_t kBusyRetryDeadlineMicros = 10 * 1000 * 1000;

// ---- Groups ----

// Upward walk bound when checking nested groups for cycles and listing a user's groups.
inline constexpr size_t kMaxNestingVisits = 10000;
// Groups whose membership is at most this size are rendered with Content-Length in one
// piece (and a PATCH of them answers 200 with the group); larger ones stream, and a PATCH
// answers 204 unless the client names attributes (core/scim/scim_render.h).
inline constexpr uint64_t kInlineMemberLimit = 2048;
// Members rendered per piece of a streamed group body (~100 bytes each: ~64 KiB).
inline constexpr size_t kMembersPerPiece = 512;

// Warnings one write reports (members skipped because they do not exist): an activity log
// entry stays small when a client sends thousands of placeholder ids.
inline constexpr size_t kMaxWriteWarnings = 20;

// ---- Tenants (core/tenancy/gate.h) ----

// Tenant settings and token records are cached per reactor thread for this long: a change
// made elsewhere reaches every thread within it (the admin API's own changes at once,
// Gate::InvalidateSettings / InvalidateTokens), and store reads stay off the hot path.
inline constexpr int64_t kTenantSettingsTtlMicros = 5 * 1000 * 1000;
// Tenants whose settings one thread keeps: ~200 bytes each, so 10,000 tenants (a large
// hosted provider's whole fleet) cost ~2 MiB per thread; past it the expired entries go,
// then the oldest.
inline constexpr size_t kMaxCachedTenants = 10000;
// Token records each reactor thread keeps (core::Gate, as long as settings are kept).
inline constexpr size_t kMaxCachedTokens = 10000;

}  // namespace scimd::core
