// Tests of mpixx/environment.hpp and mpixx/error.hpp.
#include "mpixx_test.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/environment.hpp>

#include <string>

TEST_CASE("environment: MPI is initialised by the test main and a second environment coexists") {
    REQUIRE(mpixx::initialized());
    // A second environment must not initialise (or later finalize) MPI again.
    mpixx::environment again;
    CHECK_FALSE(again.owns_mpi());
    int provided = 0;
    MPI_Query_thread(&provided);
    CHECK(static_cast<int>(again.provided()) == provided);
}

TEST_CASE("environment: errors are returned, not fatal, on world and self") {
    for (MPI_Comm c : {MPI_COMM_WORLD, MPI_COMM_SELF}) {
        MPI_Errhandler h;
        MPI_Comm_get_errhandler(c, &h);
        CHECK(h == MPI_ERRORS_RETURN);
        MPI_Errhandler_free(&h);
    }
}

TEST_CASE("environment: queries") {
    auto v = mpixx::mpi_version();
    CHECK(v.major == MPI_VERSION);
    CHECK(v.minor == MPI_SUBVERSION);
    CHECK_FALSE(mpixx::library_version().empty());
    auto vendor = mpixx::vendor();
#ifdef MPICH_NUMVERSION
    CHECK(vendor.name == "MPICH");
    CHECK(mpixx::library_version().find(std::to_string(vendor.major) + "." + std::to_string(vendor.minor)) !=
          std::string::npos);
#endif
    CHECK(vendor.major > 0);
    CHECK_FALSE(mpixx::processor_name().empty());
    double t0 = mpixx::wtime();
    CHECK(mpixx::wtime() >= t0);
    CHECK(mpixx::wtick() > 0.0);
}

TEST_CASE("error: a failing MPI call throws with routine, class and MPI's text") {
    auto comm = mpixx::world();
    int bad_count = -1;
    try {
        MPIXX_CALL(MPI_Send, nullptr, bad_count, MPI_INT, 0, 0, comm.native());
        FAIL("MPI_Send with a negative count did not fail");
    } catch (const mpixx::error& e) {
        CHECK(e.routine() == "MPI_Send");
        CHECK(e.error_class() == MPI_ERR_COUNT);
        std::string what = e.what();
        CHECK(what.find("MPI_Send") == 0);
        CHECK(what.find("MPI_ERR_COUNT") != std::string::npos);
    }
}

TEST_CASE("error: class names") {
    CHECK(mpixx::error::class_name(MPI_ERR_TRUNCATE) == "MPI_ERR_TRUNCATE");
    CHECK(mpixx::error::class_name(MPI_ERR_RANK) == "MPI_ERR_RANK");
    CHECK(mpixx::error::class_name(123456) == "MPI error class 123456");
    mpixx::error e("mpixx::thing", MPI_ERR_ARG, "bad argument");
    CHECK(std::string(e.what()) == "mpixx::thing: bad argument [MPI_ERR_ARG]");
}
