// mpixx/detail/inter_collective_check.hpp - checked mode (MPIXX_CHECKED) for blocking collectives on an
// intercommunicator: did the two groups call the same operation, with matching roots, op and data?
//
// On an intercommunicator the groups legitimately pass different arguments: the root's own process
// passes intercomm_root (MPI_ROOT), the rest of its group proc_null, every process of the other group
// the root's rank in the root group; a gather's root receives what each remote process sends. So each
// process compares its record with the records of the OTHER group (one MPI_Allgather on the
// intercommunicator brings exactly those), and then the verdicts are shared (two small MPI_Allreduce:
// each gives the other group's), so that every process of both groups throws, or none does.
// Non-blocking collectives on intercommunicators (ibarrier, ibcast) are not checked.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/collective_signature.hpp>
#include <mpixx/error.hpp>

#include <mpixx/detail/std_light.hpp>
#include <cstring>
#include <string>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// Whether collective shape `s` has a root.
inline bool rooted_shape(coll_shape s) noexcept {
    return s == coll_shape::bcast || s == coll_shape::reduce || s == coll_shape::rooted ||
           s == coll_shape::gatherv || s == coll_shape::scatterv;
}

/// This process's record of collective `s` on an intercommunicator: the root as passed, and the block it
/// takes part with (`block`: what it sends or receives like its peers; `root_block`: what the root, or
/// any process of allgather/alltoall, expects from each remote process).
inline collective_record make_inter_record(const collective_site& s) {
    collective_record r = record_of_call(s);
    const bool rooted = rooted_shape(s.shape);
    if (rooted) r.flags |= 4;
    const bool is_root = s.root == MPI_ROOT, idle = rooted && s.root == MPI_PROC_NULL;
    const bool gather = is_routine(r.routine, "Gather");
    MPI_Datatype type = MPI_DATATYPE_NULL;
    switch (s.shape) {
    case coll_shape::bcast:
    case coll_shape::reduce:
    case coll_shape::allreduce:
        if (!idle) r.block = block_bytes(s.scount, s.stype), type = s.stype;
        break;
    case coll_shape::rooted:
        if (is_root) { // gather: what it receives per remote process; scatter: what it sends to each
            r.root_block = gather ? block_bytes(s.rcount, s.rtype) : block_bytes(s.scount, s.stype);
            type = gather ? s.rtype : s.stype;
        } else if (!idle) {
            r.block = gather ? block_bytes(s.scount, s.stype) : block_bytes(s.rcount, s.rtype);
            type = gather ? s.stype : s.rtype;
        }
        break;
    case coll_shape::all:
        r.block = block_bytes(s.scount, s.stype);
        r.root_block = block_bytes(s.rcount, s.rtype);
        type = s.stype;
        break;
    default:
        break;
    }
    copy_name(r.type, type_label(type));
    return r;
}

/// Sets `what` to `before`, `n`, `after` and returns `code` (cold: only on a mismatch).
[[MPIXX_COLD]] inline int noted(std::string& what, const char* before, std::size_t n, const char* after, int code) {
    what = before + std::to_string(n) + after;
    return code;
}

