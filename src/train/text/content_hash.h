// Content hashes for the text caches (tokenizer models, token ids): a key that changes when any
// byte of the corpus or any setting changes. FNV-1a 64 with length prefixes, so ("ab", "c") and
// ("a", "bc") differ, and a SplitMix finaliser for an even spread. Not cryptographic: it guards
// against stale caches, not against someone forging one.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace gem::train {

class ContentHash {
 public:
  ContentHash& add(std::string_view bytes) {
    add_u64(bytes.size());
    for (const char c : bytes) mix_byte(static_cast<uint8_t>(c));
    return *this;
  }
  ContentHash& add_u64(uint64_t v) {
    for (int shift = 0; shift < 64; shift += 8) mix_byte(static_cast<uint8_t>(v >> shift));
    return *this;
  }

  uint64_t value() const {
    uint64_t z = state_ + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// 16 lowercase hex digits.
  std::string hex() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(value()));
    return buf;
  }

 private:
  void mix_byte(uint8_t b) {
    state_ ^= b;
    state_ *= 0x100000001B3ull;  // FNV-1a 64 prime
  }
  uint64_t state_ = 0xCBF29CE484222325ull;  // FNV-1a 64 offset basis
};

}  // namespace gem::train
