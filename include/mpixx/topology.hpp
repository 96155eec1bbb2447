// mpixx/topology.hpp - process topologies: dims_create, Cartesian, graph and distributed-graph
// communicators. Each is a communicator (every mpixx operation works on it) and adds its neighbour
// queries and the neighbourhood collectives (detail/neighbor_collectives.hpp).
//
//   auto grid = mpixx::cart_create(mpixx::world(), mpixx::dims_create(world.size(), 2), {true, false});
//   auto [left, right] = grid.shift(1);          // proc_null at an open boundary
//   auto row = grid.sub({false, true});          // the processes of this rank's row
//
// Cartesian queries (coords, rank_of, shift, neighbors) are computed from the grid cached at
// construction (MPI numbers a Cartesian communicator's ranks in row-major order of their coordinates):
// no MPI call, no allocation except for the vectors returned. Bad arguments (dims that do not fit the
// communicator, a coordinate off a non-periodic grid, a dimension that does not exist, a communicator
// without the topology asked for) throw mpixx::error before MPI sees them.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/communicator.hpp>
#include <mpixx/detail/neighbor_collectives.hpp>
#include <mpixx/detail/topology_common.hpp>

#include <climits>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

/// The kind of process topology a communicator has (MPI_Topo_test).
enum class topology_kind : int {
    none = MPI_UNDEFINED,        ///< no topology
    cartesian = MPI_CART,        ///< a Cartesian grid (cart_communicator)
    graph = MPI_GRAPH,           ///< a graph (graph_communicator)
    dist_graph = MPI_DIST_GRAPH, ///< a distributed graph (dist_graph_communicator)
};

/// The kind of topology `comm` has (MPI_Topo_test); MPI_ERR_COMM for a null communicator.
[[nodiscard]] inline topology_kind topology_of(const communicator& comm) {
    return static_cast<topology_kind>(detail::topo_status(comm, "mpixx::topology_of"));
}

/// A balanced split of `nnodes` processes over `ndims` dimensions, largest first (MPI_Dims_create):
/// dims_create(6, 2) = {3, 2}, dims_create(3, 2) = {3, 1}. `hint` (empty, or ndims entries) fixes the
/// entries that are > 0 and leaves those that are 0 free; the fixed ones must divide nnodes.
[[nodiscard]] inline std::vector<int> dims_create(int nnodes, int ndims, std::vector<int> hint = {}) {
    constexpr const char* routine = "mpixx::dims_create";
    if (nnodes < 1) [[unlikely]]
        detail::throw_usage(routine, MPI_ERR_ARG, "nnodes is " + std::to_string(nnodes) + " (it must be >= 1)");
    if (ndims < 0) [[unlikely]]
        detail::throw_usage(routine, MPI_ERR_DIMS, "ndims is " + std::to_string(ndims) + " (it must be >= 0)");
    if (hint.empty()) hint.assign(static_cast<std::size_t>(ndims), 0);
    else if (hint.size() != static_cast<std::size_t>(ndims)) [[unlikely]]
        detail::throw_length(routine, MPI_ERR_DIMS, "hint", hint.size(), static_cast<std::size_t>(ndims),
                             "(one per dimension) were");
    long long fixed = 1;
    for (std::size_t i = 0; i < hint.size(); ++i) {
        if (hint[i] < 0) [[unlikely]]
            detail::throw_entry(routine, MPI_ERR_DIMS, "hint", i, hint[i], "entries are 0 (free) or > 0 (fixed)");
        if (hint[i] > 0) fixed *= hint[i];
        if (fixed > nnodes) break; // cannot divide: reported below, and no overflow
    }
    if (nnodes % fixed != 0 || (ndims == 0 && nnodes != 1)) [[unlikely]]
        detail::throw_usage(routine, MPI_ERR_DIMS,
                            "the fixed dimensions " + detail::describe_ints(hint) + " cannot hold " +
                                std::to_string(nnodes) + " processes (their product must divide it)");
    if (ndims > 0) MPIXX_CALL(MPI_Dims_create, nnodes, ndims, hint.data());
    return hint;
}

/// Tag for cart_create: the grid may have fewer processes than the communicator; the others get a null
/// cart_communicator. Without it, a grid that does not use every process is an error (MPI_ERR_DIMS).
struct partial_grid_t {
    explicit partial_grid_t() = default;
};
/// Pass as cart_create's last argument to allow a grid smaller than the communicator.
inline constexpr partial_grid_t partial_grid{};

