#include "src/train/text/sentencepiece_api.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>

namespace gem::train {

const SentencePieceApi& sentencepiece_api() {
  static const SentencePieceApi* api = nullptr;
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    const char* env = std::getenv("GEM_SENTENCEPIECE_MODULE");
    const std::string path = env && *env ? env : GEM_SENTENCEPIECE_MODULE;
    // DEEPBIND: the module and SentencePiece resolve to their own protobuf first; LOCAL: their
    // symbols never reach the program's (and LibTorch's) scope.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!handle) {
      const char* why = dlerror();
      failure = "cannot open the SentencePiece module " + path + " (" + (why ? why : "unknown error") +
                "); build the target gem_sentencepiece (scripts/setup.sh does), or point GEM_SENTENCEPIECE_MODULE "
                "at libgem_sentencepiece.so";
      return;
    }
    using Entry = const SentencePieceApi* (*)();
    const auto entry = reinterpret_cast<Entry>(dlsym(handle, "gem_sentencepiece_api"));
    if (!entry) {
      failure = path + " has no gem_sentencepiece_api: not the module of this version of GEM; rebuild it";
      return;
    }
    api = entry();
  });
  if (!api) throw std::runtime_error(failure);
  return *api;
}

}  // namespace gem::train