/// Compares this process's record (rank `me` of its group) with every record of the other group;
/// returns the MPI error class of the first disagreement (MPI_SUCCESS if none), saying what in `what`.
inline int compare_inter(const collective_record& mine, int me, const std::vector<collective_record>& remote,
                         std::string& what) {
    for (std::size_t j = 0; j < remote.size(); ++j) {
        const collective_record& b = remote[j];
        if (std::strcmp(mine.routine, b.routine) != 0)
            return noted(what, "operation (remote rank ", j, ")", MPI_ERR_OTHER);
        if (std::strcmp(mine.op, b.op) != 0) return noted(what, "op (remote rank ", j, ")", MPI_ERR_OP);
    }
    if (mine.flags & 4) {
        if (mine.root >= 0) { // the other group is the root's: one intercomm_root, at the rank passed here
            for (std::size_t j = 0; j < remote.size(); ++j) {
                const bool should = static_cast<int>(j) == mine.root;
                if ((remote[j].root == MPI_ROOT) != should || (!should && remote[j].root != MPI_PROC_NULL))
                    return noted(what, "root (remote rank ", j, ")", MPI_ERR_ROOT);
            }
        } else { // this group is the root's: the other group names one root, this process or not
            for (std::size_t j = 0; j < remote.size(); ++j)
                if (remote[j].root < 0 || remote[j].root != remote.front().root)
                    return noted(what, "root (remote rank ", j, ")", MPI_ERR_ROOT);
            if (!remote.empty() && (remote.front().root == me) != (mine.root == MPI_ROOT))
                return noted(what, "root (the other group names rank ",
                             static_cast<std::size_t>(remote.front().root), ")", MPI_ERR_ROOT); // >= 0: checked above
        }
    }
    for (std::size_t j = 0; j < remote.size(); ++j) {
        const collective_record& b = remote[j];
        const bool both = mine.block >= 0 && b.block >= 0;
        const bool all = mine.root_block >= 0 && b.root_block >= 0; // allgather, alltoall
        if (all) {
            if (b.block != mine.root_block || mine.block != b.root_block)
                return noted(what, "amount of data (remote rank ", j, ")", MPI_ERR_COUNT);
        } else if (both && b.block != mine.block) {
            return noted(what, "amount of data (remote rank ", j, ")", MPI_ERR_COUNT);
        } else if ((mine.root_block >= 0 && b.block >= 0 && b.block != mine.root_block) ||
                   (b.root_block >= 0 && mine.block >= 0 && mine.block != b.root_block)) {
            return noted(what, "amount of data (remote rank ", j, " and the root)", MPI_ERR_COUNT);
        }
        // allgather/alltoall: each group may send another type than the other (its receive type matches)
        if (!all && named(mine.type) && named(b.type) && std::strcmp(mine.type, b.type) != 0)
            return noted(what, "datatype (remote rank ", j, ")", MPI_ERR_TYPE);
    }
    return MPI_SUCCESS;
}

/// The error of a disagreement on an intercommunicator, as this process sees it (cold path).
[[MPIXX_COLD]] inline error inter_mismatch(const char* routine, int code, const std::string& what,
                                           const collective_record& mine, int me,
                                           const std::vector<collective_record>& remote) {
    std::string text = "checked mode: the two groups of the intercommunicator called different collectives (" +
                       (what.empty() ? std::string("found by another process") : what + " differs") +
                       "):\n  this process (rank " + std::to_string(me) + " of its group): " + describe(mine);
    for (std::size_t j = 0; j < remote.size(); ++j)
        text += "\n  remote rank " + std::to_string(j) + ": " + describe(remote[j]);
    return error(routine, code, text);
}

/// Checked mode, before the blocking collective `s` on an intercommunicator: throws on every process of
/// both groups when any process finds its call disagrees with the other group's.
inline void check_inter_site(const collective_site& s) {
    int me = 0, remote_size = 0;
    MPIXX_CALL(MPI_Comm_rank, s.comm, &me);
    MPIXX_CALL(MPI_Comm_remote_size, s.comm, &remote_size);
    const collective_record mine = make_inter_record(s);
    std::vector<collective_record> remote(static_cast<std::size_t>(remote_size));
    constexpr int bytes = static_cast<int>(sizeof(collective_record));
    MPIXX_CALL(MPI_Allgather, &mine, bytes, MPI_BYTE, remote.data(), bytes, MPI_BYTE, s.comm);
    std::string what;
    const int code = compare_inter(mine, me, remote, what);
    // Each MPI_Allreduce on an intercommunicator gives the other group's result: two rounds spread both
    // (the highest error class found; a process that found none reports that one).
    int theirs = MPI_SUCCESS, any = MPI_SUCCESS;
    MPIXX_CALL(MPI_Allreduce, &code, &theirs, 1, MPI_INT, MPI_MAX, s.comm);
    const int both = std::max(code, theirs);
    MPIXX_CALL(MPI_Allreduce, &both, &any, 1, MPI_INT, MPI_MAX, s.comm);
    if (std::max(both, any) == MPI_SUCCESS) [[likely]]
        return;
    throw inter_mismatch(s.routine, code != MPI_SUCCESS ? code : std::max(both, any), what, mine, me, remote);
}

} // namespace mpixx::detail
