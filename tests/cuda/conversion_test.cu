// The conversions the CUDA kernels use (src/cuda/storage.cuh: the hardware __float2half_rn,
// __float2bfloat16_rn, __double2half, __double2bfloat16 and widening) against numeric.h's
// portable ones: every binary32 value narrowed, every 16-bit value widened, on the device; and
// binary64 values narrowed once against an independent round-to-nearest-even on the host.
// NaN must stay NaN (payloads may differ); everything else must give the same bits.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/format16.h"
#include "cuda/device_array.h"
#include "gem/numeric.h"
#include "src/cuda/storage.cuh"

namespace gem {
namespace {

using cuda::detail::Narrow;
using cuda::detail::to_math;

__device__ bool is_nan16_half(std::uint16_t b) { return (b & 0x7C00u) == 0x7C00u && (b & 0x3FFu) != 0; }
__device__ bool is_nan16_bf16(std::uint16_t b) { return (b & 0x7F80u) == 0x7F80u && (b & 0x7Fu) != 0; }

/// Counts binary32 bit patterns [first, first + count) whose hardware narrowing differs from
/// numeric.h's (both NaN counts as equal).
__global__ void narrow_float_mismatches(std::uint64_t first, std::uint64_t count, unsigned long long* mismatches) {
  unsigned long long local = 0;
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t i = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
    const float f = __uint_as_float(static_cast<std::uint32_t>(first + i));
    const std::uint16_t hw_h = Narrow<half>::from(f).bits, sw_h = half::from_float(f);
    const std::uint16_t hw_b = Narrow<bfloat16>::from(f).bits, sw_b = bfloat16::from_float(f);
    const bool ok_h = hw_h == sw_h || (is_nan16_half(hw_h) && is_nan16_half(sw_h));
    const bool ok_b = hw_b == sw_b || (is_nan16_bf16(hw_b) && is_nan16_bf16(sw_b));
    local += !ok_h + !ok_b;
  }
  if (local) atomicAdd(mismatches, local);
}

/// Widening of every 16-bit pattern: hardware vs numeric.h (bits, NaN as NaN).
__global__ void widen_mismatches(unsigned long long* mismatches) {
  const std::uint32_t b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= 65536) return;
  const float hw_h = to_math(half::from_bits(static_cast<std::uint16_t>(b)));
  const float sw_h = half::to_float(static_cast<std::uint16_t>(b));
  const float hw_b = to_math(bfloat16::from_bits(static_cast<std::uint16_t>(b)));
  const float sw_b = bfloat16::to_float(static_cast<std::uint16_t>(b));
  const bool ok_h = __float_as_uint(hw_h) == __float_as_uint(sw_h) || (isnan(hw_h) && isnan(sw_h));
  const bool ok_b = __float_as_uint(hw_b) == __float_as_uint(sw_b) || (isnan(hw_b) && isnan(sw_b));
  if (!ok_h || !ok_b) atomicAdd(mismatches, 1ull);
}

__global__ void narrow_doubles(const double* in, std::size_t n, std::uint16_t* out_h, std::uint16_t* out_b,
                               float* out_f) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  out_h[i] = Narrow<half>::from(in[i]).bits;
  out_b[i] = Narrow<bfloat16>::from(in[i]).bits;
  out_f[i] = Narrow<float>::from(in[i]);
}

class CudaConversions : public ::testing::Test {
 protected:
  void SetUp() override { GEM_SKIP_WITHOUT_CUDA(); }
};

TEST_F(CudaConversions, NarrowEveryFloatLikeNumericH) {
  unsigned long long* d_count = nullptr;
  testing::cuda_ok(cudaMalloc(&d_count, sizeof *d_count), "cudaMalloc");
  testing::cuda_ok(cudaMemset(d_count, 0, sizeof *d_count), "cudaMemset");
  const std::uint64_t total = std::uint64_t(1) << 32, chunk = std::uint64_t(1) << 30;
  for (std::uint64_t first = 0; first < total; first += chunk) {
    narrow_float_mismatches<<<4096, 256>>>(first, chunk, d_count);
    testing::cuda_ok(cudaGetLastError(), "launch");
  }
  unsigned long long count = 0;
  testing::cuda_ok(cudaMemcpy(&count, d_count, sizeof count, cudaMemcpyDeviceToHost), "D2H");
  cudaFree(d_count);
  EXPECT_EQ(count, 0ull) << "binary32 values narrowed differently by the hardware and numeric.h";
}

