#include "eval_command.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "gem/cpu/kernels.h"
#include "decimal_rounding.h"
#include "gem/params.h"
#include "gem/spec.h"
#include "src/support/number_format.h"
#include "src/support/checked_output.h"

namespace gem::app {
namespace {

// Lines per batch: large enough that kernel calls dominate per-call overhead, small enough
// that a huge input streams through bounded memory.
constexpr std::size_t kBatchLines = std::size_t(1) << 16;

struct Case {
  Params params;
  double x;  // already rounded to the dtype
};

struct Result {
  double f, df, d2f;
};

using detail::trim_blanks;
using support::format_g17;
using support::kNumberChars;

std::string shown(const std::string& text) { return text.empty() ? "nothing" : quoted_excerpt(text); }

Variant parse_variant(const std::string& text) {
  Variant v{};
  if (!variant_from_name(text, v))
    throw std::invalid_argument("unknown variant " + shown(text) + "; expected " + kVariantChoices);
  return v;
}

/// Variant, N and eps with the messages of spec 4 (params.h).
Params parse_params(const std::string& variant_text, const std::string& n_text, const std::string& eps_text) {
  const Variant v = parse_variant(variant_text);
  double n = 0.0, eps = 0.0;
  if (!detail::parse_double(n_text, n)) throw std::invalid_argument(order_error(shown(n_text)));
  validate_order(n);
  if (!detail::parse_double(eps_text, eps)) {
    if (v == Variant::gem)
      throw std::invalid_argument("GEM has no eps (it is fixed at 1): the eps field of a gem row must be 1, got " +
                                  shown(eps_text));
    throw std::invalid_argument(eps_error(v, shown(eps_text)));
  }
  Params p{v, static_cast<int>(n), eps};
  try {
    validate(p);
  } catch (const std::invalid_argument& e) {
    // 1e-400 reads as 0: say what was written, not what strtod made of it.
    if (v == Variant::gem) throw;
    throw std::invalid_argument(eps_error(v, detail::shown_value(eps_text)));
  }
  return p;
}

/// Splits `variant,N,eps,x` (blanks around fields allowed); the parameters of the previous line
/// are reused when its first three fields are the same text, as they are in long runs.
class LineParser {
 public:
  explicit LineParser(DType dtype) : dtype_(dtype) {}

  Case parse(const std::string& line) {
    std::size_t commas[3];
    std::size_t count = 0;
    for (std::size_t i = 0; i < line.size(); ++i)
      if (line[i] == ',') {
        if (count < 3) commas[count] = i;
        ++count;
      }
    if (count != 3)
      throw std::invalid_argument("expected 4 comma-separated fields variant,N,eps,x, got " +
                                  std::to_string(count + 1));
    const std::string head = line.substr(0, commas[2]);
    if (!have_last_ || head != last_head_) {
      have_last_ = false;
      last_params_ = parse_params(trim_blanks(line.substr(0, commas[0])),
                                  trim_blanks(line.substr(commas[0] + 1, commas[1] - commas[0] - 1)),
                                  trim_blanks(line.substr(commas[1] + 1, commas[2] - commas[1] - 1)));
      last_head_ = head;
      have_last_ = true;
    }
    const std::string x_text = trim_blanks(line.substr(commas[2] + 1));
    double x = 0.0;
    if (!parse_rounded(x_text, dtype_, x)) throw std::invalid_argument("x must be a number, got " + shown(x_text));
    return {last_params_, x};
  }

