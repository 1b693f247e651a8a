// IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
// a big-endian header, then the values row-major.
//   images: magic 0x00000803 (unsigned bytes, 3 dimensions), count, rows, columns, pixels
//   labels: magic 0x00000801 (unsigned bytes, 1 dimension), count, labels
// Files may be gzipped (read_file_bytes inflates them).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "src/train/data/image_set.h"

namespace gem::train {

constexpr uint32_t kIdxImagesMagic = 0x00000803;
constexpr uint32_t kIdxLabelsMagic = 0x00000801;

/// Images of an IDX file as one channel (labels empty, classes 0). Throws std::runtime_error
/// naming `source` when the magic number is wrong, a dimension is 0 or the size is not exactly
/// header + count x rows x columns.
ImageSet parse_idx_images(const std::vector<uint8_t>& bytes, const std::string& source);

/// Labels of an IDX file; each must be < classes. Same errors as parse_idx_images.
std::vector<uint8_t> parse_idx_labels(const std::vector<uint8_t>& bytes, int64_t classes, const std::string& source);

/// An image file and its label file; the counts must agree.
ImageSet load_idx(const std::filesystem::path& images, const std::filesystem::path& labels, int64_t classes);

}  // namespace gem::train
