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
// without the topology asked for) throw mpixx::error before MPI sees them. The constructors make every
// process throw together when one refuses its arguments or when they differ where MPI requires the same
// (detail/topology_agree.hpp: one small MPI_Allreduce each), so that none waits in MPI for the others.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/communicator.hpp>
#include <mpixx/detail/neighbor_vector.hpp>
#include <mpixx/detail/topology_agree.hpp>
#include <mpixx/detail/topology_common.hpp>
#include <mpixx/detail/std_light.hpp>
#include <mpixx/detail/owner.hpp>

#include <climits>
#include <concepts>
#include <cstddef>
#include <exception>
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
/// entries that are > 0 and leaves those that are 0 free; the fixed ones must divide nnodes (and be
/// nnodes when none is free: MPI_ERR_DIMS otherwise).
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
    bool any_free = false;
    for (std::size_t i = 0; i < hint.size(); ++i) {
        if (hint[i] < 0) [[unlikely]]
            detail::throw_entry(routine, MPI_ERR_DIMS, "hint", i, hint[i], "entries are 0 (free) or > 0 (fixed)");
        if (hint[i] > 0 && fixed <= nnodes) fixed *= hint[i]; // stops growing past nnodes: no overflow
        any_free |= hint[i] == 0;
    }
    // With no free entry the fixed ones are the answer, so their product must be nnodes itself (MPICH
    // 4.0's MPI_Dims_create returns {3, 1} for 6 processes unchecked: a grid for 3).
    if (fixed > nnodes || nnodes % fixed != 0 || (!any_free && fixed != nnodes)) [[unlikely]]
        detail::throw_usage(routine, MPI_ERR_DIMS,
                            "the fixed dimensions " + detail::describe_ints(hint) + " cannot hold " +
                                std::to_string(nnodes) + " processes (their product must divide it, and equal " +
                                "it when no entry is 0)");
    if (ndims > 0) MPIXX_CALL(MPI_Dims_create, nnodes, ndims, hint.data());
    return hint;
}

/// Any communicator with a process topology (the common base of cart_communicator, graph_communicator and
/// dist_graph_communicator): in_degree(), out_degree() and the neighbourhood collectives.
using topology_communicator = detail::neighbor_layer;

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

