// mpixx/detail/comm_base.hpp - the communicator handle that every communication layer builds on:
// the MPI_Comm, its cached rank and size, shared ownership of handles mpixx created, argument checks.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/error.hpp>
#include <mpixx/detail/owner.hpp>

#include <climits>
#include <cstddef>
#include <string>
#include <span>

namespace mpixx::inline MPIXX_ABI::detail {

/// Throws MPI_ERR_COMM for an operation on a null communicator (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_null_comm(const char* routine) {
    throw_usage(routine, MPI_ERR_COMM, "called on a null communicator (no process: e.g. split with mpixx::undefined)");
}

/// Throws MPI_ERR_RANK for a rank outside [0, size) (cold path); MPI_ERR_COMM when size is 0, which
/// only a null communicator has (no rank is in range there: the rank is not what is wrong).
[[noreturn, MPIXX_COLD]] inline void throw_bad_rank(const char* routine, int rank, int size) {
    if (size == 0) throw_null_comm(routine);
    throw_usage(routine, MPI_ERR_RANK,
                "rank " + std::to_string(rank) + " is out of range for a communicator of size " +
                    std::to_string(size));
}

/// Throws MPI_ERR_ROOT for a root that is not a rank of the communicator (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_bad_root(const char* routine, int root, int size, bool inter) {
    if (size == 0) throw_null_comm(routine); // as throw_bad_rank
    throw_usage(routine, MPI_ERR_ROOT,
                "root " + std::to_string(root) + " is out of range for " +
                    (inter ? "an intercommunicator whose remote group has size " + std::to_string(size) +
                                 " (the root's own process passes mpixx::intercomm_root, the others of its group proc_null)"
                           : "a communicator of size " + std::to_string(size)));
}

/// Throws MPI_ERR_COMM for an operation mpixx does not offer on intercommunicators (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_intercomm(const char* routine) {
    throw_usage(routine, MPI_ERR_COMM,
                "not available on an intercommunicator (use merge() for an intracommunicator of both groups)");
}

/// Throws MPI_ERR_TAG for a negative tag (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_bad_tag(const char* routine, int tag) {
    throw_usage(routine, MPI_ERR_TAG, "tag " + std::to_string(tag) + " is invalid (tags must be >= 0)");
}

/// Throws MPI_ERR_COUNT when a count above INT_MAX meets an MPI without large-count calls.
[[noreturn, MPIXX_COLD]] inline void throw_large_count(const char* routine, std::size_t n) {
    throw_usage(routine, MPI_ERR_COUNT,
                "count " + std::to_string(n) + " exceeds INT_MAX and this MPI has no MPI-4 large-count calls");
}

/// The handle, cached rank/size and ownership; copies share an owned handle, freed with the last copy.
class comm_base {
public:
    /// The underlying MPI_Comm, for interoperation with code that calls MPI directly.
    [[nodiscard]] MPI_Comm native() const noexcept { return comm_; }
    /// This process's rank in the communicator.
    [[nodiscard]] int rank() const noexcept { return rank_; }
    /// Number of processes in the communicator.
    [[nodiscard]] int size() const noexcept { return size_; }
    /// Whether this is a null communicator (e.g. the result of split with an undefined color).
    [[nodiscard]] bool is_null() const noexcept { return comm_ == MPI_COMM_NULL; }
    /// Whether this is an intercommunicator (two groups: peers are ranks of the remote group).
    [[nodiscard]] bool is_inter() const noexcept { return inter_; }
    /// Size of the remote group of an intercommunicator; size() for an intracommunicator.
    [[nodiscard]] int remote_size() const noexcept { return peers_; }

protected:
    comm_base() = default;

    /// Wraps `comm`; frees it with the last copy when `owned`.
    comm_base(MPI_Comm comm, bool owned) : comm_(comm) {
        if (comm == MPI_COMM_NULL) return;
        // Owned first: a throw below must still free the handle.
        if (owned) owner_ = detail::on_last_copy([comm]() mutable { free_comm(comm); });
        MPIXX_CALL(MPI_Comm_rank, comm, &rank_);
        MPIXX_CALL(MPI_Comm_size, comm, &size_);
        int inter = 0;
        MPIXX_CALL(MPI_Comm_test_inter, comm, &inter);
        inter_ = inter != 0;
        peers_ = size_;
        if (inter_) MPIXX_CALL(MPI_Comm_remote_size, comm, &peers_);
    }

