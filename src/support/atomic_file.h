// Output files that appear whole or not at all, and stay on disk once published.
//
// The bytes go to a temporary file beside the destination (same folder, so the rename is
// atomic). commit() checks that every write succeeded, fsyncs the file, closes it (checking
// that too), renames it over the destination and fsyncs the folder: after a crash or a power
// loss a reader finds the old file or the new one, never half of one. A failed write (a full
// disk, a quota, a file-size limit) makes commit() throw with the cause, the temporary file is
// removed and the destination keeps its old content.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace gem::support {

class AtomicFile {
 public:
  /// Creates the temporary file beside `destination` (its folder must exist). Throws
  /// std::runtime_error naming the folder and the cause.
  explicit AtomicFile(std::filesystem::path destination);
  ~AtomicFile();  // removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Appends bytes. Never throws: the first failure is remembered (later writes are skipped)
  /// and reported by commit(), so a caller that must not throw (a serializer's callback) can
  /// use it too. Returns false once a write has failed.
  bool append(const void* data, std::size_t bytes) noexcept;
  bool append(std::string_view text) noexcept { return append(text.data(), text.size()); }
  /// Overwrites bytes already appended (a header filled in at the end). Never throws.
  bool overwrite(std::uint64_t offset, const void* data, std::size_t bytes) noexcept;

  /// The temporary file, for a program that writes it itself (gnuplot); commit() then fsyncs
  /// and publishes what that program wrote.
  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& destination() const { return destination_; }
  bool failed() const { return error_ != 0; }

  /// Publishes the file (see above). Throws std::runtime_error "cannot write <destination>:
  /// <cause>; <destination> keeps its previous content" when a write, the fsync, the close or
  /// the rename failed.
  void commit();

 private:
  [[noreturn]] void fail(const std::string& step, int error);

  std::filesystem::path destination_, temp_;
  int fd_ = -1;
  int error_ = 0;  // errno of the first failed write
  std::uint64_t size_ = 0;
  bool committed_ = false;
};

/// `bytes` as the whole content of `path`, through an AtomicFile (creating the folder).
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

/// fsync of a folder, so that a rename into it survives a power loss. Throws on failure.
void sync_folder(const std::filesystem::path& folder);

}  // namespace gem::support
