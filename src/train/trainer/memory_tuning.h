// glibc malloc returns big freed blocks (activations, gradients) to the kernel and maps fresh
// pages for the next batch; on the VMs this project runs on a first touch of a page is
// expensive, so the tools keep freed memory for reuse instead (small CNN, one thread, Python
// with the same settings through MALLOC_* variables: 2580-3020 instead of 2000-2660 samples/s).
#pragma once

namespace gem::train {

/// Raises glibc's mmap and trim thresholds to their maxima (M_MMAP_THRESHOLD 32 MiB on 64-bit).
/// Call once at the start of a tool, before tensors are allocated.
void keep_freed_memory();

}  // namespace gem::train
