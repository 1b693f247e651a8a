// gem::cuda gated_forward and gated_backward against the CPU gated kernels (the same products in
// the same order: the same bits, NaNs matching NaNs): rows narrower and wider than a warp,
// channels that break vector alignment, misaligned pointers, rows = 0, and the binary64 path.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cuda/accuracy.h"
#include "cuda/device_array.h"
#include "gem/cpu/kernels.h"
#include "gem/numeric.h"
#include "gem/params.h"
#include "src/cuda/kernels.h"

namespace gem {
namespace {

using testing::describe;
using testing::DeviceArray;
using testing::draw_inputs;
using testing::same_value;

void sync() { testing::cuda_ok(cudaDeviceSynchronize(), "cudaDeviceSynchronize"); }

template <class T>
using CudaGated = testing::CudaTest<T>;
TYPED_TEST_SUITE(CudaGated, testing::StorageTypes, testing::StorageTypeName);

template <class T>
std::size_t differing(const std::vector<T>& got, const std::vector<T>& want) {
  std::size_t d = 0;
  for (std::size_t i = 0; i < got.size(); ++i) d += !same_value(got[i], want[i]);
  return d;
}

TYPED_TEST(CudaGated, MatchesTheCpuKernels) {
  using T = TypeParam;
  struct Shape {
    std::size_t rows, channels;
  };
  const Shape shapes[] = {{1, 1}, {7, 3}, {64, 16}, {333, 64}, {50, 1000}, {1000, 17}, {3, 4096}, {2048, 1536}};
  const Params params[] = {make_egem(1, 1e-4), make_segem(3, 10.0), make_gem(8), make_segem(2, 1e-300)};
  for (const Shape& s : shapes) {
    const std::size_t n = s.rows * s.channels;
    const std::vector<T> x = draw_inputs<T>(2 * n, static_cast<std::uint32_t>(n));
    const std::vector<T> go = draw_inputs<T>(n, static_cast<std::uint32_t>(n + 1));
    for (const Params& p : params) {
      std::vector<T> want_y(n), want_gx(2 * n);
      cpu::gated_forward<T>(p, x.data(), want_y.data(), s.rows, s.channels);
      cpu::gated_backward<T>(p, go.data(), x.data(), want_gx.data(), s.rows, s.channels);
      for (const std::size_t offset : {std::size_t(0), std::size_t(1)}) {
        DeviceArray<T> dx(x, offset), dgo(go, offset), dy(n, offset), dgx(2 * n, offset);
        cuda::gated_forward<T>(p, dx.data(), dy.data(), s.rows, s.channels, nullptr);
        cuda::gated_backward<T>(p, dgo.data(), dx.data(), dgx.data(), s.rows, s.channels, nullptr);
        sync();
        EXPECT_TRUE(dy.guards_intact() && dgx.guards_intact()) << "wrote outside the arrays";
        const std::string where = std::string(testing::dtype_name<T>()) + " " + describe(p) +
                                  " rows=" + std::to_string(s.rows) + " channels=" + std::to_string(s.channels) +
                                  " offset=" + std::to_string(offset);
        EXPECT_EQ(differing(dy.download(), want_y), 0u) << where << ": y differs from the CPU's";
        EXPECT_EQ(differing(dgx.download(), want_gx), 0u) << where << ": grad_x differs from the CPU's";
      }
    }
  }
}

TYPED_TEST(CudaGated, NoRowsLaunchesNothing) {
  using T = TypeParam;
  cuda::gated_forward<T>(make_egem(1, 1e-4), nullptr, nullptr, 0, 8, nullptr);
  cuda::gated_backward<T>(make_egem(1, 1e-4), nullptr, nullptr, nullptr, 5, 0, nullptr);
  sync();
}

TEST(CudaGatedArguments, BadParametersThrowOnTheHost) {
  EXPECT_THROW(cuda::gated_forward<float>(Params{Variant::egem, 0, 1e-4}, nullptr, nullptr, 1, 1, nullptr),
               std::invalid_argument);
}

}  // namespace
}  // namespace gem
