#include "core/tenancy/activity.h"

#include <algorithm>

#include "core/base/json.h"
#include "core/tenancy/tenant_settings.h"

namespace scimd::core {

namespace {

// The record, written straight into a string: one entry per write is encoded on the
// upkeep thread, which shares its core with the reactor, so no DOM is built. Only the
// non-empty fields: an entry of a successful write is small.
void AppendEntry(const ActivityEntry& e, std::string& out) {
  out += "{\"time\":";
  out += std::to_string(e.time_us);
  auto text = [&](std::string_view key, const std::string& v) {
    if (v.empty()) return;
    out += ",\"";
    out += key;
    out += "\":";
    AppendJsonString(out, v);
  };
  auto list = [&](std::string_view key, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out += ",\"";
    out += key;
    out += "\":[";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendJsonString(out, items[i]);
    }
    out.push_back(']');
  };
  text("requestId", e.request_id);
  text("token", e.token_id);
  text("client", e.client);
  text("method", e.method);
  text("type", e.resource_type);
  text("id", e.resource_id);
  text("path", e.path);
  out += ",\"status\":" + std::to_string(e.status);
  text("scimType", e.scim_type);
  text("detail", e.detail);
  out += ",\"durationUs\":" + std::to_string(e.duration_us);
  list("changed", e.changed);
  list("warnings", e.warnings);
  if (e.via_bulk) out += ",\"bulk\":true";
}

}  // namespace

std::string EncodeActivityEntry(const ActivityEntry& entry) {
  std::string out;
  out.reserve(256);
  AppendEntry(entry, out);
  out.push_back('}');
  return out;
}

std::string ActivityEntryJson(const ActivityEntry& entry) {
  std::string out;
  AppendEntry(entry, out);
  out += ",\"sequence\":" + std::to_string(entry.sequence) + "}";
  return out;
}

Result<ActivityEntry> DecodeActivityEntry(uint64_t sequence, std::string_view record) {
  SCIMD_ASSIGN_OR_RETURN(Json j, Json::Parse(record));
  if (!j.is_object()) return Status::Corruption("activity record: not an object");
  ActivityEntry e;
  e.sequence = sequence;
  auto text = [&](const char* key, std::string& out) {
    if (const Json* v = j.Find(key); v != nullptr && v->is_string()) out = v->as_string();
  };
  auto number = [&](const char* key) -> int64_t {
    const Json* v = j.Find(key);
    return v != nullptr && v->is_int() ? v->as_int() : 0;
  };
  auto list = [&](const char* key, std::vector<std::string>& out) {
    if (const Json* v = j.Find(key); v != nullptr && v->is_array()) {
      for (const auto& item : v->as_array()) {
        if (item.is_string()) out.push_back(item.as_string());
      }
    }
  };
  e.time_us = number("time");
  text("requestId", e.request_id);
  text("token", e.token_id);
  text("client", e.client);
  text("method", e.method);
  text("type", e.resource_type);
  text("id", e.resource_id);
  text("path", e.path);
  e.status = static_cast<int>(number("status"));
  text("scimType", e.scim_type);
  text("detail", e.detail);
  e.duration_us = number("durationUs");
  list("changed", e.changed);
  list("warnings", e.warnings);
  if (const Json* b = j.Find("bulk"); b != nullptr && b->is_bool()) e.via_bulk = b->as_bool();
  return e;
}

Result<std::vector<ActivityEntry>> ReadActivity(Store& store, TenantId tenant,
                                                const ActivityQuery& query) {
  const size_t limit = std::clamp<size_t>(query.limit, 1, kMaxActivityPage);
  std::vector<ActivityEntry> out;
  Status decode;
  SCIMD_RETURN_IF_ERROR(
      store.ScanActivity(tenant, query.before, [&](uint64_t sequence, std::string_view record) {
        auto e = DecodeActivityEntry(sequence, record);
        if (!e.ok()) {
          decode = e.status();
          return false;
        }
        // Entries are numbered in the order they were answered: past `since`, stop.
        if (query.since_us != 0 && e->time_us < query.since_us) return false;
        if (query.failed_only && !e->failed()) return true;
        if (!query.resource_id.empty() && e->resource_id != query.resource_id) return true;
        out.push_back(std::move(e).value());
        return out.size() < limit;
      }));
  SCIMD_RETURN_IF_ERROR(decode);
  return out;
}

void ActivityLog::Record(TenantId tenant, ActivityEntry entry) {
  std::lock_guard<std::mutex> lock(mu_);
  if (queue_.size() >= kMaxQueuedActivity) {
    // The store is not keeping up (or is failing): lose the oldest waiting entry, never
    // make a request wait.
    queue_.pop_front();
    ++dropped_;
  }
  queue_.emplace_back(tenant, std::move(entry));
}

uint64_t ActivityLog::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

Result<size_t> ActivityLog::Flush(Store& store) {
  std::lock_guard<std::mutex> flushing(flush_mu_);
  std::deque<std::pair<TenantId, ActivityEntry>> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending.swap(queue_);
  }
  if (pending.empty()) return size_t{0};
  std::vector<ActivityWrite> writes;
  writes.reserve(pending.size());
  std::map<TenantId, uint64_t> next = last_;
  for (const auto& [tenant, entry] : pending) {
    auto it = next.find(tenant);
    if (it == next.end()) {
      SCIMD_ASSIGN_OR_RETURN(uint64_t last, store.LastActivitySequence(tenant));
      it = next.emplace(tenant, last).first;
    }
    writes.push_back({tenant, ++it->second, EncodeActivityEntry(entry)});
  }
  Status s = store.AppendActivity(writes);
  if (!s.ok()) {
    // Put them back in front (bounded as Record bounds it) for the next flush.
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& e : queue_) pending.push_back(std::move(e));
    while (pending.size() > kMaxQueuedActivity) {
      pending.pop_front();
      ++dropped_;
    }
    queue_.swap(pending);
    return s;
  }
  last_ = std::move(next);
  return writes.size();
}

Status ActivityLog::Prune(Store& store, TenantId tenant, const TenantSettings& settings,
                          int64_t now_us) {
  SCIMD_ASSIGN_OR_RETURN(uint64_t last, store.LastActivitySequence(tenant));
  if (last == 0) return Status::Ok();
  uint64_t keep_from = 0;  // the smallest sequence kept
  if (settings.activity_max_entries > 0 && last > settings.activity_max_entries) {
    keep_from = last - settings.activity_max_entries + 1;
  }
  if (settings.activity_retention_s > 0) {
    const int64_t cutoff = now_us - settings.activity_retention_s * 1'000'000;
    uint64_t first_young = last + 1;
    Status decode;
    SCIMD_RETURN_IF_ERROR(
        store.ScanActivityOldest(tenant, [&](uint64_t sequence, std::string_view record) {
          auto e = DecodeActivityEntry(sequence, record);
          if (!e.ok() || e->time_us >= cutoff) {
            first_young = sequence;
            return false;
          }
          return true;
        }));
    keep_from = std::max(keep_from, first_young);
  }
  if (keep_from <= 1) return Status::Ok();
  return store.DeleteActivityBefore(tenant, keep_from);
}

}  // namespace scimd::core
