# Install and export: `cmake --install build --prefix P`, then another project finds the library
# with find_package(gem) (CMAKE_PREFIX_PATH=P) and links
#   gem::core   the header-only math (include/gem): scalar formulas, jets, spec strings
#   gem::cpu    the SIMD array kernels (gem/cpu/kernels.h)
#   gem::torch  the LibTorch operators and modules (gem/torch/functional.h, modules.h), when built
# tests/cmake_consumer builds such a project against an installed tree (ctest CMakeConsumer).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(GEM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/gem)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/gem DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/cpu/include/gem DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set_target_properties(gem_core PROPERTIES EXPORT_NAME core)
set_target_properties(gem_cpu PROPERTIES EXPORT_NAME cpu)
set(gem_exported gem_core gem_cpu)
if(GEM_HAVE_TORCH)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/torch/include/gem DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  set_target_properties(gem_torch PROPERTIES EXPORT_NAME torch INSTALL_RPATH "$ORIGIN")
  list(APPEND gem_exported gem_torch)
endif()
install(TARGETS ${gem_exported} EXPORT gemTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT gemTargets NAMESPACE gem:: DESTINATION ${GEM_INSTALL_CMAKEDIR})

set(GEM_PACKAGE_HAS_TORCH ${GEM_HAVE_TORCH})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/gemConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/cmake/gemConfig.cmake INSTALL_DESTINATION ${GEM_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/gemConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/gemConfig.cmake ${PROJECT_BINARY_DIR}/cmake/gemConfigVersion.cmake
        DESTINATION ${GEM_INSTALL_CMAKEDIR})