/// A communicator whose processes form an N-dimensional grid (MPI_Cart_create). Cheap to copy (copies
/// share the handle and the cached grid). Neighbourhood collectives see 2 * ndims() neighbours, in the
/// order of neighbors(): along each dimension, the lower one first. Along a periodic dimension of 1 or
/// 2 processes both neighbours are one process, and MPI libraries disagree on which of its blocks lands
/// where: there the alltoall-type neighbourhood collectives throw MPI_ERR_TOPOLOGY (allgather works).
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
        auto s = detail::make_rc<state>();
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
    /// process's row of a 2D grid is sub({false, true}). One flag per dimension, or one for all. MPI
    /// requires the same keep on every process: one extra small MPI_Allreduce makes all throw together,
    /// MPI_ERR_NOT_SAME when they differ, MPI_ERR_ARG on the others when one refuses its own flags.
    [[nodiscard]] cart_communicator sub(detail::bool_args keep) const {
        constexpr const char* routine = "mpixx::cart_communicator::sub";
        const state& s = get(routine);
        const std::size_t nd = s.dims.size();
        std::exception_ptr local;
        try { // one process's refusal must reach the others before any enters MPI_Cart_sub
            if (!keep.uniform() && keep.size() != nd) [[unlikely]]
                detail::throw_length(routine, MPI_ERR_DIMS, "keep", keep.size(), nd, "(one per dimension) were");
        } catch (const error&) {
            local = std::current_exception();
        }
        std::vector<int> k(local ? 0 : nd);
        bool any = false;
        detail::args_hash h;
        for (std::size_t d = 0; d < k.size(); ++d) {
            any |= (k[d] = keep[d] ? 1 : 0) != 0;
            h.add(k[d]);
        }
        const detail::agreed_arg same[] = {{"keep", h.value()}};
        detail::agree_args(*this, local, same, routine);
        MPI_Comm c = MPI_COMM_NULL;
        if (any) {
            detail::settle_collectives(comm_);
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

    cart_communicator(communicator c, detail::rc<const state> s)
        : neighbor_layer(std::move(c), 2 * static_cast<int>(s->dims.size()), 2 * static_cast<int>(s->dims.size())),
          state_(std::move(s)) {
        for (std::size_t d = 0; d < state_->dims.size(); ++d)
            doubled_ = doubled_ || (state_->periodic[d] && state_->dims[d] <= 2);
    }

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

    detail::rc<const state> state_;
};

namespace detail {

/// cart_create's checks of this process's arguments (cold errors): every dimension >= 1 process, a
/// grid no larger than the communicator (exactly its size unless `partial`), one periodic flag per
/// dimension or one for all.
inline void check_cart_args(const communicator& comm, int_args dims, bool_args periodic, bool partial,
                            const char* routine) {
    const std::size_t nd = dims.size();
    if (nd > static_cast<std::size_t>(INT_MAX)) [[unlikely]]
        throw_usage(routine, MPI_ERR_DIMS, "too many dimensions");
    long long n = 1;
    for (std::size_t d = 0; d < nd; ++d) {
        if (dims[d] <= 0) [[unlikely]]
            throw_entry(routine, MPI_ERR_DIMS, "dims", d, dims[d], "every dimension needs >= 1 process");
        if (n <= comm.size()) n *= dims[d]; // stops growing past the size: no overflow
    }
    if (n > comm.size() || (!partial && n != comm.size())) [[unlikely]]
        throw_usage(routine, MPI_ERR_DIMS,
                    "dims " + describe_ints(dims.span()) + " make a grid of " +
                        (n > comm.size() ? "more than " + std::to_string(comm.size()) : std::to_string(n)) +
                        " processes but the communicator has " + std::to_string(comm.size()) +
                        (partial ? "" : " (mpixx::dims_create(size, ndims) splits it; pass mpixx::partial_grid to "
                                        "leave processes out)"));
    if (!periodic.uniform() && periodic.size() != nd) [[unlikely]]
        throw_length(routine, MPI_ERR_ARG, "periodic", periodic.size(), nd,
                     "(one per dimension, or one bool for all) were");
}

/// Both cart_create forms: this process's arguments checked, agreed with the others' (agree_args), created.
inline cart_communicator cart_make(const communicator& comm, int_args dims, bool_args periodic, bool reorder,
                                   bool partial) {
    constexpr const char* routine = "mpixx::cart_create";
    check_topology_parent(comm, routine); // the communicator is the same everywhere: all throw alike
    std::exception_ptr local;
    try { // one process's refusal must reach the others before any enters MPI_Cart_create
        check_cart_args(comm, dims, periodic, partial, routine);
    } catch (const error&) {
        local = std::current_exception();
    }
    const std::size_t nd = local ? 0 : dims.size();
    std::vector<int> periods(nd);
    args_hash hd, hp;
    hd.add(static_cast<long long>(nd));
    hp.add(static_cast<long long>(nd));
    for (std::size_t d = 0; d < nd; ++d) {
        periods[d] = periodic[d] ? 1 : 0; // one flag for all and one per dimension agree when they say the same
        hd.add(dims[d]);
        hp.add(periods[d]);
    }
    const agreed_arg same[] = {{"dims", hd.value()}, {"periodic", hp.value()}, {"reorder", reorder ? 1 : 0}};
    agree_args(comm, local, same, routine);
    MPI_Comm c = MPI_COMM_NULL;
    settle_collectives(comm.native());
    const int none = 0; // a non-null array for a zero-dimensional grid (MPI reads none of it)
    MPIXX_CALL(MPI_Cart_create, comm.native(), static_cast<int>(nd), nd ? dims.data() : &none,
               nd ? periods.data() : &none, reorder ? 1 : 0, &c);
    if (c == MPI_COMM_NULL) return cart_communicator();
    return cart_communicator::from(own_created(c));
}

} // namespace detail

/// A Cartesian communicator over `comm`'s processes (MPI_Cart_create; collective): dims[d] processes along
/// dimension d (their product must be comm.size(): MPI_ERR_DIMS otherwise), `periodic` one flag per
/// dimension or one for all; `reorder` lets MPI renumber the processes to fit the machine. MPI requires
/// the same dims, periodic and reorder on every process: one extra small MPI_Allreduce makes every
/// process throw together, MPI_ERR_NOT_SAME when they differ, and MPI_ERR_ARG on the others when one
/// process refuses its own arguments (which would otherwise leave them waiting in MPI_Cart_create).
[[nodiscard]] inline cart_communicator cart_create(const communicator& comm, detail::int_args dims,
                                                   detail::bool_args periodic = false, bool reorder = false) {
    return detail::cart_make(comm, dims, periodic, reorder, false);
}

/// cart_create allowing a grid smaller than the communicator: processes beyond the product of `dims`
/// get a null cart_communicator.
[[nodiscard]] inline cart_communicator cart_create(const communicator& comm, detail::int_args dims,
                                                   detail::bool_args periodic, bool reorder, partial_grid_t) {
    return detail::cart_make(comm, dims, periodic, reorder, true);
}

/// A communicator whose processes form a graph (MPI_Graph_create): node i is rank i, its neighbours are
/// edges[index[i-1] .. index[i]). Neighbourhood collectives see neighbors() in both directions (in and
/// out degree are the number of neighbours); MPI allows them only on a symmetric graph (as many edges
/// from i to j as from j to i), so on any other they throw MPI_ERR_TOPOLOGY. Cheap to copy.
class graph_communicator : public detail::neighbor_layer {
public:
    /// A null graph communicator (what processes beyond the graph's nodes get).
    graph_communicator() = default;

    /// The graph communicator `comm` already is, sharing its handle; MPI_ERR_TOPOLOGY if it has no graph
    /// topology.
    [[nodiscard]] static graph_communicator from(communicator comm) {
        const int status = detail::topo_status(comm, "mpixx::graph_communicator::from");
        if (status != MPI_GRAPH) [[unlikely]]
            detail::throw_not_topology("mpixx::graph_communicator::from", "a graph one", status);
        auto s = detail::make_rc<state>();
        int nnodes = 0, nedges = 0;
        MPIXX_CALL(MPI_Graphdims_get, comm.native(), &nnodes, &nedges);
        s->index.resize(static_cast<std::size_t>(nnodes));
        s->edges.resize(static_cast<std::size_t>(nedges));
        if (nnodes > 0)
            MPIXX_CALL(MPI_Graph_get, comm.native(), nnodes, nedges, s->index.data(),
                       nedges > 0 ? s->edges.data() : s->index.data()); // never a null array
        const int me = comm.rank();
        const int first = me == 0 ? 0 : s->index[static_cast<std::size_t>(me) - 1];
        const int degree = s->index[static_cast<std::size_t>(me)] - first;
        return graph_communicator(std::move(comm), std::move(s), degree);
    }
    /// Wraps an existing graph handle without owning it; MPI_ERR_TOPOLOGY if it is not a graph.
    [[nodiscard]] static graph_communicator wrap(MPI_Comm comm) { return from(communicator::wrap(comm)); }
    /// Takes ownership of a graph handle (freed with the last copy, also when it is not a graph).
    [[nodiscard]] static graph_communicator adopt(MPI_Comm comm) { return from(communicator::adopt(comm)); }

    /// Number of nodes (= size()).
    [[nodiscard]] int nnodes() const { return static_cast<int>(get("mpixx::graph_communicator::nnodes").index.size()); }
    /// The graph's index array: node i's neighbours end at edges()[index()[i]].
    [[nodiscard]] const std::vector<int>& index() const { return get("mpixx::graph_communicator::index").index; }
    /// The graph's edge array (the neighbours of every node, node after node).
    [[nodiscard]] const std::vector<int>& edges() const { return get("mpixx::graph_communicator::edges").edges; }
    /// This process's neighbours, in the order of the neighbourhood collectives (MPI_Graph_neighbors).
    [[nodiscard]] std::vector<int> neighbors() const { return neighbors(rank_); }
    /// The neighbours of process `rank` (MPI_Graph_neighbors); MPI_ERR_RANK when it is not a rank here.
    [[nodiscard]] std::vector<int> neighbors(int rank) const {
        const state& s = get("mpixx::graph_communicator::neighbors");
        if (static_cast<unsigned>(rank) >= s.index.size()) [[unlikely]]
            detail::throw_bad_rank("mpixx::graph_communicator::neighbors", rank, static_cast<int>(s.index.size()));
        const auto r = static_cast<std::size_t>(rank);
        const auto first = static_cast<std::ptrdiff_t>(r == 0 ? 0 : s.index[r - 1]);
        return std::vector<int>(s.edges.begin() + first, s.edges.begin() + s.index[r]);
    }

private:
    struct state {
        std::vector<int> index, edges;
    };
    graph_communicator(communicator c, detail::rc<const state> s, int degree)
        : neighbor_layer(std::move(c), degree, degree), state_(std::move(s)) {
        asymmetric_ = !symmetric(*state_);
    }
    /// Whether every pair of nodes has as many edges one way as the other (MPI allows neighbourhood
    /// collectives on a graph only then: a one-way edge leaves its target's receive unmatched, a hang).
    /// Every process holds the whole graph, so all reach the same verdict without communicating. O(nodes
    /// + edges), no sort (the core stays without <algorithm>): the reversed adjacency lists are built by
    /// counting, then each node's neighbours and reversed neighbours are compared as multisets.
    static bool symmetric(const state& s) {
        const std::size_t n = s.index.size(), m = s.edges.size();
        const auto first = [&](std::size_t i) { return i == 0 ? std::size_t{0} : static_cast<std::size_t>(s.index[i - 1]); };
        const auto last = [&](std::size_t i) { return static_cast<std::size_t>(s.index[i]); };
        const auto node = [&](std::size_t e) { return static_cast<std::size_t>(s.edges[e]); };
        std::vector<std::size_t> start(n + 1, 0), rev(m);
        for (std::size_t e = 0; e < m; ++e) ++start[node(e) + 1];
        for (std::size_t i = 0; i < n; ++i) start[i + 1] += start[i];
        std::vector<std::size_t> at(start.begin(), start.end() - 1);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t e = first(i); e < last(i); ++e) rev[at[node(e)]++] = i;
        std::vector<long long> mark(n, 0);
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t e = first(i); e < last(i); ++e) ++mark[node(e)];
            for (std::size_t k = start[i]; k < start[i + 1]; ++k) --mark[rev[k]];
            bool same = true;
            for (std::size_t e = first(i); e < last(i); ++e) {
                same = same && mark[node(e)] == 0;
                mark[node(e)] = 0;
            }
            for (std::size_t k = start[i]; k < start[i + 1]; ++k) {
                same = same && mark[rev[k]] == 0;
                mark[rev[k]] = 0;
            }
            if (!same) return false;
        }
        return true;
    }
    const state& get(const char* routine) const {
        if (!state_) [[unlikely]]
            detail::throw_null_topology(routine);
        return *state_;
    }
    detail::rc<const state> state_;
};

