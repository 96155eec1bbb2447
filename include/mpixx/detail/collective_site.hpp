// mpixx/detail/collective_site.hpp - what a collective call is, read from its MPI arguments.
//
// Every blocking collective goes through MPIXX_COLL_CALL(MPI_Fn, MPI_Ifn, args...) with MPI's own
// argument list (non-blocking ones through MPIXX_ICOLL, without their request). site_of<MPI_Fn>(args...)
// reads that list once, by the routine's shape (where the root, the op, the counts and the datatypes
// are), so the checked mode's signature check and the hang report see every collective without each
// call site describing itself. Only called on checked or watched paths.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/arg_pack.hpp>

#include <cstddef>
#include <type_traits>

namespace mpixx::inline MPIXX_ABI::detail {

/// The shapes of MPI's collective argument lists.
enum class coll_shape : unsigned char {
    other,       ///< not described: only the routine and the communicator (the last argument)
    barrier,     ///< (comm)
    bcast,       ///< (buf, count, type, root, comm)
    reduce,      ///< (s, r, count, type, op, root, comm)
    allreduce,   ///< (s, r, count, type, op, comm): allreduce, scan, exscan, reduce_scatter_block
    rooted,      ///< (s, scount, stype, r, rcount, rtype, root, comm): gather, scatter
    all,         ///< (s, scount, stype, r, rcount, rtype, comm): allgather, alltoall
    gatherv,     ///< (s, scount, stype, r, rcounts, displs, rtype, root, comm)
    scatterv,    ///< (s, scounts, displs, stype, r, rcount, rtype, root, comm)
    allgatherv,  ///< (s, scount, stype, r, rcounts, displs, rtype, comm)
};

/// One blocking collective call as its arguments describe it. Counts are in elements of their datatype;
/// -1 where the shape has none (v-collectives' per-rank arrays are checked by checked_counts.hpp).
struct collective_site {
    const char* routine = "";
    coll_shape shape = coll_shape::other;
    MPI_Comm comm = MPI_COMM_NULL;
    int root = -1;
    MPI_Op op = MPI_OP_NULL;
    bool send_in_place = false; ///< the send buffer is MPI_IN_PLACE (gather's root, allreduce, ...)
    bool recv_in_place = false; ///< the receive buffer is MPI_IN_PLACE (scatter's root)
    long long scount = -1;
    MPI_Datatype stype = MPI_DATATYPE_NULL;
    long long rcount = -1;
    MPI_Datatype rtype = MPI_DATATYPE_NULL;
};

// Compared as template arguments, not with ==: g++ 12 refuses `f == g` on two functions in a constant
// expression under -fsanitize=undefined.
template <auto A>
struct fn_tag {};
template <auto A, auto B>
consteval bool same_function() {
    return std::is_same_v<fn_tag<A>, fn_tag<B>>;
}
template <auto Fn, auto... Fns>
inline constexpr bool is_one_of = (same_function<Fn, Fns>() || ...);

/// The shape of MPI routine Fn (int and MPI-4 large-count forms alike, blocking and non-blocking).
template <auto Fn>
consteval coll_shape shape_of() {
    if constexpr (is_one_of<Fn, &MPI_Barrier, &MPI_Ibarrier>) return coll_shape::barrier;
    else if constexpr (is_one_of<Fn, &MPI_Bcast, &MPI_Ibcast>) return coll_shape::bcast;
    else if constexpr (is_one_of<Fn, &MPI_Reduce, &MPI_Ireduce>) return coll_shape::reduce;
    else if constexpr (is_one_of<Fn, &MPI_Allreduce, &MPI_Scan, &MPI_Exscan, &MPI_Reduce_scatter_block,
                                 &MPI_Iallreduce, &MPI_Iscan, &MPI_Iexscan, &MPI_Ireduce_scatter_block>)
        return coll_shape::allreduce;
    else if constexpr (is_one_of<Fn, &MPI_Gather, &MPI_Scatter, &MPI_Igather, &MPI_Iscatter>)
        return coll_shape::rooted;
    else if constexpr (is_one_of<Fn, &MPI_Allgather, &MPI_Alltoall, &MPI_Iallgather, &MPI_Ialltoall>)
        return coll_shape::all;
    else if constexpr (is_one_of<Fn, &MPI_Gatherv, &MPI_Igatherv>) return coll_shape::gatherv;
    else if constexpr (is_one_of<Fn, &MPI_Scatterv, &MPI_Iscatterv>) return coll_shape::scatterv;
    else if constexpr (is_one_of<Fn, &MPI_Allgatherv, &MPI_Iallgatherv>) return coll_shape::allgatherv;
#if MPI_VERSION >= 4
    else if constexpr (is_one_of<Fn, &MPI_Bcast_c, &MPI_Ibcast_c>) return coll_shape::bcast;
    else if constexpr (is_one_of<Fn, &MPI_Reduce_c, &MPI_Ireduce_c>) return coll_shape::reduce;
    else if constexpr (is_one_of<Fn, &MPI_Allreduce_c, &MPI_Scan_c, &MPI_Exscan_c, &MPI_Reduce_scatter_block_c,
                                 &MPI_Iallreduce_c, &MPI_Iscan_c, &MPI_Iexscan_c, &MPI_Ireduce_scatter_block_c>)
        return coll_shape::allreduce;
    else if constexpr (is_one_of<Fn, &MPI_Gather_c, &MPI_Scatter_c, &MPI_Igather_c, &MPI_Iscatter_c>)
        return coll_shape::rooted;
    else if constexpr (is_one_of<Fn, &MPI_Allgather_c, &MPI_Alltoall_c, &MPI_Iallgather_c, &MPI_Ialltoall_c>)
        return coll_shape::all;
    else if constexpr (is_one_of<Fn, &MPI_Gatherv_c, &MPI_Igatherv_c>) return coll_shape::gatherv;
    else if constexpr (is_one_of<Fn, &MPI_Scatterv_c, &MPI_Iscatterv_c>) return coll_shape::scatterv;
    else if constexpr (is_one_of<Fn, &MPI_Allgatherv_c, &MPI_Iallgatherv_c>) return coll_shape::allgatherv;
#endif
    else return coll_shape::other;
}

inline bool is_in_place(const void* p) noexcept { return p == MPI_IN_PLACE; }

/// The collective_site of the call `Fn(args...)` named `routine`.
template <auto Fn, class... A>
collective_site site_of(const char* routine, const A&... args) {
    constexpr coll_shape shape = shape_of<Fn>();
    const arg_pack<A...> a(args...);
    collective_site s;
    s.routine = routine;
    s.shape = shape;
    s.comm = detail::arg<sizeof...(A) - 1>(a);
    // Count arguments are int or MPI_Count; arrays of them are left to checked_counts.hpp.
    auto n = [](const auto& c) -> long long {
        if constexpr (std::is_integral_v<std::remove_cvref_t<decltype(c)>>) return static_cast<long long>(c);
        else return -1;
    };
    if constexpr (shape == coll_shape::bcast) {
        s.scount = s.rcount = n(detail::arg<1>(a));
        s.stype = s.rtype = detail::arg<2>(a);
        s.root = detail::arg<3>(a);
    } else if constexpr (shape == coll_shape::reduce || shape == coll_shape::allreduce) {
        s.send_in_place = is_in_place(detail::arg<0>(a));
        s.scount = s.rcount = n(detail::arg<2>(a));
        s.stype = s.rtype = detail::arg<3>(a);
        s.op = detail::arg<4>(a);
        if constexpr (shape == coll_shape::reduce) s.root = detail::arg<5>(a);
    } else if constexpr (shape == coll_shape::rooted || shape == coll_shape::all) {
        s.send_in_place = is_in_place(detail::arg<0>(a));
        s.recv_in_place = is_in_place(detail::arg<3>(a));
        s.scount = n(detail::arg<1>(a));
        s.stype = detail::arg<2>(a);
        s.rcount = n(detail::arg<4>(a));
        s.rtype = detail::arg<5>(a);
        if constexpr (shape == coll_shape::rooted) s.root = detail::arg<6>(a);
    } else if constexpr (shape == coll_shape::gatherv || shape == coll_shape::allgatherv) {
        s.send_in_place = is_in_place(detail::arg<0>(a));
        s.scount = n(detail::arg<1>(a));
        s.stype = detail::arg<2>(a);
        s.rtype = detail::arg<6>(a);
        if constexpr (shape == coll_shape::gatherv) s.root = detail::arg<7>(a);
    } else if constexpr (shape == coll_shape::scatterv) {
        s.stype = detail::arg<3>(a);
        s.recv_in_place = is_in_place(detail::arg<4>(a));
        s.rcount = n(detail::arg<5>(a));
        s.rtype = detail::arg<6>(a);
        s.root = detail::arg<7>(a);
    }
    return s;
}

} // namespace mpixx::detail
