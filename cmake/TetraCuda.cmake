# CUDA and NCCL are optional. When nvcc exists every .cu file is compiled and linked, even on a
# machine without a GPU (CI), so kernels can never rot; GPU tests then skip at run time.
set(TETRA_FEATURE_DEFINITIONS "")
set(TETRA_HAVE_CUDA OFF)
set(TETRA_HAVE_NCCL OFF)
if(TETRA_WITH_CUDA)
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 80 90)  # A100, H100/H200
    endif()
    enable_language(CUDA)
    # LibTorch's CMake config fills CMAKE_CUDA_FLAGS with its own -gencode list (including archs
    # this nvcc no longer supports). Our .cu files never include LibTorch, so start clean and let
    # CMAKE_CUDA_ARCHITECTURES decide.
    set(CMAKE_CUDA_FLAGS "")
    set(CMAKE_CUDA_STANDARD 17)
    set(TETRA_HAVE_CUDA ON)
    list(APPEND TETRA_FEATURE_DEFINITIONS TETRA_WITH_CUDA=1)
  endif()
endif()
if(TETRA_HAVE_CUDA AND TETRA_WITH_NCCL)
  find_path(TETRA_NCCL_INCLUDE nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/local/cuda/include)
  find_library(TETRA_NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR} /usr/local/cuda/lib64)
  if(TETRA_NCCL_INCLUDE AND TETRA_NCCL_LIBRARY)
    set(TETRA_HAVE_NCCL ON)
    list(APPEND TETRA_FEATURE_DEFINITIONS TETRA_WITH_NCCL=1)
  endif()
endif()
message(STATUS "Tetra: CUDA kernels ${TETRA_HAVE_CUDA}, NCCL ${TETRA_HAVE_NCCL}, MPI ${MPI_C_FOUND}")
