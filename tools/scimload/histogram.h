// LatencyHistogram: counts of latencies in microseconds in log-linear buckets, the layout of
// HdrHistogram with 128 sub-buckets per power of two: values below 256 us are exact, above
// that a bucket is 1/128 (0.8%) of its values wide and reports its midpoint (within 0.4%).
// Covers 1 us to kMaxMicros (~19 hours; larger values count in the last bucket, the maximum
// stays exact). Fixed memory (30 KiB), no allocation after construction. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace scimd::scimload {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;  // 128 sub-buckets: precision 1/128
  static constexpr int64_t kMaxMicros = (int64_t{1} << 36) - 1;

  LatencyHistogram();

  // Counts one value; negative values count as 0.
  void Record(int64_t micros);
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  int64_t max() const { return max_; }
  double Mean() const { return count_ == 0 ? 0 : static_cast<double>(sum_) / count_; }

  // The value at percentile `p` (0 < p <= 100) by nearest rank: the smallest recorded value
  // v with at least p% of the values <= v, within the bucket precision above; clamped to
  // [min(), max()], so Percentile(100) == max(). 0 when empty.
  int64_t Percentile(double p) const;

  // Bucket arithmetic, public for tests.
  static size_t BucketOf(int64_t micros);
  static int64_t BucketLow(size_t bucket);   // smallest value of the bucket
  static int64_t BucketHigh(size_t bucket);  // largest value of the bucket
  static size_t BucketCount();

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  // Sum of recorded values: 2^64 us is 584,000 years, no overflow in any run.
  uint64_t sum_ = 0;
};

}  // namespace scimd::scimload
