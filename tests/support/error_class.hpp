// tests/support/error_class.hpp - the MPI error class an mpixx call fails with, for CHECKs such as
//   CHECK(error_class_of([&] { comm.send(x, comm.size()); }) == MPI_ERR_RANK);
#pragma once

#include <mpixx/error.hpp>

namespace mpixx_test {

/// The MPI error class of the mpixx::error that f throws (MPI_SUCCESS when it throws nothing).
template <class F>
int error_class_of(F&& f) {
    try {
        f();
    } catch (const mpixx::error& e) {
        return e.error_class();
    }
    return MPI_SUCCESS;
}

} // namespace mpixx_test