namespace detail {

/// graph_create's checks of this process's arguments (cold errors).
inline void check_graph_args(const communicator& comm, int_args index, int_args edges, const char* routine) {
    const std::size_t n = index.size();
    if (n > static_cast<std::size_t>(comm.size())) [[unlikely]]
        throw_usage(routine, MPI_ERR_ARG,
                    "index has " + std::to_string(n) + " nodes but the communicator has " +
                        std::to_string(comm.size()) + " processes");
    int prev = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (index[i] < prev) [[unlikely]]
            throw_entry(routine, MPI_ERR_ARG, "index", i, index[i],
                        "index is a non-decreasing running total of neighbour counts");
        prev = index[i];
    }
    if (static_cast<std::size_t>(prev) != edges.size()) [[unlikely]]
        throw_length(routine, MPI_ERR_ARG, "edges", edges.size(), static_cast<std::size_t>(prev),
                     "(the last entry of index) were");
    for (std::size_t i = 0; i < edges.size(); ++i)
        if (static_cast<unsigned>(edges[i]) >= n) [[unlikely]]
            throw_entry(routine, MPI_ERR_RANK, "edges", i, edges[i], "not a node of a graph of " + std::to_string(n));
}

} // namespace detail

/// A graph communicator over the first index.size() processes of `comm` (MPI_Graph_create; collective):
/// node i's neighbours are edges[index[i-1] .. index[i]) (index[-1] = 0). Processes beyond the nodes get a
/// null graph_communicator. MPI requires the same index, edges and reorder on every process: one extra
/// small MPI_Allreduce makes every process throw together, MPI_ERR_NOT_SAME when they differ, and
/// MPI_ERR_ARG on the others when one process refuses its own arguments.
[[nodiscard]] inline graph_communicator graph_create(const communicator& comm, detail::int_args index,
                                                     detail::int_args edges, bool reorder = false) {
    constexpr const char* routine = "mpixx::graph_create";
    detail::check_topology_parent(comm, routine); // the communicator is the same everywhere: all throw alike
    std::exception_ptr local;
    try { // one process's refusal must reach the others before any enters MPI_Graph_create
        detail::check_graph_args(comm, index, edges, routine);
    } catch (const error&) {
        local = std::current_exception();
    }
    detail::args_hash h; // the whole graph: node count, index, edges
    if (!local) {
        h.add(static_cast<long long>(index.size()));
        for (std::size_t i = 0; i < index.size(); ++i) h.add(index[i]);
        for (std::size_t i = 0; i < edges.size(); ++i) h.add(edges[i]);
    }
    const detail::agreed_arg same[] = {{"graph (index and edges)", h.value()}, {"reorder", reorder ? 1 : 0}};
    detail::agree_args(comm, local, same, routine);
    const std::size_t n = index.size();
    const int dummy = 0; // MPI never reads it: a non-null array for an empty graph or edge list
    MPI_Comm c = MPI_COMM_NULL;
    detail::settle_collectives(comm.native());
    MPIXX_CALL(MPI_Graph_create, comm.native(), static_cast<int>(n), n ? index.data() : &dummy,
               edges.size() ? edges.data() : &dummy, reorder ? 1 : 0, &c);
    if (c == MPI_COMM_NULL) return graph_communicator();
    return graph_communicator::from(detail::own_created(c));
}

