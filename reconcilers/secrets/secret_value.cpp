#include "reconcilers/secrets/secret_value.h"

#include <cstdio>

namespace ironward::secrets {
namespace {

/// What Go's httpguts.ValidHeaderFieldValue refuses: a control character other than tab, or DEL.
bool Refused(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

std::string Describe(unsigned char c) {
  if (c == '\n') return "a line feed (LF)";
  if (c == '\r') return "a carriage return (CR)";
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", c);
  return std::string("the control character ") + hex;
}

}  // namespace

CheckedValue CheckProviderValue(const std::string& name, const std::string& source, std::string value) {
  CheckedValue out;
  std::size_t trimmed = 0;
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) {
    value.pop_back();
    ++trimmed;
  }
  for (unsigned char c : value) {
    if (!Refused(c)) continue;
    out.problem = "secret '" + name + "' " + source + " contains " + Describe(c) +
                  " inside its value; iron-proxy would send it in an HTTP header, which Go refuses, and answer "
                  "502 to every request for it. Fix the value at its source";
    return out;
  }
  if (trimmed > 0) {
    out.warning = "secret '" + name + "' " + source + " ends with a line break (" + std::to_string(trimmed) +
                  " CR/LF byte(s)); it was trimmed, since iron-proxy would otherwise answer 502 to every "
                  "request for it. Remove it at the source to silence this warning";
  }
  out.value = std::move(value);
  return out;
}

}  // namespace ironward::secrets
