# Decides GEM_HAVE_TORCH and GEM_HAVE_CUDA from GEM_WITH_TORCH / GEM_WITH_CUDA (AUTO, ON, OFF).
# AUTO turns a part on when its dependency is found; ON makes a missing dependency an error.

set(GEM_HAVE_TORCH OFF)
if(NOT GEM_WITH_TORCH STREQUAL "OFF")
  find_package(Torch QUIET)
  if(Torch_FOUND)
    set(GEM_HAVE_TORCH ON)
  elseif(GEM_WITH_TORCH STREQUAL "ON")
    message(FATAL_ERROR "GEM_WITH_TORCH=ON but LibTorch was not found: install libtorch-dev "
                        "(scripts/setup.sh) or pass -DCMAKE_PREFIX_PATH=<torch cmake prefix>")
  endif()
endif()

set(GEM_HAVE_CUDA OFF)
if(NOT GEM_WITH_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    # Torch (CUDA builds) picks its own -gencode from TORCH_CUDA_ARCH_LIST; for the standalone
    # kernel library we build for Ampere and Hopper.
    if(NOT CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 80 90)
    endif()
    enable_language(CUDA)
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit QUIET)
    set(GEM_HAVE_CUDA ON)
  elseif(GEM_WITH_CUDA STREQUAL "ON")
    message(FATAL_ERROR "GEM_WITH_CUDA=ON but no CUDA compiler was found (nvcc)")
  endif()
endif()

# True when the LibTorch we build against can run CUDA tensors (PyTorch 2.x + CUDA).
set(GEM_TORCH_HAS_CUDA OFF)
if(GEM_HAVE_TORCH AND GEM_HAVE_CUDA AND TORCH_LIBRARIES MATCHES "c10_cuda|torch_cuda")
  set(GEM_TORCH_HAS_CUDA ON)
endif()