/// graph_create from adjacency lists (a range of ranges of int, e.g. std::vector<std::vector<int>>):
/// process i's neighbours are adjacency[i].
template <std::ranges::input_range A>
    requires std::ranges::input_range<std::ranges::range_reference_t<const A&>> &&
             std::convertible_to<std::ranges::range_value_t<std::ranges::range_reference_t<const A&>>, int>
[[nodiscard]] graph_communicator graph_create(const communicator& comm, const A& adjacency, bool reorder = false) {
    std::vector<int> index, edges;
    for (auto&& a : adjacency) {
        for (auto&& e : a) edges.push_back(static_cast<int>(e));
        if (edges.size() > static_cast<std::size_t>(INT_MAX)) [[unlikely]]
            detail::throw_usage("mpixx::graph_create", MPI_ERR_ARG, "more than INT_MAX edges");
        index.push_back(static_cast<int>(edges.size()));
    }
    return graph_create(comm, index, edges, reorder);
}

/// A communicator with a distributed graph topology (MPI_Dist_graph_create_adjacent): each process names
/// the processes it receives from (sources) and sends to (destinations), optionally with weights.
/// Neighbourhood collectives receive from sources() and send to destinations(), in that order. Cheap to copy.
class dist_graph_communicator : public detail::neighbor_layer {
public:
    /// A null distributed-graph communicator.
    dist_graph_communicator() = default;