 private:
  DType dtype_;
  bool have_last_ = false;
  std::string last_head_;
  Params last_params_;
};

double to_double(double v) { return v; }
double to_double(float v) { return v; }
double to_double(half v) { return static_cast<float>(v); }
double to_double(bfloat16 v) { return static_cast<float>(v); }

template <class T>
T from_exact_double(double v) {  // v is representable in T (parse_rounded made it so)
  if constexpr (std::is_same_v<T, double>) return v;
  else if constexpr (std::is_same_v<T, float>) return static_cast<float>(v);
  else return T(static_cast<float>(v));
}

/// One kernel call per operation for all cases `which` of `cases` (same parameters).
template <class T>
void evaluate_group(const Params& p, const std::vector<Case>& cases, const std::vector<std::uint32_t>& which,
                    int threads, std::vector<Result>& results) {
  const std::size_t n = which.size();
  std::vector<T> x(n), ones(n, from_exact_double<T>(1.0)), f(n), df(n), d2f(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = from_exact_double<T>(cases[which[i]].x);
  cpu::forward<T>(p, x.data(), f.data(), n, threads);
  cpu::backward<T>(p, ones.data(), x.data(), df.data(), n, threads);
  cpu::backward_grad2<T>(p, ones.data(), x.data(), d2f.data(), n, threads);
  for (std::size_t i = 0; i < n; ++i) results[which[i]] = {to_double(f[i]), to_double(df[i]), to_double(d2f[i])};
}

void evaluate_batch(const EvalOptions& opt, const std::vector<Case>& cases, std::vector<Result>& results) {
  results.resize(cases.size());
  // Group by parameters (exact eps bits), keeping input positions to write results in order.
  std::map<std::tuple<int, int, std::uint64_t>, std::vector<std::uint32_t>> groups;
  for (std::uint32_t i = 0; i < cases.size(); ++i) {
    const Params& p = cases[i].params;
    std::uint64_t eps_bits;
    std::memcpy(&eps_bits, &p.eps, sizeof eps_bits);
    groups[{static_cast<int>(p.variant), p.N, eps_bits}].push_back(i);
  }
  for (const auto& [key, which] : groups) {
    const Params& p = cases[which.front()].params;
    switch (opt.dtype) {
      case DType::float64: evaluate_group<double>(p, cases, which, opt.threads, results); break;
      case DType::float32: evaluate_group<float>(p, cases, which, opt.threads, results); break;
      case DType::float16: evaluate_group<half>(p, cases, which, opt.threads, results); break;
      case DType::bfloat16: evaluate_group<bfloat16>(p, cases, which, opt.threads, results); break;
    }
  }
}

void write_results(const std::vector<Result>& results, std::ostream& out) {
  std::string text;
  text.reserve(results.size() * (3 * 24 + 3));
  char buf[3 * kNumberChars + 3];
  for (const Result& r : results) {
    char* p = format_g17(r.f, buf);
    *p++ = ',';
    p = format_g17(r.df, p);
    *p++ = ',';
    p = format_g17(r.d2f, p);
    *p++ = '\n';
    text.append(buf, p);
  }
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  support::check_written(out, "the results");  // a full disk stops the run here, not 1M lines later
}

bool is_blank(const std::string& line) { return line.find_first_not_of(" \t") == std::string::npos; }

}  // namespace

void run_eval(const EvalOptions& opt, std::istream& in, std::ostream& out) {
  LineParser parser(opt.dtype);
  std::vector<Case> batch;
  std::vector<Result> results;
  batch.reserve(kBatchLines);
  auto flush = [&] {
    evaluate_batch(opt, batch, results);
    write_results(results, out);
    batch.clear();
  };

  std::string line;
  std::size_t line_no = 0, first_blank = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF files
    if (line_no == 1 && line.rfind("variant", 0) == 0) continue;
    if (is_blank(line)) {
      if (first_blank == 0) first_blank = line_no;
      continue;
    }
    if (first_blank != 0) {
      flush();
      throw InputError(first_blank, "blank line; blank lines are only allowed at the end of the input");
    }
    try {
      batch.push_back(parser.parse(line));
    } catch (const std::invalid_argument& e) {
      flush();
      throw InputError(line_no, e.what());
    }
    if (batch.size() == kBatchLines) flush();
  }
  if (in.bad()) throw std::runtime_error("reading the input failed after line " + std::to_string(line_no));
  flush();
}

}  // namespace gem::app
