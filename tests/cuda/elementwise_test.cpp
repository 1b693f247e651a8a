// gem::cuda forward, backward, backward_grad2 (and eps_partial) against the CPU kernels (bit for bit: both run
// the lane forms operation by operation without FMA contraction), against gem::cpu::reference in
// binary64 and the golden values within the bounds of spec 3.4 (16-bit: 1 ulp of the format),
// over every variant, N = 1..8 and dtype; lengths, misalignment, in place, the caller's stream.
// Skips with the reason when there is no CUDA device; argument validation runs everywhere.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "common/golden.h"
#include "cuda/accuracy.h"
#include "cuda/device_array.h"
#include "gem/act/gem.h"
#include "gem/act/gem_eps_grad.h"
#include "gem/numeric.h"
#include "gem/params.h"
#include "gem/cpu/kernels.h"
#include "src/cuda/kernels.h"

namespace gem {
namespace {

using testing::DeviceArray;
using testing::as_double;
using testing::describe;
using testing::draw_inputs;
using testing::same_value;

const char* op_name(Quantity op) {
  return op == Quantity::value ? "forward" : op == Quantity::grad ? "backward" : "backward_grad2";
}
constexpr Quantity kOps[] = {Quantity::value, Quantity::grad, Quantity::grad2};

void sync() { testing::cuda_ok(cudaDeviceSynchronize(), "cudaDeviceSynchronize"); }

/// The op on the GPU: out = op(g, x) for device pointers (g unused by forward).
template <class T>
void run_gpu(Quantity op, const Params& p, const T* g, const T* x, T* out, std::size_t n,
             cudaStream_t stream = nullptr) {
  switch (op) {
    case Quantity::value:
      cuda::forward<T>(p, x, out, n, stream);
      break;
    case Quantity::grad:
      cuda::backward<T>(p, g, x, out, n, stream);
      break;
    case Quantity::grad2:
      cuda::backward_grad2<T>(p, g, x, out, n, stream);
      break;
  }
}

/// The same op by the CPU kernels on host vectors.
template <class T>
std::vector<T> run_cpu(Quantity op, const Params& p, const std::vector<T>& g, const std::vector<T>& x) {
  std::vector<T> out(x.size());
  switch (op) {
    case Quantity::value:
      cpu::forward<T>(p, x.data(), out.data(), x.size());
      break;
    case Quantity::grad:
      cpu::backward<T>(p, g.data(), x.data(), out.data(), x.size());
      break;
    case Quantity::grad2:
      cpu::backward_grad2<T>(p, g.data(), x.data(), out.data(), x.size());
      break;
  }
  return out;
}

/// One GPU run on fresh, poisoned device arrays (offsets in elements); checks the guard zones.
template <class T>
std::vector<T> gpu_result(Quantity op, const Params& p, const std::vector<T>& g, const std::vector<T>& x,
                          std::size_t g_off = 0, std::size_t x_off = 0, std::size_t out_off = 0) {
  DeviceArray<T> dg(g, g_off), dx(x, x_off), dout(x.size(), out_off);
  run_gpu<T>(op, p, dg.data(), dx.data(), dout.data(), x.size());
  sync();
  EXPECT_TRUE(dout.guards_intact()) << op_name(op) << " " << describe(p) << ": wrote outside [0, n)";
  return dout.download();
}

/// Gradients for backward: moderate magnitudes of both signs, so products stay finite.
template <class T>
std::vector<T> draw_grads(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> mag(0.0625, 16.0);
  std::vector<T> g(n);
  for (auto& v : g) v = testing::from_double<T>(rng() % 2 ? mag(rng) : -mag(rng));
  return g;
}

/// Inputs of a sweep: every bit pattern for 16-bit types, else draw_inputs.
template <class T>
std::vector<T> sweep_inputs(std::uint32_t seed) {
  if constexpr (sizeof(T) == 2) {
    std::vector<T> all(65536);
    for (std::uint32_t b = 0; b < 65536; ++b) all[b] = T::from_bits(static_cast<std::uint16_t>(b));
    return all;
  } else {
    return draw_inputs<T>(4099, seed);
  }
}

template <class T>
std::string mismatch_report(const char* what, const Params& p, const std::string& op, const std::vector<T>& x,
                            const std::vector<T>& got, const std::vector<T>& want, std::size_t count) {
  std::ostringstream s;
  s.precision(17);
  s << testing::dtype_name<T>() << " " << op << " " << describe(p) << ": " << count << " of " << x.size()
    << " differ from " << what << "; first:";
  int shown = 0;
  for (std::size_t i = 0; i < x.size() && shown < 5; ++i) {
    if (same_value(got[i], want[i])) continue;
    s << "\n  x=" << as_double(x[i]) << " got " << as_double(got[i]) << " want " << as_double(want[i]);
    ++shown;
  }
  return s.str();
}

template <class T>
using CudaElementwise = testing::CudaTest<T>;
TYPED_TEST_SUITE(CudaElementwise, testing::StorageTypes, testing::StorageTypeName);

// Both devices evaluate the lane forms (f'' and the binary64 fallback: gem.h) with the same
// IEEE operations in the same order, so their bits agree (NaN payloads aside).
TYPED_TEST(CudaElementwise, MatchesCpuKernelsBitForBit) {
  using T = TypeParam;
  const std::vector<T> x = sweep_inputs<T>(1);
  const std::vector<T> g = draw_grads<T>(x.size(), 2);
  for (const Params& p : testing::kernel_param_sets()) {
    for (Quantity op : kOps) {
      const std::vector<T> want = run_cpu<T>(op, p, g, x);
      const std::vector<T> got = gpu_result<T>(op, p, g, x);
      std::size_t differ = 0;
      for (std::size_t i = 0; i < x.size(); ++i) differ += !same_value(got[i], want[i]);
      EXPECT_EQ(differ, 0u) << mismatch_report("gem::cpu", p, op_name(op), x, got, want, differ);
    }
  }
}

// Accuracy against gem::cpu::reference evaluated in binary64 at the same (rounded) inputs:
// spec 3.4's bound for float (one more ulp for the product with a gradient), 1 ulp of the
// format for 16-bit storage; double against the double reference within the sum of both
// bounds (both approximate the exact value).
TYPED_TEST(CudaElementwise, WithinSpecBoundsOfBinary64Reference) {
  using T = TypeParam;
  const std::vector<T> x = sweep_inputs<T>(3);
  const std::vector<T> g = draw_grads<T>(x.size(), 4);
  std::vector<double> xd(x.size()), gd(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) xd[i] = as_double(x[i]), gd[i] = as_double(g[i]);
  for (const Params& p : testing::kernel_param_sets()) {
    for (Quantity op : kOps) {
      std::vector<double> want(x.size()), deriv(x.size());
      const std::vector<double> ones(x.size(), 1.0);
      const int which = derivative_order(op);
      switch (op) {
        case Quantity::value:
          cpu::reference::forward<double>(p, xd.data(), deriv.data(), x.size());
          break;
        case Quantity::grad:
          cpu::reference::backward<double>(p, ones.data(), xd.data(), deriv.data(), x.size());
          break;
        case Quantity::grad2:
          cpu::reference::backward_grad2<double>(p, ones.data(), xd.data(), deriv.data(), x.size());
          break;
      }
      const bool scaled = op != Quantity::value;
      for (std::size_t i = 0; i < x.size(); ++i) want[i] = scaled ? gd[i] * deriv[i] : deriv[i];
      const std::vector<T> got = gpu_result<T>(op, p, g, x);
      double bound = testing::storage_bound_ulps<T>(p.N, which, scaled);
      if (std::is_same_v<T, double>) bound = 2 * bound + 1;
      double worst = 0;
      std::size_t beyond = 0, worst_i = 0;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (std::isnan(xd[i])) {
          beyond += !std::isnan(as_double(got[i]));
          continue;
        }
        const double M = testing::cancel_magnitude(p.variant, p.N, p.eps, xd[i], which, deriv[i]) *
                         (scaled ? std::fabs(gd[i]) : 1.0);
        const double err = testing::storage_error_ulps<T>(as_double(got[i]), want[i], M);
        if (!(err <= bound)) ++beyond;
        if (!(err <= worst)) worst = err, worst_i = i;
      }
      EXPECT_EQ(beyond, 0u) << testing::dtype_name<T>() << " " << op_name(op) << " " << describe(p) << ": " << beyond
                            << " values beyond " << bound << " ulp; worst " << worst << " ulp at x=" << xd[worst_i]
                            << " (got " << as_double(got[worst_i]) << ", want " << want[worst_i] << ")";
    }
  }
}

// Every golden row (spec 7) the storage type can hold: f, f' (backward with grad_out = 1) and
// f'' (backward_grad2 with grad = 1) within spec 3.4's bounds; 16-bit types round x first and
// compare with the binary64 value at the rounded x, within 1 ulp of the format.
TYPED_TEST(CudaElementwise, GoldenValuesWithinSpecBounds) {
  using T = TypeParam;
  std::map<std::tuple<int, int, double>, std::vector<testing::GoldenRow>> groups;
  for (const testing::GoldenRow& r : testing::load_golden()) {
    if (!std::is_same_v<T, double> && static_cast<double>(static_cast<float>(r.x)) != r.x) continue;
    groups[{static_cast<int>(r.variant), r.N, r.eps}].push_back(r);
  }
  ASSERT_FALSE(groups.empty());
  std::size_t checked = 0, beyond = 0;
  std::ostringstream failures;
  failures.precision(17);
  for (const auto& [key, rows] : groups) {
    const Params p = make_params(static_cast<Variant>(std::get<0>(key)), std::get<1>(key), std::get<2>(key));
    std::vector<T> x(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) x[i] = testing::from_double<T>(rows[i].x);
    const std::vector<T> ones(rows.size(), testing::from_double<T>(1.0));
    for (Quantity op : kOps) {
      const int which = derivative_order(op);
      const std::vector<T> got = gpu_result<T>(op, p, ones, x);
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const double xr = as_double(x[i]);
        double want;
        if (xr == rows[i].x || std::isnan(xr)) {
          want = which == 0 ? rows[i].f : which == 1 ? rows[i].df : rows[i].d2f;
        } else {  // 16-bit rounding moved x: the binary64 reference at the rounded x
          const Derivs<double> d = gem_derivs(p.variant, xr, make_constants<double>(p));
          want = which == 0 ? d.f : which == 1 ? d.df : d.d2f;
        }
        const double M = testing::cancel_magnitude(p.variant, p.N, p.eps, xr, which, want);
        const double err = testing::storage_error_ulps<T>(as_double(got[i]), want, M);
        const double bound = testing::storage_bound_ulps<T>(p.N, which, false);
        ++checked;
        if (!(err <= bound) && ++beyond <= 10)
          failures << "\n  " << op_name(op) << " " << describe(p) << " x=" << xr << ": got " << as_double(got[i])
                   << ", want " << want << " (" << err << " ulp > " << bound << ")";
      }
    }
  }
  EXPECT_GT(checked, 3000u);
  EXPECT_EQ(beyond, 0u) << beyond << " of " << checked << " golden values beyond the bound:" << failures.str();
}

