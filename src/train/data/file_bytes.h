// Whole-file reads for the dataset loaders; gzip files (Debian ships IDX files gzipped) are
// inflated on the way, plain files are read as they are.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace gem::train {

/// The bytes of `path`, inflated if it starts with the gzip magic (1f 8b). Throws
/// std::runtime_error naming the file: missing, unreadable, corrupt / truncated gzip data, or
/// inflating to more than `max_bytes` (0: the memory available; a few bytes of gzip can
/// inflate to any size).
std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path, uint64_t max_bytes = 0);

}  // namespace gem::train
