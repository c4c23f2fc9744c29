// A small re-implementation of Go's flag package (string and int flags only): -name value,
// -name=value, --name=value, parsing stops at the first non-flag argument or "--".
#pragma once

#include <map>
#include <string>
#include <vector>

namespace irondouble {

class FlagSet {
 public:
  explicit FlagSet(std::string name) : name_(std::move(name)) {}

  void String(const std::string& name, std::string def, std::string usage);
  void Int(const std::string& name, long long def, std::string usage);

  enum class Outcome { kOk, kHelp, kError };
  // Parses args. On kHelp/kError the usage (and error) has already been printed to stderr.
  Outcome Parse(const std::vector<std::string>& args);

  const std::string& GetString(const std::string& name) const { return flags_.at(name).value; }
  long long GetInt(const std::string& name) const { return std::stoll(flags_.at(name).value); }

 private:
  struct Flag {
    bool is_int = false;
    std::string def;
    std::string usage;
    std::string value;
  };
  void PrintUsage() const;
  Outcome Fail(const std::string& message) const;

  std::string name_;
  std::map<std::string, Flag> flags_;  // sorted, like Go's PrintDefaults
};

}  // namespace irondouble
