// f^(k) of any order on arrays (kernels.h: derivative), in binary64 for every storage type and
// rounded once.
//
// Orders 3..4 run on SIMD lanes: a plain Taylor jet per lane (LaneJet: one vector per
// coefficient) through gem.h's formulas for both sides of the gate (egem_value_outer / _inner,
// segem_value_outer / _inner), selected per lane, with the step 2^ilogb(max(|x|, S)) of
// gem_derivative.h set per lane from the exponent bits, so the coefficients stay comparable. A
// vector evaluates only the sides its open lanes need.
// Lanes whose powers t^(2N) could leave the format (t = |x|/S above 2^(480/N)), and any lane
// whose jet did not come out finite, take gem_derivative (scaled jets) instead. Orders 0..2 and
// above 4 run gem_derivative per element (higher lane orders cost more compile time than their
// use is worth: each K is a large flattened loop per SIMD target). A partial block is a zero-padded copy, so every
// element gets the same arithmetic wherever it lies (results never depend on the thread count).

// The highest order on lanes (the lane jets' K), one definition for every pass over this file.
#ifndef GEM_CPU_LANE_ORDERS
#define GEM_CPU_LANE_ORDERS 4
#endif

// ---- Per-target code (this file is compiled once per SIMD target) -------------------------------
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/cpu/derivative_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "gem/act/gem.h"
#include "gem/act/gem_constants.h"
#include "gem/act/gem_derivative.h"
#include "gem/numeric.h"
#include "gem/params.h"
#include "hwy/highway.h"
#include "gem/round_once.h"

HWY_BEFORE_NAMESPACE();
namespace gem::cpu {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DD = hn::ScalableTag<double>;
using VD = hn::Vec<DD>;

/// A truncated Taylor series on lanes: c[j] holds coefficient j of every lane's jet. Its
/// operators are plain inline (not HWY_INLINE): gem.h's formulas, templates outside the
/// per-target region, call them, and GCC refuses to force-inline a target function there; the
/// HWY_FLATTEN loop inlines everything (simd_lanes-inl.h does the same).
template <int K>
struct LaneJet {
  VD c[K + 1];

