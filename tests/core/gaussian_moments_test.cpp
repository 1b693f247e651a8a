// Gaussian moments and initialisation gains (include/gem/gaussian_moments.h) against an
// independent integration: tanh-sinh quadrature in long double of the functions written out
// here from their definitions (spec 1 for the GEM family), on each half-line, with the step
// halved until two results agree; closed forms where they exist (ReLU, leaky ReLU), the
// reflection identities of SE-GEM (spec 1) and the values the issue measured by Monte Carlo.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "gem/gaussian_moments.h"

namespace gem {
namespace {

using LD = long double;
const LD kPi = 3.141592653589793238462643383279502884L;

// integral over (0, L) of g by tanh-sinh, x = L/2 (1 + tanh(pi/2 sinh t)), step h over |t| <= 4.
LD tanh_sinh(const std::function<LD(LD)>& g, LD L, LD h) {
  LD sum = 0;
  for (LD t = -4; t <= 4 + h / 2; t += h) {
    const LD u = kPi / 2 * std::sinh(t);
    const LD x = L / 2 * (1 + std::tanh(u));
    const LD dx = L / 2 * kPi / 2 * std::cosh(t) / (std::cosh(u) * std::cosh(u));
    if (x > 0 && x < L) sum += g(x) * dx;
  }
  return sum * h;
}

// E[w(z)] for z ~ N(0, 1), w given on each half-line separately (kinks at 0 stay at the ends).
LD gaussian_expectation(const std::function<LD(LD)>& w) {
  const auto density = [](LD z) { return std::exp(-z * z / 2) / std::sqrt(2 * kPi); };
  LD previous = 0, result = 0;
  for (LD h = 1.0L / 32; h >= 1.0L / 512; h /= 2) {
    result = tanh_sinh([&](LD z) { return w(z) * density(z); }, 40, h) +
             tanh_sinh([&](LD z) { return w(-z) * density(z); }, 40, h);
    if (h < 1.0L / 32 && std::fabs(result - previous) <= 1e-16L * std::fabs(result)) break;
    previous = result;
  }
  return result;
}

struct Reference {
  std::string spec;
  std::function<LD(LD)> f, df;
};

LD egem(int N, LD eps, LD x) { return x > 0 ? std::pow(x, 2 * N + 1) / (eps + std::pow(x, 2 * N)) : 0; }
LD egem_grad(int N, LD eps, LD x) {
  if (x <= 0) return 0;
  const LD p = std::pow(x, 2 * N);
  return p * ((2 * N + 1) * eps + p) / ((eps + p) * (eps + p));
}
LD segem(int N, LD eps, LD x) { return x >= 0 ? x : x * eps / (eps + std::pow(x, 2 * N)); }
LD segem_grad(int N, LD eps, LD x) {
  if (x >= 0) return 1;
  const LD p = std::pow(x, 2 * N);
  return eps * (eps + (1 - 2 * N) * p) / ((eps + p) * (eps + p));
}
LD phi(LD x) { return std::erfc(-x / std::sqrt(2.0L)) / 2; }
LD sigmoid(LD x) { return 1 / (1 + std::exp(-x)); }

std::vector<Reference> references() {
  std::vector<Reference> r;
  r.push_back({"relu", [](LD x) { return x > 0 ? x : 0; }, [](LD x) { return LD(x > 0); }});
  r.push_back({"gelu", [](LD x) { return x * phi(x); },
               [](LD x) { return phi(x) + x * std::exp(-x * x / 2) / std::sqrt(2 * kPi); }});
  r.push_back(
      {"silu", [](LD x) { return x * sigmoid(x); }, [](LD x) { return sigmoid(x) * (1 + x * (1 - sigmoid(x))); }});
  r.push_back({"mish", [](LD x) { return x * std::tanh(std::log1p(std::exp(x))); },
               [](LD x) {
                 const LD t = std::tanh(std::log1p(std::exp(x)));
                 return t + x * (1 - t * t) * sigmoid(x);
               }});
  r.push_back({"elu", [](LD x) { return x > 0 ? x : std::expm1(x); }, [](LD x) { return x > 0 ? 1 : std::exp(x); }});
  r.push_back({"leaky_relu", [](LD x) { return x > 0 ? x : 0.01L * x; }, [](LD x) { return x > 0 ? 1 : 0.01L; }});
  for (int N : {1, 2, 3})
    r.push_back(
        {"gem:N=" + std::to_string(N), [N](LD x) { return egem(N, 1, x); }, [N](LD x) { return egem_grad(N, 1, x); }});
  // eps as the binary64 numbers the specs parse to, so both sides integrate the same function.
  for (const auto& [N, eps] : std::vector<std::pair<int, double>>{{1, 1e-6}, {1, 1e-4}, {2, 1}, {2, 10}, {1, 1e-2}}) {
    const std::string tail = ":N=" + std::to_string(N) + ",eps=" + format_double(eps);
    r.push_back({"egem" + tail, [N = N, eps = eps](LD x) { return egem(N, eps, x); },
                 [N = N, eps = eps](LD x) { return egem_grad(N, eps, x); }});
    r.push_back({"segem" + tail, [N = N, eps = eps](LD x) { return segem(N, eps, x); },
                 [N = N, eps = eps](LD x) { return segem_grad(N, eps, x); }});
  }
  return r;
}

TEST(GaussianMoments, MatchAnIndependentLongDoubleIntegrationTo1e12) {
  for (const Reference& ref : references()) {
    SCOPED_TRACE(ref.spec);
    const GaussianMoments m = gaussian_moments(ActivationSpec::parse(ref.spec));
    const LD mean = gaussian_expectation(ref.f);
    const LD mean_square = gaussian_expectation([&](LD x) { return ref.f(x) * ref.f(x); });
    const LD grad_mean_square = gaussian_expectation([&](LD x) { return ref.df(x) * ref.df(x); });
    EXPECT_NEAR(m.mean, static_cast<double>(mean), 1e-12 * std::fabs(static_cast<double>(mean)));
    EXPECT_NEAR(m.mean_square, static_cast<double>(mean_square), 1e-12 * static_cast<double>(mean_square));
    EXPECT_NEAR(m.grad_mean_square, static_cast<double>(grad_mean_square),
                1e-12 * static_cast<double>(grad_mean_square));
  }
}

TEST(GaussianMoments, ClosedFormsOfReluAndLeakyRelu) {
  const GaussianMoments relu = gaussian_moments(ActivationSpec::parse("relu"));
  EXPECT_NEAR(relu.mean, 1 / std::sqrt(2 * M_PI), 1e-15);
  EXPECT_NEAR(relu.mean_square, 0.5, 1e-15);
  EXPECT_NEAR(relu.grad_mean_square, 0.5, 1e-15);
  EXPECT_NEAR(init_gain(ActivationSpec::parse("relu")), std::sqrt(2.0), 1e-14);  // PyTorch's gain for relu
  EXPECT_NEAR(init_gain_backward(ActivationSpec::parse("relu")), std::sqrt(2.0), 1e-14);
  for (double slope : {0.01, 0.2}) {
    const ActivationSpec s = ActivationSpec::parse("leaky_relu:slope=" + format_double(slope));
    // PyTorch's calculate_gain("leaky_relu", slope) = sqrt(2 / (1 + slope^2)): the same moment.
    EXPECT_NEAR(init_gain(s), std::sqrt(2 / (1 + slope * slope)), 1e-14) << slope;
    EXPECT_NEAR(gaussian_moments(s).grad_mean_square, (1 + slope * slope) / 2, 1e-15) << slope;
  }
}

// SE(x) = x + E(-x) (spec 1), and z is symmetric: E[SE] = E[E], E[SE^2] = 1 - 2 E[z E(z)] + E[E^2]
// has no simpler form, but E[SE'^2] = E[(1 - E'(z))^2] = 1 - 2 E[E'] + E[E'^2].
TEST(GaussianMoments, SeGemFollowsFromEGemByReflection) {
  for (const char* tail : {":N=1,eps=1e-4", ":N=2,eps=1", ":N=3,eps=0.01"}) {
    const ActivationSpec e = ActivationSpec::parse(std::string("egem") + tail);
    const ActivationSpec se = ActivationSpec::parse(std::string("segem") + tail);
    EXPECT_NEAR(gaussian_moments(se).mean, gaussian_moments(e).mean, 1e-14) << tail;
    const double mean_grad =
        integrate([&](double z) { return evaluate(e, z).df * std::exp(-z * z / 2) / std::sqrt(2 * M_PI); },
                  {-38.5, -1, 0, 1e-3, 0.1, 1, 38.5}, 1e-15);
    EXPECT_NEAR(gaussian_moments(se).grad_mean_square, 1 - 2 * mean_grad + gaussian_moments(e).grad_mean_square, 1e-12)
        << tail;
  }
}

// The Monte Carlo (4M samples): E[f'^2] 0.296 / 0.455 / 0.574 for GEM N = 1 / 2 / 3, and
// E[f^2] 0.234 for N = 1.
TEST(GaussianMoments, AgreeWithTheMonteCarloEstimates) {
  EXPECT_NEAR(gaussian_moments(ActivationSpec::parse("gem:N=1")).grad_mean_square, 0.296, 1e-3);
  EXPECT_NEAR(gaussian_moments(ActivationSpec::parse("gem:N=2")).grad_mean_square, 0.455, 1e-3);
  EXPECT_NEAR(gaussian_moments(ActivationSpec::parse("gem:N=3")).grad_mean_square, 0.574, 1e-3);
  EXPECT_NEAR(gaussian_moments(ActivationSpec::parse("gem:N=1")).mean_square, 0.234, 1e-3);
}

// Concurrent first calls (the cache fills outside its lock) and both spellings of a spec give one value.
TEST(GaussianMoments, OneValuePerSpecFromEveryThreadAndSpelling) {
  const ActivationSpec s = ActivationSpec::parse("egem:N=2,eps=10");
  std::vector<double> gains(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < gains.size(); ++i) threads.emplace_back([&, i] { gains[i] = init_gain(s); });
  for (auto& t : threads) t.join();
  for (double g : gains) EXPECT_EQ(g, gains.front());
  EXPECT_EQ(init_gain(s), init_gain(ActivationSpec::parse("egem:eps=10,N=2")));  // one canonical key
}

TEST(GaussianMoments, BadParametersAreRefusedWithTheSpecsMessage) {
  ActivationSpec s = ActivationSpec::parse("egem:N=1,eps=1");
  s.gem.eps = -1;
  EXPECT_THROW(gaussian_moments(s), std::invalid_argument);
}

}  // namespace
}  // namespace gem
