// Parsing and printing of durations with unit suffixes.
#include "sim/time.hpp"

#include <array>
#include <cmath>
#include <cstdlib>

namespace tradesim::sim {

namespace {

struct Unit {
  std::string_view suffix;
  int64_t ns;
};
// Longest suffixes first so that "ms" is not read as "m" followed by "s".
constexpr std::array<Unit, 11> kUnits{{{"min", units::kMinute},
                                       {"ns", units::kNanosecond},
                                       {"us", units::kMicrosecond},
                                       {"ms", units::kMillisecond},
                                       {"s", units::kSecond},
                                       {"m", units::kMinute},
                                       {"h", units::kHour},
                                       {"d", units::kDay},
                                       {"w", units::kWeek},
                                       {"µs", units::kMicrosecond},
                                       {"y", 365 * units::kDay}}};

constexpr std::string_view kExpected = "ns, us, ms, s, m/min, h, d, w or y";

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_space(char c) {
  return c == ' ' || c == '\t';
}

}  // namespace

TimeParseError::TimeParseError(std::string text, size_t position, const std::string& what)
    : std::invalid_argument("invalid duration \"" + text + "\" at character " +
                            std::to_string(position + 1) + ": " + what),
      text_(std::move(text)),
      position_(position) {}

Duration Duration::from_seconds(double seconds) {
  const double ns = std::nearbyint(seconds * 1e9);
  if (!(std::fabs(ns) < 9.2e18)) {
    throw std::out_of_range("duration of " + std::to_string(seconds) + " s is out of range");
  }
  return Duration(static_cast<int64_t>(ns));
}

// Grammar: [-] term { [space] term }, term = number [space] unit, number = digits [. digits].
// A bare "0" is accepted as zero; any other number needs a unit.
Duration Duration::parse(std::string_view text) {
  const std::string owned(text);
  size_t i = 0;
  const size_t n = text.size();
  auto fail = [&](size_t pos, const std::string& what) -> Duration {
    throw TimeParseError(owned, pos, what);
  };
  while (i < n && is_space(text[i])) ++i;
  if (i == n) return fail(i, "empty; expected a number with a unit such as 250ms or 3d");
  bool negative = false;
  if (text[i] == '-' || text[i] == '+') {
    negative = text[i] == '-';
    ++i;
  }
  long double total = 0;
  int terms = 0;
  while (true) {
    while (i < n && is_space(text[i])) ++i;
    if (i == n) break;
    const size_t number_start = i;
    while (i < n && is_digit(text[i])) ++i;
    if (i < n && text[i] == '.') {
      ++i;
      const size_t fraction_start = i;
      while (i < n && is_digit(text[i])) ++i;
      if (i == fraction_start) return fail(i, "expected digits after the decimal point");
    }
    if (i == number_start) {
      return fail(i, terms == 0 ? "expected a number" : "expected a number or the end");
    }
    const long double value = std::strtold(owned.c_str() + number_start, nullptr);
    while (i < n && is_space(text[i])) ++i;
    if (i == n) {
      if (terms == 0 && value == 0) return Duration(0);
      return fail(i, "missing unit; expected one of " + std::string(kExpected));
    }
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (text.substr(i, u.suffix.size()) == u.suffix) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) {
      return fail(i, "unknown unit \"" + std::string(text.substr(i, 1)) + "\"; expected one of " +
                         std::string(kExpected));
    }
    i += unit->suffix.size();
    if (i < n && !is_space(text[i]) && !is_digit(text[i])) {
      return fail(i, "unknown unit; expected one of " + std::string(kExpected));
    }
    total += value * static_cast<long double>(unit->ns);
    ++terms;
  }
  if (total > 9.2e18L) return fail(0, "out of range (more than 292 years)");
  // Rounded in long double: exact to the nanosecond over the whole range.
  const long double rounded = std::nearbyintl(total);
  const auto exact = static_cast<int64_t>(rounded);
  return Duration(negative ? -exact : exact);
}

std::string Duration::to_string() const {
  if (ns_ == 0) return "0s";
  if (ns_ == std::numeric_limits<int64_t>::min()) return "-292y";
  std::string sign = ns_ < 0 ? "-" : "";
  const int64_t v = ns_ < 0 ? -ns_ : ns_;
  // Single unit with at most 3 decimals when exact: "1.5h", "250ms".
  constexpr std::array<Unit, 8> kPrint{{{"w", units::kWeek},
                                        {"d", units::kDay},
                                        {"h", units::kHour},
                                        {"min", units::kMinute},
                                        {"s", units::kSecond},
                                        {"ms", units::kMillisecond},
                                        {"us", units::kMicrosecond},
                                        {"ns", units::kNanosecond}}};
  // The largest unit in which the value is whole or has at most three decimals.
  for (const Unit& u : kPrint) {
    if (v < u.ns) continue;
    if (v % u.ns == 0) return sign + std::to_string(v / u.ns) + std::string(u.suffix);
    for (int64_t scale : {10, 100, 1000}) {
      if (v < std::numeric_limits<int64_t>::max() / 1000 && (v * scale) % u.ns == 0) {
        const int64_t whole = v / u.ns;
        const int64_t fraction = (v % u.ns) * scale / u.ns;
        std::string digits = std::to_string(fraction);
        digits.insert(0, static_cast<size_t>(std::to_string(scale).size() - 1 - digits.size()),
                      '0');
        return sign + std::to_string(whole) + "." + digits + std::string(u.suffix);
      }
    }
  }
  return sign + std::to_string(v) + "ns";
}

}  // namespace tradesim::sim
