#include "src/train/report/curves_plot.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "src/support/number_format.h"
#include "src/support/gnuplot.h"

namespace gem::train {
namespace {

using gem::support::gp_string;

// Families share a dash pattern so 14 lines stay readable: baselines solid, gem dashed,
// egem dotted, segem dash-dot, the gated glu- forms pattern 5.
int dash_type(const std::string& activation) {
  if (activation.rfind("glu-", 0) == 0) return 5;
  if (activation.rfind("segem", 0) == 0) return 4;
  if (activation.rfind("egem", 0) == 0) return 3;
  if (activation.rfind("gem", 0) == 0) return 2;
  return 1;
}

}  // namespace

std::string curves_data(const std::vector<Curve>& curves) {
  std::string text;
  for (size_t k = 0; k < curves.size(); ++k) {
    if (k > 0) text += "\n\n";
    text += "# " + curves[k].activation + "\n";
    for (size_t i = 0; i < curves[k].epochs.size(); ++i)
      text += std::to_string(curves[k].epochs[i]) + " " + gem::support::format_g17(100.0 * curves[k].test_accuracy[i]) +
              " " + gem::support::format_g17(curves[k].test_loss[i]) + "\n";
  }
  return text;
}

std::string curves_script(const std::vector<Curve>& curves, const std::string& title,
                          const std::filesystem::path& data, const std::filesystem::path& png,
                          const std::string& held_out) {
  std::ostringstream s;
  // Colours as gem plot's, cycling; the dash pattern tells the family apart.
  s << gem::support::png_preamble(1600, 650, png) << "set multiplot layout 1,2 title " << gp_string(title) << "\n"
    << "set grid\nset xlabel 'epoch'\nset key outside right top\n";
  int64_t last_epoch = 1;
  for (const Curve& c : curves)
    if (!c.epochs.empty()) last_epoch = std::max(last_epoch, c.epochs.back());
  if (last_epoch <= 20) s << "set xtics 1\n";  // whole epochs; gnuplot's own ticks beyond that
  const std::string panels[] = {held_out + (held_out == "test" ? " accuracy (%)" : " token accuracy (%)"),
                                held_out + " loss"};
  for (int column = 2; column <= 3; ++column) {
    s << "set title " << gp_string(panels[column - 2]) << "\nset ylabel " << gp_string(panels[column - 2]) << "\nplot ";
    for (size_t k = 0; k < curves.size(); ++k)
      s << (k ? ", \\\n     " : "") << gp_string(data.string()) << " index " << k << " using 1:" << column
        << " with linespoints lt " << (k % 8) + 1 << " dt " << dash_type(curves[k].activation) << " lw 2 pt 7 ps 0.6"
        << " title " << gp_string(curves[k].activation);
    s << "\n";
  }
  s << "unset multiplot\nset output\n";
  return s.str();
}

void plot_curves(const std::vector<Curve>& curves, const std::string& title, support::AtomicFile& png,
                 const std::string& gnuplot, const std::string& held_out) {
  if (curves.empty()) throw std::runtime_error("no learning curves to plot (no metrics.jsonl found)");
  gem::support::render_png(
      gnuplot, curves_data(curves),
      [&](const std::filesystem::path& data, const std::filesystem::path& out) {
        return curves_script(curves, title, data, out, held_out);
      },
      png);
}

}  // namespace gem::train
