// JSON outputs of the harness: whole files replaced atomically (temporary file + rename, so a
// reader or a crash never leaves half a summary), and JSON-lines files.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace gem::train {

/// Writes `text` to `path` atomically (creating the folder). Throws std::runtime_error.
void write_text_atomically(const std::filesystem::path& path, const std::string& text);

/// `value` pretty-printed (2 spaces), atomically.
void write_json_atomically(const std::filesystem::path& path, const nlohmann::json& value);

/// One JSON value per line, atomically.
void write_json_lines_atomically(const std::filesystem::path& path, const std::vector<nlohmann::json>& lines);

/// JSON text, strictly: a key given twice in one object is an error (nlohmann would keep the
/// last silently), and so is nesting deeper than 64 levels. Throws std::runtime_error
/// "<where>: ..." saying what is wrong.
nlohmann::json parse_json_strict(const std::string& text, const std::string& where);

/// Throws std::runtime_error unless `path` is a regular file, not a symbolic link: a run folder's
/// files are gem's own, and a FIFO or a device would block or never end.
void check_regular_file(const std::filesystem::path& path);

/// Throws std::runtime_error naming the file when it cannot be read or is not JSON (strictly).
nlohmann::json read_json_file(const std::filesystem::path& path);

/// Every non-blank line of a JSON-lines file.
std::vector<nlohmann::json> read_json_lines(const std::filesystem::path& path);

}  // namespace gem::train
