#include "src/train/report/curves_plot.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include "gnuplot_string.h"  // apps/gem (gem_app)
#include "number_format.h"
#include "process.h"
#include "temp_file.h"

namespace gem::train {
namespace {

using gem::app::gp_string;

// Families share a dash pattern so 14 lines stay readable: baselines solid, gem dashed,
// egem dotted, segem dash-dot, the gated glu- forms pattern 5.
int dash_type(const std::string& activation) {
  if (activation.rfind("glu-", 0) == 0) return 5;
  if (activation.rfind("segem", 0) == 0) return 4;
  if (activation.rfind("egem", 0) == 0) return 3;
  if (activation.rfind("gem", 0) == 0) return 2;
  return 1;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

std::string curves_data(const std::vector<Curve>& curves) {
  std::string text;
  for (size_t k = 0; k < curves.size(); ++k) {
    if (k > 0) text += "\n\n";
    text += "# " + curves[k].activation + "\n";
    for (size_t i = 0; i < curves[k].epochs.size(); ++i)
      text += std::to_string(curves[k].epochs[i]) + " " + gem::app::format_g17(100.0 * curves[k].test_accuracy[i]) +
              " " + gem::app::format_g17(curves[k].test_loss[i]) + "\n";
  }
  return text;
}

std::string curves_script(const std::vector<Curve>& curves, const std::string& title,
                          const std::filesystem::path& data, const std::filesystem::path& png,
                          const std::string& held_out) {
  std::ostringstream s;
  s << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
    << "  set terminal pngcairo size 1600,650 noenhanced font 'sans,11'\n"
    << "} else {\n"
    << "  set terminal png size 1600,650 noenhanced\n"
    << "}\n"
    << "set output " << gp_string(png.string()) << "\n"
    // Okabe-Ito colours (as gem plot), cycling; the dash pattern tells the family apart.
    << "set linetype 1 lc rgb '#000000'\nset linetype 2 lc rgb '#E69F00'\nset linetype 3 lc rgb '#56B4E9'\n"
    << "set linetype 4 lc rgb '#009E73'\nset linetype 5 lc rgb '#D55E00'\nset linetype 6 lc rgb '#0072B2'\n"
    << "set linetype 7 lc rgb '#CC79A7'\nset linetype 8 lc rgb '#999999'\nset linetype cycle 8\n"
    << "set multiplot layout 1,2 title " << gp_string(title) << "\n"
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

void plot_curves(const std::vector<Curve>& curves, const std::string& title, const std::filesystem::path& png,
                 const std::string& gnuplot, const std::string& held_out) {
  if (curves.empty()) throw std::runtime_error("no learning curves to plot (no metrics.jsonl found)");
  const std::string program = gem::app::find_executable(gnuplot);
  if (program.empty())
    throw std::runtime_error("gnuplot not found (looked for '" + gnuplot +
                             "'): install gnuplot-nox (bash scripts/setup.sh) or pass --gnuplot PATH");
  const std::filesystem::path folder = gem::app::folder_of(png), tmp = std::filesystem::temp_directory_path();
  std::filesystem::create_directories(folder);
  gem::app::TempFile data(tmp, "gem-curves", ".dat"), script(tmp, "gem-curves", ".gp"), log(tmp, "gem-curves", ".log");
  gem::app::TempFile out(folder, "." + png.stem().string(), ".png.tmp");
  {
    std::ofstream d(data.path());
    d << curves_data(curves);
    std::ofstream g(script.path());
    g << curves_script(curves, title, data.path(), out.path(), held_out);
    if (!d.flush() || !g.flush()) throw std::runtime_error("cannot write gnuplot input in " + tmp.string());
  }
  const int status = gem::app::run_process({program, script.path().string()}, log.path());
  if (status != 0 || std::filesystem::file_size(out.path()) == 0)
    throw std::runtime_error("gnuplot failed (exit status " + std::to_string(status) + "): " + read_text(log.path()));
  out.publish(png);
}

}  // namespace gem::train
