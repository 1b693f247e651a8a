// The activation spec syntax (spec.h): parse(to_string(s)) == s for every kind and many
// parameters, canonical printing, and every error with its message.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "gem/spec.h"

namespace gem {
namespace {

std::string parse_error(const std::string& text) {
  try {
    ActivationSpec::parse(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

/// Parameters over the whole binary64 range: random significands in every 7th binade
/// (subnormals included), and the values people write.
std::vector<double> positive_sweep() {
  std::vector<double> v{1e-4, 1e-6, 1e-2, 0.5, 1.0, 10.0, 0.1, 1.0 / 3, DBL_MIN, DBL_MAX, 0x1p-1074};
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> sig(1.0, 2.0);
  for (int k = -1074; k <= 1023; k += 7) v.push_back(std::ldexp(sig(rng), k));
  return v;
}

void expect_round_trip(const ActivationSpec& s) {
  const std::string text = s.to_string();
  const ActivationSpec back = ActivationSpec::parse(text);
  EXPECT_EQ(back, s) << text;
  EXPECT_EQ(back.to_string(), text);
}

TEST(Spec, EveryKindRoundTrips) {
  int checked = 0;
  for (Kind k : {Kind::relu, Kind::gelu, Kind::silu, Kind::mish}) {
    ActivationSpec s;
    s.kind = k;
    EXPECT_EQ(s.to_string(), kind_name(k));
    expect_round_trip(s);
    ++checked;
  }
  for (double a : {1.0, 0.01, 0.5, 2.0, 0.0, -0.5, 1e-8, 1.0 / 3, -DBL_MAX}) {
    for (Kind k : {Kind::elu, Kind::leaky_relu}) {
      ActivationSpec s;
      s.kind = k;
      s.alpha = a;
      expect_round_trip(s);
      ++checked;
    }
  }
  for (int N = 1; N <= 8; ++N) {
    expect_round_trip(ActivationSpec::from_params(make_gem(N)));
    for (double eps : positive_sweep()) {
      expect_round_trip(ActivationSpec::from_params(make_egem(N, eps)));
      expect_round_trip(ActivationSpec::from_params(make_segem(N, eps)));
      checked += 2;
    }
  }
  EXPECT_GT(checked, 2 * 8 * 150);
}

TEST(Spec, PrintsCanonicalForm) {
  const struct {
    const char* in;
    const char* canonical;
  } cases[] = {
      {"egem:N=2,eps=1e-4", "egem:N=2,eps=1e-4"},   {"egem:eps=0.0001,N=2", "egem:N=2,eps=1e-4"},
      {"egem:N=2,eps=1e-04", "egem:N=2,eps=1e-4"},  {"segem:eps=1E-4", "segem:N=1,eps=1e-4"},
      {"egem:N=2.0,eps=10", "egem:N=2,eps=10"},     {"segem:N=8,eps=0.3", "segem:N=8,eps=0.3"},
      {"egem:eps=0.001", "egem:N=1,eps=1e-3"},      {"egem:eps=123456", "egem:N=1,eps=123456"},
      {"egem:eps=1e17", "egem:N=1,eps=1e17"},       {"egem:eps=4.9e-324", "egem:N=1,eps=5e-324"},
      {"gem", "gem:N=1"},                           {"gem:N=3", "gem:N=3"},
      {"relu", "relu"},                             {"gelu", "gelu"},
      {"silu", "silu"},                             {"mish", "mish"},
      {"elu", "elu"},                               {"elu:alpha=1", "elu"},
      {"elu:alpha=0.50", "elu:alpha=0.5"},          {"leaky_relu", "leaky_relu"},
      {"leaky_relu:slope=0.01", "leaky_relu"},      {"leaky_relu:slope=2e-1", "leaky_relu:slope=0.2"},
  };
  for (const auto& c : cases) EXPECT_EQ(ActivationSpec::parse(c.in).to_string(), c.canonical) << c.in;
  EXPECT_EQ(ActivationSpec::from_params(make_egem(2, 1e-4)).to_string(), "egem:N=2,eps=1e-4");
  EXPECT_EQ(ActivationSpec::parse("elu").alpha, kDefaultEluAlpha);
  EXPECT_EQ(ActivationSpec::parse("leaky_relu").alpha, kDefaultLeakyReluSlope);
  EXPECT_EQ(ActivationSpec::parse("segem:N=3,eps=0.25").gem, (Params{Variant::segem, 3, 0.25}));
}

TEST(Spec, UnknownNameListsTheValidNames) {
  for (const char* name : {"foo", "", "GELU", "egem2", "relu6"}) {
    EXPECT_EQ(parse_error(name), std::string("activation spec '") + name + "': unknown activation '" + name +
                                     "'; expected one of relu, gelu, silu, mish, elu, leaky_relu, gem, egem, segem "
                                     "(e.g. egem:N=1,eps=1e-4)");
  }
  EXPECT_EQ(parse_error("swish:N=1"),
            "activation spec 'swish:N=1': unknown activation 'swish'; expected one of relu, gelu, silu, mish, elu, "
            "leaky_relu, gem, egem, segem (e.g. egem:N=1,eps=1e-4)");
}

TEST(Spec, EveryErrorSaysWhatWasWrong) {
  const struct {
    const char* text;
    const char* message;  // after "activation spec '<text>': "
  } cases[] = {
      {"egem:N=1,eps=1e-4,beta=2", "unknown parameter 'beta' for egem (allowed: N, eps)"},
      {"gem:alpha=1", "unknown parameter 'alpha' for gem (allowed: N)"},
      {"relu:N=1", "unknown parameter 'N' for relu (allowed: none)"},
      {"elu:slope=1", "unknown parameter 'slope' for elu (allowed: alpha)"},
      {"leaky_relu:alpha=1", "unknown parameter 'alpha' for leaky_relu (allowed: slope)"},
      {"egem:N=1,N=2,eps=1", "'N' given twice"},
      {"segem:eps=1,N=1,eps=2", "'eps' given twice"},
      {"elu:alpha=1,alpha=2", "'alpha' given twice"},
      {"egem:N=2", "E-GEM needs eps, e.g. egem:N=2,eps=1e-4"},
      {"segem", "SE-GEM needs eps, e.g. segem:N=1,eps=1e-4"},
      {"gem:N=2,eps=0.5", "GEM has no eps (it is fixed at 1); use egem:N=2,eps=0.5 for a GEM with another eps"},
      {"gem:eps=0.5,N=3", "GEM has no eps (it is fixed at 1); use egem:N=3,eps=0.5 for a GEM with another eps"},
      {"egem:N=1,eps=1e-400", "E-GEM eps must be finite and > 0, got 1e-400"},
      {"egem:N=", "GEM order N must be an integer in [1, 8], got an empty value"},
      {"egem:N=two,eps=1e-4", "GEM order N must be an integer in [1, 8], got two"},
      {"egem:N=2,eps=-1", "E-GEM eps must be finite and > 0, got -1"},
      {"segem:N=2,eps=0", "SE-GEM eps must be finite and > 0, got 0"},
      {"segem:N=2,eps=-0", "SE-GEM eps must be finite and > 0, got -0"},
      {"egem:N=2,eps=nan", "E-GEM eps must be finite and > 0, got nan"},
      {"egem:N=2,eps=inf", "E-GEM eps must be finite and > 0, got inf"},
      {"egem:N=2,eps=abc", "E-GEM eps must be finite and > 0, got abc"},
      {"egem:N=2,eps=1e-4x", "E-GEM eps must be finite and > 0, got 1e-4x"},
      {"egem:", "nothing after ':'; write e.g. egem:N=1,eps=1e-4"},
      {"relu:", "nothing after ':'; write e.g. egem:N=1,eps=1e-4"},
      {"egem:N", "expected key=value, got 'N'"},
      {"egem:=2", "expected key=value, got '=2'"},
      {"egem:N=1,,eps=1", "expected key=value, got ''"},
      {"egem:N=1,eps=1,", "expected key=value, got ''"},
      {"elu:alpha=x", "alpha must be a finite number, got x"},
      {"elu:alpha=inf", "alpha must be a finite number, got inf"},
      {"leaky_relu:slope=nan", "slope must be a finite number, got nan"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(parse_error(c.text), std::string("activation spec '") + c.text + "': " + c.message) << c.text;
}

/// N out of range gives spec 4's message, after the prefix every spec error carries.
TEST(Spec, OrderOutOfRangeGivesSpecMessage) {
  for (const char* n : {"0", "-1", "9", "2.5", "16"}) {
    const std::string text = std::string("egem:N=") + n + ",eps=1e-4";
    const std::string spec_text = std::string("GEM order N must be an integer in [1, 8], got ") + n;
    const std::string got = parse_error(text);
    EXPECT_EQ(got, "activation spec '" + text + "': " + spec_text);
  }
}

}  // namespace
}  // namespace gem
