// The text of an exception for a person, on as few lines as it takes: LibTorch's c10::Error
// carries a C++ stack trace in what() (15 lines no user can act on), which is left out, and
// std::bad_alloc says what it means.
#pragma once

#include <c10/util/Exception.h>

#include <exception>
#include <new>
#include <string>

namespace gem::train {

inline std::string error_message(const std::exception& e) {
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) return c10->what_without_backtrace();
  if (dynamic_cast<const std::bad_alloc*>(&e))
    return "out of memory: the model, the batch or the data does not fit in this machine's memory; use smaller "
           "sizes (--batch-size, --width, --embed-dim, --train-limit, ...)";
  return e.what();
}

}  // namespace gem::train
