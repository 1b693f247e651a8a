// The message of the exception a piece of code throws, for tests that check what an error says.
#pragma once

#include <exception>
#include <string>
#include <type_traits>
#include <utility>

namespace gem::testing {

/// What error_of returns when f throws nothing.
constexpr const char* kNoError = "(no error)";

namespace detail {
template <class E, class = void>
struct HasWhatWithoutBacktrace : std::false_type {};
template <class E>
struct HasWhatWithoutBacktrace<E, std::void_t<decltype(std::declval<const E&>().what_without_backtrace())>>
    : std::true_type {};
}  // namespace detail

/// The message of the Error (any std::exception by default) that f() throws, c10::Error's without
/// its backtrace; kNoError when f returns, "wrong exception type: <what>" for another exception.
template <class Error = std::exception, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    const auto* expected = dynamic_cast<const Error*>(&e);
    if (!expected) return std::string("wrong exception type: ") + e.what();
    if constexpr (detail::HasWhatWithoutBacktrace<Error>::value)
      return expected->what_without_backtrace();
    else
      return expected->what();
  }
  return kNoError;
}

}  // namespace gem::testing
