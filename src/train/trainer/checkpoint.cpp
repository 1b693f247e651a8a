#include "src/train/trainer/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fcntl.h>
#include <torch/torch.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "gem/quoted.h"
#include "src/support/atomic_file.h"
#include "src/support/temp_file.h"
#include "src/train/trainer/error_message.h"
#include "src/train/trainer/json_files.h"

namespace gem::train {
namespace {

constexpr int64_t kStateFormat = 1;  // the JSON training state inside the archive

// The file: a 64-byte text header, then LibTorch's archive (a zip) of model, optimizer,
// generator and training state. The header holds the archive's length and CRC-32, so a
// truncated or damaged file is refused before any of it is used:
//   "gem-checkpoint 2 bytes=00000000000001234567 crc32=89abcdef" padded with spaces, "\n".
constexpr int kFileFormat = 2;
constexpr std::size_t kHeaderBytes = 64;
constexpr char kHeaderTag[] = "gem-checkpoint ";
constexpr std::size_t kVerifyChunk = std::size_t(1) << 20;

std::string header_text(uint64_t payload_bytes, uint32_t crc) {
  char buf[kHeaderBytes + 1];
  std::snprintf(buf, sizeof buf, "%s%d bytes=%020" PRIu64 " crc32=%08" PRIx32, kHeaderTag, kFileFormat, payload_bytes,
                crc);
  std::string header(buf);
  header.resize(kHeaderBytes - 1, ' ');
  return header + "\n";
}

nlohmann::json state_to_json(const TrainingState& s) {
  nlohmann::json history = nlohmann::json::array();
  for (const auto& m : s.history) history.push_back(to_json(m));
  return {{"format", kStateFormat},
          {"epochs_done", s.epochs_done},
          {"seconds", s.seconds},
          {"options", s.options},
          {"history", history}};
}

TrainingState state_from_json(const nlohmann::json& j) {
  if (j.at("format").get<int64_t>() != kStateFormat)
    throw std::runtime_error("training state format " + j.at("format").dump() + ", this gem-train reads format " +
                             std::to_string(kStateFormat));
  TrainingState s;
  s.epochs_done = j.at("epochs_done").get<int64_t>();
  s.seconds = j.at("seconds").get<double>();
  s.options = j.at("options");
  for (const auto& m : j.at("history")) s.history.push_back(epoch_metrics_from_json(m));
  return s;
}

// The header's fields, read strictly: "gem-checkpoint <format> bytes=<20 digits> crc32=<8 hex>".
struct HeaderFields {
  std::string format;
  uint64_t bytes = 0;
  uint32_t crc = 0;
};

HeaderFields parse_header(std::string_view text) {
  const auto damaged = [] { return std::runtime_error("its header is damaged"); };
  text.remove_prefix(sizeof kHeaderTag - 1);
  const auto space = text.find(' ');
  if (space == std::string_view::npos || space == 0 || space > 9) throw damaged();
  HeaderFields h;
  h.format = std::string(text.substr(0, space));
  text.remove_prefix(space);
  const auto field = [&](std::string_view key, std::size_t digits, int base, auto& value) {
    if (text.substr(0, key.size()) != key || text.size() < key.size() + digits) throw damaged();
    const char* first = text.data() + key.size();
    const auto [end, error] = std::from_chars(first, first + digits, value, base);
    if (error != std::errc() || end != first + digits) throw damaged();
    text.remove_prefix(key.size() + digits);
  };
  field(" bytes=", 20, 10, h.bytes);
  field(" crc32=", 8, 16, h.crc);
  if (h.bytes > (uint64_t(1) << 62)) throw damaged();  // no file is that large; kHeaderBytes + bytes stays exact
  return h;
}

// An open checkpoint whose header and checksum have been verified: the archive can be read.
class VerifiedFile {
 public:
  explicit VerifiedFile(const std::filesystem::path& path) : path_(path) {
    if (!std::filesystem::is_regular_file(path)) throw std::runtime_error("it is not a regular file");
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("cannot open it: " + support::error_text(errno));
    char header[kHeaderBytes + 1] = {};
    if (read_at(0, header, kHeaderBytes) != kHeaderBytes ||
        std::strncmp(header, kHeaderTag, sizeof kHeaderTag - 1) != 0)
      throw std::runtime_error(std::strncmp(header, "PK", 2) == 0
                                   ? "it has no checksum (written by an older gem-train), so it cannot be verified"
                                   : "it is not a gem-train checkpoint (no gem-checkpoint header)");
    const HeaderFields h = parse_header(std::string_view(header, kHeaderBytes));
    if (h.format != std::to_string(kFileFormat))
      throw std::runtime_error("it has format " + excerpt(h.format) + ", this gem-train reads format " +
                               std::to_string(kFileFormat));
    const uint64_t bytes = h.bytes;
    const uint32_t crc = h.crc;
    const off_t size = ::lseek(fd_, 0, SEEK_END);
    if (size < 0 || static_cast<uint64_t>(size) != kHeaderBytes + bytes)
      throw std::runtime_error("it has " + std::to_string(size) + " bytes, its header says " +
                               std::to_string(kHeaderBytes + bytes) + " (truncated or damaged)");
    std::vector<char> chunk(kVerifyChunk);
    uLong computed = crc32(0L, Z_NULL, 0);
    for (uint64_t at = 0; at < bytes;) {
      const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(chunk.size(), bytes - at));
      if (read_at(kHeaderBytes + at, chunk.data(), n) != n)
        throw std::runtime_error("reading it failed: " + support::error_text(errno));
      computed = crc32_z(computed, reinterpret_cast<const Bytef*>(chunk.data()), n);
      at += n;
    }
    if (static_cast<uint32_t>(computed) != crc) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "it is damaged: its CRC-32 is %08" PRIx32 ", its header says %08" PRIx32,
                    static_cast<uint32_t>(computed), crc);
      throw std::runtime_error(buf);
    }
    payload_bytes_ = bytes;
  }
  ~VerifiedFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  VerifiedFile(const VerifiedFile&) = delete;
  VerifiedFile& operator=(const VerifiedFile&) = delete;

  void load_into(torch::serialize::InputArchive& archive, const torch::Device& device) {
    archive.load_from([this](uint64_t pos, void* buf, size_t n) { return read_at(kHeaderBytes + pos, buf, n); },
                      [this] { return static_cast<size_t>(payload_bytes_); }, device);
  }

 private:
  size_t read_at(uint64_t offset, void* buf, size_t n) const {
    size_t done = 0;
    while (done < n) {
      const ssize_t got = ::pread(fd_, static_cast<char*>(buf) + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      done += static_cast<size_t>(got);
    }
    return done;
  }

  std::filesystem::path path_;
  int fd_ = -1;
  uint64_t payload_bytes_ = 0;
};

