// RequestMetrics: what the SCIM listener answered, for /metrics (issue #21): a counter per
// tenant, method, resource and status, and a latency histogram per method and resource
// (no tenant label: with thousands of tenants, per-tenant histograms would be hundreds of
// thousands of series). Lock-free on the request path: counters in a SlotMap (one atomic
// per key, each thread finds its slots without the lock after the first time), histogram
// cells in a fixed array of atomics. Safe on any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/base/ids.h"
#include "core/base/slot_map.h"

namespace scimd::net {

class RequestMetrics {
 public:
  enum class Resource : uint8_t {
    kUsers,
    kGroups,
    kBulk,
    kMe,
    kSearch,     // POST /.search at the root
    kDiscovery,  // ServiceProviderConfig, ResourceTypes, Schemas
    kToken,
    kOther,  // no endpoint matched (404, 405)
  };
  static constexpr size_t kResources = 8;
  static constexpr size_t kMethods = 7;  // GET HEAD POST PUT PATCH DELETE other
  // Upper bounds of the latency buckets, in microseconds (then +Inf).
  static constexpr std::array<int64_t, 14> kBucketMicros = {
      500,    1000,   2500,   5000,    10000,   25000,   50000,
      100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

  // Counts one answer; `tenant` 0 when the request named none or was refused before (a
  // bad token, discovery).
  void Count(core::TenantId tenant, std::string_view method, Resource resource, int status,
             int64_t duration_us);

  struct Counter {
    core::TenantId tenant;
    std::string_view method;
    std::string_view resource;
    int status;
    uint64_t value;
  };
  std::vector<Counter> Counters() const;  // a moment's view, every key seen so far

  struct Histogram {
    std::string_view method;
    std::string_view resource;
    std::array<uint64_t, kBucketMicros.size()> cumulative;  // answers <= each bound
    uint64_t count;
    uint64_t sum_us;
  };
  std::vector<Histogram> Histograms() const;  // those with at least one answer

  static std::string_view MethodName(size_t method);
  static std::string_view ResourceName(size_t resource);

 private:
  struct Cell {
    std::array<std::atomic<uint64_t>, kBucketMicros.size() + 1> buckets{};  // last: +Inf
    std::atomic<uint64_t> sum_us{0};
  };
  static size_t MethodIndex(std::string_view method);

  core::SlotMap<uint64_t> counts_;  // key: tenant << 24 | method << 20 | resource << 16 | status
  std::array<Cell, kMethods * kResources> cells_;
};

}  // namespace scimd::net
