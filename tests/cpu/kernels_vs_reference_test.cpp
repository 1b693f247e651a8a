// Every kernel path against the scalar reference (cpu::reference) on random data of every
// class (activations, the whole exponent range, subnormals, +-0, +-inf, NaN), for every
// dtype, variant and N = 1..8:
//   - lengths 0, 1, 7, lanes-1, lanes, lanes+1 for every block size of every SIMD target
//     (kShortLengths), and 1e6+3;
//   - pointers offset by one element, in place (y == x), outputs poisoned first;
//   - 1 vs 2 threads and aligned vs offset pointers give identical bytes;
//   - the non-temporal-store path (outputs >= tuning::kStreamMinBytes) gives the same bytes
//     as calls below the threshold;
//   - float / 16-bit storage with eps outside [2^-126, FLT_MAX] is the binary64 reference, bit
//     for bit.
// Tolerance against the reference (within_tolerance in test_support.h): both paths meet
// spec 3.4, so their f or f' differ by at most 2(B + 1) ulp of max(|y|, M) in the working
// format, times |grad_out| for backward, plus one ulp of the storage type where the product
// or the 16-bit narrowing rounds again. backward_grad2 is the reference formula itself, so it
// must match bit for bit. The largest difference seen, as a fraction of the tolerance, is
// recorded as a test property (worst_fraction_of_tolerance).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "cpu/test_support.h"
#include "gem/act/gem.h"
#include "src/cpu/tuning.h"

