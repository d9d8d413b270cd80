// Simulated time: SimTime (a point) and Duration (a span), both int64 nanoseconds.
// Integer time so that equal times compare equal on every machine; range is about +-292 years.
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tradesim::sim {

class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration from_ns(int64_t ns) { return Duration(ns); }
  // Rounds to the nearest nanosecond; for converting model quantities such as Exp() draws.
  static Duration from_seconds(double seconds);
  static constexpr Duration max() { return Duration(std::numeric_limits<int64_t>::max()); }
  static constexpr Duration zero() { return Duration(0); }

  constexpr int64_t ns() const { return ns_; }
  constexpr double seconds() const { return static_cast<double>(ns_) * 1e-9; }
  constexpr double hours() const { return static_cast<double>(ns_) / 3.6e12; }

  constexpr Duration operator+(Duration o) const { return Duration(ns_ + o.ns_); }
  constexpr Duration operator-(Duration o) const { return Duration(ns_ - o.ns_); }
  constexpr Duration operator-() const { return Duration(-ns_); }
  constexpr Duration operator*(int64_t k) const { return Duration(ns_ * k); }
  constexpr Duration operator/(int64_t k) const { return Duration(ns_ / k); }
  constexpr Duration& operator+=(Duration o) {
    ns_ += o.ns_;
    return *this;
  }
  constexpr Duration& operator-=(Duration o) {
    ns_ -= o.ns_;
    return *this;
  }
  constexpr auto operator<=>(const Duration&) const = default;

  // Parses "250ms", "1.5h", "3d", "2w", "90s", "1h30m", "0". Throws TimeParseError.
  static Duration parse(std::string_view text);
  // Exact, in the largest unit where it is whole or has at most three decimals: "250ms",
  // "1.5h", "3d", "20d", "26h", "1000000.001us".
  std::string to_string() const;

 private:
  constexpr explicit Duration(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

class SimTime {
 public:
  constexpr SimTime() = default;
  static constexpr SimTime from_ns(int64_t ns) { return SimTime(ns); }
  static constexpr SimTime zero() { return SimTime(0); }
  static constexpr SimTime max() { return SimTime(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t ns() const { return ns_; }
  constexpr double seconds() const { return static_cast<double>(ns_) * 1e-9; }
  constexpr Duration since_start() const { return Duration::from_ns(ns_); }

  constexpr SimTime operator+(Duration d) const { return SimTime(ns_ + d.ns()); }
  constexpr SimTime operator-(Duration d) const { return SimTime(ns_ - d.ns()); }
  constexpr Duration operator-(SimTime o) const { return Duration::from_ns(ns_ - o.ns_); }
  constexpr SimTime& operator+=(Duration d) {
    ns_ += d.ns();
    return *this;
  }
  constexpr auto operator<=>(const SimTime&) const = default;

  // A point is written as the duration since the start of the run: "3d12h".
  static SimTime parse(std::string_view text) { return SimTime(Duration::parse(text).ns()); }
  std::string to_string() const { return Duration::from_ns(ns_).to_string(); }

 private:
  constexpr explicit SimTime(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

constexpr SimTime operator+(Duration d, SimTime t) {
  return t + d;
}
constexpr Duration operator*(int64_t k, Duration d) {
  return d * k;
}

// A parse error names the text, the character position (0-based) and what was expected there.
class TimeParseError : public std::invalid_argument {
 public:
  TimeParseError(std::string text, size_t position, const std::string& what);
  const std::string& text() const { return text_; }
  size_t position() const { return position_; }

 private:
  std::string text_;
  size_t position_;
};

namespace units {
inline constexpr int64_t kNanosecond = 1;
inline constexpr int64_t kMicrosecond = 1000;
inline constexpr int64_t kMillisecond = 1000 * kMicrosecond;
inline constexpr int64_t kSecond = 1000 * kMillisecond;
inline constexpr int64_t kMinute = 60 * kSecond;
inline constexpr int64_t kHour = 60 * kMinute;
inline constexpr int64_t kDay = 24 * kHour;
inline constexpr int64_t kWeek = 7 * kDay;
}  // namespace units

inline namespace literals {
constexpr Duration operator""_ns(unsigned long long v) {
  return Duration::from_ns(static_cast<int64_t>(v));
}
constexpr Duration operator""_us(unsigned long long v) {
  return Duration::from_ns(static_cast<int64_t>(v) * units::kMicrosecond);
}
constexpr Duration operator""_ms(unsigned long long v) {
  return Duration::from_ns(static_cast<int64_t>(v) * units::kMillisecond);
}
constexpr Duration operator""_s(unsigned long long v) {
  return Duration::from_ns(static_cast<int64_t>(v) * units::kSecond);
}
constexpr Duration operator""_min(unsigned long long v) {
  return Duration::from_ns(static_cast<int64_t>(v) * units::kMinute);
}
constexpr Duration operator""_h(unsigned long long v) {
  return Duration::from_ns(static_cast<int64_t>(v) * units::kHour);
}
constexpr Duration operator""_d(unsigned long long v) {
  return Duration::from_ns(static_cast<int64_t>(v) * units::kDay);
}
constexpr Duration operator""_w(unsigned long long v) {
  return Duration::from_ns(static_cast<int64_t>(v) * units::kWeek);
}
}  // namespace literals

}  // namespace tradesim::sim
