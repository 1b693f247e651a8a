// Decoding one UTF-8 character, written once for the text checks (text_corpus.cpp: check_utf8)
// and GPT-2's pre-tokenising (gpt2_bpe.cpp).
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>

namespace gem::train {

/// The code point at text[i] (i < text.size()) and its length in bytes; length 0 when the bytes
/// there do not form a well-formed character (a stray continuation byte, a truncated sequence, an
/// overlong form, a surrogate, or a value above U+10FFFF).
inline std::pair<char32_t, std::size_t> utf8_at(std::string_view text, std::size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c < 0x80) return {c, 1};
  std::size_t len = 0;
  char32_t cp = 0, min = 0;
  if ((c & 0xE0) == 0xC0) {
    len = 2, cp = c & 0x1Fu, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, cp = c & 0x0Fu, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, cp = c & 0x07u, min = 0x10000;
  }
  if (len == 0 || i + len > text.size()) return {0, 0};
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0) != 0x80) return {0, 0};
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {0, 0};
  return {cp, len};
}

}  // namespace gem::train
