// Number-and-unit parsing shared by the unit kinds.
#include "sim/units.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

namespace tradesim::sim {

namespace {

struct Split {
  double number;
  std::string unit;  // trimmed, may be empty
};

std::string quote(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

// A leading decimal number, optional spaces, then the rest as the unit.
Split split(std::string_view text, std::string_view what) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  size_t end = text.size();
  while (end > i && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  const std::string_view body = text.substr(i, end - i);
  double value = 0;
  const auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
  if (ec != std::errc() || !std::isfinite(value)) {
    throw UnitError("expected " + std::string(what) + ", got " + quote(text));
  }
  std::string_view rest(ptr, static_cast<size_t>(body.data() + body.size() - ptr));
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front())))
    rest.remove_prefix(1);
  return Split{value, std::string(rest)};
}

}  // namespace

double parse_size(std::string_view text) {
  const Split s = split(text, "a size such as 512 B, 64 kB or 1.5 MB");
  struct U {
    const char* name;
    double bytes;
  };
  static constexpr U kUnits[] = {{"", 1},         {"B", 1},           {"kB", 1e3},
                                 {"KB", 1e3},     {"MB", 1e6},        {"GB", 1e9},
                                 {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}};
  for (const U& u : kUnits) {
    if (s.unit == u.name) {
      if (s.number < 0) throw UnitError("a size must not be negative: " + quote(text));
      return s.number * u.bytes;
    }
  }
  throw UnitError("unknown size unit \"" + s.unit + "\" in " + quote(text) +
                  "; expected B, kB, MB, GB, KiB, MiB or GiB");
}

double parse_rate(std::string_view text) {
  const Split s = split(text, "a rate such as 30/h or 0.5/s");
  struct U {
    const char* name;
    double seconds;
  };
  static constexpr U kUnits[] = {{"", 1},      {"/s", 1},     {"/min", 60},   {"/m", 60},
                                 {"/h", 3600}, {"/d", 86400}, {"/w", 604800}, {"/y", 31536000}};
  for (const U& u : kUnits) {
    if (s.unit == u.name) {
      if (s.number < 0) throw UnitError("a rate must not be negative: " + quote(text));
      return s.number / u.seconds;
    }
  }
  throw UnitError("unknown rate unit \"" + s.unit + "\" in " + quote(text) +
                  "; expected /s, /min, /h, /d, /w or /y");
}

Money parse_money(std::string_view text) {
  const Split s = split(text, "an amount of money such as 1200 USD");
  const bool code = s.unit.size() == 3 && std::isupper(static_cast<unsigned char>(s.unit[0])) &&
                    std::isupper(static_cast<unsigned char>(s.unit[1])) &&
                    std::isupper(static_cast<unsigned char>(s.unit[2]));
  if (!code) {
    throw UnitError("expected a three-letter currency code after the amount in " + quote(text) +
                    " (e.g. 1200 USD)");
  }
  return Money{s.number, s.unit};
}

double parse_teu(std::string_view text) {
  const Split s = split(text, "a number of TEU such as 20 TEU");
  if (s.unit != "" && s.unit != "TEU") {
    throw UnitError("unknown unit \"" + s.unit + "\" in " + quote(text) + "; expected TEU");
  }
  if (s.number < 0) throw UnitError("TEU must not be negative: " + quote(text));
  return s.number;
}

double parse_percent(std::string_view text) {
  const Split s = split(text, "a percentage such as 5% or a fraction such as 0.05");
  if (s.unit == "%") return s.number / 100.0;
  if (s.unit.empty()) return s.number;
  throw UnitError("unknown unit \"" + s.unit + "\" in " + quote(text) + "; expected %");
}

}  // namespace tradesim::sim
