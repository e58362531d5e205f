// Pieces shared by the files that implement core::Service (service.cc, service_patch.cc,
// service_search.cc). Not part of core's interface.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/ids.h"
#include "core/base/json.h"
#include "core/base/status.h"
#include "core/base/store.h"
#include "core/resource/stored_value.h"
#include "core/tenancy/request_context.h"

namespace scimd::core::internal {

// Runs `attempt` (which builds and commits one transaction) until it does not lose a lock
// race (Busy). On a reactor (!ctx.may_wait): kInlineBusyAttempts tries back to back, then
// Busy for the caller to re-run it off the reactor. Where waiting is allowed: yields,
// then growing pauses, up to kBusyRetryDeadlineMicros, then Busy (503).
Status RunTransaction(const RequestContext& ctx, const std::function<Status()>& attempt);

// The current state of a resource, read and locked inside a write transaction.
struct LockedResource {
  std::string value;  // the stored value as read
  StoredHeader header;
  Json attrs;
};
// Reads and locks a resource for update, and checks If-Match (when not empty) against
// its version: NotFound, PreconditionFailed, Busy or Corruption.
Result<LockedResource> LockForUpdate(Transaction& txn, ResourceType type, const ResourceId& id,
                                     std::string_view if_match);

// The names of the attributes that differ between two canonical attribute objects (either
// may be empty: a create or a delete), for WriteResult::changed_attributes. Unsorted.
std::vector<std::string> ChangedAttributes(const Json& before, const Json& after);

}  // namespace scimd::core::internal
