// Test support for the CUDA kernels: skip without a device, device arrays with guard zones and
// chosen misalignment, poisoning, and the inputs every kernel test draws from.
#pragma once

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "common/storage_types.h"
#include "gem/numeric.h"

namespace gem::testing {

/// Empty when a CUDA device is usable, else why not (for GTEST_SKIP).
inline std::string cuda_unavailable_reason() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error so later calls start clean
    return std::string("no CUDA device: cudaGetDeviceCount failed with ") + cudaGetErrorName(err) + " (" +
           cudaGetErrorString(err) + ")";
  }
  if (count == 0) return "no CUDA device: cudaGetDeviceCount reports 0 devices";
  return "";
}

#define GEM_SKIP_WITHOUT_CUDA()                                                        \
  do {                                                                                 \
    const std::string gem_skip_reason = ::gem::testing::cuda_unavailable_reason();     \
    if (!gem_skip_reason.empty()) GTEST_SKIP() << gem_skip_reason;                     \
  } while (0)

/// The fixture of a typed suite over StorageTypes (common/storage_types.h) that needs a device:
/// each test skips, saying why, where none is present.
template <class T>
class CudaTest : public ::testing::Test {
 protected:
  void SetUp() override { GEM_SKIP_WITHOUT_CUDA(); }
};

inline void cuda_ok(cudaError_t err, const char* what) {
  if (err != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(err));
}

/// The byte every output is filled with before a kernel runs: 0xA5 makes a finite, unusual
/// value in every format (float -2.9e-16, half -0.0225), so an element the kernel skipped
/// differs from the expected result.
constexpr unsigned char kPoison = 0xA5;

/// n elements of T in device memory starting `offset_elems` elements past a 256-byte aligned
/// allocation, with kGuard poisoned elements on both sides to catch writes out of bounds.
template <class T>
class DeviceArray {
 public:
  static constexpr std::size_t kGuard = 64;

  explicit DeviceArray(std::size_t n, std::size_t offset_elems = 0) : n_(n), offset_(offset_elems) {
    cuda_ok(cudaMalloc(reinterpret_cast<void**>(&base_), total() * sizeof(T)), "cudaMalloc");
    poison_all();
  }
  DeviceArray(const std::vector<T>& host, std::size_t offset_elems) : DeviceArray(host.size(), offset_elems) {
    upload(host);
  }
  ~DeviceArray() { cudaFree(base_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  T* data() { return base_ + kGuard + offset_; }
  std::size_t size() const { return n_; }

  void upload(const std::vector<T>& host) {
    if (host.size() != n_) throw std::invalid_argument("DeviceArray::upload: size mismatch");
    cuda_ok(cudaMemcpy(data(), host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy H2D");
  }
  std::vector<T> download() const {
    std::vector<T> host(n_);
    cuda_ok(cudaMemcpy(host.data(), base_ + kGuard + offset_, n_ * sizeof(T), cudaMemcpyDeviceToHost), "D2H");
    return host;
  }
  /// Poisons everything, guards included.
  void poison_all() { cuda_ok(cudaMemset(base_, kPoison, total() * sizeof(T)), "cudaMemset"); }

  /// True when both guard zones still hold the poison (nothing written out of bounds).
  bool guards_intact() const {
    std::vector<unsigned char> bytes(total() * sizeof(T));
    cuda_ok(cudaMemcpy(bytes.data(), base_, bytes.size(), cudaMemcpyDeviceToHost), "D2H guards");
    const std::size_t lead = (kGuard + offset_) * sizeof(T), trail = (kGuard + offset_ + n_) * sizeof(T);
    for (std::size_t i = 0; i < bytes.size(); ++i)
      if ((i < lead || i >= trail) && bytes[i] != kPoison) return false;
    return true;
  }

 private:
  std::size_t total() const { return n_ + 2 * kGuard + offset_; }
  std::size_t n_, offset_;
  T* base_ = nullptr;
};

// ---- Values as doubles, for comparisons -----------------------------------------------------

template <class T>
double as_double(T v) {
  return static_cast<double>(static_cast<opmath_t<T>>(v));
}
template <class T>
T from_double(double v) {
  if constexpr (std::is_same_v<T, double>) return v;
  else if constexpr (std::is_same_v<T, float>) return static_cast<float>(v);
  else return T(static_cast<float>(v));  // tests only convert values exact in float
}

/// Same bits, or both NaN (the NaN payload is not part of the contract).
template <class T>
bool same_value(T a, T b) {
  const double da = as_double(a), db = as_double(b);
  if (std::isnan(da) || std::isnan(db)) return std::isnan(da) && std::isnan(db);
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <class T>
const char* dtype_name() {
  return gem::dtype_name(dtype_of<T>());
}

/// Exponent range of finite values of T (subnormals included), for drawing inputs.
template <class T>
void exponent_range(int& lo, int& hi) {
  if constexpr (std::is_same_v<T, double>) lo = -1074, hi = 1023;
  else if constexpr (std::is_same_v<T, float>) lo = -149, hi = 127;
  else if constexpr (std::is_same_v<T, half>) lo = -24, hi = 15;
  else lo = -133, hi = 127;
}

/// n inputs of T: the special values first (+-0, +-inf, NaN, +-1, smallest subnormal, largest
/// finite), then a mix of values spread evenly over the exponent range and values near the
/// scale of the activation (|x| in [2^-6, 2^6]). Every draw rounds to T.
template <class T>
std::vector<T> draw_inputs(std::size_t n, std::uint32_t seed) {
  const double inf = std::numeric_limits<double>::infinity();
  int lo = 0, hi = 0;
  exponent_range<T>(lo, hi);
  const double tiny = std::ldexp(1.0, lo);
  double huge;
  if constexpr (std::is_same_v<T, double>) huge = std::numeric_limits<double>::max();
  else if constexpr (std::is_same_v<T, float>) huge = std::numeric_limits<float>::max();
  else if constexpr (std::is_same_v<T, half>) huge = 65504.0;
  else huge = 0x1.fep127;
  const double specials[] = {0.0, -0.0, inf, -inf, std::nan(""), 1.0, -1.0, tiny, -tiny, huge, -huge};
  std::vector<T> out;
  out.reserve(n);
  for (double s : specials)
    if (out.size() < n) out.push_back(from_double<T>(s));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int> wide(lo, hi), near(-6, 5);
  while (out.size() < n) {
    const bool spread = rng() % 2 == 0;
    const double mag = std::ldexp(1.0 + unit(rng), spread ? wide(rng) : near(rng));
    const double v = rng() % 2 ? mag : -mag;
    T t = from_double<T>(std::isinf(v) ? (v > 0 ? huge : -huge) : v);
    if constexpr (!std::is_same_v<T, double>) {
      if (std::isinf(as_double(t))) t = from_double<T>(v > 0 ? huge : -huge);
    }
    out.push_back(t);
  }
  return out;
}

}  // namespace gem::testing
