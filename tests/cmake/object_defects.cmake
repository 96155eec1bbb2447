# Regression tests of the object layer (issues #9 and #16). object_defects_alt.cpp is built with another
# type-checking and out-of-band configuration, to exchange streams with the test's own.
mpixx_unit_test(test_object_defects test_object_defects.cpp object_defects_alt.cpp)
set_source_files_properties(object_defects_alt.cpp PROPERTIES COMPILE_DEFINITIONS
                            "MPIXX_TYPE_CHECK=1;MPIXX_OOB_THRESHOLD=64")
# A refused object over 2 GiB: run alone, at 2 ranks.
mpixx_add_mpi_run(test_object_defects_large TARGET test_object_defects RANKS 2 TIMEOUT 300 LABELS large
                  ARGS "[large]")
