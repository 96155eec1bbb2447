// mpixx/status.hpp - what a receive or probe learned about a message.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/datatype.hpp>
#include <mpixx/error.hpp>

#include <cstddef>

namespace mpixx::inline MPIXX_ABI {

/// Wildcards for receives and probes.
inline constexpr int any_source = MPI_ANY_SOURCE;
inline constexpr int any_tag = MPI_ANY_TAG;
/// The null process: communication with it completes at once and moves nothing.
inline constexpr int proc_null = MPI_PROC_NULL;
/// The root argument of the root process in an intercommunicator collective (MPI_ROOT); the other
/// processes of its group pass proc_null, the receiving group passes the root's rank.
inline constexpr int intercomm_root = MPI_ROOT;

/// Source, tag and size of a received or probed message (wraps MPI_Status).
class status {
public:
    /// MPI's empty status (what a wait on a null request reports): source any_source, tag any_tag,
    /// count 0, not cancelled. (Zeroed hidden fields mean count 0 and not cancelled in MPICH and Open MPI.)
    status() noexcept : s_{} {
        s_.MPI_SOURCE = MPI_ANY_SOURCE;
        s_.MPI_TAG = MPI_ANY_TAG;
        s_.MPI_ERROR = MPI_SUCCESS;
    }
    /// Wraps a status filled in by MPI.
    explicit status(const MPI_Status& s) noexcept : s_(s) {}

    /// Rank that sent the message.
    [[nodiscard]] int source() const noexcept { return s_.MPI_SOURCE; }
    /// Tag of the message.
    [[nodiscard]] int tag() const noexcept { return s_.MPI_TAG; }
    /// Number of T elements in the message; throws if the byte size is not a multiple of T's.
    template <mpi_type T>
    [[nodiscard]] std::size_t count() const {
        return count(datatype<T>());
    }
    /// Number of elements of MPI datatype `type` in the message.
    [[nodiscard]] std::size_t count(MPI_Datatype type) const {
#if MPI_VERSION >= 4
        MPI_Count n = 0;
        MPIXX_CALL(MPI_Get_count_c, &s_, type, &n);
#else
        int n = 0;
        MPIXX_CALL(MPI_Get_count, &s_, type, &n);
        if (n == MPI_UNDEFINED) [[unlikely]] // not whole elements, or more than an int holds
            return large_count(type);
#endif
        if (n == MPI_UNDEFINED) [[unlikely]]
            throw_not_whole();
        return static_cast<std::size_t>(n);
    }
    /// Whether the operation was cancelled.
    [[nodiscard]] bool cancelled() const {
        int flag = 0;
        MPIXX_CALL(MPI_Test_cancelled, &s_, &flag);
        return flag != 0;
    }
    /// The underlying MPI_Status.
    [[nodiscard]] MPI_Status& native() noexcept { return s_; }
    /// The underlying MPI_Status (read-only).
    [[nodiscard]] const MPI_Status& native() const noexcept { return s_; }

private:
    [[noreturn, MPIXX_COLD]] static void throw_not_whole() {
        detail::throw_usage("mpixx::status::count", MPI_ERR_TYPE,
                            "message size is not a whole number of elements of the requested type");
    }
#if MPI_VERSION < 4
    /// MPI-3's MPI_Get_count says MPI_UNDEFINED above INT_MAX elements too: count from the byte size.
    [[MPIXX_COLD]] std::size_t large_count(MPI_Datatype type) const {
        MPI_Count bytes = 0;
        int size = 0;
        MPIXX_CALL(MPI_Get_elements_x, &s_, MPI_BYTE, &bytes);
        MPIXX_CALL(MPI_Type_size, type, &size);
        if (size <= 0 || bytes == MPI_UNDEFINED || bytes % size != 0) throw_not_whole();
        return static_cast<std::size_t>(bytes / size);
    }
#endif

    MPI_Status s_;
};

} // namespace mpixx
