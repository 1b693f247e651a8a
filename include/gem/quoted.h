// How input text appears in an error message: on one line, and short. A 20 MB field or a line
// with a newline in it must not flood the terminal or break the message apart.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace gem {

constexpr std::size_t kMaxShownChars = 60;

/// `text` with control characters written as \n, \t, \r or \xNN, cut once that has `max`
/// characters and then followed by "... (N bytes)".
inline std::string excerpt(std::string_view text, std::size_t max = kMaxShownChars) {
  std::string out;
  std::size_t i = 0;
  for (; i < text.size() && out.size() < max; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (c == '\r')
      out += "\\r";
    else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (i < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

/// excerpt(text) in single quotes.
inline std::string quoted_excerpt(std::string_view text) { return "'" + excerpt(text) + "'"; }

}  // namespace gem