const char* const kRemedy = "; remove it to start the run over (--restart), or restore it from a copy";

// Every parameter and buffer with its shape: LibTorch's load replaces tensors whole, so a
// checkpoint of another model would be taken silently without this comparison.
std::vector<std::pair<std::string, std::vector<int64_t>>> shapes_of(const torch::nn::Module& model) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  for (const auto& p : model.named_parameters()) shapes.emplace_back(p.key(), p.value().sizes().vec());
  for (const auto& b : model.named_buffers()) shapes.emplace_back(b.key(), b.value().sizes().vec());
  return shapes;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

}  // namespace

void save_checkpoint(const std::filesystem::path& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                     const TrainingState& state) {
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
  model.save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    archive.write("cpu_generator", gen.get_state());
  }
  archive.write("state", c10::IValue(state_to_json(state).dump()));

  std::error_code ec;
  std::filesystem::create_directories(support::folder_of(path), ec);
  support::AtomicFile file(path);
  file.append(header_text(0, 0));  // filled in once the archive's length and CRC are known
  uint64_t bytes = 0;
  uLong crc = crc32(0L, Z_NULL, 0);
  // The archive streams through this callback. It always reports success: LibTorch's zip writer
  // aborts the process when a write fails, so a failure (a full disk) is kept by the file and
  // raised by commit(), which leaves the previous checkpoint in place.
  archive.save_to([&](const void* data, size_t n) -> size_t {
    crc = crc32_z(crc, static_cast<const Bytef*>(data), n);
    bytes += n;
    file.append(data, n);
    return n;
  });
  const std::string header = header_text(bytes, static_cast<uint32_t>(crc));
  file.overwrite(0, header.data(), header.size());
  file.commit();
}

TrainingState read_checkpoint_state(const std::filesystem::path& path) {
  try {
    VerifiedFile file(path);
    torch::serialize::InputArchive archive;
    file.load_into(archive, torch::Device(torch::kCPU));
    c10::IValue state;
    archive.read("state", state);
    return state_from_json(parse_json_strict(state.toStringRef(), "its training state"));
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot use the checkpoint " + path.string() + ": " + error_message(e) + kRemedy);
  }
}

TrainingState load_checkpoint(const std::filesystem::path& path, torch::nn::Module& model,
                              torch::optim::Optimizer& optimizer, const torch::Device& device) {
  try {
    VerifiedFile file(path);
    torch::serialize::InputArchive archive, model_archive, optimizer_archive;
    file.load_into(archive, device);
    archive.read("model", model_archive);
    const auto expected = shapes_of(model);
    model.load(model_archive);
    const auto loaded = shapes_of(model);
    for (size_t i = 0; i < expected.size() && i < loaded.size(); ++i)
      if (expected[i] != loaded[i])
        throw std::runtime_error("it holds another model: " + expected[i].first + " has shape " +
                                 shape_text(loaded[i].second) + " there, " + shape_text(expected[i].second) + " here");
    archive.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
    torch::Tensor generator_state;
    archive.read("cpu_generator", generator_state);
    {
      at::Generator gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(generator_state.to(torch::kCPU));
    }
    c10::IValue state;
    archive.read("state", state);
    return state_from_json(parse_json_strict(state.toStringRef(), "its training state"));
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot resume from " + path.string() + ": " + error_message(e) + kRemedy);
  }
}

}  // namespace gem::train
