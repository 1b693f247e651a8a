#include "src/plot/activation_plot.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "gem/activation.h"
#include "src/support/number_format.h"
#include "src/support/atomic_file.h"
#include "src/support/gnuplot.h"
#include "src/support/temp_file.h"

namespace gem::plot {
namespace {

using support::format_g17;
using support::gp_string;
using support::kNumberChars;

constexpr int kPanelWidth = 600, kPanelHeight = 600;  // pixels per panel (three side by side)

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string gnuplot_data(const PlotSamples& s) {
  std::string text;
  char buf[kNumberChars];
  for (std::size_t k = 0; k < s.values.size(); ++k) {
    if (k > 0) text += "\n\n";  // two blank lines: the next `index`
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      const Derivs<double>& d = s.values[k][i];
      for (double v : {s.x[i], d.f, d.df, d.d2f}) {
        text.append(buf, format_g17(v, buf));
        text += ' ';
      }
      text += '\n';
    }
  }
  return text;
}

std::string gnuplot_script(const PlotOptions& opt, const std::filesystem::path& data,
                           const std::filesystem::path& png) {
  const std::string title = opt.title.empty()
                                ? "f, f' and f'' on [" + format_double(opt.from) + ", " + format_double(opt.to) + "]"
                                : opt.title;
  std::ostringstream s;
  s << support::png_preamble(3 * kPanelWidth, kPanelHeight, png) << "set multiplot layout 1,3 title "
    << gp_string(title) << "\n"
    << "set grid\nset key top left\nset xlabel 'x'\n"
    << "set xrange [" << format_g17(opt.from) << ":" << format_g17(opt.to) << "]\n";
  const char* panels[] = {"f(x)", "f'(x)", "f''(x)"};
  for (int column = 2; column <= 4; ++column) {
    s << "set title " << gp_string(panels[column - 2]) << "\nplot ";
    for (std::size_t k = 0; k < opt.activations.size(); ++k)
      s << (k ? ", \\\n     " : "") << gp_string(data.string()) << " index " << k << " using 1:" << column
        << " with lines lw 2 title " << gp_string(opt.activations[k].to_string());
    s << "\n";
  }
  s << "unset multiplot\nset output\n";
  return s.str();
}

}  // namespace

std::vector<ActivationSpec> default_plot_family() {
  std::vector<ActivationSpec> family;
  for (const char* text : {"relu", "gelu", "gem:N=1", "gem:N=2", "egem:N=1,eps=1e-2", "segem:N=1,eps=1e-2"})
    family.push_back(ActivationSpec::parse(text));
  return family;
}

void validate(const PlotOptions& opt) {
  if (opt.activations.empty()) throw std::invalid_argument("--act: give at least one activation");
  if (!std::isfinite(opt.from) || !std::isfinite(opt.to) || !(opt.from < opt.to) || !std::isfinite(opt.to - opt.from))
    throw std::invalid_argument("--from and --to must be finite with from < to (and to - from finite), got from=" +
                                format_double(opt.from) + " to=" + format_double(opt.to));
  if (opt.points < 2 || opt.points > kMaxPlotPoints)
    throw std::invalid_argument("--points must be in [2, " + std::to_string(kMaxPlotPoints) + "], got " +
                                std::to_string(opt.points));
  if (opt.out.extension() != ".png" || opt.out.stem().empty())
    throw std::invalid_argument("--out must name a .png file, got '" + opt.out.string() + "'");
  if (support::has_control_characters(opt.out.string()))
    throw std::invalid_argument("--out must not contain control characters (a newline, a tab, ...)");
}

PlotSamples sample_activations(const PlotOptions& opt) {
  validate(opt);
  PlotSamples s;
  const int n = opt.points;
  const double step = (opt.to - opt.from) / (n - 1);
  s.x.resize(n);
  for (int i = 0; i < n; ++i) s.x[i] = i == n - 1 ? opt.to : opt.from + i * step;
  for (const ActivationSpec& spec : opt.activations) {
    std::vector<Derivs<double>> column(n);
    for (int i = 0; i < n; ++i) column[i] = evaluate(spec, s.x[i]);
    s.values.push_back(std::move(column));
  }
  return s;
}

void write_samples_csv(const PlotOptions& opt, const PlotSamples& s, std::ostream& out) {
  std::string text = "activation,x,f,df,d2f\n";
  char buf[kNumberChars];
  for (std::size_t k = 0; k < s.values.size(); ++k) {
    const std::string name = csv_field(opt.activations[k].to_string());
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      const Derivs<double>& d = s.values[k][i];
      text += name;
      for (double v : {s.x[i], d.f, d.df, d.d2f}) {
        text += ',';
        text.append(buf, format_g17(v, buf));
      }
      text += '\n';
    }
  }
  out << text;
}

std::filesystem::path csv_path_for(const std::filesystem::path& png) {
  std::filesystem::path csv = png;
  return csv.replace_extension(".csv");
}

DrawnPlot draw_plot(const PlotOptions& opt) {
  validate(opt);
  const PlotSamples samples = sample_activations(opt);
  const std::filesystem::path folder = support::folder_of(opt.out);
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) throw std::runtime_error("cannot create the output folder " + folder.string() + ": " + ec.message());

  DrawnPlot drawn;
  drawn.files = {opt.out, csv_path_for(opt.out)};
  drawn.png = std::make_unique<support::AtomicFile>(drawn.files.png);
  drawn.csv = std::make_unique<support::AtomicFile>(drawn.files.csv);
  std::ostringstream text;
  write_samples_csv(opt, samples, text);
  drawn.csv->append(text.str());
  support::render_png(
      opt.gnuplot, gnuplot_data(samples),
      [&](const std::filesystem::path& data, const std::filesystem::path& image) {
        return gnuplot_script(opt, data, image);
      },
      *drawn.png);
  return drawn;
}

PlotFiles run_plot(const PlotOptions& opt) {
  DrawnPlot drawn = draw_plot(opt);
  drawn.png->commit();
  drawn.csv->commit();
  return drawn.files;
}

}  // namespace gem::plot
