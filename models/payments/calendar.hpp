// A bank's business calendar: its time zone, business hours, cut-off time for same-day processing,
// weekend days and holidays; and when a payment that reaches the bank is processed and finished.
// Pure functions of simulated time: no node, no randomness.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "sim/time.hpp"

namespace tradesim::payments {

// Convention: simulated time 0 is Monday 00:00 UTC of week 0. A bank's local day d is the d-th
// calendar day after the Monday of week 0 *in the bank's own time zone* (day 0 is that Monday,
// negative days are before it), so day d is always weekday d mod 7, counted from Monday = 0.
// Example: at time 0 it is Sunday 19:00 in New York (UTC-5, day -1) and Monday 08:00 in Shanghai
// (UTC+8, day 0).
enum class Weekday : uint8_t {
  kMonday,
  kTuesday,
  kWednesday,
  kThursday,
  kFriday,
  kSaturday,
  kSunday
};
std::string_view weekday_name(Weekday d);

// A set of weekdays: WeekdaySet{Weekday::kFriday, Weekday::kSaturday}.
class WeekdaySet {
 public:
  constexpr WeekdaySet() = default;
  constexpr WeekdaySet(std::initializer_list<Weekday> days) {
    for (Weekday d : days) bits_ |= static_cast<uint8_t>(1U << static_cast<int>(d));
  }
  constexpr bool contains(Weekday d) const { return (bits_ >> static_cast<int>(d)) & 1U; }
  constexpr bool all() const { return bits_ == 0x7f; }

 private:
  uint8_t bits_ = 0;
};

struct CalendarParams {
  // Hours east of UTC; may be fractional (India +5.5, Nepal +5.75); whole minutes, -12 to +14.
  // Daylight saving time is not modelled: one offset for the whole run.
  double utc_offset_hours = 0;
  // Local times of day. Processing happens in [open, close); a payment received on a business
  // day in [open, cutoff) is processed that day, one received at or after the cut-off (or on a
  // day the bank is closed) from the next business day's opening. Needs open < cutoff <= close.
  // The defaults are illustrative, not measured.
  sim::Duration open = sim::Duration::from_ns(9 * sim::units::kHour);
  sim::Duration close = sim::Duration::from_ns(17 * sim::units::kHour);
  sim::Duration cutoff = sim::Duration::from_ns(15 * sim::units::kHour);
  // Saturday and Sunday; Friday and Saturday in some Gulf countries. Not all seven days.
  WeekdaySet weekend{Weekday::kSaturday, Weekday::kSunday};
  // Local day numbers (see above) on which the bank is closed.
  std::vector<int64_t> holidays;
};

class BusinessCalendar {
 public:
  BusinessCalendar() : BusinessCalendar(CalendarParams{}) {}
  // Throws std::invalid_argument naming the bad parameter.
  explicit BusinessCalendar(const CalendarParams& params);

  sim::Duration utc_offset() const { return utc_offset_; }
  sim::Duration open() const { return open_; }
  sim::Duration close() const { return close_; }
  sim::Duration cutoff() const { return cutoff_; }

  // The local day of an instant, and the local time of day in [0, 24 h).
  int64_t local_day(sim::SimTime t) const;
  sim::Duration local_time_of_day(sim::SimTime t) const;
  // The instant of local day `day` at local time `time_of_day`.
  sim::SimTime at_local(int64_t day, sim::Duration time_of_day) const;
  static Weekday weekday(int64_t day);

  bool is_business_day(int64_t day) const;
  // The first business day after `day`.
  int64_t next_business_day(int64_t day) const;
  // The bank is in business hours at `t` (a business day, local time in [open, close)).
  bool is_open(sim::SimTime t) const;

  // When the bank starts processing a payment received at `arrival`: at once if it arrives on a
  // business day between opening and the cut-off; at that day's opening if it arrives before
  // it; otherwise at the next business day's opening.
  sim::SimTime next_processing_start(sim::SimTime arrival) const;
  // When `work` of processing (business-hours time) started as above is finished: work that does
  // not fit before the close continues at the next business day's opening. Work already started
  // is not subject to the cut-off. Zero work finishes at the processing start.
  sim::SimTime completion_time(sim::SimTime arrival, sim::Duration work) const;

 private:
  sim::Duration utc_offset_;
  sim::Duration open_, close_, cutoff_;
  WeekdaySet weekend_;
  std::vector<int64_t> holidays_;  // sorted, unique
};

}  // namespace tradesim::payments
