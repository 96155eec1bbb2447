# Installs the headers, the exported target, the package config (find_package(mpixx 0.1 CONFIG)),
# the MPI test helper and a pkg-config file.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Header-only, so architecture-independent: share/, not lib/<arch>/ (find_package searches both).
set(MPIXX_CMAKE_DIR ${CMAKE_INSTALL_DATADIR}/cmake/mpixx)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/mpixx DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# INCLUDES gives the exported target its include dir (CMakeLists.txt expands CMAKE_INSTALL_INCLUDEDIR before
# GNUInstallDirs sets it, so its INSTALL_INTERFACE is empty).
install(TARGETS mpixx EXPORT mpixxTargets INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT mpixxTargets NAMESPACE mpixx:: DESTINATION ${MPIXX_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mpixxConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/mpixxConfig.cmake INSTALL_DESTINATION ${MPIXX_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mpixxConfigVersion.cmake COMPATIBILITY SameMinorVersion
                                 ARCH_INDEPENDENT)
install(FILES ${PROJECT_BINARY_DIR}/mpixxConfig.cmake ${PROJECT_BINARY_DIR}/mpixxConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/mpixxTesting.cmake DESTINATION ${MPIXX_CMAKE_DIR})

configure_file(${PROJECT_SOURCE_DIR}/cmake/mpixx.pc.in ${PROJECT_BINARY_DIR}/mpixx.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mpixx.pc DESTINATION ${CMAKE_INSTALL_DATADIR}/pkgconfig)

# `cpack -G DEB` in a build directory gives libmpixx-dev (see cmake/mpixxPackage.cmake).
if(PROJECT_IS_TOP_LEVEL)
  include(mpixxPackage)
endif()
