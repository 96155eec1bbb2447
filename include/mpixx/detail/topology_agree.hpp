// mpixx/detail/topology_agree.hpp - how the topology constructors make every process throw together.
// MPI requires some arguments to be the same on every process (a Cartesian grid's dims, periods and
// reorder; a graph's index, edges and reorder; keep of MPI_Cart_sub) and leaves a difference undefined;
// and a process that throws on its own arguments leaves the others waiting in the MPI constructor. So
// each constructor first checks this process's arguments without throwing, then one small
// MPI_Allreduce tells every process whether any refused its arguments and whether all agree, and every
// process throws alike before any enters MPI.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/communicator.hpp>
#include <mpixx/error.hpp>
#include <mpixx/detail/collectives_common.hpp>
#include <mpixx/detail/topology_common.hpp>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// A fingerprint of a list of ints that MPI requires to be the same on every process: FNV-1a (64 bits,
/// deterministic on every process, unlike std::hash) folded to 31 bits, so that it is >= 0 and can be
/// negated. Two different lists collide with probability about 2^-31: a difference would then pass.
class args_hash {
public:
    /// Adds one value (its 8 bytes, least significant first).
    void add(long long v) noexcept {
        auto u = static_cast<std::uint64_t>(v);
        for (int i = 0; i < 8; ++i, u >>= 8) h_ = (h_ ^ (u & 0xffu)) * 0x100000001b3u;
    }
    /// The fingerprint, in [0, INT_MAX].
    [[nodiscard]] int value() const noexcept { return static_cast<int>((h_ ^ (h_ >> 31) ^ (h_ >> 62)) & 0x7fffffffu); }

private:
    std::uint64_t h_ = 0xcbf29ce484222325u;
};

/// An argument that must be the same on every process: its name (for the error) and this process's
/// value (>= 0: a flag, a count or an args_hash).
struct agreed_arg {
    const char* name;
    int value;
};

/// Some other process refused its own arguments (cold path): MPI_ERR_ARG naming it.
[[noreturn, MPIXX_COLD]] inline void throw_other_refused(const char* routine, int rank) {
    throw_usage(routine, MPI_ERR_ARG, "rank " + std::to_string(rank) + " passed arguments it refused (see its error)");
}

/// Two processes passed different values of `what` (cold path): MPI_ERR_NOT_SAME naming both.
[[noreturn, MPIXX_COLD]] inline void throw_not_same(const char* routine, const char* what, int a, int b) {
    if (a > b) std::swap(a, b);
    throw_usage(routine, MPI_ERR_NOT_SAME,
                "rank " + std::to_string(a) + " and rank " + std::to_string(b) + " passed different " + what +
                    " (MPI requires the same on every process)");
}

/// Every process learns whether another one refused its arguments (`local`: this one's error) and
/// whether all passed the same `args` (at most 4; unread when `local` is set): one MPI_Allreduce of
/// (value, rank) pairs with MPI_MINLOC, each value once as is and once negated, so that the lowest and
/// the highest meet with the lowest rank holding each. Then every process throws alike: this process's
/// own error, MPI_ERR_ARG naming a rank that refused, or MPI_ERR_NOT_SAME naming what differs and where.
inline void agree_args(const communicator& comm, const std::exception_ptr& local, std::span<const agreed_arg> args,
                       const char* routine) {
    struct value_rank {
        int value, rank; // the layout of MPI_2INT
    };
    constexpr std::size_t max_args = 4;
    value_rank v[1 + 2 * max_args];
    const int me = comm.rank();
    const std::size_t n = args.size() < max_args ? args.size() : max_args;
    v[0] = {local ? 0 : 1, me};
    for (std::size_t i = 0; i < n; ++i) { // a refused process: neutral values (INT_MAX is the identity of min)
        v[1 + 2 * i] = {local ? INT_MAX : args[i].value, me};
        v[2 + 2 * i] = {local ? INT_MAX : -args[i].value, me};
    }
    MPIXX_COLL_CALL(MPI_Allreduce, MPI_Iallreduce, MPI_IN_PLACE, v, static_cast<int>(1 + 2 * n), MPI_2INT,
                    MPI_MINLOC, comm.native());
    if (local) [[unlikely]]
        std::rethrow_exception(local);
    if (v[0].value == 0) [[unlikely]]
        throw_other_refused(routine, v[0].rank);
    for (std::size_t i = 0; i < n; ++i)
        if (v[1 + 2 * i].value != -v[2 + 2 * i].value) [[unlikely]]
            throw_not_same(routine, args[i].name, v[1 + 2 * i].rank, v[2 + 2 * i].rank);
}

