// OpenLoopSchedule: slot k at start + k / rate with no accumulated rounding, DueBy as its
// inverse, and latency counted from the intended time.
#include "tools/scimload/schedule.h"

#include <gtest/gtest.h>

namespace scimd::scimload {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

const Clock::time_point kStart = Clock::time_point() + seconds(1000);

TEST(OpenLoopScheduleTest, SlotKIsDueAtKOverRate) {
  OpenLoopSchedule s(kStart, 1000);
  EXPECT_EQ(s.IntendedTime(0), kStart);
  EXPECT_EQ(s.IntendedTime(1), kStart + milliseconds(1));
  EXPECT_EQ(s.IntendedTime(2500), kStart + milliseconds(2500));
  // A rate that does not divide a second: 3/s is 333,333,333.33 ns apart; slot 3 is exactly
  // one second in, not 3 x 333,333,333 ns.
  OpenLoopSchedule t(kStart, 3);
  EXPECT_EQ(t.IntendedTime(1), kStart + nanoseconds(333'333'333));
  EXPECT_EQ(t.IntendedTime(3), kStart + seconds(1));
  EXPECT_EQ(t.IntendedTime(3'000'000), kStart + seconds(1'000'000));
}

TEST(OpenLoopScheduleTest, NoDriftOverALongRun) {
  // 7,000 requests/s for 24 hours: the last slot is where k / rate puts it, to the ns.
  OpenLoopSchedule s(kStart, 7000);
  const uint64_t k = uint64_t{7000} * 86'400;
  EXPECT_EQ(s.IntendedTime(k), kStart + seconds(86'400));
  EXPECT_EQ(s.IntendedTime(k + 7), kStart + seconds(86'400) + milliseconds(1));
}

TEST(OpenLoopScheduleTest, IntendedTimesNeverGoBackwards) {
  for (double rate : {1.0, 3.0, 7.5, 999.9, 12'345.6}) {
    OpenLoopSchedule s(kStart, rate);
    for (uint64_t k = 1; k < 20'000; ++k) {
      ASSERT_LE(s.IntendedTime(k - 1), s.IntendedTime(k)) << rate << " " << k;
    }
  }
}

TEST(OpenLoopScheduleTest, DueByIsTheInverse) {
  for (double rate : {1.0, 3.0, 1000.0, 12'345.6}) {
    OpenLoopSchedule s(kStart, rate);
    EXPECT_EQ(s.DueBy(kStart - nanoseconds(1)), 0u);
    EXPECT_EQ(s.DueBy(kStart), 1u);  // slot 0 is due at the start
    for (uint64_t k = 1; k < 5'000; k += 7) {
      const Clock::time_point t = s.IntendedTime(k);
      EXPECT_EQ(s.DueBy(t), k + 1) << rate << " " << k;               // slot k due exactly then
      EXPECT_EQ(s.DueBy(t - nanoseconds(1)), k) << rate << " " << k;  // and not before
    }
  }
  OpenLoopSchedule s(kStart, 100);
  EXPECT_EQ(s.DueBy(kStart + milliseconds(995)), 100u);  // slots 0..99
  EXPECT_EQ(s.DueBy(kStart + seconds(10)), 1001u);
}

TEST(OpenLoopScheduleTest, LatencyCountsFromTheIntendedTime) {
  // Rate 100/s, one connection, a server that stalls 500 ms on the first request: the
  // request of slot 10 (intended at 100 ms) is sent at 500 ms and answered at 501 ms. Its
  // latency is 401 ms, not the 1 ms the wire saw.
  OpenLoopSchedule s(kStart, 100);
  const Clock::time_point intended = s.IntendedTime(10);
  const Clock::time_point sent = kStart + milliseconds(500);
  const Clock::time_point done = sent + milliseconds(1);
  EXPECT_EQ(LatencyMicros(intended, done), 401'000);
  EXPECT_EQ(LatencyMicros(sent, done), 1'000);  // what a closed loop would report
  EXPECT_EQ(LatencyMicros(done, intended), 0);  // never negative
  EXPECT_EQ(LatencyMicros(kStart, kStart + microseconds(1)), 1);
}

}  // namespace
}  // namespace scimd::scimload
