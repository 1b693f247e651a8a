#include "src/train/text/tokenized_corpus.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "src/train/text/content_hash.h"
#include "gem/quoted.h"
#include "src/support/atomic_file.h"
#include "src/train/trainer/json_files.h"

namespace gem::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kFormat = "gem-tokens-1";  // bump when the layout of the id files changes

struct CacheFiles {
  fs::path train, val, meta;
};

std::string ids_checksum(const std::vector<int32_t>& ids) {
  return ContentHash().add({reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(int32_t)}).hex();
}

// Reads one id file and says what is wrong with it, or returns "" when it matches its meta entry.
std::string read_ids(const fs::path& file, const nlohmann::json& entry, int64_t vocab, std::vector<int32_t>& ids) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return "cannot open " + file.string();
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() % sizeof(int32_t) != 0)
    return file.filename().string() + " has " + std::to_string(bytes.size()) + " bytes, not a multiple of 4";
  ids.resize(bytes.size() / sizeof(int32_t));
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(ids.data()));
  if (static_cast<int64_t>(ids.size()) != entry.at("tokens").get<int64_t>())
    return file.filename().string() + " has " + std::to_string(ids.size()) + " ids, its meta file says " +
           entry.at("tokens").dump();
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= vocab)
      return file.filename().string() + " has id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
             ", outside the vocabulary of " + std::to_string(vocab);
  if (ids_checksum(ids) != entry.at("checksum").get<std::string>())
    return file.filename().string() + " does not match its checksum";
  return "";
}

void write_ids(const fs::path& destination, const std::vector<int32_t>& ids) {
  gem::support::write_file_atomically(
      destination, std::string_view(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(int32_t)));
}

void write_meta(const fs::path& destination, const nlohmann::json& meta) {
  gem::support::write_file_atomically(destination, meta.dump(2) + "\n");
}

torch::Tensor to_tensor(const std::vector<int32_t>& ids) {
  torch::Tensor t = torch::empty({static_cast<int64_t>(ids.size())}, torch::kLong);
  std::copy(ids.begin(), ids.end(), t.data_ptr<int64_t>());
  return t;
}

std::string number_text(double v, int digits) {
  std::ostringstream out;
  out << std::setprecision(digits) << v;
  return out.str();
}

std::string seconds_text(double s) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << s << " s";
  return out.str();
}

}  // namespace

std::vector<int32_t> tokenize_documents(const std::vector<TextDocument>& docs, const Tokenizer& tokenizer) {
  // Documents are independent and SentencePiece encodes from several threads at once; the
  // result is put together in document order, so it does not depend on the thread count.
  std::vector<std::vector<int32_t>> parts(docs.size());
  const size_t threads = std::max<size_t>(1, std::min<size_t>({std::thread::hardware_concurrency(), docs.size(), 8}));
  std::vector<std::thread> workers;
  std::vector<std::exception_ptr> errors(threads);
  for (size_t t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      try {
        for (size_t i = t; i < docs.size(); i += threads) parts[i] = tokenizer.encode(docs[i].text);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  for (auto& w : workers) w.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  size_t total = 0;
  for (const auto& p : parts) total += p.size() + 1;
  std::vector<int32_t> ids;
  ids.reserve(total);
  for (const auto& p : parts) {
    ids.insert(ids.end(), p.begin(), p.end());
    ids.push_back(tokenizer.document_end_id());
  }
  return ids;
}

TokenizedCorpus tokenize_corpus(const TextSplit& split, const Tokenizer& tokenizer, const fs::path& cache_dir,
                                std::ostream& log) {
  const auto start = Clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  ContentHash h;
  h.add(kFormat).add(tokenizer.fingerprint());
  for (const auto* docs : {&split.train, &split.val}) {
    h.add_u64(docs->size());
    for (const auto& doc : *docs) h.add(doc.text);
  }
  const std::string key = h.hex();
  const fs::path root = cache_dir.empty() ? default_cache_dir() : cache_dir;
  std::error_code ec;
  const fs::path beside_tokenizer = root / ("tokenizer-" + tokenizer.fingerprint());
  const fs::path folder = fs::is_directory(beside_tokenizer, ec) ? beside_tokenizer : root;
  const std::string stem = "tokens-" + key;
  const CacheFiles files{folder / (stem + "-train.i32"), folder / (stem + "-val.i32"), folder / (stem + ".json")};

  TokenizedCorpus out;
  out.fingerprint = key;
  if (fs::exists(files.meta, ec)) {
    std::string problem;
    std::vector<int32_t> train, val;
    try {
      const nlohmann::json meta = read_json_file(files.meta);
      problem = read_ids(files.train, meta.at("train"), tokenizer.vocab_size(), train);
      if (problem.empty()) problem = read_ids(files.val, meta.at("val"), tokenizer.vocab_size(), val);
    } catch (const std::exception& e) {  // unreadable, not JSON, or missing keys: make it again
      problem = files.meta.filename().string() + " is not a valid meta file (" + excerpt(e.what()) + ")";
    }
    if (problem.empty()) {
      out.train = to_tensor(train);
      out.val = to_tensor(val);
      log << "tokens: loaded " << train.size() << " training and " << val.size() << " validation tokens from "
          << folder.string() << " in " << seconds_text(elapsed()) << "\n";
      return out;
    }
    log << "warning: the cached tokens in " << folder.string() << " are damaged (" << problem
        << "); tokenizing again\n";
  }

  const std::vector<int32_t> train = tokenize_documents(split.train, tokenizer);
  const std::vector<int32_t> val = tokenize_documents(split.val, tokenizer);
  out.train = to_tensor(train);
  out.val = to_tensor(val);
  const double seconds = elapsed();
  const double bytes = static_cast<double>(split.train_bytes + split.val_bytes);
  const double per_byte = bytes > 0 ? static_cast<double>(train.size() + val.size()) / bytes : 0.0;
  log << "tokens: " << train.size() << " training and " << val.size() << " validation tokens ("
      << number_text(per_byte, 3) << " per byte) in " << seconds_text(seconds);
  try {
    fs::create_directories(folder);
    // The meta file goes last: without it the id files are not trusted.
    write_ids(files.train, train);
    write_ids(files.val, val);
    write_meta(files.meta, {{"format", kFormat},
                            {"tokenizer", tokenizer.fingerprint()},
                            {"vocab_size", tokenizer.vocab_size()},
                            {"tokens_per_byte", per_byte},
                            {"seconds", seconds},
                            {"train", {{"tokens", train.size()}, {"bytes", split.train_bytes},
                                       {"checksum", ids_checksum(train)}}},
                            {"val", {{"tokens", val.size()}, {"bytes", split.val_bytes},
                                     {"checksum", ids_checksum(val)}}}});
    log << ", cached in " << folder.string() << "\n";
  } catch (const std::exception& e) {
    log << "\nwarning: cannot cache the tokens (" << e.what() << "); they will be tokenized again next time\n";
  }
  return out;
}

}  // namespace gem::train