/// The neighbours of a process along one dimension (cart_communicator::shift): the rank it receives from
/// and the rank it sends to, proc_null past an open (non-periodic) boundary.
struct shift_result {
    int source; ///< the process at coordinate - disp (proc_null off an open boundary)
    int dest;   ///< the process at coordinate + disp (proc_null off an open boundary)
};

class cart_communicator;
cart_communicator cart_create(const communicator& comm, detail::int_args dims, detail::bool_args periodic,
                              bool reorder, partial_grid_t);

/// A communicator whose processes form an N-dimensional grid (MPI_Cart_create). Cheap to copy (copies
/// share the handle and the cached grid). Neighbourhood collectives see 2 * ndims() neighbours, in the
/// order of neighbors(): along each dimension, the lower one first.
class cart_communicator : public detail::neighbor_layer {
public:
    /// A null Cartesian communicator (what processes left out of a partial grid get).
    cart_communicator() = default;

    /// The Cartesian communicator `comm` already is (one created with MPI_Cart_create, or a dup of one),
    /// sharing its handle and ownership; MPI_ERR_TOPOLOGY if it has no Cartesian topology.
    [[nodiscard]] static cart_communicator from(communicator comm) {
        const int status = detail::topo_status(comm, "mpixx::cart_communicator::from");
        if (status != MPI_CART) [[unlikely]]
            detail::throw_not_topology("mpixx::cart_communicator::from", "a Cartesian one", status);
        auto s = std::make_shared<state>();
        int nd = 0;
        MPIXX_CALL(MPI_Cartdim_get, comm.native(), &nd);
        s->dims.resize(static_cast<std::size_t>(nd));
        s->coords.resize(static_cast<std::size_t>(nd));
        std::vector<int> periods(static_cast<std::size_t>(nd));
        if (nd > 0) MPIXX_CALL(MPI_Cart_get, comm.native(), nd, s->dims.data(), periods.data(), s->coords.data());
        s->periodic.assign(periods.begin(), periods.end());
        s->strides.assign(static_cast<std::size_t>(nd), 1);
        for (int d = nd - 2; d >= 0; --d)
            s->strides[static_cast<std::size_t>(d)] =
                s->strides[static_cast<std::size_t>(d) + 1] * s->dims[static_cast<std::size_t>(d) + 1];
        return cart_communicator(std::move(comm), std::move(s));
    }
    /// Wraps an existing Cartesian handle without owning it; MPI_ERR_TOPOLOGY if it is not Cartesian.
    [[nodiscard]] static cart_communicator wrap(MPI_Comm comm) { return from(communicator::wrap(comm)); }
    /// Takes ownership of a Cartesian handle (freed with the last copy); MPI_ERR_TOPOLOGY if it is not
    /// Cartesian (the handle is then freed).
    [[nodiscard]] static cart_communicator adopt(MPI_Comm comm) { return from(communicator::adopt(comm)); }