/// Checks a list of neighbour ranks and, when given, its weights (cold errors).
inline void check_neighbors(const char* routine, const char* what, const char* wwhat, int_args ranks,
                            const int_args* weights, int size) {
    for (std::size_t i = 0; i < ranks.size(); ++i)
        if (static_cast<unsigned>(ranks[i]) >= static_cast<unsigned>(size)) [[unlikely]]
            throw_entry(routine, MPI_ERR_RANK, what, i, ranks[i],
                        "not a rank of a communicator of size " + std::to_string(size));
    if (!weights) return;
    if (weights->size() != ranks.size()) [[unlikely]]
        throw_length(routine, MPI_ERR_ARG, wwhat, weights->size(), ranks.size(), "(one per neighbour) were");
    for (std::size_t i = 0; i < weights->size(); ++i)
        if ((*weights)[i] < 0) [[unlikely]]
            throw_entry(routine, MPI_ERR_ARG, wwhat, i, (*weights)[i], "weights are >= 0");
    if (ranks.size() > static_cast<std::size_t>(INT_MAX)) [[unlikely]]
        throw_usage(routine, MPI_ERR_ARG, "more than INT_MAX neighbours");
}

/// Checked mode: whether the edges this process lists agree with its peers' lists (one MPI_Alltoall of
/// edge counts): "" if so, else what differs. Edges one side lacks leave a neighbourhood collective
/// waiting for a block that never comes. `ok` false: this process's lists are bad, it sends zeros.
inline std::string dist_graph_mismatch(const communicator& comm, int_args sources, int_args destinations, bool ok) {
    const auto n = static_cast<std::size_t>(comm.size());
    std::vector<int> out(n), in(n), mine(n);
    if (ok) {
        for (std::size_t i = 0; i < destinations.size(); ++i) ++out[static_cast<std::size_t>(destinations[i])];
        for (std::size_t i = 0; i < sources.size(); ++i) ++mine[static_cast<std::size_t>(sources[i])];
    }
    MPIXX_COLL_CALL(MPI_Alltoall, MPI_Ialltoall, out.data(), 1, MPI_INT, in.data(), 1, MPI_INT, comm.native());
    std::string what;
    for (std::size_t j = 0; ok && j < n; ++j)
        if (in[j] != mine[j])
            what += (what.empty() ? "" : "; ") + ("rank " + std::to_string(j) + " lists rank " +
                                                  std::to_string(comm.rank()) + " " + std::to_string(in[j]) +
                                                  " time(s) among its destinations, which lists it " +
                                                  std::to_string(mine[j]) + " time(s) among its sources");
    return what;
}

/// Every process learns whether another one's arguments were refused, whether all gave weights or none
/// and all passed the same reorder (MPI requires both; a mix is undefined) and, in checked mode, whether
/// the edges agree: one MPI_Allreduce, so that all throw together: the others would otherwise wait in
/// MPI_Dist_graph_create_adjacent, or later in a neighbourhood collective, for the one that threw.
inline void agree_dist_graph(const communicator& comm, const std::exception_ptr& local, bool weighted, bool reorder,
                             int_args sources, int_args destinations, const char* routine) {
    const int me = comm.rank();
    // Lowest rank refused, lowest with an edge mismatch, lowest weighted, lowest unweighted, lowest with
    // reorder, lowest without.
    int v[6] = {local ? me : INT_MAX, INT_MAX,       weighted ? me : INT_MAX, weighted ? INT_MAX : me,
                reorder ? me : INT_MAX, reorder ? INT_MAX : me};
    [[maybe_unused]] std::string what;
#if MPIXX_CHECKED
    what = dist_graph_mismatch(comm, sources, destinations, !local);
    if (!what.empty()) v[1] = me;
#else
    (void)sources, (void)destinations;
#endif
    MPIXX_COLL_CALL(MPI_Allreduce, MPI_Iallreduce, MPI_IN_PLACE, v, 6, MPI_INT, MPI_MIN, comm.native());
    if (local) [[unlikely]]
        std::rethrow_exception(local);
    if (v[0] != INT_MAX) [[unlikely]]
        throw_other_refused(routine, v[0]);
    if (v[2] != INT_MAX && v[3] != INT_MAX) [[unlikely]]
        throw_usage(routine, MPI_ERR_NOT_SAME,
                    "rank " + std::to_string(v[2]) + " gave weights but rank " + std::to_string(v[3]) +
                        " did not: all processes give weights, or none");
    if (v[4] != INT_MAX && v[5] != INT_MAX) [[unlikely]]
        throw_usage(routine, MPI_ERR_NOT_SAME,
                    "rank " + std::to_string(v[4]) + " passed reorder = true but rank " + std::to_string(v[5]) +
                        " false (MPI requires the same on every process)");
    if (v[1] != INT_MAX) [[unlikely]]
        throw_usage(routine, MPI_ERR_TOPOLOGY,
                    "checked mode: the processes disagree on the edges (every destination of one must list it as a "
                    "source, as often): " +
                        (what.empty() ? "rank " + std::to_string(v[1]) + " found a mismatch (see its error)" : what));
}

} // namespace mpixx::detail
