# tests/cmake/infra.cmake - tests of the project's plumbing rather than of one header: packaging (every
# way a downstream project gets mpixx), the abort-on-uncaught-exception guard, and clean-up at
# MPI_Finalize when the application owns MPI. Included from tests/CMakeLists.txt.
set(mpixx_infra_dir ${CMAKE_CURRENT_LIST_DIR}/..)

# Packaging: one entry per way in, always with the MPI this build uses (its wrapper and launcher); each builds tests/package/consumer and runs it at 1 and 2 ranks. Mostly
# single-threaded compiling, so one slot each (PROCESSORS 1) lets ctest -j2 run two at once.
foreach(mode install subdirectory fetchcontent mpicxx pkgconfig deb)
  add_test(NAME package.${mode}
           COMMAND bash ${mpixx_infra_dir}/package/check_packaging.sh ${mode} ${PROJECT_SOURCE_DIR}
                   ${CMAKE_CURRENT_BINARY_DIR}/package/${mode})
  set_tests_properties(package.${mode} PROPERTIES TIMEOUT 300 LABELS package
                       ENVIRONMENT "MPIXX_PACKAGE_CXX=${CMAKE_CXX_COMPILER};MPIEXEC=${MPIEXEC_EXECUTABLE};MPIXX_MPICXX=${MPI_CXX_COMPILER}")
endforeach()

# An exception escaping main on the highest rank must end the whole job quickly, naming rank and message.
add_executable(abort_uncaught_exception ${mpixx_infra_dir}/abort/uncaught_exception.cpp)
target_link_libraries(abort_uncaught_exception PRIVATE mpixx::mpixx mpixx_project_options)
foreach(n 1 2 3 4)
  add_test(NAME abort_uncaught_exception.np${n}
           COMMAND bash ${mpixx_infra_dir}/abort/check_abort.sh ${MPIEXEC_EXECUTABLE} ${n}
                   $<TARGET_FILE:abort_uncaught_exception>)
  set_tests_properties(abort_uncaught_exception.np${n} PROPERTIES TIMEOUT 90 PROCESSORS ${n} LABELS "mpi;abort")
endforeach()

# The application calls MPI_Init/MPI_Finalize itself; PMPI shims count datatypes and communicators.
mpixx_add_mpi_test(test_finalize SOURCES ${mpixx_infra_dir}/test_finalize.cpp RANKS 1 2 3 4 TIMEOUT 120
                   LIBRARIES mpixx_project_options LABELS unit)
