// The four storage types every kernel test runs over, as one gtest type list whose instances are
// named as the tools name the dtype: KernelsVsReference/float32.Long.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "gem/numeric.h"

namespace gem::testing {

using StorageTypes = ::testing::Types<double, float, half, bfloat16>;

struct StorageTypeName {
  template <class T>
  static std::string GetName(int) {
    return dtype_name(dtype_of<T>());
  }
};

}  // namespace gem::testing
