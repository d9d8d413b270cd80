// The multi-server station: queue discipline and time-averaged statistics, by hand computation.
#include "sim/station.hpp"

#include <gtest/gtest.h>

namespace tradesim::sim {
namespace {

SimTime at(int64_t hours) {
  return SimTime::zero() + Duration::from_ns(hours * units::kHour);
}

TEST(Station, ServesFifoWithCServers) {
  Station s(2);
  EXPECT_TRUE(s.arrive(at(0), 1));
  EXPECT_TRUE(s.arrive(at(0), 2));
  EXPECT_FALSE(s.arrive(at(1), 3));  // both berths busy: waits
  EXPECT_FALSE(s.arrive(at(1), 4));
  EXPECT_EQ(s.queue_length(), 2u);
  auto next = s.depart(at(2));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->id, 3u);  // first come, first served
  EXPECT_EQ(next->service_start, at(2));
  EXPECT_EQ(s.depart(at(3))->id, 4u);
  EXPECT_FALSE(s.depart(at(4)));
  EXPECT_FALSE(s.depart(at(5)));
  EXPECT_THROW(s.depart(at(6)), std::logic_error);
  EXPECT_EQ(s.arrivals_waited(), 2u);
  // Waits: 0, 0, 1 h, 2 h -> mean 0.75 h.
  EXPECT_DOUBLE_EQ(s.mean_wait_hours(), 0.75);
}

TEST(Station, TimeAveragesAreAreasOverTime) {
  Station s(1);
  s.arrive(at(0), 1);  // in system: 1 over [0,2)
  s.arrive(at(2), 2);  // 2 over [2,4): one waits
  s.depart(at(4));     // 1 over [4,6)
  s.depart(at(6));     // 0 over [6,8)
  // L = (1*2 + 2*2 + 1*2 + 0*2) / 8 = 1; Lq = (1*2) / 8 = 0.25; busy 6 of 8 h.
  EXPECT_DOUBLE_EQ(s.mean_in_system(at(8)), 1.0);
  EXPECT_DOUBLE_EQ(s.mean_in_queue(at(8)), 0.25);
  EXPECT_DOUBLE_EQ(s.utilisation(at(8)), 0.75);
  s.reset_statistics(at(8));
  EXPECT_EQ(s.arrivals(), 0u);
  EXPECT_DOUBLE_EQ(s.mean_in_system(at(10)), 0.0);
}

}  // namespace
}  // namespace tradesim::sim

namespace tradesim::sim {
namespace {

// Closing a server while ships wait: the closed server finishes its job and takes no other.
TEST(Station, ClosedServersTakeNoNewJobs) {
  Station s(3);
  for (uint64_t id = 1; id <= 5; ++id) s.arrive(at(0), id);  // 3 in service, 2 waiting
  EXPECT_TRUE(s.set_servers(at(1), 2).empty());
  EXPECT_FALSE(s.depart(at(2)));  // 3 busy > 2 open: the freed server closes
  EXPECT_EQ(s.busy(), 2);
  EXPECT_EQ(s.queue_length(), 2u);
  const auto next = s.depart(at(3));  // now a server of the 2 open ones frees up
  ASSERT_TRUE(next);
  EXPECT_EQ(next->id, 4u);
  EXPECT_EQ(s.busy(), 2);
  // Reopening starts a waiting job at once.
  const auto started = s.set_servers(at(4), 3);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].id, 5u);
  EXPECT_EQ(s.busy(), 3);
  EXPECT_EQ(s.clear(at(5)), 3u);
  EXPECT_EQ(s.in_system(), 0u);
}

}  // namespace
}  // namespace tradesim::sim