  LaneJet() = default;
  /// A constant (what gem.h's formulas write as W(1), and scalars they mix in).
  LaneJet(double v) {  // NOLINT(google-explicit-constructor)
    c[0] = hn::Set(DD(), v);
    for (int j = 1; j <= K; ++j) c[j] = hn::Zero(DD());
  }
};

template <int K>
inline LaneJet<K> operator-(const LaneJet<K>& a) {
  LaneJet<K> r;
  for (int j = 0; j <= K; ++j) r.c[j] = hn::Neg(a.c[j]);
  return r;
}
template <int K>
inline LaneJet<K> operator+(const LaneJet<K>& a, double b) {
  LaneJet<K> r = a;
  r.c[0] = hn::Add(a.c[0], hn::Set(DD(), b));
  return r;
}
template <int K>
inline LaneJet<K> operator*(const LaneJet<K>& a, double b) {
  const VD s = hn::Set(DD(), b);
  LaneJet<K> r;
  for (int j = 0; j <= K; ++j) r.c[j] = hn::Mul(a.c[j], s);
  return r;
}
/// By the reciprocal: one scalar division instead of one per coefficient (the formulas divide
/// only by constants near 1, such as e, so 1/b is exact to half an ulp and finite).
template <int K>
inline LaneJet<K> operator/(const LaneJet<K>& a, double b) {
  return a * (1.0 / b);
}
template <int K>
inline LaneJet<K> operator*(const LaneJet<K>& a, const LaneJet<K>& b) {
  LaneJet<K> r;
  for (int j = 0; j <= K; ++j) {
    VD s = hn::Mul(a.c[0], b.c[j]);
    for (int i = 1; i <= j; ++i) s = hn::MulAdd(a.c[i], b.c[j - i], s);
    r.c[j] = s;
  }
  return r;
}
/// r = a/b order by order, with one division per lane (the reciprocal of b's value).
template <int K>
inline LaneJet<K> operator/(const LaneJet<K>& a, const LaneJet<K>& b) {
  const VD inv = hn::Div(hn::Set(DD(), 1.0), b.c[0]);
  LaneJet<K> r;
  for (int j = 0; j <= K; ++j) {
    VD s = a.c[j];
    for (int i = 0; i < j; ++i) s = hn::NegMulAdd(r.c[i], b.c[j - i], s);
    r.c[j] = hn::Mul(s, inv);
  }
  return r;
}
template <int K>
inline LaneJet<K> operator/(double a, const LaneJet<K>& b) {
  return LaneJet<K>(a) / b;
}

template <int K>
inline LaneJet<K> Select(hn::Mask<DD> m, const LaneJet<K>& a, const LaneJet<K>& b) {
  LaneJet<K> r;
  for (int j = 0; j <= K; ++j) r.c[j] = hn::IfThenElse(m, a.c[j], b.c[j]);
  return r;
}

/// f^(k) on one vector of x (finite lanes; the caller handles NaN, inf and flagged lanes).
template <int K, bool kSegem>
HWY_INLINE VD DerivativeVector(VD x, int k, const GemConstants<double>& c, int scale_exp) {
  const DD d;
  const hn::RebindToSigned<DD> di;
  // Step 2^max(ilogb|x|, scale_exp) and its inverse, from the exponent bits (x = 0 and subnormal
  // x read as -1023: the scale wins).
  const auto biased = hn::And(hn::ShiftRight<52>(hn::BitCast(di, x)), hn::Set(di, 0x7FF));
  const auto step = hn::Max(hn::Sub(biased, hn::Set(di, 1023)), hn::Set(di, scale_exp));
  const VD h = hn::BitCast(d, hn::ShiftLeft<52>(hn::Add(step, hn::Set(di, 1023))));
  const VD inv_h = hn::BitCast(d, hn::ShiftLeft<52>(hn::Sub(hn::Set(di, 1023), step)));
  LaneJet<K> a(0.0);
  a.c[0] = kSegem ? hn::Neg(x) : x;  // SE at x < 0 is evaluated at a = -x
  if (K >= 1) a.c[1] = kSegem ? hn::Neg(h) : h;
  const GatePowers<LaneJet<K>> pw = gate_powers(a, c);
  // The other side of 0: E-GEM is 0 there, SE-GEM the identity (0 for every k >= 2).
  const auto open = kSegem ? hn::Lt(x, hn::Zero(d)) : hn::Gt(x, hn::Zero(d));
  const auto outer = hn::Ge(pw.p.c[0], hn::Set(d, c.e));
  // Only the side some open lane needs (one side costs as much as the rest of the vector).
  const bool any_outer = !hn::AllFalse(d, hn::And(open, outer));
  const bool any_inner = !hn::AllFalse(d, hn::AndNot(outer, open));
  const auto side_outer = [&] { return kSegem ? segem_value_outer(a, pw, c) : egem_value_outer(a, pw, c); };
  const auto side_inner = [&] { return kSegem ? segem_value_inner(a, pw, c) : egem_value_inner(a, pw, c); };
  const LaneJet<K> y =
      !any_inner ? side_outer() : (!any_outer ? side_inner() : Select(outer, side_outer(), side_inner()));
  VD f = y.c[0];
  for (int j = 0; j <= K; ++j)
    if (j == k) f = y.c[j];
  for (int i = 2; i <= k; ++i) f = hn::Mul(f, hn::Set(d, static_cast<double>(i)));
  for (int i = 0; i < k; ++i) f = hn::Mul(f, inv_h);  // exact powers of two, toward the result
  return hn::IfThenElseZero(open, f);
}

/// f^(k) of n binary64 values (a partial last vector zero-padded), one instantiation per
/// variant: the storage types are converted outside (the jets are the whole cost).
template <bool kSegem>
HWY_NOINLINE HWY_FLATTEN void DerivativeLoop(Variant v, int k, const GemConstants<double>& c, const double* x,
                                             double* out, std::size_t n) {
  const DD d;
  const std::size_t lanes = hn::Lanes(d);
  const int scale_exp = -std::ilogb(c.inv_s);
  const double flag_t = std::ldexp(1.0, 480 / c.n);  // t above: t^(2N) could leave binary64
  HWY_ALIGN double xs[HWY_LANES(double)], ys[HWY_LANES(double)], ok[HWY_LANES(double)];
  for (std::size_t i = 0; i < n; i += lanes) {
    const std::size_t count = n - i < lanes ? n - i : lanes;
    if (count < lanes)
      for (std::size_t j = 0; j < lanes; ++j) xs[j] = j < count ? x[i + j] : 0.0;
    const VD xv = count < lanes ? hn::Load(d, xs) : hn::LoadU(d, x + i);
    const VD t = hn::Mul(hn::Abs(xv), hn::Set(d, c.inv_s));
    const auto plain = hn::Le(t, hn::Set(d, flag_t));  // finite, not far (false for NaN)
    const VD y = DerivativeVector<GEM_CPU_LANE_ORDERS, kSegem>(hn::IfThenElseZero(plain, xv), k, c, scale_exp);
    const auto fine = hn::And(plain, hn::IsFinite(y));
    if (count == lanes && hn::AllTrue(d, fine)) {
      hn::StoreU(y, d, out + i);
      continue;
    }
    // A partial vector, or rare lanes: NaN, inf, far (or a jet that left the format).
    hn::Store(xv, d, xs);
    hn::Store(y, d, ys);
    hn::Store(hn::IfThenElseZero(fine, hn::Set(d, 1.0)), d, ok);
    for (std::size_t j = 0; j < count; ++j) out[i + j] = ok[j] != 0.0 ? ys[j] : gem_derivative(v, k, xs[j], c);
  }
}

void DerivativeLanes(Variant v, int k, const GemConstants<double>& c, const double* x, double* out, std::size_t n) {
  if (v == Variant::segem)
    DerivativeLoop<true>(v, k, c, x, out, n);
  else
    DerivativeLoop<false>(v, k, c, x, out, n);
}

}  // namespace HWY_NAMESPACE
}  // namespace gem::cpu
HWY_AFTER_NAMESPACE();

