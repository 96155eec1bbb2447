// tests/test_finalize.cpp - mpixx when the application owns MPI, and what mpixx leaves behind at finalize.
//
// A standalone program (no Catch2: it must call MPI_Init and MPI_Finalize itself):
//  (a) MPI_Init by hand, then an mpixx::environment comes and goes: MPI must stay initialised and not be
//      finalized (no double init, no finalize by an environment that does not own MPI);
//  (b) derived datatypes (aggregate, std::array, std::pair, std::tuple) in real sendrecv round trips;
//  (c) the MPI calls that create and release datatypes and communicators are interposed through the
//      profiling interface (defined here, forwarded to PMPI_*): after PMPI_Finalize returns, every
//      datatype mpixx committed must have been freed during MPI_Finalize, and no communicator leaked.
// Each rank prints one result line and exits non-zero on any failure.
#include <mpixx/communicator.hpp>
#include <mpixx/environment.hpp>

#include <array>
#include <cstdio>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace {

// What the interposed MPI functions saw (single-threaded program: no locking needed).
struct ledger {
    std::set<MPI_Datatype> live_types; // committed, not yet freed
    int committed = 0;
    int freed_committed = 0;
    int freed_during_finalize = 0;
    int comms_created = 0;
    int comms_freed = 0;
    std::set<MPI_Comm> live_comms;
    bool in_finalize = false;
    bool finalize_called = false;
};

ledger& book() {
    static ledger l;
    return l;
}

int failures = 0;
std::string failure_text;

void expect(bool ok, const std::string& what) {
    if (ok) return;
    ++failures;
    failure_text += "\n  FAILED: " + what;
}

void record_comm(MPI_Comm c) {
    if (c == MPI_COMM_NULL) return;
    ++book().comms_created;
    book().live_comms.insert(c);
}

} // namespace

// --- the profiling-interface shims: the program's definitions win over libmpi's -------------------------

extern "C" int MPI_Type_commit(MPI_Datatype* type) {
    const int rc = PMPI_Type_commit(type);
    if (rc == MPI_SUCCESS) {
        ++book().committed;
        book().live_types.insert(*type);
    }
    return rc;
}

extern "C" int MPI_Type_free(MPI_Datatype* type) {
    const MPI_Datatype t = *type; // PMPI_Type_free overwrites it with MPI_DATATYPE_NULL
    const int rc = PMPI_Type_free(type);
    if (rc == MPI_SUCCESS && book().live_types.erase(t) > 0) {
        ++book().freed_committed;
        if (book().in_finalize) ++book().freed_during_finalize;
    }
    return rc;
}

extern "C" int MPI_Comm_dup(MPI_Comm comm, MPI_Comm* newcomm) {
    const int rc = PMPI_Comm_dup(comm, newcomm);
    if (rc == MPI_SUCCESS) record_comm(*newcomm);
    return rc;
}

extern "C" int MPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm* newcomm) {
    const int rc = PMPI_Comm_split(comm, color, key, newcomm);
    if (rc == MPI_SUCCESS) record_comm(*newcomm);
    return rc;
}

extern "C" int MPI_Comm_free(MPI_Comm* comm) {
    const MPI_Comm c = *comm;
    const int rc = PMPI_Comm_free(comm);
    if (rc == MPI_SUCCESS && book().live_comms.erase(c) > 0) ++book().comms_freed;
    return rc;
}

extern "C" int MPI_Finalize(void) {
    book().finalize_called = true;
    book().in_finalize = true;
    const int rc = PMPI_Finalize();
    book().in_finalize = false;
    return rc;
}

// --- the program ---------------------------------------------------------------------------------------

