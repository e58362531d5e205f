// POST /Bulk (RFC 7644 §3.7): parse a BulkRequest, order its operations so that each runs
// after the POSTs whose bulkIds it references, run them through the typed use cases of
// core/usecase/service.h, and render the BulkResponse. Stateless; the router runs it on a
// blocking thread (up to 1,000 writes).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/base/ids.h"
#include "core/base/json.h"
#include "core/base/limits.h"
#include "core/base/status.h"
#include "core/tenancy/request_context.h"
#include "core/usecase/service.h"

namespace scimd::core {

inline constexpr std::string_view kBulkRequestSchema =
    "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
inline constexpr std::string_view kBulkResponseSchema =
    "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
// A string value with this prefix refers to the resource created by the POST with the
// bulkId that follows (RFC 7644 §3.7.2). Case-sensitive, as in the RFC.
inline constexpr std::string_view kBulkIdPrefix = "bulkId:";

// Advertised in /ServiceProviderConfig; see core/base/limits.h for where the numbers come from.
struct BulkLimits {
  size_t max_operations = kBulkMaxOperations;
  size_t max_payload_bytes = kBulkMaxPayloadBytes;
};

enum class BulkMethod { kPost, kPut, kPatch, kDelete };

// One entry of "Operations", validated. An operation that is malformed on its own (bad
// method, path or data) still parses: `error` says why it fails without running, so the
// others run (RFC 7644 §3.7: continue past partial failures).
struct BulkOperation {
  size_t index = 0;         // position in the request
  std::string method_text;  // canonical upper case when valid, else as sent
  BulkMethod method = BulkMethod::kPost;
  std::string bulk_id;  // empty when absent
  std::string version;  // sent as If-Match
  ResourceType type = ResourceType::kUser;
  std::string id;  // target of PUT/PATCH/DELETE; may be "bulkId:X"
  Json data;
  std::vector<std::string> refs;  // bulkIds referenced by `id` and `data`, deduplicated
  Status error;                   // non-OK: fails with this status, never runs
};

struct BulkRequest {
  std::vector<BulkOperation> operations;
  std::optional<size_t> fail_on_errors;  // stop once this many operations failed
};

// Parses and validates the envelope. Errors: 413 (PayloadTooLarge) when the body or the
// number of operations exceeds `limits` (RFC 7644 §3.7.4), 400 invalidSyntax/invalidValue
// for a malformed envelope or bulkIds that are not unique within the request.
Result<BulkRequest> ParseBulkRequest(std::string_view body, const BulkLimits& limits);

// The bulkIds that `value` references ("bulkId:X" string values at any depth), appended to
// `out` without duplicates.
void CollectBulkIdRefs(const Json& value, std::vector<std::string>& out);

// Replaces every "bulkId:X" string value in `value` with created.at(X). REQUIRES: every
// referenced X is a key of `created`.
void SubstituteBulkIds(Json& value, const std::unordered_map<std::string, std::string>& created);

// What one operation did: the fields of its entry in the BulkResponse.
struct BulkOpResult {
  int status = 0;
  std::string location;
  std::string version;
  std::string created_id;  // POST success: id of the new resource
  std::string error_body;  // SCIM error JSON (RFC 7644 §3.12) when status >= 400
  // For the activity log: the resource's id (when known), the error's scimType and
  // detail, and what the write changed or skipped.
  std::string resource_id;
  std::string scim_type;
  std::string detail;
  std::vector<std::string> changed_attributes;
  std::vector<std::string> warnings;
};

// The static plan: which POSTs each operation waits for, and which operations fail before
// anything runs (invalid, unknown bulkId, or part of a bulkId cycle).
struct BulkPlan {
  std::vector<std::vector<size_t>> deps;            // indices of referenced POSTs
  std::vector<std::optional<BulkOpResult>> failed;  // set: fails without running
};
BulkPlan PlanBulk(const BulkRequest& request);

// Runs one operation whose bulkId references are already replaced by ids.
using BulkExecutor = std::function<BulkOpResult(const BulkOperation& op)>;
// Batching (optional): whether an operation that references no bulkId may wait in a batch,
// and how a batch runs: its operations in order as one unit (one commit), stopping after
// `max_failures` failures; it returns the results of the operations that ran, a prefix.
using BulkBatchable = std::function<bool(const BulkOperation& op)>;
using BulkBatchExecutor = std::function<std::vector<BulkOpResult>(
    const std::vector<const BulkOperation*>& ops, size_t max_failures)>;

// Runs the operations, each after the POSTs it references, otherwise in request order
// (smallest ready index first). An operation referencing a POST that failed fails with 409.
// Stops after `fail_on_errors` failures. Returns the indices of the operations that ran,
// ascending, with their results in `results` (same size as the request).
// With `batchable` and `execute_batch`: consecutive batchable operations (in the order
// above) are collected and run by `execute_batch` together, just before the next operation
// that is not batchable (or at the end). The outcome is the same as running them one by one
// in that order: a batch never holds an operation that references another one, an
// operation referencing a batched POST runs after the batch, and failOnErrors counts the
// batch's failures in order.
std::vector<size_t> ExecuteBulk(BulkRequest& request, const BulkExecutor& execute,
                                std::vector<std::optional<BulkOpResult>>& results,
                                const BulkBatchable& batchable = nullptr,
                                const BulkBatchExecutor& execute_batch = nullptr);

// Runs every operation of `request` through `service` and returns the BulkResponse JSON
// (RFC 7644 §3.7.3). Runs of POSTs of Users, and of Groups without members, go through
// Service::CreateMany: one transaction and one commit per run instead of one per
// operation (docs/DESIGN.md, "/Bulk"); everything else runs one operation at a time. An
// operation's failure is its entry's status and SCIM error "response". `base_url`
// ("http://host/scim/v2") prefixes the locations. `observe`, when set, sees each operation
// that ran (or failed without running) with its result.
using BulkObserver = std::function<void(const BulkOperation& op, const BulkOpResult& result)>;
std::string RunBulk(Service& service, const RequestContext& ctx, BulkRequest& request,
                    std::string_view base_url, const BulkObserver& observe = nullptr);

}  // namespace scimd::core
