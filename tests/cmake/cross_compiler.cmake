# Objects between ranks built with different compilers (issue 12): cross_types.cpp is built with g++ and
# with clang++ through the MPI wrapper and launched as one job, the compilers alternating by rank, at 1-4
# ranks. Type-checked streams must agree on every type's fingerprint, and a mismatch must name both
# ranks and types. Label "cross": the sanitizer stage leaves it out (it builds its own programs).
add_test(NAME cross_compiler.objects
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cross_compiler/check_cross.sh ${MPI_CXX_COMPILER}
                 ${MPIEXEC_EXECUTABLE} ${PROJECT_SOURCE_DIR}/include
                 ${CMAKE_CURRENT_SOURCE_DIR}/cross_compiler/cross_types.cpp ${CMAKE_CURRENT_BINARY_DIR}/cross_compiler
                 1 2 3 4)
set_tests_properties(cross_compiler.objects PROPERTIES TIMEOUT 300 LABELS "cross;mpi"
                     PASS_REGULAR_EXPRESSION "cross-compiler check: PASS")
