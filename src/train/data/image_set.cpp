#include "src/train/data/image_set.h"

#include <stdexcept>

namespace gem::train {

ImageSet select_images(const ImageSet& set, const std::vector<int64_t>& indices) {
  ImageSet out;
  out.source = set.source;
  out.channels = set.channels;
  out.height = set.height;
  out.width = set.width;
  out.classes = set.classes;
  const int64_t bytes = set.image_bytes();
  out.pixels.reserve(indices.size() * static_cast<size_t>(bytes));
  out.labels.reserve(indices.size());
  for (int64_t i : indices) {
    if (i < 0 || i >= set.size())
      throw std::out_of_range("image index " + std::to_string(i) + " outside " + set.source + " (" +
                              std::to_string(set.size()) + " images)");
    const auto first = set.pixels.begin() + i * bytes;
    out.pixels.insert(out.pixels.end(), first, first + bytes);
    out.labels.push_back(set.labels[static_cast<size_t>(i)]);
  }
  return out;
}

void append_images(ImageSet& into, const ImageSet& more) {
  if (into.size() == 0 && into.pixels.empty()) {
    into = more;
    return;
  }
  if (into.channels != more.channels || into.height != more.height || into.width != more.width ||
      into.classes != more.classes)
    throw std::runtime_error(more.source + ": images of " + std::to_string(more.channels) + "x" +
                             std::to_string(more.height) + "x" + std::to_string(more.width) + " with " +
                             std::to_string(more.classes) + " classes do not match " + into.source + " (" +
                             std::to_string(into.channels) + "x" + std::to_string(into.height) + "x" +
                             std::to_string(into.width) + ", " + std::to_string(into.classes) + " classes)");
  into.source += ", " + more.source;
  into.pixels.insert(into.pixels.end(), more.pixels.begin(), more.pixels.end());
  into.labels.insert(into.labels.end(), more.labels.begin(), more.labels.end());
}

void check_consistent(const ImageSet& set) {
  if (set.channels <= 0 || set.height <= 0 || set.width <= 0 || set.classes <= 0)
    throw std::runtime_error(set.source + ": empty geometry or no classes");
  if (static_cast<int64_t>(set.pixels.size()) != set.size() * set.image_bytes())
    throw std::runtime_error(set.source + ": " + std::to_string(set.pixels.size()) + " pixel bytes for " +
                             std::to_string(set.size()) + " images of " + std::to_string(set.image_bytes()) +
                             " bytes");
  for (size_t i = 0; i < set.labels.size(); ++i)
    if (set.labels[i] >= set.classes)
      throw std::runtime_error(set.source + ": label " + std::to_string(set.labels[i]) + " of image " +
                               std::to_string(i) + " is not below the class count " + std::to_string(set.classes));
}

}  // namespace gem::train
