// Business calendars: the time-0 convention, cut-off boundary, weekends (Sat/Sun and Fri/Sat),
// time zones that cross midnight (whole and fractional offsets), holidays, work spanning days;
// and a sweep against a minute-by-minute reference. Expected instants are hand computations
// from the convention "time 0 = Monday 00:00 UTC of week 0".
#include "models/payments/calendar.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace tradesim::payments {
namespace {

using namespace sim::literals;

// The UTC instant of weekday day (0 = Monday of week 0) at h:m UTC.
sim::SimTime utc(int64_t day, int h, int m = 0) {
  return sim::SimTime::zero() + sim::Duration::from_ns(day * sim::units::kDay) + h * 1_h +
         m * 1_min;
}

CalendarParams zone(double offset_hours) {
  CalendarParams p;
  p.utc_offset_hours = offset_hours;
  return p;
}

TEST(Calendar, TimeZeroIsMondayMidnightUtc) {
  const BusinessCalendar london;  // UTC, 09:00-17:00, cut-off 15:00, Sat/Sun
  EXPECT_EQ(london.local_day(sim::SimTime::zero()), 0);
  EXPECT_EQ(BusinessCalendar::weekday(0), Weekday::kMonday);
  EXPECT_EQ(BusinessCalendar::weekday(4), Weekday::kFriday);
  EXPECT_EQ(BusinessCalendar::weekday(-1), Weekday::kSunday);
  EXPECT_EQ(BusinessCalendar::weekday(13), Weekday::kSunday);
  // New York (UTC-5): time 0 is Sunday 19:00, local day -1.
  const BusinessCalendar new_york(zone(-5));
  EXPECT_EQ(new_york.local_day(sim::SimTime::zero()), -1);
  EXPECT_EQ(new_york.local_time_of_day(sim::SimTime::zero()), 19_h);
  // Shanghai (UTC+8): Monday 08:00, day 0.
  const BusinessCalendar shanghai(zone(8));
  EXPECT_EQ(shanghai.local_day(sim::SimTime::zero()), 0);
  EXPECT_EQ(shanghai.local_time_of_day(sim::SimTime::zero()), 8_h);
  // Friday 16:00 in Shanghai is Friday 08:00 UTC; at_local and local_* are inverse.
  EXPECT_EQ(shanghai.at_local(4, 16_h), utc(4, 8));
  EXPECT_EQ(shanghai.local_day(utc(4, 8)), 4);
  EXPECT_EQ(shanghai.local_time_of_day(utc(4, 8)), 16_h);
}

TEST(Calendar, CutOffBoundary) {
  const BusinessCalendar c;  // UTC
  // Before opening: processed from opening the same day.
  EXPECT_EQ(c.next_processing_start(utc(0, 8)), utc(0, 9));
  EXPECT_EQ(c.next_processing_start(utc(0, 9)), utc(0, 9));
  // One nanosecond before the cut-off: at once. At the cut-off or after: the next business day.
  const sim::SimTime just_before = utc(0, 15) - 1_ns;
  EXPECT_EQ(c.next_processing_start(just_before), just_before);
  EXPECT_EQ(c.next_processing_start(utc(0, 15)), utc(1, 9));
  EXPECT_EQ(c.next_processing_start(utc(0, 16)), utc(1, 9));  // open, but after the cut-off
  EXPECT_EQ(c.next_processing_start(utc(0, 23, 59)), utc(1, 9));
  EXPECT_TRUE(c.is_open(utc(0, 16)));
  EXPECT_FALSE(c.is_open(utc(0, 17)));
}

TEST(Calendar, WeekendSaturdaySunday) {
  const BusinessCalendar c;
  // Friday after the cut-off, Saturday and Sunday: Monday of week 1 (day 7) 09:00.
  EXPECT_EQ(c.next_processing_start(utc(4, 15)), utc(7, 9));
  EXPECT_EQ(c.next_processing_start(utc(5, 10)), utc(7, 9));
  EXPECT_EQ(c.next_processing_start(utc(6, 23)), utc(7, 9));
  EXPECT_FALSE(c.is_business_day(5));
  EXPECT_FALSE(c.is_business_day(6));
  EXPECT_TRUE(c.is_business_day(7));
  EXPECT_EQ(c.next_business_day(4), 7);
}

TEST(Calendar, WeekendFridaySaturday) {
  CalendarParams p = zone(4);  // Dubai
  p.weekend = {Weekday::kFriday, Weekday::kSaturday};
  const BusinessCalendar dubai(p);
  // Thursday 16:00 local (after the cut-off) -> Sunday (day 6) 09:00 local = 05:00 UTC.
  EXPECT_EQ(dubai.next_processing_start(dubai.at_local(3, 16_h)), utc(6, 5));
  EXPECT_EQ(dubai.next_processing_start(dubai.at_local(4, 10_h)), utc(6, 5));
  EXPECT_TRUE(dubai.is_business_day(6));
  EXPECT_FALSE(dubai.is_business_day(4));
}

TEST(Calendar, TimeZonesCrossingMidnight) {
  // Shanghai: Monday 20:00 UTC is Tuesday 04:00 local -> Tuesday 09:00 local = 01:00 UTC.
  const BusinessCalendar shanghai(zone(8));
  EXPECT_EQ(shanghai.local_day(utc(0, 20)), 1);
  EXPECT_EQ(shanghai.next_processing_start(utc(0, 20)), utc(1, 1));
  // New York: Saturday 02:00 UTC is Friday 21:00 local -> Monday (day 7) 09:00 = 14:00 UTC.
  const BusinessCalendar new_york(zone(-5));
  EXPECT_EQ(new_york.local_day(utc(5, 2)), 4);
  EXPECT_EQ(new_york.next_processing_start(utc(5, 2)), utc(7, 14));
  // Mumbai (+5:30): 09:29 UTC is 14:59 local, at once; 09:30 UTC is the 15:00 cut-off ->
  // Tuesday 09:00 local = Tuesday 03:30 UTC.
  const BusinessCalendar mumbai(zone(5.5));
  EXPECT_EQ(mumbai.next_processing_start(utc(0, 9, 29)), utc(0, 9, 29));
  EXPECT_EQ(mumbai.next_processing_start(utc(0, 9, 30)), utc(1, 3, 30));
  // Kathmandu (+5:45): opening at 03:15 UTC.
  const BusinessCalendar kathmandu(zone(5.75));
  EXPECT_EQ(kathmandu.next_processing_start(utc(0, 0)), utc(0, 3, 15));
  // Before time 0: New York's Sunday (day -1) evening -> Monday 09:00 local.
  EXPECT_EQ(new_york.next_processing_start(sim::SimTime::zero()), utc(0, 14));
}

TEST(Calendar, Holidays) {
  CalendarParams p;
  p.holidays = {1};  // Tuesday of week 0
  const BusinessCalendar c(p);
  EXPECT_EQ(c.next_processing_start(utc(0, 16)), utc(2, 9));  // Monday after cut-off -> Wednesday
  EXPECT_EQ(c.next_processing_start(utc(1, 10)), utc(2, 9));  // on the holiday itself
  // A long weekend: Friday (day 4) and Monday (day 7) are holidays: Thursday after the
  // cut-off -> Tuesday of week 1 (day 8).
  p.holidays = {7, 4};  // unsorted on purpose
  const BusinessCalendar easter(p);
  EXPECT_EQ(easter.next_processing_start(utc(3, 15, 30)), utc(8, 9));
  // Holidays are local days: for Shanghai day 1 is Tuesday local, which starts Monday 16:00 UTC.
  p = zone(8);
  p.holidays = {1};
  const BusinessCalendar shanghai(p);
  EXPECT_EQ(shanghai.next_processing_start(utc(0, 5)), utc(0, 5));  // Monday 13:00 local
  EXPECT_EQ(shanghai.next_processing_start(utc(0, 7)), utc(2, 1));  // 15:00 local -> Wednesday
}

TEST(Calendar, CompletionRespectsBusinessHours) {
  const BusinessCalendar c;
  // Fits the day: 14:00 + 2 h = 16:00 (work started before the cut-off may run past it).
  EXPECT_EQ(c.completion_time(utc(0, 14), 2_h), utc(0, 16));
  // Ends exactly at the close: done at 17:00, not the next morning.
  EXPECT_EQ(c.completion_time(utc(0, 14), 3_h), utc(0, 17));
  // 4 h from 14:00: 3 h on Monday, 1 h on Tuesday -> Tuesday 10:00.
  EXPECT_EQ(c.completion_time(utc(0, 14), 4_h), utc(1, 10));
  // 20 h from Monday 09:00: 8 + 8 + 4 -> Wednesday 13:00.
  EXPECT_EQ(c.completion_time(utc(0, 9), 20_h), utc(2, 13));
  // Friday 14:00 + 5 h: 3 h on Friday, 2 h on Monday -> Monday (day 7) 11:00.
  EXPECT_EQ(c.completion_time(utc(4, 14), 5_h), utc(7, 11));
  // After the cut-off nothing starts: Friday 16:00 + 1 h -> Monday 10:00.
  EXPECT_EQ(c.completion_time(utc(4, 16), 1_h), utc(7, 10));
  // Zero work: done when processing starts.
  EXPECT_EQ(c.completion_time(utc(5, 12), sim::Duration::zero()), utc(7, 9));
  EXPECT_THROW(c.completion_time(utc(0, 9), -1_s), std::invalid_argument);
  // Across a holiday: Monday 16:00 + 10 h with Tuesday off: Wednesday 8 h + Thursday 2 h.
  CalendarParams p;
  p.holidays = {1};
  EXPECT_EQ(BusinessCalendar(p).completion_time(utc(0, 16), 10_h), utc(3, 11));
}

TEST(Calendar, RejectsBadParameters) {
  CalendarParams p;
  p.utc_offset_hours = 5.01;  // 300.6 minutes
  EXPECT_THROW(BusinessCalendar{p}, std::invalid_argument);
  p = {};
  p.utc_offset_hours = 15;
  EXPECT_THROW(BusinessCalendar{p}, std::invalid_argument);
  p = {};
  p.cutoff = 18_h;  // after the close
  EXPECT_THROW(BusinessCalendar{p}, std::invalid_argument);
  p = {};
  p.cutoff = 9_h;  // at the opening: no same-day window
  EXPECT_THROW(BusinessCalendar{p}, std::invalid_argument);
  p = {};
  p.open = 17_h;
  EXPECT_THROW(BusinessCalendar{p}, std::invalid_argument);
  p = {};
  p.close = 25_h;
  EXPECT_THROW(BusinessCalendar{p}, std::invalid_argument);
  p = {};
  p.weekend = {Weekday::kMonday, Weekday::kTuesday,  Weekday::kWednesday, Weekday::kThursday,
               Weekday::kFriday, Weekday::kSaturday, Weekday::kSunday};
  EXPECT_THROW(BusinessCalendar{p}, std::invalid_argument);
}

// An independent reference: step minute by minute. Processing starts at the arrival if the bank
// takes same-day payments then, else at the first later minute at which a business day opens;
// work is consumed one minute per open minute.
sim::SimTime reference_start(const BusinessCalendar& c, sim::SimTime arrival) {
  const int64_t day = c.local_day(arrival);
  const sim::Duration tod = c.local_time_of_day(arrival);
  if (c.is_business_day(day) && c.open() <= tod && tod < c.cutoff()) return arrival;
  for (sim::SimTime t = arrival;; t += 1_min) {
    if (c.local_time_of_day(t) == c.open() && c.is_business_day(c.local_day(t))) return t;
  }
}

sim::SimTime reference_completion(const BusinessCalendar& c, sim::SimTime arrival,
                                  int64_t work_minutes) {
  sim::SimTime t = reference_start(c, arrival);
  while (work_minutes > 0) {
    if (c.is_open(t)) --work_minutes;
    t += 1_min;
  }
  // Finishing after the last minute of work, not after closed minutes that follow it.
  return t;
}

TEST(Calendar, MatchesMinuteByMinuteReference) {
  std::vector<CalendarParams> calendars;
  calendars.push_back({});
  calendars.push_back(zone(8));
  calendars.push_back(zone(-5));
  CalendarParams mumbai = zone(5.5);
  mumbai.holidays = {2, 9, 10};
  calendars.push_back(mumbai);
  CalendarParams riyadh = zone(3);
  riyadh.weekend = {Weekday::kFriday, Weekday::kSaturday};
  riyadh.open = 8_h;
  riyadh.close = 14_h;
  riyadh.cutoff = 12_h + 30_min;
  calendars.push_back(riyadh);
  CalendarParams late = zone(-9.5);
  late.open = 10_h;
  late.close = 24_h;
  late.cutoff = 24_h;
  calendars.push_back(late);
  int checked = 0;
  for (const CalendarParams& p : calendars) {
    const BusinessCalendar c(p);
    // Arrivals every 37 minutes over two weeks; work from 0 to 20 h in 7-minute steps.
    for (int64_t k = 0; k * 37 < 14 * 24 * 60; ++k) {
      const sim::SimTime arrival = sim::SimTime::zero() + k * 37_min;
      ASSERT_EQ(c.next_processing_start(arrival), reference_start(c, arrival))
          << "offset " << p.utc_offset_hours << " arrival " << arrival.to_string();
      const int64_t work = (k * 7) % (20 * 60);
      ASSERT_EQ(c.completion_time(arrival, work * 1_min), reference_completion(c, arrival, work))
          << "offset " << p.utc_offset_hours << " arrival " << arrival.to_string() << " work "
          << work << " min";
      ++checked;
    }
  }
  EXPECT_EQ(checked, 6 * 545);
}

}  // namespace
}  // namespace tradesim::payments
