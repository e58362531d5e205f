#include "net/request_metrics.h"

#include <algorithm>

namespace scimd::net {
namespace {

constexpr std::array<std::string_view, RequestMetrics::kMethods> kMethodNames = {
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "other"};
constexpr std::array<std::string_view, RequestMetrics::kResources> kResourceNames = {
    "Users", "Groups", "Bulk", "Me", "search", "discovery", "Token", "other"};

}  // namespace

std::string_view RequestMetrics::MethodName(size_t method) { return kMethodNames[method]; }
std::string_view RequestMetrics::ResourceName(size_t resource) { return kResourceNames[resource]; }

size_t RequestMetrics::MethodIndex(std::string_view method) {
  for (size_t i = 0; i + 1 < kMethodNames.size(); ++i) {
    if (kMethodNames[i] == method) return i;
  }
  return kMethods - 1;
}

void RequestMetrics::Count(core::TenantId tenant, std::string_view method, Resource resource,
                           int status, int64_t duration_us) {
  const size_t m = MethodIndex(method);
  const auto r = static_cast<size_t>(resource);
  const auto s = static_cast<uint64_t>(std::clamp(status, 0, 0xffff));
  const uint64_t key = uint64_t{tenant} << 24 | uint64_t{m} << 20 | uint64_t{r} << 16 | s;
  counts_.Slot(key).fetch_add(1, std::memory_order_relaxed);
  Cell& cell = cells_[m * kResources + r];
  const size_t bucket = std::lower_bound(kBucketMicros.begin(), kBucketMicros.end(), duration_us) -
                        kBucketMicros.begin();
  cell.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  cell.sum_us.fetch_add(static_cast<uint64_t>(std::max<int64_t>(duration_us, 0)),
                        std::memory_order_relaxed);
}

std::vector<RequestMetrics::Counter> RequestMetrics::Counters() const {
  std::vector<Counter> out;
  for (const auto& [key, value] : counts_.Snapshot()) {
    out.push_back(Counter{static_cast<core::TenantId>(key >> 24), kMethodNames[(key >> 20) & 0xf],
                          kResourceNames[(key >> 16) & 0xf], static_cast<int>(key & 0xffff),
                          static_cast<uint64_t>(value)});
  }
  return out;
}

std::vector<RequestMetrics::Histogram> RequestMetrics::Histograms() const {
  std::vector<Histogram> out;
  for (size_t m = 0; m < kMethods; ++m) {
    for (size_t r = 0; r < kResources; ++r) {
      const Cell& cell = cells_[m * kResources + r];
      Histogram h{kMethodNames[m], kResourceNames[r], {}, 0, 0};
      for (size_t b = 0; b < cell.buckets.size(); ++b) {
        h.count += cell.buckets[b].load(std::memory_order_relaxed);
        if (b < h.cumulative.size()) h.cumulative[b] = h.count;
      }
      if (h.count == 0) continue;
      h.sum_us = cell.sum_us.load(std::memory_order_relaxed);
      out.push_back(h);
    }
  }
  return out;
}

}  // namespace scimd::net
