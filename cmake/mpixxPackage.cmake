# The Debian package libmpixx-dev: `cpack -G DEB` in a configured build directory writes
# libmpixx-dev_<version>_all.deb with the headers, the CMake package, the pkg-config file and the MPI test
# helper under /usr. Header-only, so one package for every architecture.
set(CPACK_PACKAGE_NAME libmpixx-dev)
set(CPACK_PACKAGE_VENDOR "mpixx")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "mpixx developers <mpixx@localhost>")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
# Any MPI development package works: Debian's default MPI, or MPICH explicitly.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libfmt-dev (>= 9), mpi-default-dev | libmpich-dev")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "Header-only C++20 MPI library\n mpixx gives typed and serialized messaging, RAII requests and collectives with\n op functors over MPI's C API. Use it with find_package(mpixx) or pkg-config.")
set(CPACK_GENERATOR DEB)
include(CPack)
