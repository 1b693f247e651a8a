// Whole-file reads for the dataset loaders; gzip files (Debian ships IDX files gzipped) are
// inflated on the way, plain files are read as they are.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace gem::train {

/// The bytes of `path`, inflated if it starts with the gzip magic (1f 8b). Throws
/// std::runtime_error naming the file: missing, unreadable, or corrupt / truncated gzip data.
std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path);

}  // namespace gem::train
