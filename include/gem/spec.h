// The activation spec syntax shared by every tool and module:
//   relu  gelu  silu  mish  elu[:alpha=A]  leaky_relu[:slope=S]
//   gem:N=1   egem:N=2,eps=1e-4   segem:N=1,eps=1e-4        (N defaults to 1; eps is required)
// parse() validates with messages that say what was wrong and what is allowed (blanks around
// the spec, a key or a value are ignored); to_string() prints the canonical form, and
// parse(to_string(s)) == s for every valid s.
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "gem/params.h"
#include "gem/quoted.h"

namespace gem {

enum class Kind { relu, gelu, silu, mish, elu, leaky_relu, gem, egem, segem };

constexpr double kDefaultEluAlpha = 1.0;         // torch.nn.ELU default
constexpr double kDefaultLeakyReluSlope = 0.01;  // torch.nn.LeakyReLU default

inline const char* kind_name(Kind k) {
  switch (k) {
    case Kind::relu: return "relu";
    case Kind::gelu: return "gelu";
    case Kind::silu: return "silu";
    case Kind::mish: return "mish";
    case Kind::elu: return "elu";
    case Kind::leaky_relu: return "leaky_relu";
    case Kind::gem: return "gem";
    case Kind::egem: return "egem";
    case Kind::segem: return "segem";
  }
  return "?";
}

inline const std::vector<Kind>& all_kinds() {
  static const std::vector<Kind> kinds{Kind::relu, Kind::gelu,       Kind::silu, Kind::mish, Kind::elu,
                                       Kind::leaky_relu, Kind::gem, Kind::egem, Kind::segem};
  return kinds;
}

struct ActivationSpec {
  Kind kind = Kind::relu;
  Params gem;          // used when is_gem_family()
  double alpha = 0.0;  // elu: alpha; leaky_relu: negative slope; unused otherwise

  bool is_gem_family() const { return kind == Kind::gem || kind == Kind::egem || kind == Kind::segem; }

  bool operator==(const ActivationSpec& o) const {
    return kind == o.kind && (is_gem_family() ? gem == o.gem : alpha == o.alpha);
  }
  bool operator!=(const ActivationSpec& o) const { return !(*this == o); }

  std::string to_string() const {
    switch (kind) {
      case Kind::gem: return "gem:N=" + std::to_string(gem.N);
      case Kind::egem:
      case Kind::segem:
        return std::string(kind_name(kind)) + ":N=" + std::to_string(gem.N) + ",eps=" + format_double(gem.eps);
      case Kind::elu: return alpha == kDefaultEluAlpha ? "elu" : "elu:alpha=" + format_double(alpha);
      case Kind::leaky_relu:
        return alpha == kDefaultLeakyReluSlope ? "leaky_relu" : "leaky_relu:slope=" + format_double(alpha);
      default: return kind_name(kind);
    }
  }

  static ActivationSpec from_params(const Params& p) {
    validate(p);
    ActivationSpec s;
    s.kind = p.variant == Variant::gem ? Kind::gem : p.variant == Variant::egem ? Kind::egem : Kind::segem;
    s.gem = p;
    return s;
  }

