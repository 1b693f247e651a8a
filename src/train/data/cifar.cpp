#include "src/train/data/cifar.h"

#include <stdexcept>

#include "src/train/data/file_bytes.h"

namespace gem::train {
namespace {

ImageSet load_files(const std::filesystem::path& dir, const std::vector<std::string>& names, CifarKind kind) {
  ImageSet all;
  for (const std::string& name : names) {
    const std::filesystem::path file = dir / name;
    append_images(all, parse_cifar(read_file_bytes(file), kind, file.string()));
  }
  return all;
}

}  // namespace

int64_t cifar_record_bytes(CifarKind kind) { return (kind == CifarKind::cifar10 ? 1 : 2) + kCifarPixelBytes; }

ImageSet parse_cifar(const std::vector<uint8_t>& bytes, CifarKind kind, const std::string& source) {
  const int64_t record = cifar_record_bytes(kind);
  const int64_t size = static_cast<int64_t>(bytes.size());
  const char* format = kind == CifarKind::cifar10 ? "CIFAR-10" : "CIFAR-100";
  if (size == 0 || size % record != 0)
    throw std::runtime_error(source + ": " + std::to_string(size) + " bytes is not a positive multiple of the " +
                             format + " record size " + std::to_string(record) +
                             " (label byte(s) + 3072 pixels); is it the binary version of " + format +
                             " and complete?");
  ImageSet set;
  set.source = source;
  set.channels = 3;
  set.height = 32;
  set.width = 32;
  set.classes = kind == CifarKind::cifar10 ? 10 : 100;
  const int64_t count = size / record;
  set.labels.resize(static_cast<size_t>(count));
  set.pixels.resize(static_cast<size_t>(count * kCifarPixelBytes));
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t* r = bytes.data() + i * record;
    if (kind == CifarKind::cifar100 && r[0] >= 20)
      throw std::runtime_error(source + ": coarse label " + std::to_string(r[0]) + " of record " + std::to_string(i) +
                               " is out of range, expected 0..19; is this a CIFAR-100 file?");
    const uint8_t label = kind == CifarKind::cifar10 ? r[0] : r[1];
    if (label >= set.classes)
      throw std::runtime_error(source + ": label " + std::to_string(label) + " of record " + std::to_string(i) +
                               " is out of range, expected 0.." + std::to_string(set.classes - 1) + " for " + format);
    set.labels[static_cast<size_t>(i)] = label;
    const uint8_t* px = r + (record - kCifarPixelBytes);
    std::copy(px, px + kCifarPixelBytes, set.pixels.begin() + i * kCifarPixelBytes);
  }
  return set;
}

std::vector<std::string> cifar_train_files(CifarKind kind) {
  if (kind == CifarKind::cifar100) return {"train.bin"};
  return {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"};
}

std::vector<std::string> cifar_test_files(CifarKind kind) {
  return {kind == CifarKind::cifar100 ? "test.bin" : "test_batch.bin"};
}

TrainTestSplit load_cifar(const std::filesystem::path& dir, CifarKind kind) {
  return {load_files(dir, cifar_train_files(kind), kind), load_files(dir, cifar_test_files(kind), kind)};
}

}  // namespace gem::train
