# Fast-build defaults: ccache (PCH-aware), lld, and warnings. All optional: a missing tool is skipped.
find_program(TETRA_CCACHE ccache)
if(TETRA_CCACHE)
  # ccache must ignore the PCH's timestamp and defines to hit across clean rebuilds.
  set(_ccache ${CMAKE_COMMAND} -E env
      CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
      ${TETRA_CCACHE})
  set(CMAKE_C_COMPILER_LAUNCHER ${_ccache})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${_ccache})
  set(CMAKE_CUDA_COMPILER_LAUNCHER ${_ccache})
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-Xclang> $<$<COMPILE_LANGUAGE:CXX>:-fno-pch-timestamp>)
endif()
find_program(TETRA_LLD NAMES ld.lld)
if(TETRA_LLD)
  add_link_options(-fuse-ld=lld)
endif()
add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-Wall> $<$<COMPILE_LANGUAGE:CXX>:-Wno-unused-parameter>)

# The torch wheel's libtorch.so exports its own copy of some std::filesystem functions (it was
# built with an older toolchain that links libstdc++fs statically), and that copy crashes when
# called from our code (remove_all jumped to address 0). Naming libstdc++ first makes the dynamic
# linker resolve those symbols to the system libstdc++ before it ever looks into libtorch.so.
add_link_options("LINKER:--push-state,--no-as-needed" "-lstdc++" "LINKER:--pop-state")
