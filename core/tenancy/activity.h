// The activity log: the provisioning report a tenant's admin reads ("what did Entra do
// last night, and what failed?"). Every write and every failed request of a tenant is one
// entry: time, token id, client address, method, resource type and id, outcome (status,
// scimType, detail), duration, which attributes changed and what was skipped; never a
// password, a token or a value. Kept in the store's changelog family, per tenant,
// numbered; pruned by age and count (the tenant's "activity-retention" and
// "activity-max-entries").
//
// Cost: Record only appends to a bounded in-memory queue (one short mutex hold, no store
// access, never waits for I/O); scimd's upkeep thread writes the queue in one batch every
// kActivityFlushMillis. Entries of the last fraction of a second before a crash are lost
// with the process: the log reports, it is not the data. Safe on any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/ids.h"
#include "core/base/status.h"
#include "core/base/store.h"

namespace scimd::core {

struct TenantSettings;

// How often scimd writes the queued entries, and how many may wait: ~100 bytes each, so
// the bound is ~20 MB; past it the oldest waiting entries are dropped (and counted) rather
// than the request path ever waiting for the store.
inline constexpr int64_t kActivityFlushMillis = 200;
inline constexpr size_t kMaxQueuedActivity = 200'000;
// Entries one read returns at most (scimctl activity --limit, the admin API's page).
inline constexpr size_t kMaxActivityPage = 1000;

struct ActivityEntry {
  uint64_t sequence = 0;      // set once stored; the read cursor
  int64_t time_us = 0;        // when the request was answered
  std::string request_id;     // the request's X-Request-Id
  std::string token_id;       // public id of the token, empty when none
  std::string client;         // client address
  std::string method;         // POST, PUT, PATCH, DELETE, GET ...
  std::string resource_type;  // "User", "Group", empty for other endpoints
  std::string resource_id;    // empty when none (a failed POST, a list)
  std::string path;           // the endpoint, e.g. "/Users" (no query, no base path)
  int status = 0;
  std::string scim_type;  // of an error
  std::string detail;     // of an error
  int64_t duration_us = 0;
  std::vector<std::string> changed;   // attribute names (core::WriteResult)
  std::vector<std::string> warnings;  // e.g. members skipped
  bool via_bulk = false;              // one operation of a /Bulk request

  bool failed() const { return status >= 400; }
};

std::string EncodeActivityEntry(const ActivityEntry& entry);  // a JSON object
Result<ActivityEntry> DecodeActivityEntry(uint64_t sequence, std::string_view record);
// The same JSON object with its sequence, for the admin API and `scimctl activity --json`.
std::string ActivityEntryJson(const ActivityEntry& entry);

struct ActivityQuery {
  int64_t since_us = 0;     // entries answered at or after this time; 0: all
  std::string resource_id;  // only this resource's entries; empty: all
  bool failed_only = false;
  size_t limit = 100;   // at most kMaxActivityPage
  uint64_t before = 0;  // the next page: entries numbered below this; 0: the newest
};
// A tenant's entries, newest first.
Result<std::vector<ActivityEntry>> ReadActivity(Store& store, TenantId tenant,
                                                const ActivityQuery& query);

class ActivityLog {
 public:
  // Queues an entry of `tenant` (see the cost note above).
  void Record(TenantId tenant, ActivityEntry entry);
  // Writes every queued entry, numbered per tenant after the store's last, in one batch.
  // Returns how many were written.
  Result<size_t> Flush(Store& store);
  // Removes the tenant's entries that are older than its retention or beyond its count.
  Status Prune(Store& store, TenantId tenant, const TenantSettings& settings, int64_t now_us);
  // Entries dropped because the queue was full (since start).
  uint64_t dropped() const;

 private:
  mutable std::mutex mu_;  // guards queue_, dropped_ (held for a push or a swap)
  std::deque<std::pair<TenantId, ActivityEntry>> queue_;
  uint64_t dropped_ = 0;
  std::mutex flush_mu_;                // one flush at a time; guards last_
  std::map<TenantId, uint64_t> last_;  // per tenant: the last sequence written
};

}  // namespace scimd::core
