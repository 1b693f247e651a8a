// Text in gnuplot scripts (gem plot and the training report's curves).
#pragma once

#include <string>

namespace gem::app {

/// A gnuplot double-quoted string (backslash escapes; the terminals are set noenhanced, so no
/// other character is special).
inline std::string gp_string(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace gem::app