  static ActivationSpec parse(const std::string& text);  // throws std::invalid_argument
};

namespace detail {

inline std::string spec_error_prefix(const std::string& text) {
  return "activation spec " + quoted_excerpt(text) + ": ";
}

/// `s` without the blanks (space, tab, CR, LF) at either end.
inline std::string trim_blanks(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

/// A value as it appears after "got" in a message: as written, or "an empty value".
inline std::string shown_value(const std::string& value) { return value.empty() ? "an empty value" : excerpt(value); }

/// Whole-string strtod: "1e-4" ok; "", "1e-4x", "two" are not numbers.
inline bool parse_double(const std::string& s, double& out) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

inline std::string valid_kinds_list() {
  std::string list;
  for (Kind k : all_kinds()) list += (list.empty() ? "" : ", ") + std::string(kind_name(k));
  return list;
}

}  // namespace detail

inline ActivationSpec ActivationSpec::parse(const std::string& given) {
  const std::string where = detail::spec_error_prefix(given);
  const std::string text = detail::trim_blanks(given);
  const auto colon = text.find(':');
  const std::string name = detail::trim_blanks(text.substr(0, colon));
  ActivationSpec s;
  bool known = false;
  for (Kind k : all_kinds())
    if (name == kind_name(k)) s.kind = k, known = true;
  if (!known)
    throw std::invalid_argument(where + "unknown activation " + quoted_excerpt(name) + "; expected one of " +
                                detail::valid_kinds_list() + " (e.g. egem:N=1,eps=1e-4)");

  // key=value pairs after the colon
  bool have_n = false, have_eps = false, have_alpha = false;
  double n = 1.0, eps = 1.0;
  std::string eps_text;  // as written, for messages (1e-400 reads as 0)
  s.alpha = s.kind == Kind::elu ? kDefaultEluAlpha : s.kind == Kind::leaky_relu ? kDefaultLeakyReluSlope : 0.0;
  if (colon != std::string::npos) {
    const std::string rest = text.substr(colon + 1);
    if (rest.empty()) throw std::invalid_argument(where + "nothing after ':'; write e.g. egem:N=1,eps=1e-4");
    std::size_t pos = 0;
    while (pos <= rest.size()) {
      const auto comma = rest.find(',', pos);
      const std::string item =
          detail::trim_blanks(rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
      const auto eq = item.find('=');
      if (eq == std::string::npos || eq == 0)
        throw std::invalid_argument(where + "expected key=value, got " + quoted_excerpt(item));
      const std::string key = detail::trim_blanks(item.substr(0, eq)), value = detail::trim_blanks(item.substr(eq + 1));
      double v = 0.0;
      const bool numeric = detail::parse_double(value, v);
      auto duplicate = [&](bool& seen) {
        if (seen) throw std::invalid_argument(where + quoted_excerpt(key) + " given twice");
        seen = true;
      };
      if (key == "N" && s.is_gem_family()) {
        duplicate(have_n);
        if (!numeric) throw std::invalid_argument(where + order_error(detail::shown_value(value)));
        try {
          validate_order(v);
        } catch (const std::invalid_argument& e) {
          throw std::invalid_argument(where + e.what());
        }
        n = v;
      } else if (key == "eps" && s.is_gem_family()) {
        duplicate(have_eps);
        eps_text = detail::shown_value(value);
        // eps on gem is reported after the loop, when N is known
        if (s.kind != Kind::gem && !numeric)
          throw std::invalid_argument(where +
                                      eps_error(s.kind == Kind::egem ? Variant::egem : Variant::segem, eps_text));
        eps = v;
      } else if ((key == "alpha" && s.kind == Kind::elu) || (key == "slope" && s.kind == Kind::leaky_relu)) {
        duplicate(have_alpha);
        if (!numeric || !std::isfinite(v))
          throw std::invalid_argument(where + key + " must be a finite number, got " + detail::shown_value(value));
        s.alpha = v;
      } else {
        const char* allowed = s.is_gem_family()  ? (s.kind == Kind::gem ? "N" : "N, eps")
                              : s.kind == Kind::elu ? "alpha"
                              : s.kind == Kind::leaky_relu ? "slope"
                                                           : "none";
        throw std::invalid_argument(where + "unknown parameter " + quoted_excerpt(key) + " for " + name +
                                    " (allowed: " + allowed + ")");
      }
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  if (s.is_gem_family()) {
    const Variant v = s.kind == Kind::gem ? Variant::gem : s.kind == Kind::egem ? Variant::egem : Variant::segem;
    const std::string n_text = std::to_string(static_cast<int>(n));
    if (v == Variant::gem && have_eps)
      throw std::invalid_argument(where + "GEM has no eps (it is fixed at 1); use egem:N=" + n_text + ",eps=" +
                                  eps_text + " for a GEM with another eps");
    if (v != Variant::gem && have_eps && !(eps > 0.0 && std::isfinite(eps)))
      throw std::invalid_argument(where + eps_error(v, eps_text));
    if (v != Variant::gem && !have_eps)
      throw std::invalid_argument(where + variant_title(v) + " needs eps, e.g. " + name + ":N=" +
                                  n_text + ",eps=1e-4");
    try {
      s.gem = make_params(v, static_cast<int>(n), eps);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(where + e.what());
    }
  }
  return s;
}

}  // namespace gem
