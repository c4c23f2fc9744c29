// Result<T> and Status: the error style of every layer below the CLI.
//
// Exceptions from yaml-cpp, nlohmann_json and the standard library are caught at the
// parse/IO boundary and turned into an Error; reconcilers and state code return these.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ironward {

/// How the caller should react to a failure (controller-runtime's requeue vs TerminalError).
enum class ErrorKind {
  kTransient,    ///< retry with back-off (network hiccup, engine down, busy lock)
  kTerminal,     ///< do not retry until the desired state (or its inputs) change
  kInvalidSpec,  ///< the desired state itself is wrong; terminal
};

struct Error {
  ErrorKind kind = ErrorKind::kTransient;
  std::string message;

  static Error Transient(std::string m) { return {ErrorKind::kTransient, std::move(m)}; }
  static Error Terminal(std::string m) { return {ErrorKind::kTerminal, std::move(m)}; }
  static Error Invalid(std::string m) { return {ErrorKind::kInvalidSpec, std::move(m)}; }

  /// Prefixes context ("reading ca.crt: ...") while keeping the kind.
  Error Wrap(const std::string& context) const { return {kind, context + ": " + message}; }
  bool terminal() const { return kind != ErrorKind::kTransient; }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// Result without a value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  static Status Ok() { return {}; }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace ironward