    /// The distributed-graph communicator `comm` already is, sharing its handle; MPI_ERR_TOPOLOGY if it
    /// has no distributed-graph topology.
    [[nodiscard]] static dist_graph_communicator from(communicator comm) {
        const int status = detail::topo_status(comm, "mpixx::dist_graph_communicator::from");
        if (status != MPI_DIST_GRAPH) [[unlikely]]
            detail::throw_not_topology("mpixx::dist_graph_communicator::from", "a distributed-graph one", status);
        auto s = detail::make_rc<state>();
        int indeg = 0, outdeg = 0, weighted = 0;
        MPIXX_CALL(MPI_Dist_graph_neighbors_count, comm.native(), &indeg, &outdeg, &weighted);
        s->weighted = weighted != 0;
        s->sources.resize(static_cast<std::size_t>(indeg) + 1); // + 1: never a null array
        s->destinations.resize(static_cast<std::size_t>(outdeg) + 1);
        if (s->weighted) {
            s->source_weights.resize(static_cast<std::size_t>(indeg) + 1);
            s->dest_weights.resize(static_cast<std::size_t>(outdeg) + 1);
        }
        MPIXX_CALL(MPI_Dist_graph_neighbors, comm.native(), indeg, s->sources.data(),
                   s->weighted ? s->source_weights.data() : MPI_UNWEIGHTED, outdeg, s->destinations.data(),
                   s->weighted ? s->dest_weights.data() : MPI_UNWEIGHTED);
        s->sources.pop_back();
        s->destinations.pop_back();
        if (s->weighted) {
            s->source_weights.pop_back();
            s->dest_weights.pop_back();
        }
        return dist_graph_communicator(std::move(comm), std::move(s), indeg, outdeg);
    }
    /// Wraps an existing distributed-graph handle without owning it; MPI_ERR_TOPOLOGY otherwise.
    [[nodiscard]] static dist_graph_communicator wrap(MPI_Comm comm) { return from(communicator::wrap(comm)); }
    /// Takes ownership of a distributed-graph handle (freed with the last copy, also when it is not one).
    [[nodiscard]] static dist_graph_communicator adopt(MPI_Comm comm) { return from(communicator::adopt(comm)); }

