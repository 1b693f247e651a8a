#include "src/train/data/file_bytes.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "src/support/memory.h"

namespace gem::train {
namespace {

bool has_gzip_magic(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

// Inflates every gzip member (gzip -c a b > c concatenates members), as gunzip does.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& in, const std::filesystem::path& path, uint64_t limit) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK)  // 15: max window; +32: accept gzip and zlib headers
    throw std::runtime_error("zlib cannot start inflating " + path.string());
  std::vector<uint8_t> out;
  uint8_t chunk[1 << 16];
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (true) {
    zs.next_out = chunk;
    zs.avail_out = sizeof chunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.insert(out.end(), chunk, chunk + (sizeof chunk - zs.avail_out));
    if (out.size() > limit) {
      inflateEnd(&zs);
      throw std::runtime_error(path.string() + ": inflates to more than " +
                               support::format_bytes(static_cast<double>(limit)) +
                               " (the memory available); it is not a dataset of this size, or it is damaged");
    }
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);  // another member follows
      continue;
    }
    if (rc != Z_OK) break;
    if (zs.avail_in == 0 && zs.avail_out != 0) {
      rc = Z_BUF_ERROR;  // input ended inside a member
      break;
    }
  }
  const std::string message = zs.msg ? zs.msg : "";
  inflateEnd(&zs);
  if (rc != Z_STREAM_END)
    throw std::runtime_error(path.string() + ": corrupt or truncated gzip data (" +
                             (message.empty() ? std::string("unexpected end of input") : message) +
                             "); download or copy the file again");
  return out;
}

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path, uint64_t max_bytes) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
    throw std::runtime_error(path.string() + " is not a regular file (a folder, a FIFO or a device)");
  const uint64_t limit = max_bytes > 0 ? max_bytes : support::available_memory_bytes();
  if (std::filesystem::exists(status) && std::filesystem::file_size(path, ec) > limit)
    throw std::runtime_error(path.string() + " has " + std::to_string(std::filesystem::file_size(path, ec)) +
                             " bytes, more than the " + support::format_bytes(static_cast<double>(limit)) +
                             " of memory available");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error("cannot read " + path.string() + ": " + std::strerror(errno));
  if (!has_gzip_magic(bytes)) return bytes;
  return gunzip(bytes, path, limit);
}

}  // namespace gem::train