TEST_F(CudaConversions, WidenEvery16BitValueLikeNumericH) {
  unsigned long long* d_count = nullptr;
  testing::cuda_ok(cudaMalloc(&d_count, sizeof *d_count), "cudaMalloc");
  testing::cuda_ok(cudaMemset(d_count, 0, sizeof *d_count), "cudaMemset");
  widen_mismatches<<<256, 256>>>(d_count);
  testing::cuda_ok(cudaGetLastError(), "launch");
  unsigned long long count = 0;
  testing::cuda_ok(cudaMemcpy(&count, d_count, sizeof count, cudaMemcpyDeviceToHost), "D2H");
  cudaFree(d_count);
  EXPECT_EQ(count, 0ull);
}

// binary64 -> 16-bit in one rounding (the fallback path): ties, values just off ties (where a
// detour through float would round twice), subnormals, overflow, specials.
TEST_F(CudaConversions, NarrowDoublesRoundOnce) {
  std::vector<double> in = {0.0, -0.0, INFINITY, -INFINITY, NAN, 1.0, -1.0, 65504.0, 65519.99, 65520.0, 0x1.fep127,
                            0x1.ff7fffffffffp127, 0x1.ff8p127, 0x1p-24, 0x1p-25, 0x1.0000000001p-25, 0x1p-133,
                            0x1p-134, 0x1.0000000001p-134, 0x1p-150, 0x1.0000000001p-150};
  // Just above a binary16 tie: rounds up in one step, but to the tie (then even, down) through float.
  in.push_back(1.0 + 0x1p-11 + 0x1p-40);
  in.push_back(1.0 + 0x1p-8 + 0x1p-40);  // the same for bfloat16
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int> expo(-160, 130);
  std::uniform_real_distribution<double> unit(1.0, 2.0);
  while (in.size() < 200000) {
    const double v = std::ldexp(unit(rng), expo(rng));
    in.push_back(rng() % 2 ? v : -v);
  }
  const std::size_t n = in.size();
  testing::DeviceArray<double> d_in(in, 0);
  testing::DeviceArray<std::uint16_t> d_h(n), d_b(n);
  testing::DeviceArray<float> d_f(n);
  narrow_doubles<<<static_cast<unsigned>((n + 255) / 256), 256>>>(d_in.data(), n, d_h.data(), d_b.data(), d_f.data());
  testing::cuda_ok(cudaGetLastError(), "launch");
  testing::cuda_ok(cudaDeviceSynchronize(), "sync");
  const std::vector<std::uint16_t> h = d_h.download(), b = d_b.download();
  const std::vector<float> f = d_f.download();
  std::size_t bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double want_h = testing::reference_round(testing::kHalf, in[i]);
    const double want_b = testing::reference_round(testing::kBfloat16, in[i]);
    const double got_h = half::to_float(h[i]), got_b = bfloat16::to_float(b[i]);
    const auto same = [](double a, double w) {
      return (std::isnan(a) && std::isnan(w)) || (a == w && std::signbit(a) == std::signbit(w));
    };
    const bool ok_f = same(f[i], static_cast<double>(static_cast<float>(in[i])));
    if (!same(got_h, want_h) || !same(got_b, want_b) || !ok_f) {
      if (++bad <= 5) ADD_FAILURE() << "x=" << in[i] << ": half " << got_h << " (want " << want_h << "), bfloat16 "
                                    << got_b << " (want " << want_b << ")";
    }
  }
  EXPECT_EQ(bad, 0u);
}

}  // namespace
}  // namespace gem
