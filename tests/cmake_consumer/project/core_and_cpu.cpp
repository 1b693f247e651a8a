// gem::core (the scalar formula) and gem::cpu (the SIMD kernels) from an installed GEM: the two
// agree, and E-GEM is ReLU-like (0 below 0, about x far above).
#include <cmath>
#include <cstdio>
#include <vector>

#include "gem/act/gem.h"
#include "gem/cpu/kernels.h"
#include "gem/params.h"

int main() {
  const gem::Params p = gem::make_egem(2, 1e-4);
  const std::vector<double> x{-3.0, -0.0, 0.01, 0.5, 2.0, 40.0};
  std::vector<double> y(x.size());
  gem::cpu::forward<double>(p, x.data(), y.data(), x.size());
  const gem::GemConstants<double> c = gem::make_constants<double>(p);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double want = gem::gem_value(p.variant, x[i], c);
    if (std::fabs(y[i] - want) > 1e-15 * std::fabs(want)) {
      std::printf("x=%g: kernel %.17g, formula %.17g\n", x[i], y[i], want);
      return 1;
    }
  }
  if (y[0] != 0.0 || std::fabs(y[5] - 40.0) > 1e-6) return 1;
  std::printf("gem::core and gem::cpu agree: E-GEM(2.0) = %.17g\n", y[4]);
  return 0;
}
