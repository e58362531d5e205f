// LatencyHistogram: bucket arithmetic, and percentiles within 1% of the exact ones on
// random data of several shapes.
#include "tools/scimload/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace scimd::scimload {
namespace {

// The exact nearest-rank percentile of sorted values.
int64_t Exact(const std::vector<int64_t>& sorted, double p) {
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

void ExpectWithinOnePercent(std::vector<int64_t> values) {
  LatencyHistogram h;
  for (int64_t v : values) h.Record(v);
  std::sort(values.begin(), values.end());
  for (double p : {1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const int64_t exact = Exact(values, p);
    const int64_t got = h.Percentile(p);
    EXPECT_LE(std::abs(got - exact), exact / 100)
        << "p" << p << " exact " << exact << " got " << got;
  }
  EXPECT_EQ(h.count(), values.size());
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.Percentile(100), values.back());
}

TEST(LatencyHistogramTest, BucketsCoverEveryValueOnceAndAreNarrow) {
  // Every bucket's range follows the previous one's, and is at most 1/128 of its values.
  for (size_t b = 1; b < LatencyHistogram::BucketCount(); ++b) {
    ASSERT_EQ(LatencyHistogram::BucketLow(b), LatencyHistogram::BucketHigh(b - 1) + 1) << b;
    const int64_t width = LatencyHistogram::BucketHigh(b) - LatencyHistogram::BucketLow(b) + 1;
    ASSERT_LE(width * 128, std::max<int64_t>(128, LatencyHistogram::BucketLow(b))) << b;
  }
  EXPECT_EQ(LatencyHistogram::BucketHigh(LatencyHistogram::BucketCount() - 1),
            LatencyHistogram::kMaxMicros);
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{255}, int64_t{256}, int64_t{257}, int64_t{1000},
                    int64_t{123'456'789}, LatencyHistogram::kMaxMicros}) {
    const size_t b = LatencyHistogram::BucketOf(v);
    EXPECT_LE(LatencyHistogram::BucketLow(b), v);
    EXPECT_GE(LatencyHistogram::BucketHigh(b), v);
  }
  EXPECT_EQ(LatencyHistogram::BucketOf(-5), 0u);
  EXPECT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::kMaxMicros * 4),
            LatencyHistogram::BucketCount() - 1);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int64_t v = 1; v <= 200; ++v) h.Record(v);
  EXPECT_EQ(h.Percentile(50), 100);
  EXPECT_EQ(h.Percentile(99), 198);
  EXPECT_EQ(h.Percentile(100), 200);
  EXPECT_EQ(h.min(), 1);
  EXPECT_DOUBLE_EQ(h.Mean(), 100.5);
}

TEST(LatencyHistogramTest, UniformMicrosecondsToMinutes) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<int64_t> dist(1, 120'000'000);  // 1 us .. 2 min
  std::vector<int64_t> values(200'000);
  for (auto& v : values) v = dist(rng);
  ExpectWithinOnePercent(values);
}

TEST(LatencyHistogramTest, LogNormalLatencies) {
  std::mt19937_64 rng(2);
  std::lognormal_distribution<double> dist(std::log(800.0), 1.5);  // median 0.8 ms, long tail
  std::vector<int64_t> values(200'000);
  for (auto& v : values) v = static_cast<int64_t>(dist(rng)) + 1;
  ExpectWithinOnePercent(values);
}

TEST(LatencyHistogramTest, TwoModesAndAStall) {
  // Most answers fast, some slow, a few stuck behind a 30 s stall.
  std::mt19937_64 rng(3);
  std::vector<int64_t> values;
  std::normal_distribution<double> fast(300, 50), slow(20'000, 3'000);
  for (int i = 0; i < 90'000; ++i) values.push_back(std::max<int64_t>(1, fast(rng)));
  for (int i = 0; i < 9'900; ++i) values.push_back(std::max<int64_t>(1, slow(rng)));
  for (int i = 0; i < 100; ++i) values.push_back(30'000'000 - i * 250'000);
  std::shuffle(values.begin(), values.end(), rng);
  ExpectWithinOnePercent(values);
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverything) {
  std::mt19937_64 rng(4);
  std::uniform_int_distribution<int64_t> dist(1, 5'000'000);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 10'000; ++i) {
    const int64_t v = dist(rng);
    (i % 3 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double p : {50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(a.Percentile(p), all.Percentile(p));
}

TEST(LatencyHistogramTest, EmptyAndOutOfRange) {
  LatencyHistogram h;
  EXPECT_EQ(h.Percentile(50), 0);
  EXPECT_EQ(h.max(), 0);
  h.Record(-3);  // a clock step backwards counts as 0
  h.Record(LatencyHistogram::kMaxMicros * 2);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), LatencyHistogram::kMaxMicros * 2);  // the maximum stays exact
  EXPECT_EQ(h.Percentile(100), LatencyHistogram::kMaxMicros * 2);
}

}  // namespace
}  // namespace scimd::scimload
