#include "src/train/report/tables.h"

#include <algorithm>
#include <cstdio>

namespace gem::train {
namespace {

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string csv_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string seed_list(const std::vector<int64_t>& seeds, const char* separator) {
  std::string s;
  for (int64_t seed : seeds) s += (s.empty() ? "" : separator) + std::to_string(seed);
  return s;
}

// "1,2,3" or "1,2 (3 diverged)": every seed of the row, the diverged ones said so.
std::string seeds_cell(const ActivationRow& r) {
  std::vector<int64_t> finished;
  for (int64_t s : r.seeds)
    if (std::find(r.diverged_seeds.begin(), r.diverged_seeds.end(), s) == r.diverged_seeds.end()) finished.push_back(s);
  std::string text = seed_list(finished, ",");
  if (!r.diverged_seeds.empty())
    text += (text.empty() ? "" : " ") + std::string("(") + seed_list(r.diverged_seeds, ",") + " diverged)";
  return text;
}

// Text in a Markdown table cell: '|' would end the cell.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

// "ReLU", "GELU": the column's reference (any name works; "–" ratios without one).
std::string baseline_name(const RecipeTable& t) {
  if (t.baseline == "relu") return "ReLU";
  if (t.baseline == "gelu") return "GELU";
  return t.baseline.empty() ? std::string("ReLU") : t.baseline;
}

// Image classifiers: test accuracy and loss, dead units and samples per second.
void write_image_table(const RecipeTable& t, std::ostream& out) {
  out << "| activation | seeds | final test acc % | best test acc % | final test loss | best test loss | dead units % "
         "| time s | train samples/s | vs " << baseline_name(t) << " |\n"
      << "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const ActivationRow& r : t.rows) {
    out << "| " << cell(r.label()) << " | " << seeds_cell(r) << " | " << format_mean_std(r.test_accuracy, 100, 2)
        << " | " << format_mean_std(r.best_test_accuracy, 100, 2) << " | " << format_mean_std(r.test_loss, 1, 4)
        << " | " << format_mean_std(r.best_test_loss, 1, 4) << " | " << format_mean_std(r.dead_fraction, 100, 2)
        << " | " << format_mean_std(r.seconds, 1, 1) << " | " << format_mean_std(r.samples_per_second, 1, 0) << " | "
        << (r.throughput_vs_baseline > 0 ? fixed(r.throughput_vs_baseline, 3) : "–") << " |\n";
  }
}

// Language models: validation loss (nats per predicted token), the decoder's perplexity next
// to its unigram baseline, per-token accuracy, dead units and tokens per second.
void write_language_table(const RecipeTable& t, std::ostream& out) {
  bool decoder = false;
  for (const ActivationRow& r : t.rows) decoder = decoder || r.val_perplexity.n > 0;
  out << "| activation | seeds | final val loss | best val loss |" << (decoder ? " val perplexity | unigram perplexity |" : "")
      << " val token acc % | dead units % | time s | train tokens/s | vs " << baseline_name(t) << " |\n|---|---|---|---|"
      << (decoder ? "---|---|" : "") << "---|---|---|---|---|\n";
  for (const ActivationRow& r : t.rows) {
    out << "| " << cell(r.label()) << " | " << seeds_cell(r) << " | " << format_mean_std(r.test_loss, 1, 4) << " | "
        << format_mean_std(r.best_test_loss, 1, 4) << " | ";
    if (decoder)
      out << format_mean_std(r.val_perplexity, 1, 2) << " | " << format_mean_std(r.unigram_perplexity, 1, 1) << " | ";
    out << format_mean_std(r.test_accuracy, 100, 2) << " | " << format_mean_std(r.dead_fraction, 100, 2) << " | "
        << format_mean_std(r.seconds, 1, 1) << " | " << format_mean_std(r.samples_per_second, 1, 0) << " | "
        << (r.throughput_vs_baseline > 0 ? fixed(r.throughput_vs_baseline, 3) : "–") << " |\n";
  }
}

}  // namespace

std::string format_mean_std(const MeanStd& m, double scale, int digits) {
  if (m.n == 0) return "–";
  if (m.n == 1) return fixed(m.mean * scale, digits);
  return fixed(m.mean * scale, digits) + " ± " + fixed(m.std * scale, digits);
}

void write_markdown_table(const RecipeTable& t, const std::string& image, std::ostream& out) {
  out << "## " << t.recipe << "\n\n";
  if (!t.description.empty()) out << t.description << "\n\n";
  if (!t.setup.empty())
    out << "Setup" << (t.varying_options.empty() ? "" : " (of the first run)") << ": " << t.setup << ".\n\n";
  if (!t.varying_options.empty()) {
    std::string names;
    for (const auto& o : t.varying_options) names += (names.empty() ? "" : ", ") + o;
    out << "Its runs were made with different " << names
        << ": each row names its values, and only runs with the same values are averaged.\n\n";
  }
  if (std::any_of(t.rows.begin(), t.rows.end(), [](const ActivationRow& r) { return !r.diverged_seeds.empty(); }))
    out << "A diverged run (its loss became NaN or infinite) is listed with its seed and left out of the means.\n\n";
  if (t.language)
    write_language_table(t, out);
  else
    write_image_table(t, out);
  out << "\n";
  if (!image.empty())
    out << "![" << t.recipe << ": " << (t.language ? "validation" : "test") << " accuracy and loss per epoch](" << image
        << ")\n\n";
}

void write_csv_tables(const std::vector<RecipeTable>& tables, std::ostream& out) {
  const char* metrics[] = {"test_accuracy", "best_test_accuracy", "test_loss", "best_test_loss",
                           "dead_fraction", "seconds", "samples_per_second"};
  out << "recipe,activation,runs,seeds";
  for (const char* m : metrics) out << "," << m << "_mean," << m << "_std";
  out << ",throughput_baseline,throughput_vs_baseline,val_perplexity_mean,val_perplexity_std,"
         "unigram_perplexity_mean,unigram_perplexity_std,options,diverged_seeds\n";
  for (const RecipeTable& t : tables)
    for (const ActivationRow& r : t.rows) {
      out << csv_field(t.recipe) << "," << csv_field(r.activation) << "," << r.seeds.size() << ","
          << seed_list(r.seeds, " ");
      for (const MeanStd* m : {&r.test_accuracy, &r.best_test_accuracy, &r.test_loss, &r.best_test_loss,
                               &r.dead_fraction, &r.seconds, &r.samples_per_second}) {
        out << "," << (m->n > 0 ? csv_number(m->mean) : "") << "," << (m->n > 1 ? csv_number(m->std) : "");
      }
      out << "," << t.baseline << "," << (r.throughput_vs_baseline > 0 ? csv_number(r.throughput_vs_baseline) : "");
      for (const MeanStd* m : {&r.val_perplexity, &r.unigram_perplexity})
        out << "," << (m->n > 0 ? csv_number(m->mean) : "") << "," << (m->n > 1 ? csv_number(m->std) : "");
      out << "," << csv_field(r.variant) << "," << seed_list(r.diverged_seeds, " ") << "\n";
    }
}

}  // namespace gem::train
