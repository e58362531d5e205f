// Latency percentiles of the load programs of bench/ (raw_put_bench, core_create_bench):
// one vector of microseconds per thread, merged and sorted.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace scimd::bench {

struct LatencySummary {
  size_t count = 0;
  uint32_t p50_us = 0;
  uint32_t p99_us = 0;
};

inline LatencySummary Summarize(const std::vector<std::vector<uint32_t>>& per_thread) {
  std::vector<uint32_t> all;
  for (const auto& l : per_thread) all.insert(all.end(), l.begin(), l.end());
  LatencySummary s;
  s.count = all.size();
  if (all.empty()) return s;
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all[std::min(all.size() - 1, static_cast<size_t>(p * static_cast<double>(all.size())))];
  };
  s.p50_us = pct(0.50);
  s.p99_us = pct(0.99);
  return s;
}

}  // namespace scimd::bench