namespace {

struct particle {
    int id;
    std::array<double, 3> pos; // a nested derived datatype
    char kind;
};

/// What rank r sends, so that every receiver can compute independently what it must get.
particle make_particle(int r, int i) {
    return {r * 100 + i, {r + 0.25, double(i), -r - 0.5}, static_cast<char>('a' + (r + i) % 26)};
}

bool same(const particle& a, const particle& b) { return a.id == b.id && a.pos == b.pos && a.kind == b.kind; }

/// Sends `mine` to the right, receives the left neighbour's, checks it against `expected_left`, then sends
/// it back so that every rank gets its own data home (a real round trip through the derived type).
template <class T, class Same>
void round_trip(const mpixx::communicator& comm, const std::vector<T>& mine, const std::vector<T>& expected_left,
                Same same_value, const char* what) {
    const int right = (comm.rank() + 1) % comm.size(), left = (comm.rank() + comm.size() - 1) % comm.size();
    std::vector<T> from_left(mine.size()), home(mine.size());
    comm.sendrecv(mine, right, 1, from_left, left, 1);
    bool ok = from_left.size() == expected_left.size();
    for (std::size_t i = 0; ok && i < from_left.size(); ++i) ok = same_value(from_left[i], expected_left[i]);
    expect(ok, std::string(what) + ": the left neighbour's data arrived wrong");
    comm.sendrecv(from_left, left, 2, home, right, 2);
    ok = true;
    for (std::size_t i = 0; ok && i < home.size(); ++i) ok = same_value(home[i], mine[i]);
    expect(ok, std::string(what) + ": the round trip did not bring this rank's data back");
}

void exercise_datatypes() {
    auto comm = mpixx::world().dup();
    const int r = comm.rank(), left = (r + comm.size() - 1) % comm.size();
    auto eq = [](const auto& a, const auto& b) { return a == b; };
    constexpr int n = 5;

    std::vector<particle> parts, parts_left;
    std::vector<std::array<int, 3>> arrays, arrays_left;
    std::vector<std::pair<int, double>> pairs, pairs_left;
    std::vector<std::tuple<char, long, float>> tuples, tuples_left;
    for (int i = 0; i < n; ++i) {
        parts.push_back(make_particle(r, i));
        parts_left.push_back(make_particle(left, i));
        arrays.push_back({r, i, r * i});
        arrays_left.push_back({left, i, left * i});
        pairs.emplace_back(r + i, r * 0.5 + i);
        pairs_left.emplace_back(left + i, left * 0.5 + i);
        tuples.emplace_back(static_cast<char>('A' + i), long(r) * 1000 + i, float(r) + 0.125f);
        tuples_left.emplace_back(static_cast<char>('A' + i), long(left) * 1000 + i, float(left) + 0.125f);
    }
    round_trip(comm, parts, parts_left, [](const particle& a, const particle& b) { return same(a, b); },
               "aggregate");
    round_trip(comm, arrays, arrays_left, eq, "std::array element");
    round_trip(comm, pairs, pairs_left, eq, "std::pair");
    round_trip(comm, tuples, tuples_left, eq, "std::tuple");

    // One value of a derived type (not a range of them), and a split communicator.
    particle got{};
    comm.sendrecv(make_particle(r, 7), (r + 1) % comm.size(), 3, got, left, 3);
    expect(same(got, make_particle(left, 7)), "single aggregate value: wrong data from the left neighbour");
    auto half = comm.split(r % 2);
    auto copy = half; // copies share the handle: freed once, with the last copy
    expect(copy.size() == (comm.size() + 1 - r % 2) / 2, "split: wrong size of the half communicator");
}

} // namespace

int main(int argc, char** argv) {
    // (a) The application initialises MPI; an environment that did not do it must not finalize it.
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS) return 2;
    int rank = -1, size = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    try {
        {
            mpixx::environment env(argc, argv);
            expect(!env.owns_mpi(), "environment claims to own MPI that the application initialised");
            expect(mpixx::initialized(), "MPI not initialised inside the environment");
        }
        int initialized = 0, finalized = 0;
        MPI_Initialized(&initialized);
        MPI_Finalized(&finalized);
        expect(initialized == 1, "MPI is not initialised after the environment ended");
        expect(finalized == 0, "the environment finalized MPI that the application owns");
        expect(!book().finalize_called, "the environment called MPI_Finalize");

        // (b) Derived datatypes in real exchanges.
        exercise_datatypes();
    } catch (const std::exception& e) {
        expect(false, std::string("exception: ") + e.what());
    }
    expect(book().committed >= 4, "expected at least 4 committed derived datatypes, saw " +
                                      std::to_string(book().committed));
    const int live_before_finalize = static_cast<int>(book().live_types.size());
    expect(live_before_finalize == book().committed,
           "a cached datatype was freed before MPI_Finalize (it must live as long as MPI)");
    // Checked mode: MPI_COMM_WORLD's duplicate for point-to-point signatures lives until MPI_Finalize.
    const std::size_t world_duplicates = mpixx::detail::checked_p2p ? 1 : 0;
    expect(book().live_comms.size() == world_duplicates,
           std::to_string(book().live_comms.size()) +
               " communicator(s) still alive after every mpixx object was destroyed");

    // (c) The application finalizes MPI: mpixx's finalize hook must free every datatype it committed.
    MPI_Finalize();
    int finalized = 0;
    MPI_Finalized(&finalized);
    expect(finalized == 1, "MPI is not finalized after MPI_Finalize");
    expect(book().live_types.empty(),
           std::to_string(book().live_types.size()) + " committed datatype(s) never freed (leaked past finalize)");
    expect(book().freed_during_finalize == book().committed,
           "only " + std::to_string(book().freed_during_finalize) + " of " + std::to_string(book().committed) +
               " committed datatypes were freed during MPI_Finalize");
    expect(book().comms_freed == book().comms_created,
           std::to_string(book().comms_created - book().comms_freed) + " communicator(s) leaked");

    std::printf("test_finalize: rank %d of %d: %s: %d datatypes committed, %d freed during MPI_Finalize; "
                "%d communicators created, %d freed%s\n",
                rank, size, failures == 0 ? "PASS" : "FAIL", book().committed, book().freed_during_finalize,
                book().comms_created, book().comms_freed, failure_text.c_str());
    return failures == 0 ? 0 : 1;
}