// ---- Dispatch and threads (compiled once) -------------------------------------------------------
#if HWY_ONCE

#include <type_traits>

#include "gem/cpu/kernels.h"
#include "src/cpu/threads.h"

namespace gem::cpu {

HWY_EXPORT(DerivativeLanes);

template <class T>
void derivative(const Params& p, int k, const T* x, T* out, std::size_t n, int threads) {
  validate(p);
  validate_derivative_order(k);
  const int team = resolve_threads(threads);
  const GemConstants<double> c = make_constants<double>(p);
  const bool lanes = k >= 3 && k <= GEM_CPU_LANE_ORDERS;
  parallel_ranges(n, team, [&](std::size_t begin, std::size_t end) {
    if (!lanes) {
      for (std::size_t i = begin; i < end; ++i)
        out[i] = round_once<T>(gem_derivative(p.variant, k, static_cast<double>(widen(x[i])), c));
      return;
    }
    if constexpr (std::is_same_v<T, double>) {
      HWY_DYNAMIC_DISPATCH(DerivativeLanes)(p.variant, k, c, x + begin, out + begin, end - begin);
    } else {  // through binary64 pieces on the stack, rounded once
      constexpr std::size_t kPiece = 512;
      double xs[kPiece], ys[kPiece];
      for (std::size_t b = begin; b < end; b += kPiece) {
        const std::size_t count = end - b < kPiece ? end - b : kPiece;
        for (std::size_t i = 0; i < count; ++i) xs[i] = static_cast<double>(widen(x[b + i]));
        HWY_DYNAMIC_DISPATCH(DerivativeLanes)(p.variant, k, c, xs, ys, count);
        for (std::size_t i = 0; i < count; ++i) out[b + i] = round_once<T>(ys[i]);
      }
    }
  });
}

template void derivative<double>(const Params&, int, const double*, double*, std::size_t, int);
template void derivative<float>(const Params&, int, const float*, float*, std::size_t, int);
template void derivative<half>(const Params&, int, const half*, half*, std::size_t, int);
template void derivative<bfloat16>(const Params&, int, const bfloat16*, bfloat16*, std::size_t, int);

}  // namespace gem::cpu

#endif  // HWY_ONCE