    /// The processes this one receives from, in the order of the neighbourhood collectives.
    [[nodiscard]] const std::vector<int>& sources() const { return get("mpixx::dist_graph_communicator::sources").sources; }
    /// The processes this one sends to, in the order of the neighbourhood collectives.
    [[nodiscard]] const std::vector<int>& destinations() const {
        return get("mpixx::dist_graph_communicator::destinations").destinations;
    }
    /// Whether the graph was created with weights.
    [[nodiscard]] bool weighted() const { return get("mpixx::dist_graph_communicator::weighted").weighted; }
    /// The weights of the edges from sources() (empty for an unweighted graph).
    [[nodiscard]] const std::vector<int>& source_weights() const {
        return get("mpixx::dist_graph_communicator::source_weights").source_weights;
    }
    /// The weights of the edges to destinations() (empty for an unweighted graph).
    [[nodiscard]] const std::vector<int>& dest_weights() const {
        return get("mpixx::dist_graph_communicator::dest_weights").dest_weights;
    }

private:
    struct state {
        std::vector<int> sources, destinations, source_weights, dest_weights;
        bool weighted = false;
    };
    dist_graph_communicator(communicator c, detail::rc<const state> s, int indeg, int outdeg)
        : neighbor_layer(std::move(c), indeg, outdeg), state_(std::move(s)) {}
    const state& get(const char* routine) const {
        if (!state_) [[unlikely]]
            detail::throw_null_topology(routine);
        return *state_;
    }
    detail::rc<const state> state_;
};

