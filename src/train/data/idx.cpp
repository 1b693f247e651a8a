#include "src/train/data/idx.h"

#include <cstdio>
#include <stdexcept>

#include "src/support/memory.h"
#include "src/train/data/file_bytes.h"

namespace gem::train {
namespace {

uint32_t big_endian_u32(const std::vector<uint8_t>& b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) | uint32_t{b[at + 3]};
}

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

void check_header(const std::vector<uint8_t>& bytes, size_t header, uint32_t magic, const char* what,
                  const std::string& source) {
  if (bytes.size() < header)
    throw std::runtime_error(source + ": " + std::to_string(bytes.size()) + " bytes is too short for an IDX " + what +
                             " header (" + std::to_string(header) + " bytes); the file is truncated or not IDX");
  const uint32_t got = big_endian_u32(bytes, 0);
  if (got != magic)
    throw std::runtime_error(source + ": magic number " + hex(got) + ", expected " + hex(magic) + " (IDX " + what +
                             "); is this the right file (images vs labels) and is it uncorrupted?");
}

}  // namespace

ImageSet parse_idx_images(const std::vector<uint8_t>& bytes, const std::string& source) {
  constexpr size_t kHeader = 16;
  check_header(bytes, kHeader, kIdxImagesMagic, "images", source);
  const uint64_t count = big_endian_u32(bytes, 4), rows = big_endian_u32(bytes, 8), cols = big_endian_u32(bytes, 12);
  if (count == 0 || rows == 0 || cols == 0)
    throw std::runtime_error(source + ": IDX images header says " + std::to_string(count) + " images of " +
                             std::to_string(rows) + "x" + std::to_string(cols) + "; every dimension must be > 0");
  // The header's numbers are untrusted: their product may not even fit in 64 bits.
  const auto pixels = support::checked_product({count, rows, cols});
  if (!pixels || *pixels + kHeader != bytes.size())
    throw std::runtime_error(
        source + ": " + std::to_string(bytes.size()) + " bytes, but its header says " + std::to_string(count) +
        " images of " + std::to_string(rows) + "x" + std::to_string(cols) + " pixels, which take " +
        (pixels ? std::to_string(*pixels + kHeader) + " bytes" : std::string("more than 2^64 bytes")) +
        " (with the 16-byte header); the file is truncated or damaged");
  ImageSet set;
  set.source = source;
  set.channels = 1;
  set.height = static_cast<int64_t>(rows);
  set.width = static_cast<int64_t>(cols);
  set.pixels.assign(bytes.begin() + kHeader, bytes.end());
  set.labels.assign(count, 0);  // placeholder until load_idx reads the labels
  return set;
}

std::vector<uint8_t> parse_idx_labels(const std::vector<uint8_t>& bytes, int64_t classes, const std::string& source) {
  constexpr size_t kHeader = 8;
  check_header(bytes, kHeader, kIdxLabelsMagic, "labels", source);
  const uint64_t count = big_endian_u32(bytes, 4);
  if (count == 0) throw std::runtime_error(source + ": IDX labels header says 0 labels");
  if (bytes.size() != kHeader + count)
    throw std::runtime_error(source + ": " + std::to_string(bytes.size()) + " bytes, expected " +
                             std::to_string(kHeader + count) + " (8-byte header + " + std::to_string(count) +
                             " labels); the file is truncated or damaged");
  std::vector<uint8_t> labels(bytes.begin() + kHeader, bytes.end());
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] >= classes)
      throw std::runtime_error(source + ": label " + std::to_string(labels[i]) + " at position " + std::to_string(i) +
                               " is out of range, expected 0.." + std::to_string(classes - 1));
  return labels;
}

ImageSet load_idx(const std::filesystem::path& images, const std::filesystem::path& labels, int64_t classes) {
  ImageSet set = parse_idx_images(read_file_bytes(images), images.string());
  set.labels = parse_idx_labels(read_file_bytes(labels), classes, labels.string());
  if (static_cast<int64_t>(set.labels.size()) * set.image_bytes() != static_cast<int64_t>(set.pixels.size()))
    throw std::runtime_error(labels.string() + " has " + std::to_string(set.labels.size()) + " labels but " +
                             images.string() + " has " +
                             std::to_string(static_cast<int64_t>(set.pixels.size()) / set.image_bytes()) +
                             " images; use an image file and the label file of the same split");
  set.classes = classes;
  set.source = images.string();
  return set;
}

}  // namespace gem::train
