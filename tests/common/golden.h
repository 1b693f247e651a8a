// Reads ../shared/spec/golden.csv (x and eps as exact decimal expansions: strtod rounds them
// correctly) and states the accuracy bound of spec 3.4. Shared by every kernel test.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "gem/params.h"

namespace gem::testing {

struct GoldenRow {
  Variant variant;
  int N;
  double eps, x, f, df, d2f;
};

/// Path of golden.csv: $GEM_GOLDEN_CSV, else the compile-time default (../shared/spec).
inline std::string golden_path() {
  if (const char* p = std::getenv("GEM_GOLDEN_CSV")) return p;
#ifdef GEM_GOLDEN_CSV
  return GEM_GOLDEN_CSV;
#else
  return "../shared/spec/golden.csv";
#endif
}

inline std::vector<GoldenRow> load_golden() {
  std::ifstream in(golden_path());
  if (!in) throw std::runtime_error("cannot open golden values " + golden_path() + " (set GEM_GOLDEN_CSV)");
  std::vector<GoldenRow> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell[7];
    for (auto& c : cell) std::getline(ss, c, ',');
    GoldenRow r;
    r.variant = cell[0] == "gem" ? Variant::gem : cell[0] == "egem" ? Variant::egem : Variant::segem;
    r.N = std::atoi(cell[1].c_str());
    r.eps = std::strtod(cell[2].c_str(), nullptr);
    r.x = std::strtod(cell[3].c_str(), nullptr);
    r.f = std::strtod(cell[4].c_str(), nullptr);
    r.df = std::strtod(cell[5].c_str(), nullptr);
    r.d2f = std::strtod(cell[6].c_str(), nullptr);
    rows.push_back(r);
  }
  return rows;
}

/// ulp of format W at magnitude v (subnormal spacing below the smallest normal).
template <class W>
double ulp_of(double v) {
  v = std::fabs(v);
  const double min_normal = std::numeric_limits<W>::min();
  const int digits = std::numeric_limits<W>::digits;
  if (v < min_normal) return std::ldexp(min_normal, 1 - digits);
  if (std::isinf(v)) v = std::numeric_limits<W>::max();
  return std::ldexp(1.0, std::ilogb(v) + 1 - digits);
}

/// The size M of the terms that cancel near a zero (spec 3.4), in binary64 from (x, eps).
/// which: 0 = f, 1 = f', 2 = f''. Computed in gate variables with scaling by a power of two
/// to stay finite; only its magnitude matters (it sets the ulp).
inline double cancel_magnitude(Variant v, int N, double eps, double x, int which, double exact) {
  const double m = 2.0 * N;
  const double a = std::fabs(x);
  if (which == 0 || (which == 1 && (v != Variant::segem || x >= 0))) return std::fabs(exact);
  if (which == 1 && x >= 0) return std::fabs(exact);
  // r = a^m/eps evaluated in logs (a and eps span the whole binary64 range).
  if (a == 0.0 || std::isinf(a)) return std::fabs(exact);
  const double logr = m * std::log(a) - std::log(eps);
  if (which == 1) {  // SE' : M = (1 + (m-1) r)/(1+r)^2
    if (logr > 700) return (m - 1) * std::exp(-logr);
    const double r = std::exp(logr);
    return (1 + (m - 1) * r) / ((1 + r) * (1 + r));
  }
  if ((v == Variant::segem && x >= 0) || (v != Variant::segem && x <= 0)) return std::fabs(exact);
  // E'', SE'': M = m (a^(m-1)/eps) ((m+1) + (m-1) r)/(1+r)^3, in logs.
  const double log_pre = std::log(m) + (m - 1) * std::log(a) - std::log(eps);
  double log_rest;
  if (logr > 700) log_rest = std::log(m - 1) - 2 * logr;
  else if (logr < -700) log_rest = std::log(m + 1);
  else {
    const double r = std::exp(logr);
    log_rest = std::log((m + 1) + (m - 1) * r) - 3 * std::log1p(r);
  }
  const double lm = log_pre + log_rest;
  return lm > 709 ? DBL_MAX : std::exp(lm);
}

/// Spec 3.4 bound in ulps: 2N+4 (f), 2N+6 (f'), 4N+12 (f'').
inline double bound_ulps(int N, int which) { return which == 0 ? 2 * N + 4 : which == 1 ? 2 * N + 6 : 4 * N + 12; }

/// Error of y against exact y* in ulps of max(|y*|, M) in format W; 0 when both are the same
/// special value (NaN, inf, or zero compared with ==).
template <class W>
double error_ulps(double y, double exact, double M) {
  if (std::isnan(exact)) return std::isnan(y) ? 0.0 : INFINITY;
  if (std::isinf(exact)) return y == exact ? 0.0 : INFINITY;
  if (std::isnan(y) || std::isinf(y)) return INFINITY;
  const double unit = ulp_of<W>(std::fmax(std::fabs(exact), M));
  return std::fabs(y - exact) / unit;
}

}  // namespace gem::testing
