// Business calendars: local days, business hours, cut-off and holidays.
#include "models/payments/calendar.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace tradesim::payments {

namespace {

constexpr int64_t kDayNs = sim::units::kDay;

// Floor division: instants before the local Monday of week 0 fall on negative days.
int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

std::string_view weekday_name(Weekday d) {
  static constexpr std::string_view kNames[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                "Friday", "Saturday", "Sunday"};
  return kNames[static_cast<int>(d)];
}

BusinessCalendar::BusinessCalendar(const CalendarParams& p)
    : open_(p.open),
      close_(p.close),
      cutoff_(p.cutoff),
      weekend_(p.weekend),
      holidays_(p.holidays) {
  const double minutes = p.utc_offset_hours * 60.0;
  if (!(p.utc_offset_hours >= -12.0 && p.utc_offset_hours <= 14.0) ||
      minutes != std::round(minutes)) {
    throw std::invalid_argument("calendar: utc_offset_hours " + std::to_string(p.utc_offset_hours) +
                                " must be whole minutes between -12 and +14");
  }
  utc_offset_ =
      sim::Duration::from_ns(static_cast<int64_t>(std::llround(minutes)) * sim::units::kMinute);
  if (open_ < sim::Duration::zero() || close_ > sim::Duration::from_ns(kDayNs) ||
      !(open_ < close_)) {
    throw std::invalid_argument("calendar: business hours need 0 <= open < close <= 24h (open " +
                                open_.to_string() + ", close " + close_.to_string() + ")");
  }
  if (!(open_ < cutoff_) || cutoff_ > close_) {
    throw std::invalid_argument("calendar: the cut-off " + cutoff_.to_string() +
                                " must be after the opening and at or before the close");
  }
  if (weekend_.all()) throw std::invalid_argument("calendar: every weekday is a weekend day");
  std::sort(holidays_.begin(), holidays_.end());
  holidays_.erase(std::unique(holidays_.begin(), holidays_.end()), holidays_.end());
}

int64_t BusinessCalendar::local_day(sim::SimTime t) const {
  return floor_div(t.ns() + utc_offset_.ns(), kDayNs);
}

sim::Duration BusinessCalendar::local_time_of_day(sim::SimTime t) const {
  const int64_t local = t.ns() + utc_offset_.ns();
  return sim::Duration::from_ns(local - floor_div(local, kDayNs) * kDayNs);
}

sim::SimTime BusinessCalendar::at_local(int64_t day, sim::Duration time_of_day) const {
  return sim::SimTime::from_ns(day * kDayNs + time_of_day.ns() - utc_offset_.ns());
}

Weekday BusinessCalendar::weekday(int64_t day) {
  return static_cast<Weekday>(day - floor_div(day, 7) * 7);
}

bool BusinessCalendar::is_business_day(int64_t day) const {
  if (weekend_.contains(weekday(day))) return false;
  return !std::binary_search(holidays_.begin(), holidays_.end(), day);
}

int64_t BusinessCalendar::next_business_day(int64_t day) const {
  // Terminates: at least one weekday is a working day and the holidays are finite.
  do {
    ++day;
  } while (!is_business_day(day));
  return day;
}

bool BusinessCalendar::is_open(sim::SimTime t) const {
  const sim::Duration tod = local_time_of_day(t);
  return is_business_day(local_day(t)) && open_ <= tod && tod < close_;
}

sim::SimTime BusinessCalendar::next_processing_start(sim::SimTime arrival) const {
  const int64_t day = local_day(arrival);
  if (is_business_day(day)) {
    const sim::Duration tod = local_time_of_day(arrival);
    if (tod < open_) return at_local(day, open_);
    if (tod < cutoff_) return arrival;
  }
  return at_local(next_business_day(day), open_);
}

sim::SimTime BusinessCalendar::completion_time(sim::SimTime arrival, sim::Duration work) const {
  if (work < sim::Duration::zero()) {
    throw std::invalid_argument("calendar: negative processing time " + work.to_string());
  }
  // The start lies in [open, cutoff) of a business day, so within business hours.
  sim::SimTime t = next_processing_start(arrival);
  sim::Duration remaining = work;
  for (;;) {
    const int64_t day = local_day(t);
    const sim::Duration available = at_local(day, close_) - t;
    if (remaining <= available) return t + remaining;
    remaining -= available;
    t = at_local(next_business_day(day), open_);
  }
}

}  // namespace tradesim::payments
