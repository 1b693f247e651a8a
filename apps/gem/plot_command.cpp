#include "plot_command.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include "gem/activation.h"
#include "gnuplot_string.h"
#include "number_format.h"
#include "process.h"
#include "temp_file.h"

namespace gem::app {
namespace {

constexpr char kPngSignature[] = "\x89PNG\r\n\x1a\n";
constexpr int kPanelWidth = 600, kPanelHeight = 600;  // pixels per panel (three side by side)

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

void write_gnuplot_data(const PlotSamples& s, const std::filesystem::path& path) {
  std::ofstream out(path);
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
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write the plot data to " + path.string());
}

std::string gnuplot_script(const PlotOptions& opt, const std::filesystem::path& data,
                           const std::filesystem::path& png) {
  const std::string size = std::to_string(3 * kPanelWidth) + "," + std::to_string(kPanelHeight);
  const std::string title = opt.title.empty() ? "f, f' and f'' on [" + format_double(opt.from) + ", " +
                                                    format_double(opt.to) + "]"
                                              : opt.title;
  std::ostringstream s;
  // pngcairo draws antialiased lines; the libgd png terminal is the fallback.
  s << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
    << "  set terminal pngcairo size " << size << " noenhanced font 'sans,11'\n"
    << "} else {\n"
    << "  set terminal png size " << size << " noenhanced\n"
    << "}\n"
    << "set output " << gp_string(png.string()) << "\n"
    // Okabe-Ito colours (told apart with colour-blindness), without their hard-to-see yellow.
    << "set linetype 1 lc rgb '#000000'\nset linetype 2 lc rgb '#E69F00'\nset linetype 3 lc rgb '#56B4E9'\n"
    << "set linetype 4 lc rgb '#009E73'\nset linetype 5 lc rgb '#D55E00'\nset linetype 6 lc rgb '#0072B2'\n"
    << "set linetype 7 lc rgb '#CC79A7'\nset linetype 8 lc rgb '#999999'\nset linetype cycle 8\n"
    << "set multiplot layout 1,3 title " << gp_string(title) << "\n"
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

std::string read_text(const std::filesystem::path& path, std::size_t max_chars) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > max_chars) text = "..." + text.substr(text.size() - max_chars);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

bool has_png_signature(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char head[8] = {};
  in.read(head, sizeof head);
  return in.gcount() == 8 && std::equal(head, head + 8, kPngSignature);
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
  if (!std::isfinite(opt.from) || !std::isfinite(opt.to) || !(opt.from < opt.to))
    throw std::invalid_argument("--from and --to must be finite with from < to, got from=" +
                                format_double(opt.from) + " to=" + format_double(opt.to));
  if (opt.points < 2 || opt.points > kMaxPlotPoints)
    throw std::invalid_argument("--points must be in [2, " + std::to_string(kMaxPlotPoints) + "], got " +
                                std::to_string(opt.points));
  if (opt.out.extension() != ".png" || opt.out.stem().empty())
    throw std::invalid_argument("--out must name a .png file, got '" + opt.out.string() + "'");
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

PlotFiles run_plot(const PlotOptions& opt) {
  validate(opt);
  const std::string gnuplot = find_executable(opt.gnuplot);
  if (gnuplot.empty())
    throw std::runtime_error("gnuplot not found (looked for '" + opt.gnuplot +
                             "'): install it (apt-get install gnuplot-nox, or bash scripts/setup.sh) "
                             "or pass --gnuplot PATH");
  const PlotSamples samples = sample_activations(opt);

  const PlotFiles files{opt.out, csv_path_for(opt.out)};
  const std::filesystem::path folder = folder_of(opt.out);
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) throw std::runtime_error("cannot create the output folder " + folder.string() + ": " + ec.message());

  const std::filesystem::path tmp = std::filesystem::temp_directory_path();
  TempFile data(tmp, "gem-plot-data", ".dat"), script(tmp, "gem-plot", ".gp"), log(tmp, "gem-plot", ".log");
  TempFile png(folder, "." + opt.out.stem().string(), ".png.tmp");
  TempFile csv(folder, "." + files.csv.stem().string(), ".csv.tmp");

  write_gnuplot_data(samples, data.path());
  {
    std::ofstream out(script.path());
    out << gnuplot_script(opt, data.path(), png.path());
    if (!out.flush()) throw std::runtime_error("cannot write the gnuplot script " + script.path().string());
  }
  const int status = run_process({gnuplot, script.path().string()}, log.path());
  const std::string messages = read_text(log.path(), 2000);
  if (status != 0)
    throw std::runtime_error("gnuplot failed (exit status " + std::to_string(status) + ")" +
                             (messages.empty() ? std::string() : ":\n" + messages));
  if (!has_png_signature(png.path()))
    throw std::runtime_error("gnuplot wrote no PNG" + (messages.empty() ? std::string() : ":\n" + messages));
  {
    std::ofstream out(csv.path());
    write_samples_csv(opt, samples, out);
    if (!out.flush()) throw std::runtime_error("cannot write " + csv.path().string());
  }
  png.publish(files.png);
  csv.publish(files.csv);
  return files;
}

}  // namespace gem::app
