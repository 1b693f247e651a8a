#include "src/train/text/prepared_text.h"

#include <nlohmann/json.hpp>

#include "src/train/text/unigram.h"

namespace gem::train {

PreparedText prepare_text(const TextDataOptions& options, std::ostream& log) {
  const TextSplit split = load_text_corpus(options.corpus);
  log << "text: " << split.train.size() << " training documents (" << split.train_bytes << " bytes) from "
      << split.train_source << ", " << split.val.size() << " validation documents (" << split.val_bytes
      << " bytes) from " << split.val_source << "\n";
  TokenizerOptions tokenizer_options = options.tokenizer;
  if (tokenizer_options.cache_dir.empty()) tokenizer_options.cache_dir = default_cache_dir();
  Tokenizer tokenizer = Tokenizer::from_options(split.train, tokenizer_options, log);
  TokenizedCorpus tokens = tokenize_corpus(split, tokenizer, tokenizer_options.cache_dir, log);
  const double unigram = unigram_perplexity(tokens.train, tokens.val, tokenizer.vocab_size());
  log << "text: " << tokens.train.numel() << " training tokens, " << tokens.val.numel()
      << " validation tokens, vocabulary " << tokenizer.vocab_size() << ", unigram perplexity " << unigram << "\n";
  return {std::move(tokenizer), std::move(tokens), unigram, split.train_source, split.val_source, split.train_bytes,
          split.val_bytes};
}

std::string cache_key(const TextDataOptions& o) {
  return nlohmann::json{{"corpus", o.corpus.corpus},
                        {"train", o.corpus.train_path.string()},
                        {"val", o.corpus.val_path.string()},
                        {"val_fraction", o.corpus.val_fraction},
                        {"vocab_size", o.tokenizer.vocab_size},
                        {"model_type", o.tokenizer.model_type},
                        {"gpt2_dir", o.tokenizer.gpt2_dir.string()},
                        {"cache_dir", o.tokenizer.cache_dir.string()}}
      .dump();
}

}  // namespace gem::train
