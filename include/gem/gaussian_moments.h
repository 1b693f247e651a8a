// The moments of an activation f under a standard Gaussian input z ~ N(0, 1), and the
// initialisation gains that follow from them (docs/math.md, "Initialisation gains").
//
// PyTorch's convention (torch.nn.init.calculate_gain): a layer y = W f(x) with weights of
// variance gain^2 / fan_in keeps the variance of unit-variance Gaussian pre-activations when
// gain^2 E[f(z)^2] = 1; so gain = sqrt(2) for ReLU, as PyTorch's. The backward gain keeps the
// gradients' variance (weights of variance gain^2 / fan_out): gain^2 E[f'(z)^2] = 1. E[f(z)] is
// the mean a zero-mean initialisation ignores (for SE-GEM it is not small).
//
// The integrals are computed by adaptive Gauss-Kronrod quadrature (quadrature.h) over
// [-38.5, 38.5] (beyond it the Gaussian density is under the smallest binary64 number), with
// breakpoints at 0 (the kinks of ReLU, ELU, leaky ReLU and the SE-GEM junction) and around the
// GEM gate's scale eps^(1/2N), to a requested error of 1e-15 per moment: within 1e-12 relative
// of 30-digit integrations (tests/core/gaussian_moments_test.cpp and python/tests/test_init.py).
// Each spec's moments are computed once per process and cached.
#pragma once

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "gem/activation.h"
#include "gem/quadrature.h"
#include "gem/spec.h"

namespace gem {

struct GaussianMoments {
  double mean;              // E[f(z)]
  double mean_square;       // E[f(z)^2]
  double grad_mean_square;  // E[f'(z)^2]
};

namespace detail {
inline std::vector<double> gaussian_breakpoints(const ActivationSpec& s) {
  std::vector<double> points{-38.5, -16, -8, -4, -2, -1, -0.5, 0, 0.5, 1, 2, 4, 8, 16, 38.5};
  if (s.is_gem_family()) {
    // The gate turns on over |x| ~ eps^(1/2N); for small eps that scale is far under 0.5.
    const double scale = std::pow(s.gem.eps, 1.0 / (2.0 * s.gem.N));
    for (double k : {1.0 / 16, 0.25, 1.0, 4.0})
      if (k * scale < 0.5) {
        points.push_back(k * scale);
        points.push_back(-k * scale);
      }
  }
  std::sort(points.begin(), points.end());
  return points;
}

inline GaussianMoments compute_gaussian_moments(const ActivationSpec& s) {
  const double inv_sqrt_2pi = 0.398942280401432677939946059934381868;
  const auto density = [&](double z) { return inv_sqrt_2pi * std::exp(-0.5 * z * z); };
  const std::vector<double> points = gaussian_breakpoints(s);
  constexpr double kTolerance = 1e-15;
  GaussianMoments m{};
  m.mean = integrate([&](double z) { return evaluate(s, z).f * density(z); }, points, kTolerance);
  m.mean_square = integrate(
      [&](double z) {
        const double f = evaluate(s, z).f;
        return f * f * density(z);
      },
      points, kTolerance);
  m.grad_mean_square = integrate(
      [&](double z) {
        const double df = evaluate(s, z).df;
        return df * df * density(z);
      },
      points, kTolerance);
  return m;
}
}  // namespace detail

/// E[f(z)], E[f(z)^2], E[f'(z)^2] for z ~ N(0, 1); computed once per spec, then cached
/// (thread-safe). Throws std::invalid_argument for GEM parameters that do not validate.
inline GaussianMoments gaussian_moments(const ActivationSpec& s) {
  static std::mutex mutex;
  static std::map<std::string, GaussianMoments> cache;
  const std::string key = s.to_string();
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  const GaussianMoments m = detail::compute_gaussian_moments(s);  // outside the lock: it takes ~1 ms
  std::lock_guard<std::mutex> lock(mutex);
  return cache.emplace(key, m).first->second;
}

/// The forward gain: 1 / sqrt(E[f(z)^2]) (sqrt(2) for ReLU, PyTorch's calculate_gain("relu")).
inline double init_gain(const ActivationSpec& s) { return 1.0 / std::sqrt(gaussian_moments(s).mean_square); }

/// The backward gain: 1 / sqrt(E[f'(z)^2]) (sqrt(2) for ReLU), for fan_out initialisation.
inline double init_gain_backward(const ActivationSpec& s) {
  return 1.0 / std::sqrt(gaussian_moments(s).grad_mean_square);
}

}  // namespace gem