namespace gem::testing {
namespace {

constexpr std::size_t kLongLength = 1000003;

/// Lengths around every block size of every target: 2, 4, 8, 16 lanes of float or double, and
/// 32 bfloat16 per AVX-512 block (two float vectors per load).
const std::size_t kShortLengths[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100};

template <class T>
T poison() {
  return from_double<T>(-12345.0);  // a finite value no kernel output here can be
}

const char* op_name(Quantity op) {
  return op == Quantity::value ? "forward" : op == Quantity::grad ? "backward" : "backward_grad2";
}

template <class T>
void run_kernel(Quantity op, const Params& p, const T* g, const T* x, T* y, std::size_t n, int threads) {
  if (op == Quantity::value)
    cpu::forward(p, x, y, n, threads);
  else if (op == Quantity::grad)
    cpu::backward(p, g, x, y, n, threads);
  else cpu::backward_grad2(p, g, x, y, n, threads);
}
template <class T>
void run_reference(Quantity op, const Params& p, const T* g, const T* x, T* y, std::size_t n) {
  if (op == Quantity::value)
    cpu::reference::forward(p, x, y, n);
  else if (op == Quantity::grad)
    cpu::reference::backward(p, g, x, y, n);
  else cpu::reference::backward_grad2(p, g, x, y, n);
}

template <class T>
struct Inputs {
  std::vector<T> x, g;
};

/// Random x and g with one spare element in front, so x + 1 is an offset (unaligned) pointer.
template <class T>
Inputs<T> make_inputs(std::size_t n, std::uint64_t seed) {
  return {random_inputs<T>(n + 1, seed), random_inputs<T>(n + 1, seed + 1)};
}

/// kernel (threads, offset) output vs the reference, element by element; returns the largest
/// difference as a fraction of the tolerance.
template <class T>
double compare_with_reference(Quantity op, const Params& p, const Inputs<T>& in, std::size_t n, std::size_t offset,
                              bool in_place, int threads) {
  const T* x = in.x.data() + offset;
  const T* g = in.g.data() + offset;
  std::vector<T> want(n + 1, poison<T>());
  run_reference(op, p, g, x, want.data() + offset, n);

  std::vector<T> buf(n + 1, poison<T>());
  T* y = buf.data() + offset;
  if (in_place) std::copy(x, x + n, y);
  run_kernel(op, p, g, in_place ? y : x, y, n, threads);

  const GemConstants<double> c64 = make_constants<double>(p);
  double worst = 0;  // largest difference as a fraction of the tolerance
  int failures = 0;
  for (std::size_t i = 0; i < n && failures < 5; ++i) {
    const double k = to_double(y[i]), r = to_double(want[offset + i]);
    if (op == Quantity::grad2) {
      if (bits_of(y[i]) != bits_of(want[offset + i]) && !(std::isnan(k) && std::isnan(r))) {
        ADD_FAILURE() << op_name(op) << ' ' << Format<T>::name << ' ' << describe(p) << " i=" << i
                      << " x=" << format_double(to_double(x[i])) << " kernel " << format_double(k) << " reference "
                      << format_double(r);
        ++failures;
      }
      continue;
    }
    if (bits_of(y[i]) == bits_of(want[offset + i])) continue;  // the common case: nothing to measure
    const double gi = op == Quantity::value ? 1.0 : to_double(g[i]);
    const double xi = to_double(x[i]);
    const Derivs<double> d = gem_derivs(p.variant, xi, c64);
    const double v64 = op == Quantity::value ? d.f : d.df;
    double excess;
    const bool ok = within_tolerance<T>(p.variant, p.N, p.eps, xi, op, gi, k, r, v64, &excess);
    worst = std::max(worst, excess);
    if (!ok) {
      ADD_FAILURE() << op_name(op) << ' ' << Format<T>::name << ' ' << describe(p) << " n=" << n << " i=" << i
                    << " x=" << format_double(xi) << " g=" << format_double(gi) << " kernel " << format_double(k)
                    << " reference " << format_double(r) << " binary64 " << format_double(v64) << " ("
                    << excess << " x tolerance)";
      ++failures;
    }
  }
  if (offset == 1 && !in_place) {  // the element before the output is never written
    EXPECT_EQ(bits_of(buf[0]), bits_of(poison<T>())) << "wrote before the output";
  }
  return worst;
}

template <class T>
void short_lengths_every_target() {
  for_each_simd_target([] {
    double worst = 0;
    for (int N = 1; N <= 8; ++N) {
      for (const Params& p : params_for(N)) {
        for (Quantity op : {Quantity::value, Quantity::grad, Quantity::grad2}) {
          for (std::size_t n : kShortLengths) {
            const Inputs<T> in = make_inputs<T>(n, 1000 * N + n);
            for (std::size_t offset : {0, 1}) {
              for (bool in_place : {false, true}) {
                worst = std::max(worst, compare_with_reference(op, p, in, n, offset, in_place, 1));
              }
            }
          }
        }
      }
    }
    ::testing::Test::RecordProperty(std::string("worst_fraction_of_tolerance_") + cpu::simd_target(), std::to_string(worst));
  });
}

template <class T>
class KernelsVsReference : public ::testing::Test {};
TYPED_TEST_SUITE(KernelsVsReference, StorageTypes, StorageTypeName);

TYPED_TEST(KernelsVsReference, ShortLengths) { short_lengths_every_target<TypeParam>(); }

/// 1e6+3 elements (many chunks, so two threads really split the work): the same bytes for 1
/// vs 2 threads with aligned vs offset pointers for every variant, and against the reference
/// on the best target for one variant per N (the variants take turns; the scalar reference is
/// the slow part of this test).
template <class T>
void long_length() {
  const Inputs<T> in = make_inputs<T>(kLongLength, 7);
  double worst = 0;
  for (int N = 1; N <= 8; ++N) {
    const Params variants[] = {make_gem(N), make_egem(N, 1e-4), make_segem(N, 0.37)};
    for (const Params& p : variants) {
      const bool against_reference = &p == &variants[N % 3];
      for (Quantity op : {Quantity::value, Quantity::grad, Quantity::grad2}) {
        if (op == Quantity::grad2 && !against_reference) continue;  // the reference formula, tested below
        if (against_reference) worst = std::max(worst, compare_with_reference(op, p, in, kLongLength, 1, false, 2));
        std::vector<T> one(kLongLength, poison<T>()), two(kLongLength + 1, poison<T>());
        run_kernel(op, p, in.g.data(), in.x.data(), one.data(), kLongLength, 1);
        run_kernel(op, p, in.g.data(), in.x.data(), two.data() + 1, kLongLength, 2);  // offset output
        EXPECT_EQ(0, std::memcmp(one.data(), two.data() + 1, kLongLength * sizeof(T)))
            << op_name(op) << ' ' << Format<T>::name << ' ' << describe(p) << ": 1 vs 2 threads differ";
      }
    }
  }
  ::testing::Test::RecordProperty("worst_fraction_of_tolerance", std::to_string(worst));
}

TYPED_TEST(KernelsVsReference, Long) { long_length<TypeParam>(); }

/// Outputs large enough for non-temporal stores give the bytes that smaller calls give.
template <class T>
void streaming_matches_plain_stores() {
  const std::size_t n = cpu::tuning::kStreamMinBytes / sizeof(T) + 77;
  const Inputs<T> in = make_inputs<T>(n, 99);
  const std::size_t piece = cpu::tuning::kStreamMinBytes / sizeof(T) / 4;  // below the threshold
  for (const Params& p : {make_egem(3, 1e-4), make_segem(2, 0.37)}) {
    for (Quantity op : {Quantity::value, Quantity::grad}) {
      for (std::size_t offset : {0, 1}) {
        std::vector<T> big(n + 1, poison<T>()), small(n + 1, poison<T>());
        run_kernel(op, p, in.g.data() + offset, in.x.data() + offset, big.data() + offset, n - offset, 2);
        for (std::size_t b = offset; b < n; b += piece) {
          const std::size_t len = std::min(piece, n - b);
          run_kernel(op, p, in.g.data() + b, in.x.data() + b, small.data() + b, len, 1);
        }
        EXPECT_EQ(0, std::memcmp(big.data(), small.data(), (n + 1) * sizeof(T)))
            << op_name(op) << ' ' << Format<T>::name << ' ' << describe(p) << " offset " << offset;
      }
    }
  }
}

TEST(KernelsStreaming, SameBytesAsPlainStores) {
  streaming_matches_plain_stores<double>();
  streaming_matches_plain_stores<float>();
  streaming_matches_plain_stores<half>();
  streaming_matches_plain_stores<bfloat16>();
}

/// eps outside [2^-126, FLT_MAX]: float and 16-bit storage evaluate in binary64 (spec 3.2),
/// exactly as the reference does, on any number of threads.
template <class T>
void wide_eps_is_binary64_reference() {
  const std::size_t n = 70001;
  const Inputs<T> in = make_inputs<T>(n, 5);
  for (double eps : {1e-45, 1e-300, 1e39, 1e300}) {
    for (const Params& p : {make_egem(2, eps), make_segem(5, eps)}) {
      for (Quantity op : {Quantity::value, Quantity::grad, Quantity::grad2}) {
        std::vector<T> want(n), got(n, poison<T>());
        run_reference(op, p, in.g.data(), in.x.data(), want.data(), n);
        run_kernel(op, p, in.g.data(), in.x.data(), got.data(), n, 2);
        EXPECT_EQ(0, std::memcmp(want.data(), got.data(), n * sizeof(T)))
            << op_name(op) << ' ' << Format<T>::name << ' ' << describe(p);
      }
    }
  }
}

TEST(KernelsWideEps, Binary64Path) {
  wide_eps_is_binary64_reference<float>();
  wide_eps_is_binary64_reference<half>();
  wide_eps_is_binary64_reference<bfloat16>();
}

}  // namespace
}  // namespace gem::testing
