#include "src/support/gnuplot.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include "src/support/atomic_file.h"
#include "src/support/process.h"
#include "src/support/temp_file.h"

namespace gem::support {
namespace {

constexpr char kPngSignature[] = "\x89PNG\r\n\x1a\n";
constexpr std::size_t kMaxMessageChars = 2000;  // of gnuplot's messages in an error

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// The end of gnuplot's messages, without trailing blanks.
std::string tail_of(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > kMaxMessageChars) text = "..." + text.substr(text.size() - kMaxMessageChars);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

bool has_png_signature(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char head[8] = {};
  in.read(head, sizeof head);
  return in.gcount() == 8 && std::equal(head, head + 8, kPngSignature);
}

// A PNG ends with its IEND chunk (length 0, type, CRC); a file cut short by a full disk does not.
bool has_png_end(const std::filesystem::path& path) {
  static const unsigned char kEnd[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in || in.tellg() < 20) return false;
  in.seekg(-12, std::ios::end);
  unsigned char tail[12] = {};
  in.read(reinterpret_cast<char*>(tail), sizeof tail);
  return in.gcount() == 12 && std::equal(tail, tail + 12, kEnd);
}

}  // namespace

std::string gp_string(std::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '\\' || c == '"')
      (quoted += '\\') += c;
    else if (c == '`')
      quoted += "\\140";
    else
      quoted += is_control(c) ? ' ' : c;
  }
  return quoted + "\"";
}

bool has_control_characters(std::string_view text) { return std::any_of(text.begin(), text.end(), is_control); }

std::string png_preamble(int width, int height, const std::filesystem::path& png) {
  const std::string size = std::to_string(width) + "," + std::to_string(height);
  return "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
         "  set terminal pngcairo size " +
         size +
         " noenhanced font 'sans,11'\n"
         "} else {\n"
         "  set terminal png size " +
         size +
         " noenhanced\n"
         "}\n"
         "set output " +
         gp_string(png.string()) +
         "\n"
         "set linetype 1 lc rgb '#000000'\nset linetype 2 lc rgb '#E69F00'\nset linetype 3 lc rgb '#56B4E9'\n"
         "set linetype 4 lc rgb '#009E73'\nset linetype 5 lc rgb '#D55E00'\nset linetype 6 lc rgb '#0072B2'\n"
         "set linetype 7 lc rgb '#CC79A7'\nset linetype 8 lc rgb '#999999'\nset linetype cycle 8\n";
}

void render_png(const std::string& gnuplot, const std::string& data, const ScriptFn& script, AtomicFile& out) {
  const std::string program = find_executable(gnuplot);
  if (program.empty())
    throw std::runtime_error("gnuplot not found (looked for '" + gnuplot +
                             "'): install it (apt-get install gnuplot-nox, or bash scripts/setup.sh) "
                             "or pass --gnuplot PATH");
  const std::filesystem::path tmp = std::filesystem::temp_directory_path();
  if (has_control_characters(tmp.string()) || has_control_characters(out.temp_path().string()))
    throw std::runtime_error("the temporary folder (TMPDIR) or the output path holds a control character, which "
                             "cannot reach gnuplot unchanged: use a plain path");
  TempFile data_file(tmp, "gem-plot", ".dat"), script_file(tmp, "gem-plot", ".gp"), log(tmp, "gem-plot", ".log");
  write_file_atomically(data_file.path(), data);
  write_file_atomically(script_file.path(), script(data_file.path(), out.temp_path()));
  const int status = run_process({program, script_file.path().string()}, log.path());
  const std::string messages = tail_of(log.path());
  if (status != 0)
    throw std::runtime_error("gnuplot failed (exit status " + std::to_string(status) + ")" +
                             (messages.empty() ? std::string() : ":\n" + messages));
  if (!has_png_signature(out.temp_path()))
    throw std::runtime_error("gnuplot wrote no PNG" + (messages.empty() ? std::string() : ":\n" + messages));
  if (!has_png_end(out.temp_path()))
    throw std::runtime_error("gnuplot wrote an incomplete PNG for " + out.destination().string() + " (" +
                             std::to_string(std::filesystem::file_size(out.temp_path())) +
                             " bytes, no end chunk): the disk is full or a file-size limit was reached");
}

}  // namespace gem::support
