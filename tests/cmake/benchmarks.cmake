# A --smoke run (tiny counts, a few seconds) of every benchmark at 2 ranks, so CI proves they run.
# Included by tests/CMakeLists.txt; the benchmark targets come from benchmarks/CMakeLists.txt.
if(NOT MPIXX_BUILD_BENCHMARKS)
  return()
endif()

file(GLOB mpixx_benchmark_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/benchmarks/*.cpp)
foreach(src IN LISTS mpixx_benchmark_sources)
  get_filename_component(name ${src} NAME_WE)
  mpixx_add_mpi_run(benchmark.${name} TARGET ${name} RANKS 2 TIMEOUT 60 LABELS benchmark ARGS --smoke)
endforeach()
