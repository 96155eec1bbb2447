mpixx_unit_test(test_object_messaging test_object_messaging.cpp)
mpixx_unit_test(test_serialize test_serialize.cpp)
mpixx_unit_test(test_object_collectives test_object_collectives.cpp)
mpixx_add_mpi_run(test_object_messaging_large TARGET test_object_messaging RANKS 2 TIMEOUT 300 LABELS large
                  ARGS "[large]")
