#include "tools/scimload/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace scimd::scimload {
namespace {

constexpr int64_t kSub = int64_t{1} << LatencyHistogram::kSubBucketBits;  // 128
constexpr int64_t kLinear = 2 * kSub;  // values below this have a bucket each

}  // namespace

size_t LatencyHistogram::BucketOf(int64_t micros) {
  if (micros < 0) micros = 0;
  if (micros > kMaxMicros) micros = kMaxMicros;
  if (micros < kLinear) return static_cast<size_t>(micros);
  const int msb = 63 - std::countl_zero(static_cast<uint64_t>(micros));
  const int shift = msb - kSubBucketBits;  // >= 1
  const int64_t top = micros >> shift;     // in [kSub, 2 * kSub)
  return static_cast<size_t>(kLinear + (shift - 1) * kSub + (top - kSub));
}

int64_t LatencyHistogram::BucketLow(size_t bucket) {
  const auto b = static_cast<int64_t>(bucket);
  if (b < kLinear) return b;
  const int64_t shift = (b - kLinear) / kSub + 1;
  const int64_t top = (b - kLinear) % kSub + kSub;
  return top << shift;
}

int64_t LatencyHistogram::BucketHigh(size_t bucket) {
  const auto b = static_cast<int64_t>(bucket);
  if (b < kLinear) return b;
  const int64_t shift = (b - kLinear) / kSub + 1;
  return BucketLow(bucket) + (int64_t{1} << shift) - 1;
}

size_t LatencyHistogram::BucketCount() { return BucketOf(kMaxMicros) + 1; }

LatencyHistogram::LatencyHistogram() : counts_(BucketCount(), 0) {}

void LatencyHistogram::Record(int64_t micros) {
  if (micros < 0) micros = 0;
  ++counts_[BucketOf(micros)];
  if (count_ == 0 || micros < min_) min_ = micros;
  if (micros > max_) max_ = micros;
  ++count_;
  sum_ += static_cast<uint64_t>(micros);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

int64_t LatencyHistogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  if (rank == count_) return max_;  // the largest value is known exactly
  uint64_t seen = 0;
  for (size_t b = 0; b < counts_.size(); ++b) {
    seen += counts_[b];
    if (seen >= rank) {
      const int64_t mid = BucketLow(b) + (BucketHigh(b) - BucketLow(b)) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace scimd::scimload
