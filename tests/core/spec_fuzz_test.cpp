// Fuzzing the spec parser: thousands of random and mutated specs, deterministic (fixed seeds).
// Every input either parses to a spec whose canonical form parses back to the same spec, or is
// refused with std::invalid_argument whose message says which spec and is short; nothing else
// (no crash, no other exception, no hang).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "gem/spec.h"

namespace gem {
namespace {

const std::vector<std::string> kSeeds = {
    "relu", "gelu", "silu", "mish", "elu", "elu:alpha=0.5", "leaky_relu:slope=0.2", "gem:N=1", "gem:N=8",
    "egem:N=2,eps=1e-4", "segem:N=1,eps=1e-2", "egem:N=3,eps=0x1p-20", "segem:N=8,eps=4.9e-324", " egem : N = 2 , eps = 1 "};

// Characters a spec is made of, plus the ones that break parsers.
const std::string kAlphabet = "abcdegilmnoprstuwyNZ:=,.-+eE0123456789xp _\t\n\r\"'`\\;{}()[]\x01\xff";

std::string mutate(std::string s, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> what(0, 5);
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    const std::size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
    const char c = kAlphabet[rng() % kAlphabet.size()];
    switch (what(rng)) {
      case 0: s.insert(at, 1, c); break;
      case 1: if (at < s.size()) s.erase(at, 1); break;
      case 2: if (at < s.size()) s[at] = c; break;
      case 3: s.insert(at, kSeeds[rng() % kSeeds.size()]); break;  // splice another spec in
      case 4: if (at < s.size()) s = s.substr(0, at); break;          // truncate
      default: s.insert(at, std::string(1 + rng() % 400, c)); break;   // long runs
    }
  }
  return s;
}

std::string random_text(std::mt19937_64& rng) {
  std::string s(rng() % 40, ' ');
  for (char& c : s) c = static_cast<char>(rng() % 256);
  return s;
}

void check(const std::string& text) {
  try {
    const ActivationSpec s = ActivationSpec::parse(text);
    const std::string canonical = s.to_string();
    EXPECT_EQ(ActivationSpec::parse(canonical), s) << canonical;
    EXPECT_EQ(ActivationSpec::parse(canonical).to_string(), canonical);
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("activation spec ", 0), 0u) << message;
    EXPECT_LT(message.size(), 600u) << "message of " << message.size() << " bytes for input of " << text.size();
    EXPECT_EQ(message.find('\n'), std::string::npos) << "a raw newline breaks the message apart";
  } catch (const std::exception& e) {
    ADD_FAILURE() << "unexpected " << typeid(e).name() << ": " << e.what();
  }
}

TEST(SpecFuzz, MutatedSpecsParseOrAreRefusedWithAMessage) {
  std::mt19937_64 rng(20261206);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string text = mutate(kSeeds[rng() % kSeeds.size()], rng);
    check(text);
    try {
      ActivationSpec::parse(text);
      ++accepted;
    } catch (const std::invalid_argument&) {
    }
  }
  // Both outcomes happen: the mutations are neither all fatal nor all harmless.
  EXPECT_GT(accepted, 500);
  EXPECT_LT(accepted, 19500);
}

TEST(SpecFuzz, RandomBytesAreRefusedWithAMessage) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) check(random_text(rng));
}

}  // namespace
}  // namespace gem
