// GELU, exact form (torch.nn.GELU's default approximate='none'): x times the normal CDF.
#pragma once

#include <cmath>

#include "gem/config.h"

namespace gem {

constexpr double kInvSqrt2Pi = 0.3989422804014327;      // 1/sqrt(2 pi)
constexpr double kSqrt2 = 1.4142135623730951;           // sqrt(2)
constexpr double kSqrtHalfHi = 0.7071067811865476;      // 1/sqrt(2) rounded to binary64
constexpr double kSqrtHalfLo = -4.833646656726457e-17;  // 1/sqrt(2) - kSqrtHalfHi

namespace detail {

/// The normal density phi(x) = exp(-x^2/2)/sqrt(2 pi) at finite x, kept as (c g) g with
/// g = exp(-x^2/4). A caller's factor F goes into c first, ((c F) g) g, so a result in the
/// subnormal range is rounded once, where exp(-x^2/2) itself would already have lost digits.
/// exp turns the rounding of x^2 into a relative error of up to x^2/4 ulp, so x^2 = hi + lo is
/// split exactly with fma and exp(-(hi + lo)/2) = exp(-hi/2) (1 - lo/2). Beyond |x| = 64 g is
/// 0 and lo is left out: it grows with x^2 and c F could overflow (inf * 0).
template <class W>
struct NormalPdf {
  W c, g;
  GEM_HOST_DEVICE W times(W factor) const { return ((c * factor) * g) * g; }
};

template <class W>
GEM_HOST_DEVICE GEM_INLINE NormalPdf<W> normal_pdf(W x) {
  const W hi = x * x;
  const W lo = hi < W(4096) ? std::fma(x, x, -hi) : W(0);
  return {W(kInvSqrt2Pi) * (W(1) - W(0.5) * lo), std::exp(W(-0.25) * hi)};
}

/// Phi(x) = erfc(-x/sqrt2)/2 for finite x. erfc has no cancellation for x < 0, unlike
/// (1 + erf(x/sqrt2))/2. Rounding z = -x/sqrt2 would cost up to z^2 ulp (d ln erfc/dz ~ -2z),
/// so z = zh + zl is carried in two parts and
/// erfc(zh + zl) = erfc(zh) - zl (2/sqrt(pi)) exp(-z^2), where exp(-z^2)/sqrt(pi) = sqrt2 phi(x).
template <class W>
GEM_HOST_DEVICE GEM_INLINE W normal_cdf(W x, const NormalPdf<W>& pdf) {
  const W c_hi = W(kSqrtHalfHi);
  const W c_lo = W((kSqrtHalfHi - static_cast<double>(c_hi)) + kSqrtHalfLo);
  const W zh = -x * c_hi;
  const W zl = std::fma(-x, c_hi, -zh) - x * c_lo;
  return W(0.5) * std::erfc(zh) - pdf.times(W(kSqrt2) * zl);
}

/// Below this x, Phi(x) (and erfc) approach the subnormal range (binary64 from x = -37.5,
/// binary32 from -13), so the left tail uses Mills' ratio R instead: Phi(x) = phi(x) R(z),
/// z = -x, z R(z) = 1 - w + 3w^2 - 15w^3 + ... (w = 1/z^2), whose first omitted term is below
/// 2e-18 (binary64, z >= 26) and 4e-11 (binary32, z >= 10).
template <class W>
GEM_HOST_DEVICE GEM_INLINE W gelu_tail_start() {
  return sizeof(W) == sizeof(float) ? W(-10) : W(-26);
}

/// z R(z) for z = -x >= 10: the asymptotic series up to 15!! w^8, in Horner form.
template <class W>
GEM_HOST_DEVICE GEM_INLINE W mills_z_ratio(W x) {
  const W w = W(1) / (x * x);
  W s = W(1) - W(15) * w;
  for (int k = 13; k >= 1; k -= 2) s = W(1) - W(k) * w * s;
  return s;
}

}  // namespace detail

/// GELU: f(x) = x Phi(x), Phi the standard normal CDF = erfc(-x/sqrt2)/2.
///   Types:  W = double, float (long double on the host); 16-bit storage through opmath_t.
///   Bound:  6 ulp for f, f', f'' in binary64 and binary32, in ulps of max(|y*|, M) with M the
///           sum of the terms' sizes (|x| Phi; Phi + |x| phi; phi (2 + x^2)), so the zeros of f'
///           and f'' are covered; with glibc's libm (measured worst 5.7 against long double over
///           the whole range: tests/core/baselines_test.cpp). 8 ulp on CUDA 13 (H100: worst 7.1,
///           binary32 f'').
///   Range:  all x; f(-inf) = -0 (x Phi(x) would be -inf * 0), f(+inf) = +inf, f(-0) = -0,
///           NaN stays NaN.
///   Grad:   f'(x) = Phi(x) + x phi(x);  f''(x) = phi(x) (2 - x^2), phi = Phi' the normal
///           density; 2 - x^2 by fma (its zeros +-sqrt2 cancel). For x < -26 (binary32: -10)
///           f = -phi z R(z), f' = phi (z R(z)/z - z). f'(-inf) = 0, f'(+inf) = 1,
///           f''(+-inf) = 0; where phi underflows f'' is 0 (not 0 * inf).
template <class W>
GEM_HOST_DEVICE GEM_INLINE W gelu(W x) {
  if (x == W(-HUGE_VAL)) return W(-0.0);
  if (x == W(HUGE_VAL)) return x;
  const detail::NormalPdf<W> pdf = detail::normal_pdf(x);
  if (x < detail::gelu_tail_start<W>()) return -pdf.times(detail::mills_z_ratio(x));
  return x * detail::normal_cdf(x, pdf);  // NaN flows through
}

template <class W>
GEM_HOST_DEVICE GEM_INLINE W gelu_grad(W x) {
  if (x == W(-HUGE_VAL)) return W(0);
  if (x == W(HUGE_VAL)) return W(1);
  const detail::NormalPdf<W> pdf = detail::normal_pdf(x);
  if (x < detail::gelu_tail_start<W>()) return pdf.times(detail::mills_z_ratio(x) / -x + x);
  return detail::normal_cdf(x, pdf) + pdf.times(x);
}

template <class W>
GEM_HOST_DEVICE GEM_INLINE W gelu_grad2(W x) {
  const detail::NormalPdf<W> pdf = detail::normal_pdf(x);
  if (pdf.g == W(0)) return W(0);  // |x| >= 54.6 (binary32: 20.4) and +-inf, where 2 - x^2 = -inf
  return pdf.times(std::fma(-x, x, W(2)));
}

}  // namespace gem
