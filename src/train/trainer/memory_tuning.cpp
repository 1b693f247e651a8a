#include "src/train/trainer/memory_tuning.h"

#include <malloc.h>

namespace gem::train {

void keep_freed_memory() {
  constexpr int kMaxMmapThreshold = 32 * 1024 * 1024;  // glibc's upper limit on 64-bit systems
  mallopt(M_MMAP_THRESHOLD, kMaxMmapThreshold);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 * 1024 * 1024);
}

}  // namespace gem::train
