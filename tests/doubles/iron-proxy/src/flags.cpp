#include "flags.h"

#include "log.h"

#include <cerrno>
#include <cstdlib>

namespace irondouble {
namespace {

bool ParseGoInt(const std::string& s, long long* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 0);
  if (errno != 0 || end == nullptr || *end != '\0') return false;
  *out = v;
  return true;
}

std::string GoQuote(const std::string& s) { return Json(s).dump(); }

}  // namespace

void FlagSet::String(const std::string& name, std::string def, std::string usage) {
  flags_[name] = Flag{false, def, std::move(usage), def};
}

void FlagSet::Int(const std::string& name, long long def, std::string usage) {
  flags_[name] = Flag{true, std::to_string(def), std::move(usage), std::to_string(def)};
}

void FlagSet::PrintUsage() const {
  std::string out = "Usage of " + name_ + ":\n";
  for (const auto& [name, flag] : flags_) {
    std::string line = "  -" + name + (flag.is_int ? " int" : " string");
    line += "\n    \t" + flag.usage;
    bool zero = flag.is_int ? flag.def == "0" : flag.def.empty();
    if (!zero) line += " (default " + (flag.is_int ? flag.def : GoQuote(flag.def)) + ")";
    out += line + "\n";
  }
  out.pop_back();
  PlainStderr(out);
}

FlagSet::Outcome FlagSet::Fail(const std::string& message) const {
  PlainStderr(message);
  PrintUsage();
  return Outcome::kError;
}

FlagSet::Outcome FlagSet::Parse(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s.size() < 2 || s[0] != '-') return Outcome::kOk;
    std::size_t minuses = 1;
    if (s[1] == '-') {
      minuses = 2;
      if (s.size() == 2) return Outcome::kOk;  // "--" terminates the flags
    }
    std::string name = s.substr(minuses);
    if (name.empty() || name[0] == '-' || name[0] == '=') return Fail("bad flag syntax: " + s);
    bool has_value = false;
    std::string value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto it = flags_.find(name);
    if (it == flags_.end()) {
      if (name == "help" || name == "h") {
        PrintUsage();
        return Outcome::kHelp;
      }
      return Fail("flag provided but not defined: -" + name);
    }
    if (!has_value) {
      if (i + 1 >= args.size()) return Fail("flag needs an argument: -" + name);
      value = args[++i];
    }
    if (it->second.is_int) {
      long long v = 0;
      if (!ParseGoInt(value, &v)) {
        return Fail("invalid value " + GoQuote(value) + " for flag -" + name + ": parse error");
      }
      value = std::to_string(v);
    }
    it->second.value = value;
  }
  return Outcome::kOk;
}

}  // namespace irondouble