    /// Number of dimensions of the grid.
    [[nodiscard]] int ndims() const { return static_cast<int>(get("mpixx::cart_communicator::ndims").dims.size()); }
    /// Number of processes along each dimension.
    [[nodiscard]] const std::vector<int>& dims() const { return get("mpixx::cart_communicator::dims").dims; }
    /// Whether each dimension wraps around (periodic) or has open ends.
    [[nodiscard]] const std::vector<bool>& periodic() const {
        return get("mpixx::cart_communicator::periodic").periodic;
    }
    /// Whether dimension `dim` wraps around.
    [[nodiscard]] bool periodic(int dim) const {
        const state& s = get("mpixx::cart_communicator::periodic");
        check_dim(s, dim, "mpixx::cart_communicator::periodic");
        return s.periodic[static_cast<std::size_t>(dim)];
    }
    /// This process's coordinates in the grid (MPI_Cart_coords of rank()).
    [[nodiscard]] const std::vector<int>& coords() const { return get("mpixx::cart_communicator::coords").coords; }
    /// The coordinates of process `rank` (MPI_Cart_coords); MPI_ERR_RANK when it is not a rank here.
    [[nodiscard]] std::vector<int> coords(int rank) const {
        const state& s = get("mpixx::cart_communicator::coords");
        if (static_cast<unsigned>(rank) >= static_cast<unsigned>(size_)) [[unlikely]]
            detail::throw_bad_rank("mpixx::cart_communicator::coords", rank, size_);
        std::vector<int> c(s.dims.size());
        for (std::size_t d = c.size(); d-- > 0;) {
            c[d] = rank % s.dims[d];
            rank /= s.dims[d];
        }
        return c;
    }
    /// The rank of the process at `coords` (MPI_Cart_rank): periodic dimensions wrap any coordinate,
    /// open ones need 0 <= coords[d] < dims()[d] (MPI_ERR_ARG otherwise).
    [[nodiscard]] int rank_of(detail::int_args coords) const {
        constexpr const char* routine = "mpixx::cart_communicator::rank_of";
        const state& s = get(routine);
        if (coords.size() != s.dims.size()) [[unlikely]]
            detail::throw_length(routine, MPI_ERR_DIMS, "coords", coords.size(), s.dims.size(),
                                 "(one per dimension) were");
        long long r = 0;
        for (std::size_t d = 0; d < s.dims.size(); ++d) {
            long long c = coords[d];
            const int n = s.dims[d];
            if (c < 0 || c >= n) {
                if (!s.periodic[d]) [[unlikely]]
                    detail::throw_entry(routine, MPI_ERR_ARG, "coords", d, c,
                                        "dimension " + std::to_string(d) + " is not periodic and has " +
                                            std::to_string(n) + " processes");
                c = ((c % n) + n) % n;
            }
            r = r * n + c;
        }
        return static_cast<int>(r);
    }
    /// The neighbours `disp` steps away along dimension `dim` (MPI_Cart_shift): source at coordinate
    /// - disp, dest at + disp, proc_null past an open boundary. MPI_ERR_DIMS for a dimension that does not
    /// exist.
    [[nodiscard]] shift_result shift(int dim, int disp = 1) const {
        const state& s = get("mpixx::cart_communicator::shift");
        check_dim(s, dim, "mpixx::cart_communicator::shift");
        return {neighbor(s, dim, -static_cast<long long>(disp)), neighbor(s, dim, disp)};
    }
    /// The 2 * ndims() neighbours in the order of the neighbourhood collectives: for each dimension d,
    /// shift(d).source then shift(d).dest (proc_null past open boundaries).
    [[nodiscard]] std::vector<int> neighbors() const {
        const state& s = get("mpixx::cart_communicator::neighbors");
        std::vector<int> n;
        n.reserve(2 * s.dims.size());
        for (std::size_t d = 0; d < s.dims.size(); ++d) {
            n.push_back(neighbor(s, static_cast<int>(d), -1));
            n.push_back(neighbor(s, static_cast<int>(d), 1));
        }
        return n;
    }
    /// The sub-grids that keep the dimensions where `keep` is true (MPI_Cart_sub; collective): this
    /// process's row of a 2D grid is sub({false, true}). One flag per dimension, or one for all.
    [[nodiscard]] cart_communicator sub(detail::bool_args keep) const {
        constexpr const char* routine = "mpixx::cart_communicator::sub";
        const state& s = get(routine);
        const std::size_t nd = s.dims.size();
        if (!keep.uniform() && keep.size() != nd) [[unlikely]]
            detail::throw_length(routine, MPI_ERR_DIMS, "keep", keep.size(), nd, "(one per dimension) were");
        std::vector<int> k(nd);
        bool any = false;
        for (std::size_t d = 0; d < nd; ++d) any |= (k[d] = keep[d] ? 1 : 0) != 0;
        MPI_Comm c = MPI_COMM_NULL;
        if (any) {
            MPIXX_CALL(MPI_Cart_sub, comm_, k.data(), &c);
        } else {
            // Each process alone on a zero-dimensional grid, as MPI specifies (MPICH 4.0's MPI_Cart_sub
            // gives MPI_COMM_NULL to all but one process of the grid here).
            const int none = 0;
            MPIXX_CALL(MPI_Cart_create, MPI_COMM_SELF, 0, &none, &none, 0, &c);
        }
        return from(detail::own_created(c));
    }

private:
    struct state {
        std::vector<int> dims, coords, strides;
        std::vector<bool> periodic;
    };

    cart_communicator(communicator c, std::shared_ptr<const state> s)
        : neighbor_layer(std::move(c), 2 * static_cast<int>(s->dims.size()), 2 * static_cast<int>(s->dims.size())),
          state_(std::move(s)) {}

