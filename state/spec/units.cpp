#include "state/spec/units.h"

#include <cctype>
#include <limits>

namespace ironward::spec {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
// 1000 years: large enough for any sane validity, small enough to never overflow int64 ns.
constexpr std::int64_t kMaxSeconds = 1000LL * 365 * 24 * 3600;

struct Unit {
  std::string_view name;
  std::int64_t nanos;
};

// Longest names first so "ms" wins over "m".
constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // µs (U+00B5)
    {"\xCE\xBCs", 1'000},  // μs (U+03BC)
    {"ms", 1'000'000},
    {"s", kNanosPerSecond},
    {"m", 60 * kNanosPerSecond},
    {"h", 3600 * kNanosPerSecond},
    {"d", 86400 * kNanosPerSecond},
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<std::chrono::seconds> ParseDuration(std::string_view text, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<std::chrono::seconds> {
    if (error != nullptr) *error = why;
    return std::nullopt;
  };
  if (text.empty()) return fail("empty duration");
  if (text[0] == '-') return fail("negative duration '" + std::string(text) + "'");
  std::string_view rest = text;
  if (rest[0] == '+') rest.remove_prefix(1);
  if (rest == "0") return std::chrono::seconds(0);  // Go accepts a bare 0
  if (rest.empty()) return fail("invalid duration '" + std::string(text) + "'");

  // Accumulate in nanoseconds; every component is capped so nothing overflows.
  long double total_ns = 0;
  while (!rest.empty()) {
    std::size_t i = 0;
    long double value = 0;
    bool digits = false;
    while (i < rest.size() && IsDigit(rest[i])) {
      value = value * 10 + (rest[i] - '0');
      digits = true;
      ++i;
      if (value > 1e15L) return fail("duration '" + std::string(text) + "' is too large");
    }
    if (i < rest.size() && rest[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < rest.size() && IsDigit(rest[i])) {
        value += (rest[i] - '0') * scale;
        scale /= 10;
        digits = true;
        ++i;
      }
    }
    if (!digits) {
      return fail("invalid duration '" + std::string(text) +
                  "' (expected a number followed by a unit, like 30s, 10m, 1h30m or 7d)");
    }
    rest.remove_prefix(i);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (rest.substr(0, u.name.size()) == u.name &&
          (unit == nullptr || u.name.size() > unit->name.size())) {
        unit = &u;
      }
    }
    if (unit == nullptr) {
      return fail("invalid duration '" + std::string(text) +
                  "': missing or unknown unit (use ns, us, ms, s, m, h or d)");
    }
    rest.remove_prefix(unit->name.size());
    total_ns += value * static_cast<long double>(unit->nanos);
    if (total_ns > static_cast<long double>(kMaxSeconds) * kNanosPerSecond) {
      return fail("duration '" + std::string(text) + "' is too large");
    }
  }
  const long double seconds = total_ns / kNanosPerSecond;
  const auto whole = static_cast<std::int64_t>(seconds + 0.5L);
  const long double diff = seconds - static_cast<long double>(whole);
  if (diff > 1e-6L || diff < -1e-6L) {
    return fail("duration '" + std::string(text) + "' is not a whole number of seconds");
  }
  return std::chrono::seconds(whole);
}

std::string FormatDuration(std::chrono::seconds d) {
  std::int64_t s = d.count();
  if (s == 0) return "0s";
  std::string out;
  if (s < 0) {
    out = "-";
    s = -s;
  }
  const std::int64_t h = s / 3600;
  const std::int64_t m = (s % 3600) / 60;
  const std::int64_t sec = s % 60;
  if (h != 0) out += std::to_string(h) + "h";
  if (m != 0) out += std::to_string(m) + "m";
  if (sec != 0) out += std::to_string(sec) + "s";
  return out;
}

std::optional<std::int64_t> ParseMemorySize(std::string_view text, std::string* error) {
  auto fail = [&]() -> std::optional<std::int64_t> {
    if (error != nullptr) {
      *error = "invalid size '" + std::string(text) +
               "' (expected bytes or a number with a unit: 512m, 2g, 1024k)";
    }
    return std::nullopt;
  };
  std::size_t i = 0;
  std::int64_t value = 0;
  while (i < text.size() && IsDigit(text[i])) {
    if (value > std::numeric_limits<std::int64_t>::max() / 10 - 10) {
      if (error != nullptr) *error = "size '" + std::string(text) + "' is too large";
      return std::nullopt;
    }
    value = value * 10 + (text[i] - '0');
    ++i;
  }
  if (i == 0) return fail();
  std::string unit;
  for (; i < text.size(); ++i) {
    unit += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
  }
  std::int64_t mult = 1;
  if (unit.empty() || unit == "b") {
    mult = 1;
  } else {
    const char u = unit[0];
    const std::string tail = unit.substr(1);
    if (tail != "" && tail != "b" && tail != "ib") return fail();
    switch (u) {
      case 'k': mult = 1LL << 10; break;
      case 'm': mult = 1LL << 20; break;
      case 'g': mult = 1LL << 30; break;
      case 't': mult = 1LL << 40; break;
      default: return fail();
    }
  }
  if (value > std::numeric_limits<std::int64_t>::max() / mult) {
    if (error != nullptr) *error = "size '" + std::string(text) + "' is too large";
    return std::nullopt;
  }
  return value * mult;
}

}  // namespace ironward::spec