// Results do not depend on length or alignment: every length class around the vector width and
// a large one, pointers misaligned together and apart, against the CPU kernels; nothing is
// written outside [0, n).
TYPED_TEST(CudaElementwise, AnyLengthAndAlignment) {
  using T = TypeParam;
  constexpr std::size_t kLanes = 16 / sizeof(T);
  const std::size_t lengths[] = {1, 7, kLanes - 1, kLanes, kLanes + 1, 2 * kLanes + 3, 100003};
  const std::size_t offsets[][3] = {{0, 0, 0}, {1, 1, 1}, {0, 1, 0}, {3, 2, 1}, {kLanes - 1, kLanes - 1, kLanes - 1}};
  const Params params[] = {make_egem(2, 1e-4), make_segem(5, 10.0), make_gem(8), make_egem(3, 1e-300)};
  for (std::size_t n : lengths) {
    const std::vector<T> x = draw_inputs<T>(n, static_cast<std::uint32_t>(n));
    const std::vector<T> g = draw_grads<T>(n, static_cast<std::uint32_t>(n + 1));
    for (const Params& p : params) {
      for (Quantity op : kOps) {
        const std::vector<T> want = run_cpu<T>(op, p, g, x);
        for (const auto& off : offsets) {
          const std::vector<T> got = gpu_result<T>(op, p, g, x, off[0], off[1], off[2]);
          std::size_t differ = 0;
          for (std::size_t i = 0; i < n; ++i) differ += !same_value(got[i], want[i]);
          EXPECT_EQ(differ, 0u) << "n=" << n << " offsets " << off[0] << "," << off[1] << "," << off[2] << ": "
                                << mismatch_report("gem::cpu", p, op_name(op), x, got, want, differ);
        }
      }
    }
  }
}