    const state& get(const char* routine) const {
        if (!state_) [[unlikely]]
            detail::throw_null_topology(routine);
        return *state_;
    }
    static void check_dim(const state& s, int dim, const char* routine) {
        if (static_cast<unsigned>(dim) >= s.dims.size()) [[unlikely]]
            detail::throw_usage(routine, MPI_ERR_DIMS,
                                "dimension " + std::to_string(dim) + " does not exist (the grid has " +
                                    std::to_string(s.dims.size()) + ")");
    }
    /// The rank `disp` steps along `dim` from this process; proc_null off an open boundary.
    int neighbor(const state& s, int dim, long long disp) const {
        const auto d = static_cast<std::size_t>(dim);
        const long long n = s.dims[d], c = s.coords[d];
        long long to = c + disp;
        if (to < 0 || to >= n) {
            if (!s.periodic[d]) return MPI_PROC_NULL;
            to = ((to % n) + n) % n;
        }
        return rank_ + static_cast<int>((to - c) * s.strides[d]);
    }

    std::shared_ptr<const state> state_;
};

/// A Cartesian communicator over `comm`'s processes (MPI_Cart_create; collective): dims[d] processes along
/// dimension d (their product must be comm.size(): MPI_ERR_DIMS otherwise), `periodic` one flag per
/// dimension or one for all; `reorder` lets MPI renumber the processes to fit the machine.
[[nodiscard]] inline cart_communicator cart_create(const communicator& comm, detail::int_args dims,
                                                   detail::bool_args periodic = false, bool reorder = false) {
    constexpr const char* routine = "mpixx::cart_create";
    detail::check_topology_parent(comm, routine);
    long long n = 1;
    for (std::size_t d = 0; d < dims.size() && n <= comm.size(); ++d) n *= dims[d] > 0 ? dims[d] : 1;
    if (n != comm.size()) {
        for (std::size_t d = 0; d < dims.size(); ++d)
            if (dims[d] <= 0) [[unlikely]]
                detail::throw_entry(routine, MPI_ERR_DIMS, "dims", d, dims[d], "every dimension needs >= 1 process");
        detail::throw_usage(routine, MPI_ERR_DIMS,
                            "dims " + detail::describe_ints(dims.span()) + " make a grid of " +
                                (n > comm.size() ? "more than " + std::to_string(comm.size())
                                                 : std::to_string(n)) +
                                " processes but the communicator has " + std::to_string(comm.size()) +
                                " (mpixx::dims_create(size, ndims) splits it; pass mpixx::partial_grid to leave "
                                "processes out)");
    }
    return cart_create(comm, dims, periodic, reorder, partial_grid);
}

/// cart_create allowing a grid smaller than the communicator: processes beyond the product of `dims`
/// get a null cart_communicator.
[[nodiscard]] inline cart_communicator cart_create(const communicator& comm, detail::int_args dims,
                                                   detail::bool_args periodic, bool reorder, partial_grid_t) {
    constexpr const char* routine = "mpixx::cart_create";
    detail::check_topology_parent(comm, routine);
    const std::size_t nd = dims.size();
    long long n = 1;
    for (std::size_t d = 0; d < nd; ++d) {
        if (dims[d] <= 0) [[unlikely]]
            detail::throw_entry(routine, MPI_ERR_DIMS, "dims", d, dims[d], "every dimension needs >= 1 process");
        if (n <= comm.size()) n *= dims[d];
    }
    if (n > comm.size()) [[unlikely]]
        detail::throw_usage(routine, MPI_ERR_DIMS,
                            "dims " + detail::describe_ints(dims.span()) + " make a grid of more than " +
                                std::to_string(comm.size()) + " processes, the size of the communicator");
    if (!periodic.uniform() && periodic.size() != nd) [[unlikely]]
        detail::throw_length(routine, MPI_ERR_ARG, "periodic", periodic.size(), nd,
                             "(one per dimension, or one bool for all) were");
    if (nd > static_cast<std::size_t>(INT_MAX)) [[unlikely]]
        detail::throw_usage(routine, MPI_ERR_DIMS, "too many dimensions");
    std::vector<int> periods(nd);
    for (std::size_t d = 0; d < nd; ++d) periods[d] = periodic[d] ? 1 : 0;
    MPI_Comm c = MPI_COMM_NULL;
    MPIXX_CALL(MPI_Cart_create, comm.native(), static_cast<int>(nd), dims.data(), periods.data(), reorder ? 1 : 0, &c);
    if (c == MPI_COMM_NULL) return cart_communicator();
    return cart_communicator::from(detail::own_created(c));
}

} // namespace mpixx
