// CIFAR-10 and CIFAR-100, binary version (https://www.cs.toronto.edu/~kriz/cifar.html).
// A file is a sequence of records: the label byte(s), then 3072 pixel bytes (1024 red, 1024
// green, 1024 blue, each a 32x32 image row-major), i.e. already channels-first.
//   CIFAR-10:  1 label byte (< 10);                        cifar-10-batches-bin/data_batch_{1..5}.bin, test_batch.bin
//   CIFAR-100: coarse label (< 20), fine label (< 100);    cifar-100-binary/train.bin, test.bin
// CIFAR-100 is trained on the fine labels, as in He et al.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "src/train/data/image_set.h"

namespace gem::train {

enum class CifarKind { cifar10, cifar100 };

constexpr int64_t kCifarPixelBytes = 3 * 32 * 32;

/// Bytes per record: label byte(s) + 3072.
int64_t cifar_record_bytes(CifarKind kind);

/// The records of one file. Throws std::runtime_error naming `source` when the size is not a
/// positive multiple of the record size or a label is out of range.
ImageSet parse_cifar(const std::vector<uint8_t>& bytes, CifarKind kind, const std::string& source);

/// The file names of a split, relative to the data folder.
std::vector<std::string> cifar_train_files(CifarKind kind);
std::vector<std::string> cifar_test_files(CifarKind kind);

/// All training and test files of `dir` (the folder holding the .bin files).
TrainTestSplit load_cifar(const std::filesystem::path& dir, CifarKind kind);

}  // namespace gem::train