// Outputs may alias inputs exactly.
TYPED_TEST(CudaElementwise, InPlace) {
  using T = TypeParam;
  const std::size_t n = 5003;
  const std::vector<T> x = draw_inputs<T>(n, 7);
  const std::vector<T> g = draw_grads<T>(n, 8);
  const Params p = make_segem(3, 1e-4);
  for (Quantity op : kOps) {
    const std::vector<T> want = run_cpu<T>(op, p, g, x);
    // Runs op with out aliasing x (out_is_x) or grad, on arrays at `offset`; checks the bits.
    const auto check_in_place = [&](bool out_is_x, std::size_t offset) {
      DeviceArray<T> dx(x, offset), dg(g, offset);
      DeviceArray<T>& out = out_is_x ? dx : dg;
      run_gpu<T>(op, p, dg.data(), dx.data(), out.data(), n);
      sync();
      const std::vector<T> got = out.download();
      std::size_t differ = 0;
      for (std::size_t i = 0; i < n; ++i) differ += !same_value(got[i], want[i]);
      EXPECT_EQ(differ, 0u) << (out_is_x ? "out aliases x: " : "out aliases grad: ")
                            << mismatch_report("gem::cpu", p, op_name(op), x, got, want, differ);
    };
    check_in_place(true, 1);
    if (op != Quantity::value) check_in_place(false, 0);
  }
}

