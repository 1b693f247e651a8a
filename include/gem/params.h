// The parameters of one GEM-family activation (variant, order N, eps) and their validation
// (spec section 4). Validation throws; device code only ever sees validated parameters.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace gem {

enum class Variant { gem, egem, segem };

constexpr int kMinOrder = 1;
constexpr int kMaxOrder = 8;  // spec 4: keeps e < 2^16 and x^(2N) finite for |x| < 256 in binary32

/// Each variant's names, written once: the spelling of specs, tools and ops, and the display name
/// of messages ("E-GEM eps must be ...").
struct VariantNames {
  Variant variant;
  const char* name;
  const char* title;
};
constexpr VariantNames kVariantNames[] = {
    {Variant::gem, "gem", "GEM"}, {Variant::egem, "egem", "E-GEM"}, {Variant::segem, "segem", "SE-GEM"}};
static_assert(kVariantNames[0].variant == Variant::gem && kVariantNames[1].variant == Variant::egem &&
                  kVariantNames[2].variant == Variant::segem,
              "kVariantNames is indexed by Variant");
constexpr Variant kVariants[] = {Variant::gem, Variant::egem, Variant::segem};
constexpr const char* kVariantChoices = "gem, egem or segem";  // for messages

inline const VariantNames& names_of(Variant v) { return kVariantNames[static_cast<int>(v)]; }
inline const char* variant_name(Variant v) { return names_of(v).name; }
inline const char* variant_title(Variant v) { return names_of(v).title; }

/// The variant named `name` ("gem", "egem", "segem"); false for any other text (the caller says
/// what it was given, and that kVariantChoices are allowed).
inline bool variant_from_name(const std::string& name, Variant& out) {
  for (const VariantNames& n : kVariantNames)
    if (name == n.name) {
      out = n.variant;
      return true;
    }
  return false;
}

/// Shortest decimal that reads back as the same double, in the shorter of plain and
/// scientific notation: 1e-4 -> "1e-4", 10 -> "10", 0.25 -> "0.25", 1e-30 -> "1e-30".
inline std::string format_double(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  auto shortest = [v](const char* conv) {
    char buf[400];
    for (int prec = 0; prec <= 24; ++prec) {
      std::snprintf(buf, sizeof buf, conv, prec, v);
      if (std::strtod(buf, nullptr) == v) break;
    }
    return std::string(buf);
  };
  std::string sci = shortest("%.*e");  // "1.5e-04": drop the exponent's '+' and leading zeros
  const auto epos = sci.find('e');
  std::string mant = sci.substr(0, epos), ex = sci.substr(epos + 1);
  const bool neg = ex[0] == '-';
  ex = ex.substr(1);
  while (ex.size() > 1 && ex[0] == '0') ex.erase(0, 1);
  sci = mant + "e" + (neg ? "-" : "") + ex;
  const double mag = std::fabs(v);
  if (mag != 0.0 && (mag < 1e-6 || mag >= 1e17)) return sci;
  const std::string plain = shortest("%.*f");
  return plain.size() <= sci.size() ? plain : sci;
}

/// One activation of the family. GEM has eps fixed at 1 (spec 1: GEM_N = E-GEM_{N,1}).
struct Params {
  Variant variant = Variant::egem;
  int N = 1;
  double eps = 1.0;

  bool operator==(const Params& o) const { return variant == o.variant && N == o.N && eps == o.eps; }
  bool operator!=(const Params& o) const { return !(*this == o); }
};

// The messages of spec 4's rules, written once; `shown` is the offending value as the caller
// received it (a number formatted, or the text given).

/// "GEM order N must be an integer in [1, 8], got <shown>".
inline std::string order_error(const std::string& shown) {
  return "GEM order N must be an integer in [" + std::to_string(kMinOrder) + ", " + std::to_string(kMaxOrder) +
         "], got " + shown;
}
/// "<E-GEM> eps must be finite and > 0, got <shown>".
inline std::string eps_error(Variant v, const std::string& shown) {
  return std::string(variant_title(v)) + " eps must be finite and > 0, got " + shown;
}

/// Throws std::invalid_argument unless 1 <= N <= 8 (spec 4).
inline void validate_order(double n) {
  if (!(n >= kMinOrder && n <= kMaxOrder && n == std::floor(n)))
    throw std::invalid_argument(order_error(format_double(n)));
}

/// Throws std::invalid_argument unless eps is finite and > 0 (subnormals are valid).
/// The highest derivative order the derivative kernels take (include/gem/act/gem_derivative.h).
constexpr int kMaxDerivativeOrder = 32;

/// k of f^(k): an integer in [0, kMaxDerivativeOrder].
inline void validate_derivative_order(double k) {
  if (!(k >= 0 && k <= kMaxDerivativeOrder && k == std::floor(k)))
    throw std::invalid_argument("derivative order k must be an integer in [0, " + std::to_string(kMaxDerivativeOrder) +
                                "], got " + format_double(k));
}

inline void validate_eps(Variant v, double eps) {
  if (!(eps > 0.0 && std::isfinite(eps)))
    throw std::invalid_argument(eps_error(v, eps == 0.0 && std::signbit(eps) ? std::string("-0") : format_double(eps)));
}

/// Validates a full parameter set; GEM must carry eps = 1 (its eps is not a parameter).
inline void validate(const Params& p) {
  validate_order(p.N);
  if (p.variant == Variant::gem) {
    if (p.eps != 1.0)
      throw std::invalid_argument("GEM has no eps (it is fixed at 1), got eps=" + format_double(p.eps) +
                                  "; use egem:N=" + std::to_string(p.N) + ",eps=" + format_double(p.eps) +
                                  " for a GEM with another eps");
    return;
  }
  validate_eps(p.variant, p.eps);
}

/// Validated constructors.
inline Params make_gem(int N) {
  Params p{Variant::gem, N, 1.0};
  validate(p);
  return p;
}
inline Params make_egem(int N, double eps) {
  Params p{Variant::egem, N, eps};
  validate(p);
  return p;
}
inline Params make_segem(int N, double eps) {
  Params p{Variant::segem, N, eps};
  validate(p);
  return p;
}
inline Params make_params(Variant v, int N, double eps) {
  Params p{v, N, eps};
  validate(p);
  return p;
}

}  // namespace gem