    static void free_comm(MPI_Comm comm) noexcept {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Comm_free(&comm);
    }

    /// A destination must be a valid peer rank (of the remote group, on an intercommunicator) or proc_null.
    void check_dest(int dest, const char* routine) const {
        // peers_ == 0: a null communicator, where even proc_null is refused (Open MPI aborts on it).
        if ((static_cast<unsigned>(dest) >= static_cast<unsigned>(peers_)) && (dest != MPI_PROC_NULL || peers_ == 0))
            [[unlikely]]
            throw_bad_rank(routine, dest, peers_);
    }
    /// A source may also be any_source.
    void check_source(int source, const char* routine) const {
        if ((static_cast<unsigned>(source) >= static_cast<unsigned>(peers_)) &&
            ((source != MPI_PROC_NULL && source != MPI_ANY_SOURCE) || peers_ == 0)) [[unlikely]]
            throw_bad_rank(routine, source, peers_);
    }
    /// A root of a collective must be a rank of the communicator (MPI_ERR_ROOT otherwise). On an
    /// intercommunicator: mpixx::intercomm_root (the root itself), proc_null (the rest of its group), or a rank
    /// of the remote group (the receiving group).
    void check_root(int root, const char* routine) const {
        if (static_cast<unsigned>(root) >= static_cast<unsigned>(peers_)) [[unlikely]]
            if (!inter_ || (root != MPI_ROOT && root != MPI_PROC_NULL)) throw_bad_root(routine, root, peers_, inter_);
    }
    /// For operations mpixx offers on intracommunicators only: MPI_ERR_COMM on an intercommunicator.
    void check_intra(const char* routine) const {
        if (inter_) [[unlikely]]
            throw_intercomm(routine);
    }
    /// This rank's entry of a per-rank count list whose length was checked against the size.
    [[nodiscard]] int own_count(std::span<const int> counts) const noexcept {
        return counts[static_cast<std::size_t>(rank_)];
    }
    /// The same entry as a size (counts are checked to be >= 0 first).
    [[nodiscard]] std::size_t own_size(std::span<const int> counts) const noexcept {
        return static_cast<std::size_t>(own_count(counts));
    }
    /// Whether this process is the root of a rooted collective (on an intercommunicator: passed mpixx::intercomm_root).
    [[nodiscard]] bool is_root(int root) const noexcept { return inter_ ? root == MPI_ROOT : root == rank_; }
    /// Tags for sends are >= 0 (MPI checks the upper bound MPI_TAG_UB).
    static void check_send_tag(int tag, const char* routine) {
        if (tag < 0) [[unlikely]]
            throw_bad_tag(routine, tag);
    }
    /// Tags for receives are >= 0 or any_tag.
    static void check_recv_tag(int tag, const char* routine) {
        if (tag < 0 && tag != MPI_ANY_TAG) [[unlikely]]
            throw_bad_tag(routine, tag);
    }

    MPI_Comm comm_ = MPI_COMM_NULL;
    int rank_ = MPI_UNDEFINED;
    int size_ = 0;
    int peers_ = 0;     // size of the group peers are ranked in: remote group of an intercommunicator
    bool inter_ = false;
    detail::rc<void> owner_; // empty for handles mpixx does not own (world, self, wrapped)
};

} // namespace mpixx::detail

/// Calls `fn(buf, count, ...)`, or its MPI-4 large-count twin `fn_c` when count exceeds INT_MAX.
#if MPI_VERSION >= 4
#define MPIXX_CALL_COUNT(fn, buf, count, ...)                                                              \
    ((count) <= static_cast<std::size_t>(INT_MAX)                                                          \
         ? ::mpixx::detail::check(fn(buf, static_cast<int>(count), __VA_ARGS__), #fn)                      \
         : ::mpixx::detail::check(fn##_c(buf, static_cast<MPI_Count>(count), __VA_ARGS__), #fn "_c"))
#else
#define MPIXX_CALL_COUNT(fn, buf, count, ...)                                                              \
    ((count) <= static_cast<std::size_t>(INT_MAX)                                                          \
         ? ::mpixx::detail::check(fn(buf, static_cast<int>(count), __VA_ARGS__), #fn)                      \
         : ::mpixx::detail::throw_large_count(#fn, count))
#endif