// Work goes on the caller's stream: captured into a graph, nothing runs until the graph does.
TYPED_TEST(CudaElementwise, RunsOnTheCallersStream) {
  using T = TypeParam;
  const std::size_t n = 4096 + 5;
  const std::vector<T> x = draw_inputs<T>(n, 11);
  const std::vector<T> g = draw_grads<T>(n, 12);
  const Params p = make_egem(4, 1e-2);
  DeviceArray<T> dx(x, 0), dg(g, 0), dout(n, 0);
  run_gpu<T>(Quantity::grad, p, dg.data(), dx.data(), dout.data(), n);  // warm the launch caches
  sync();
  dout.poison_all();
  cudaStream_t stream = nullptr;
  testing::cuda_ok(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
  cudaGraph_t graph = nullptr;
  testing::cuda_ok(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), "BeginCapture");
  run_gpu<T>(Quantity::grad, p, dg.data(), dx.data(), dout.data(), n, stream);
  testing::cuda_ok(cudaStreamEndCapture(stream, &graph), "EndCapture");
  std::size_t nodes = 0;
  testing::cuda_ok(cudaGraphGetNodes(graph, nullptr, &nodes), "cudaGraphGetNodes");
  EXPECT_EQ(nodes, 1u) << "one kernel launch captured on the caller's stream";
  sync();
  const std::vector<T> before = dout.download();
  std::size_t untouched = 0;
  for (const T& v : before) {
    unsigned char bytes[sizeof(T)];
    std::memcpy(bytes, &v, sizeof(T));
    bool poisoned = true;
    for (unsigned char b : bytes) poisoned = poisoned && b == testing::kPoison;
    untouched += poisoned;
  }
  EXPECT_EQ(untouched, n) << "work ran outside the captured stream";
  cudaGraphExec_t exec = nullptr;
  testing::cuda_ok(cudaGraphInstantiate(&exec, graph, 0), "cudaGraphInstantiate");
  testing::cuda_ok(cudaGraphLaunch(exec, stream), "cudaGraphLaunch");
  testing::cuda_ok(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  const std::vector<T> got = dout.download();
  const std::vector<T> want = run_cpu<T>(Quantity::grad, p, g, x);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < n; ++i) differ += !same_value(got[i], want[i]);
  EXPECT_EQ(differ, 0u);
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  cudaStreamDestroy(stream);
}

