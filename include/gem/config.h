// Portability macros for the header-only core. The only file that looks at __CUDACC__.
#pragma once

#if defined(__CUDACC__) || defined(__HIPCC__)
#define GEM_HOST_DEVICE __host__ __device__
#define GEM_INLINE __forceinline__
#define GEM_DEVICE_COMPILE 1
#else
#define GEM_HOST_DEVICE
#define GEM_INLINE inline __attribute__((always_inline))
#define GEM_DEVICE_COMPILE 0
#endif
