// Quantities with units in scenario values: sizes ("64 kB"), rates ("30/h"), money ("1200 USD"),
// TEU ("20 TEU") and percentages ("5%"). Durations are in time.hpp. Each parser throws
// UnitError saying what it expected.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace tradesim::sim {

class UnitError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Bytes: "512 B", "64kB", "1.5 MB", "2 GB", "4 KiB", "1 MiB"; a bare number is bytes.
double parse_size(std::string_view text);
// Events per second: "30/h", "0.5/s", "12/min", "100/d", "2/w"; a bare number is per second.
double parse_rate(std::string_view text);
struct Money {
  double amount;
  std::string currency;  // ISO 4217 code, e.g. "USD"
};
// "1200 USD", "0.5 EUR", "-30 CNY": an amount and a three-letter currency code.
Money parse_money(std::string_view text);
// Twenty-foot equivalent units: "20 TEU", "1.5TEU"; a bare number is TEU.
double parse_teu(std::string_view text);
// A fraction: "5%" -> 0.05; a bare number is taken as a fraction in [0, 1] ("0.05").
double parse_percent(std::string_view text);

}  // namespace tradesim::sim