// eps_partial: the same gem_eps_grad.h evaluation as a host loop in the same math type, bit for bit.
TYPED_TEST(CudaElementwise, EpsPartialMatchesHostEvaluation) {
  using T = TypeParam;
  using W = opmath_t<T>;
  const std::vector<T> x = sweep_inputs<T>(13);
  const Params params[] = {make_egem(1, 1e-4), make_segem(4, 10.0), make_egem(8, 1e-30), make_segem(2, 1e30)};
  for (const Params& p : params) {
    const EpsGradConstants<W> c = make_eps_grad_constants<W>(p.N, p.eps);
    for (const Quantity which : {Quantity::df_deps, Quantity::d2f_dx_deps, Quantity::d2f_deps2}) {
      std::vector<T> want(x.size());
      for (std::size_t i = 0; i < x.size(); ++i) {
        const EpsDerivs<W> d = gem_eps_derivs(p.variant, static_cast<W>(widen(x[i])), c);
        want[i] = narrow<T>(which == Quantity::df_deps       ? d.df_deps
                            : which == Quantity::d2f_dx_deps ? d.d2f_dx_deps
                                                             : d.d2f_deps2);
      }
      DeviceArray<T> dx(x, 1), dout(x.size(), 1);
      cuda::eps_partial<T>(p, which, dx.data(), dout.data(), x.size(), nullptr);
      sync();
      EXPECT_TRUE(dout.guards_intact());
      const std::vector<T> got = dout.download();
      std::size_t differ = 0;
      for (std::size_t i = 0; i < x.size(); ++i) differ += !same_value(got[i], want[i]);
      EXPECT_EQ(differ, 0u) << "which=" << static_cast<int>(which) << " "
                            << mismatch_report("gem_eps_grad.h on the host", p, "eps_partial", x, got, want, differ);
    }
  }
  EXPECT_THROW(cuda::eps_partial<T>(make_egem(1, 1e-4), Quantity::grad, nullptr, nullptr, 0, nullptr),
               std::invalid_argument);
}

TYPED_TEST(CudaElementwise, EmptyArraysLaunchNothing) {
  using T = TypeParam;
  const Params p = make_egem(1, 1e-4);
  EXPECT_NO_THROW(cuda::forward<T>(p, nullptr, nullptr, 0, nullptr));
  EXPECT_NO_THROW(cuda::backward<T>(p, nullptr, nullptr, nullptr, 0, nullptr));
  EXPECT_NO_THROW(cuda::backward_grad2<T>(p, nullptr, nullptr, nullptr, 0, nullptr));
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
}

// Validation comes first, on the host, before CUDA is touched: runs without a GPU too.
TEST(CudaElementwiseArguments, InvalidParametersThrowBeforeAnyLaunch) {
  const Params bad[] = {{Variant::egem, 0, 1e-4}, {Variant::egem, 9, 1e-4}, {Variant::segem, 2, 0.0},
                        {Variant::segem, 2, -1.0}, {Variant::egem, 1, NAN}, {Variant::egem, 1, INFINITY},
                        {Variant::gem, 1, 2.0}};
  for (const Params& p : bad) {
    EXPECT_THROW(cuda::forward<float>(p, nullptr, nullptr, 0, nullptr), std::invalid_argument) << describe(p);
    EXPECT_THROW(cuda::backward<half>(p, nullptr, nullptr, nullptr, 0, nullptr), std::invalid_argument);
    EXPECT_THROW(cuda::backward_grad2<double>(p, nullptr, nullptr, nullptr, 0, nullptr), std::invalid_argument);
    EXPECT_THROW(cuda::bias_forward<bfloat16>(p, nullptr, nullptr, nullptr, 0, 0, nullptr), std::invalid_argument);
    EXPECT_THROW(cuda::bias_backward<float>(p, nullptr, nullptr, nullptr, nullptr, nullptr, 0, 0, nullptr, 0, nullptr),
                 std::invalid_argument);
    EXPECT_THROW(cuda::eps_partial<float>(p, Quantity::df_deps, nullptr, nullptr, 0, nullptr), std::invalid_argument);
  }
  for (const Quantity which : {Quantity::value, Quantity::grad2})
    EXPECT_THROW(cuda::eps_partial<double>(make_egem(1, 1e-4), which, nullptr, nullptr, 0, nullptr),
                 std::invalid_argument);
}

}  // namespace
}  // namespace gem