namespace detail {

inline dist_graph_communicator dist_graph_adjacent(const communicator& comm, int_args sources, int_args destinations,
                                                   const int_args* sw, const int_args* dw, bool reorder) {
    constexpr const char* routine = "mpixx::dist_graph_create_adjacent";
    check_topology_parent(comm, routine); // the communicator is the same everywhere: all throw alike
    std::exception_ptr local;
    try { // per-process lists: one process's bad list must reach the others (agree_dist_graph)
        check_neighbors(routine, "sources", "source_weights", sources, sw, comm.size());
        check_neighbors(routine, "destinations", "dest_weights", destinations, dw, comm.size());
    } catch (const error&) {
        local = std::current_exception();
    }
    agree_dist_graph(comm, local, sw != nullptr, reorder, sources, destinations, routine);
    const int dummy = 0; // a non-null array for an empty list (MPI reads none of it)
    const auto arr = [&](int_args a) { return a.size() ? a.data() : &dummy; };
    // Weighted with no neighbour: MPI_WEIGHTS_EMPTY (a null array could read as MPI_UNWEIGHTED).
    const auto weights = [&](const int_args* w) {
        return !w ? MPI_UNWEIGHTED : w->size() ? w->data() : MPI_WEIGHTS_EMPTY;
    };
    MPI_Comm c = MPI_COMM_NULL;
    detail::settle_collectives(comm.native());
    MPIXX_CALL(MPI_Dist_graph_create_adjacent, comm.native(), static_cast<int>(sources.size()), arr(sources),
               weights(sw), static_cast<int>(destinations.size()), arr(destinations), weights(dw), MPI_INFO_NULL,
               reorder ? 1 : 0, &c);
    return dist_graph_communicator::from(own_created(c));
}

} // namespace detail

/// A distributed-graph communicator (MPI_Dist_graph_create_adjacent; collective): this process receives
/// from `sources` and sends to `destinations` (ranks of `comm`, repeats allowed), unweighted (a process
/// calling the weighted form instead makes every process throw MPI_ERR_NOT_SAME). Every process must
/// make the edges agree (a source of one is a destination of the other; checked mode verifies it with
/// one MPI_Alltoall of edge counts) and pass the same reorder (MPI_ERR_NOT_SAME otherwise). Lists refused
/// on one process throw on every process (one MPI_Allreduce), so that none waits for it.
[[nodiscard]] inline dist_graph_communicator dist_graph_create_adjacent(const communicator& comm,
                                                                        detail::int_args sources,
                                                                        detail::int_args destinations,
                                                                        bool reorder = false) {
    return detail::dist_graph_adjacent(comm, sources, destinations, nullptr, nullptr, reorder);
}

/// A weighted distributed-graph communicator: one weight >= 0 per source and per destination (all
/// processes must give weights, or none: a mix throws MPI_ERR_NOT_SAME on every process).
[[nodiscard]] inline dist_graph_communicator
dist_graph_create_adjacent(const communicator& comm, detail::int_args sources, detail::int_args destinations,
                           detail::int_args source_weights, detail::int_args dest_weights, bool reorder = false) {
    return detail::dist_graph_adjacent(comm, sources, destinations, &source_weights, &dest_weights, reorder);
}

} // namespace mpixx
