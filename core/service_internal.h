// Pieces shared by the files that implement core::Service (service.cc, service_patch.cc,
// service_list.cc, service_discovery.cc).
// Not part of core's interface.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/resource.h"
#include "core/service.h"
#include "core/status.h"
#include "core/store.h"

namespace scimd::core::internal {

inline constexpr std::string_view kContentType = "application/scim+json";
// Members rendered per piece of a streamed group body (~100 bytes each: ~64 KiB).
inline constexpr size_t kMembersPerPiece = 512;
// Groups whose membership is at most this size are sent with Content-Length in one
// piece; larger ones stream.
inline constexpr uint64_t kInlineMemberLimit = 2048;
// Upward walk bound when checking nested groups for cycles.
inline constexpr size_t kMaxNestingVisits = 10000;
// Lock-race retries (see WithRetry): plain yields first, then sleeps that double up to
// kMaxBusyPauseMicros, until kBusyRetryDeadline has passed (then 503 + Retry-After).
// 32 clients each adding 1,000 members to one group queue up for ~32 transactions of a
// few milliseconds each, well within the deadline.
inline constexpr int kBusyYields = 8;
inline constexpr int64_t kMaxBusyPauseMicros = 2000;
inline constexpr auto kBusyRetryDeadline = std::chrono::seconds(10);

// One resource of a response body, rendered up to (not including) its closing brace,
// plus the group whose members follow it, if any.
struct BodyItem {
  std::string head;
  std::optional<ResourceId> members_of;
};

// Produces a body made of `prefix`, the items separated by commas, and `suffix`,
// streaming each group's members from the store in bounded pieces.
class BodyStream {
 public:
  BodyStream(Store& store, TenantId tenant, std::string base_url, std::string prefix,
             std::vector<BodyItem> items, std::string suffix)
      : store_(store),
        tenant_(tenant),
        base_url_(std::move(base_url)),
        prefix_(std::move(prefix)),
        items_(std::move(items)),
        suffix_(std::move(suffix)) {}

  // Appends the next piece; false once the last piece has been appended.
  bool Next(std::string& out);

 private:
  Store& store_;
  TenantId tenant_;
  std::string base_url_;
  std::string prefix_;
  std::vector<BodyItem> items_;
  std::string suffix_;
  bool started_ = false;
  size_t index_ = 0;
  bool item_open_ = false;
  bool members_done_ = false;
  bool wrote_member_ = false;
  std::optional<ResourceId> last_member_;
};

// Sends `stream` inline when the body is known to be small, else as a stream.
void AttachBody(Response& r, std::shared_ptr<BodyStream> stream, bool small);

Response JsonResponse(int status, std::string body);
// Runs `fn` (which builds and commits one transaction) until it does not lose a lock race.
Status WithRetry(const std::function<Status()>& fn);
Status NotFound(ResourceType type, std::string_view id);
// Whether an If-Match / If-None-Match header value lists `etag` (or is "*").
bool EtagListMatches(std::string_view header, const std::string& etag);
// The current state of a resource, read and locked inside a write transaction.
struct LockedResource {
  std::string value;  // the stored value as read
  StoredHeader header;
  Json attrs;
};
// Reads and locks a resource for update, and checks If-Match (when not empty) against
// its version: NotFound naming `id_text`, PreconditionFailed, Busy or Corruption.
Result<LockedResource> LockForUpdate(Transaction& txn, ResourceType type, const ResourceId& id,
                                     std::string_view id_text, std::string_view if_match);

}  // namespace scimd::core::internal
