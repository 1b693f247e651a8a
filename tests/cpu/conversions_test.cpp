// The storage conversions of the kernels, on every SIMD target, against include/gem/numeric.h
// bit for bit: every 16-bit pattern widened; float -> 16-bit narrowed for every float whose
// dropped bits sit at a rounding edge (0, 1, half-1, half, half+1, all ones) under every
// pattern of kept bits, plus random floats. And round_once (binary64 -> storage, one rounding)
// against a direct search for the nearest value.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "cpu/test_support.h"
#include "src/cpu/convert.h"
#include "gem/round_once.h"

namespace gem::testing {
namespace {

float float_from_bits(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

template <class T>
void check_widen() {
  std::vector<T> in(65536);
  for (std::uint32_t b = 0; b < 65536; ++b) in[b] = T::from_bits(static_cast<std::uint16_t>(b));
  for_each_simd_target([&] {
    for (std::size_t n : {std::size_t(65536), std::size_t(65535 - 8)}) {  // full vectors, then a tail
      std::vector<float> out(n);
      cpu::widen_to_float(in.data(), out.data(), n);
      for (std::size_t b = 0; b < n; ++b) {
        const float want = static_cast<float>(in[b]);
        if (std::isnan(want)) {
          EXPECT_TRUE(std::isnan(out[b])) << "bits " << b;
        } else {
          EXPECT_EQ(bits_of(out[b]), bits_of(want)) << Format<T>::name << " bits " << b;
        }
      }
    }
  });
}

TEST(Conversions, WidenEvery16BitPattern) {
  check_widen<half>();
  check_widen<bfloat16>();
}

/// Floats whose low `dropped` bits sit at the rounding edges, for every pattern of the rest.
std::vector<float> edge_floats(int dropped) {
  const std::uint32_t halfway = 1u << (dropped - 1), all = (1u << dropped) - 1;
  const std::uint32_t lows[] = {0, 1, halfway - 1, halfway, halfway + 1, all};
  std::vector<float> out;
  for (std::uint32_t high = 0; high < (1u << (32 - dropped)); ++high) {
    for (std::uint32_t low : lows) out.push_back(float_from_bits((high << dropped) | low));
  }
  std::mt19937 rng(3);
  for (int i = 0; i < 100000; ++i) out.push_back(float_from_bits(rng()));
  return out;
}

template <class T>
void check_narrow(int dropped) {
  const std::vector<float> in = edge_floats(dropped);
  std::vector<std::uint16_t> want(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) want[i] = T(in[i]).bits;
  for_each_simd_target([&] {
    std::vector<T> out(in.size() - 3);  // not a multiple of any vector length: a tail too
    cpu::narrow_from_float(in.data(), out.data(), out.size());
    int failures = 0;
    for (std::size_t i = 0; i < out.size() && failures < 10; ++i) {
      if (out[i].bits != want[i]) {
        ADD_FAILURE() << Format<T>::name << " float bits " << std::hex << bits_of(in[i]) << " -> " << out[i].bits
                      << ", numeric.h gives " << want[i];
        ++failures;
      }
    }
  });
}

// binary16 keeps the top 19 of 32 bits in the range that matters, but narrowing looks at
// all of them: the edges are taken at the 13 bits binary16 drops from a normal float.
TEST(Conversions, NarrowFloatToHalf) { check_narrow<half>(13); }
TEST(Conversions, NarrowFloatToBFloat16) { check_narrow<bfloat16>(16); }

/// The representable T nearest to v (ties to even bits), by search over T's bit patterns:
/// T's non-negative values are ordered like their bits.
template <class T>
std::uint16_t nearest_by_search(double v) {
  if (std::isnan(v)) return T(static_cast<float>(v)).bits;
  const std::uint16_t sign = std::signbit(v) ? 0x8000 : 0;
  const double a = std::fabs(v);
  const std::uint16_t inf_bits = T(INFINITY).bits;
  std::uint16_t lo = 0, hi = inf_bits;  // largest pattern with value <= a
  while (lo < hi) {
    const std::uint16_t mid = static_cast<std::uint16_t>((lo + hi + 1) / 2);
    if (to_double(T::from_bits(mid)) <= a) lo = mid;
    else hi = static_cast<std::uint16_t>(mid - 1);
  }
  if (lo == inf_bits) return sign | lo;
  const double below = to_double(T::from_bits(lo));
  if (below == a) return sign | lo;
  // Above the largest finite value, the rounding boundary is max + half an ulp (IEEE overflow).
  const double above = lo + 1 == inf_bits ? below + ulp_in<T>(below) : to_double(T::from_bits(lo + 1));
  const double mid = (below + above) / 2;  // exact: both are short binary numbers
  const bool up = a > mid || (a == mid && (lo & 1));
  return sign | (up ? static_cast<std::uint16_t>(lo + 1) : lo);
}

template <class T>
void check_round_once() {
  std::mt19937_64 rng(11);
  std::vector<double> values = {0.0, -0.0, INFINITY, -INFINITY, 1e-300, -1e-300, 1e300, DBL_MIN, DBL_MAX,
                                Format<T>::max, Format<T>::max * (1 + 1e-3), Format<T>::min_normal};
  for (int i = 0; i < 200000; ++i) {
    const double mag = std::exp2(std::uniform_real_distribution<double>(Format<T>::min_exp - 3, Format<T>::max_exp + 2)(rng));
    values.push_back((rng() & 1 ? -1 : 1) * mag);
  }
  // Exact midpoints between neighbours, nudged by one binary64 ulp: where double rounding fails.
  for (std::uint32_t b = 1; b < 0x7F00; b += 7) {
    const double lo = to_double(T::from_bits(static_cast<std::uint16_t>(b)));
    const double hi = to_double(T::from_bits(static_cast<std::uint16_t>(b + 1)));
    if (!std::isfinite(hi)) break;
    const double mid = (lo + hi) / 2;
    values.insert(values.end(), {mid, std::nextafter(mid, 0.0), std::nextafter(mid, INFINITY)});
  }
  for (double v : values) {
    EXPECT_EQ(round_once<T>(v).bits, nearest_by_search<T>(v)) << Format<T>::name << " v=" << format_double(v);
  }
}

TEST(RoundOnce, Binary64ToHalf) { check_round_once<half>(); }
TEST(RoundOnce, Binary64ToBFloat16) { check_round_once<bfloat16>(); }

}  // namespace
}  // namespace gem::testing
