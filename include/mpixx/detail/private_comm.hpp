// mpixx/detail/private_comm.hpp - a duplicate of a user's communicator that only mpixx uses, cached
// on the communicator: protocol messages there can never match a user's receive, nor the reverse.
#pragma once

#include <mpixx/config.hpp>
#include <mpixx/detail/finalize_hooks.hpp>
#include <mpixx/error.hpp>

#include <mpixx/detail/owner.hpp>

#include <cstddef>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// A duplicate of `comm` private to mpixx (print_ordered's messages can never match a user's receive,
/// nor a user's message one of mpixx's). Made collectively on first use and cached on `comm` as an
/// attribute, so it is freed with `comm`; the one of MPI_COMM_WORLD is freed at MPI_Finalize. Each
/// `Purpose` has its own duplicate (0: protocols of print, task farm, executor; 1: checked mode's
/// point-to-point signatures, detail/p2p_signature.hpp), so their tags never meet.
template <int Purpose>
class private_comm_t {
public:
    /// The cached duplicate of `comm`, or MPI_COMM_NULL when none was made (never collective).
    static MPI_Comm find(MPI_Comm comm) {
        void* value = nullptr;
        int found = 0;
        if (MPI_Comm_get_attr(comm, keyval(), &value, &found) != MPI_SUCCESS || !found) return MPI_COMM_NULL;
        return *static_cast<MPI_Comm*>(value);
    }

    /// The cached duplicate of `comm`, created (collectively) by the first call on that communicator.
    static MPI_Comm get(MPI_Comm comm) {
        const int key = keyval();
        void* value = nullptr;
        int found = 0;
        MPIXX_CALL(MPI_Comm_get_attr, comm, key, &value, &found);
        if (found) return *static_cast<MPI_Comm*>(value);
        auto stored = detail::make_box<MPI_Comm>(MPI_COMM_NULL);
        MPIXX_CALL(MPI_Comm_dup, comm, stored.get());
        int rc = MPI_Comm_set_errhandler(*stored, MPI_ERRORS_RETURN);
        if (rc == MPI_SUCCESS) rc = MPI_Comm_set_attr(comm, key, stored.get());
        if (rc != MPI_SUCCESS) [[unlikely]] {
            MPI_Comm_free(stored.get());
            throw_mpi_error(rc, "MPI_Comm_set_attr");
        }
        const MPI_Comm dup = *stored;
        static_cast<void>(stored.release()); // owned by the attribute now: on_delete frees it
        return dup;
    }

private:
    static int keyval() {
        static const int key = [] {
            int k = MPI_KEYVAL_INVALID;
            // NULL_COPY: a dup of the user's communicator gets a private duplicate of its own.
            MPIXX_CALL(MPI_Comm_create_keyval, MPI_COMM_NULL_COPY_FN, &on_delete, &k, nullptr);
            // MPI_COMM_WORLD is never freed; release its duplicate while MPI is still fully usable.
            at_finalize([k]() mutable {
                MPI_Comm_delete_attr(MPI_COMM_WORLD, k);
                MPI_Comm_free_keyval(&k);
            });
            return k;
        }();
        return key;
    }

public:
    /// Called with the user's communicator when its duplicate goes (state kept per communicator is
    /// forgotten: MPI reuses the handles of freed communicators).
    static inline void (*on_free)(MPI_Comm) noexcept = nullptr;

private:
    static int on_delete(MPI_Comm comm, int, void* value, void*) {
        if (on_free != nullptr) on_free(comm);
        auto* stored = static_cast<MPI_Comm*>(value);
        MPI_Comm_free(stored);
        delete stored;
        return MPI_SUCCESS;
    }
};

using private_comm = private_comm_t<0>;

/// Receives a worker of a private protocol (task farm, executor) keeps posted: those still posted when a
/// failure unwinds the worker are cancelled and completed, so that none outlives its buffer.
struct posted_receives {
    explicit posted_receives(std::size_t n) : requests(n, MPI_REQUEST_NULL) {}
    posted_receives(const posted_receives&) = delete;
    posted_receives& operator=(const posted_receives&) = delete;
    ~posted_receives() {
        for (MPI_Request& r : requests)
            if (r != MPI_REQUEST_NULL) {
                MPI_Cancel(&r);
                MPI_Wait(&r, MPI_STATUS_IGNORE);
            }
    }
    std::vector<MPI_Request> requests;
};

} // namespace mpixx::detail
