# Regression tests of issue #15: hostile and mismatched input on the serialized (object) path.
mpixx_unit_test(test_hostile_input test_hostile_input.cpp)
