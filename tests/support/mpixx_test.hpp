// tests/support/mpixx_test.hpp - include this in every test: Catch2 v2 or v3, whichever CMake found.
#pragma once
#ifdef MPIXX_CATCH2_V3
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
