// The other half of test_object_defects: this unit is built with MPIXX_TYPE_CHECK=1 and
// MPIXX_OOB_THRESHOLD=64 (tests/cmake/object_defects.cmake), the test itself with the defaults, so the
// two exchange streams that differ in type names and in which runs travel out of band. Each unit's
// mpixx lives in its own ABI namespace; only MPI handles and ints cross between them.
#include <mpixx/communicator.hpp>
#include <mpixx/object_messaging.hpp>

#include <map>
#include <string>
#include <vector>

static_assert(MPIXX_TYPE_CHECK == 1 && MPIXX_OOB_THRESHOLD == 64, "built with the alternative configuration");

namespace {

struct mixed_record { // the same layout as in test_object_defects.cpp
    std::string name;
    std::vector<double> small;
    std::vector<int> tiny;
};

mixed_record record_of(int seed) {
    return {"record " + std::to_string(seed), std::vector<double>(100, seed + 0.5), std::vector<int>{seed, 1, 2, 3}};
}

} // namespace

/// Starts sending record_of(seed) from this configuration (type name embedded, the 800-byte run out of
/// band); alt_wait completes it. (Non-blocking: this unit's progress registry is not the test's, so a
/// blocking send to this rank would not see the test's pending receive.)
void* alt_isend_record(MPI_Comm comm, int dest, int tag, int seed) {
    return new mpixx::request<mixed_record>(mpixx::communicator::wrap(comm).isend(record_of(seed), dest, tag));
}
void alt_wait(void* r) {
    auto* req = static_cast<mpixx::request<mixed_record>*>(r);
    (void)req->wait();
    delete req;
}

/// Receives a record in this configuration and says whether it is record_of(seed).
bool alt_recv_record(MPI_Comm comm, int source, int tag, int seed) {
    const auto got = mpixx::communicator::wrap(comm).recv<mixed_record>(source, tag);
    const auto want = record_of(seed);
    return got.name == want.name && got.small == want.small && got.tiny == want.tiny;
}

/// Receives the next record as the wrong type; returns the error class (MPI_SUCCESS if none).
int alt_recv_as_wrong_type(MPI_Comm comm, int source, int tag) {
    try {
        (void)mpixx::communicator::wrap(comm).recv<std::map<int, int>>(source, tag);
    } catch (const mpixx::error& e) {
        return e.error_class();
    }
    return MPI_SUCCESS;
}
