// mpixx/detail/file_open.hpp - the cold parts of mpixx::file: collective open with agreement (no rank
// keeps a handle when any failed), close in the destructor, and the checks of modes and views.
// Included by file.hpp at its end.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/file.hpp>
#include <mpixx/request.hpp>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

namespace mpixx::inline MPIXX_ABI {

namespace detail {

/// A 62-bit hash of the path (FNV-1a): processes compare it to find one that names another file.
inline long long path_hash(const std::string& path) noexcept {
    std::uint64_t h = 1469598103934665603ull;
    for (const char c : path) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    return static_cast<long long>(h >> 2);
}

} // namespace detail

inline void file::open(const detail::comm_base& comm, const info& hints) {
    constexpr const char* routine = "MPI_File_open";
    if (comm.is_null()) [[unlikely]]
        detail::throw_file_usage(routine, MPI_ERR_COMM, "the communicator is null", path_);
    if (comm.is_inter()) [[unlikely]]
        detail::throw_file_usage(routine, MPI_ERR_COMM, "files are opened on intracommunicators only", path_);
    // mpixx's own duplicate: agreements never mix with the user's collectives, and set_view can agree later.
    MPIXX_WATCHED_CALL(detail::hang_file_site(nullptr, comm.native(), path_.c_str()), MPI_Comm_dup, comm.native(),
                       &comm_);
    if (int rc = MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN); rc != MPI_SUCCESS) [[unlikely]] {
        free_comm();
        detail::throw_mpi_error(rc, "MPI_Comm_set_errhandler");
    }
    try {
        // Every process must name the same file and mode (MPI does not check the path): max of v and -v.
        const long long h = detail::path_hash(path_);
        long long mine[4] = {h, -h, amode_, -amode_}, all[4] = {};
        MPIXX_WATCHED_CALL(hang(), MPI_Allreduce, mine, all, 4, MPI_LONG_LONG, MPI_MAX, comm_);
        if (all[0] != -all[1] || all[2] != -all[3])
            detail::throw_file_usage(routine, MPI_ERR_NOT_SAME,
                                     "the processes of the communicator passed different paths or modes", path_);
        if (std::string p = mode_problem(amode_); !p.empty()) detail::throw_file_usage(routine, MPI_ERR_AMODE, p, path_);

        const int rc = MPIXX_WATCHED(detail::hang_file_site(nullptr, comm.native(), path_.c_str()), MPI_File_open,
                                     comm.native(), path_.c_str(), amode_, hints.native(), &fh_);
        if (rc == MPI_SUCCESS) {
            // Errors of this file are returned even if the user made MPI_FILE_NULL's handler fatal.
            if (MPI_File_set_errhandler(fh_, MPI_ERRORS_RETURN) != MPI_SUCCESS) { /* keep the default */ }
        }
        // Agree: the largest error class anywhere (0 when every rank opened it).
        int cls = MPI_SUCCESS, worst = MPI_SUCCESS;
        if (rc != MPI_SUCCESS) {
            MPI_Error_class(rc, &cls);
            if (cls == MPI_SUCCESS) cls = MPI_ERR_OTHER;
        }
        MPIXX_WATCHED_CALL(hang(), MPI_Allreduce, &cls, &worst, 1, MPI_INT, MPI_MAX, comm_);
        if (worst != MPI_SUCCESS) {
            if (fh_ != MPI_FILE_NULL) // collective over those that opened it
                (void)MPIXX_WATCHED(hang(), MPI_File_close, &fh_);
            fh_ = MPI_FILE_NULL;
            if (rc != MPI_SUCCESS) detail::throw_file_error(rc, routine, path_);
            detail::throw_file_usage(routine, worst, "the open failed on another process", path_);
        }
    } catch (...) {
        free_comm();
        throw;
    }
}

inline void file::release() noexcept {
    if (fh_ == MPI_FILE_NULL) return;
    if (!detail::mpi_usable()) {
        std::fprintf(stderr, "mpixx: file \"%s\" was still open at MPI_Finalize (not closed)\n", path_.c_str());
        fh_ = MPI_FILE_NULL;
        comm_ = MPI_COMM_NULL;
        return;
    }
    try {
        close();
    } catch (const std::exception& e) {
        std::string text = std::string("error while closing a file in its destructor: ") + e.what();
        detail::report_destructor_error(text.c_str());
    }
}

inline void file::agree(std::string& problem, const char* routine, int cls, const char* elsewhere) {
    const int mine = problem.empty() ? 0 : 1;
    int any = 0;
    MPIXX_WATCHED_CALL(hang(), MPI_Allreduce, &mine, &any, 1, MPI_INT, MPI_MAX, comm_);
    if (mine) detail::throw_file_usage(routine, cls, problem, path_);
    if (any) detail::throw_file_usage(routine, cls, elsewhere, path_);
}

inline std::string file::mode_problem(int amode) {
    const int access = amode & (MPI_MODE_RDONLY | MPI_MODE_WRONLY | MPI_MODE_RDWR);
    if (access != MPI_MODE_RDONLY && access != MPI_MODE_WRONLY && access != MPI_MODE_RDWR)
        return "the mode needs exactly one of file_mode::read, write, read_write";
    if (access == MPI_MODE_RDONLY && (amode & (MPI_MODE_CREATE | MPI_MODE_EXCL)) != 0)
        return "file_mode::create and exclusive need write or read_write access";
    if (access == MPI_MODE_RDWR && (amode & MPI_MODE_SEQUENTIAL) != 0)
        return "file_mode::sequential cannot be combined with read_write";
    return {};
}

inline std::string file::view_problem(offset disp, MPI_Datatype etype, MPI_Datatype filetype, int& cls) {
    cls = MPI_ERR_ARG;
    if (disp < 0 && disp != MPI_DISPLACEMENT_CURRENT)
        return "displacement " + std::to_string(disp) + " is negative";
    cls = MPI_ERR_TYPE;
    if (etype == MPI_DATATYPE_NULL || filetype == MPI_DATATYPE_NULL) return "the etype or filetype is MPI_DATATYPE_NULL";
    MPI_Count esize = 0, fsize = 0, elb = 0, eext = 0, flb = 0, fext = 0;
    if (MPI_Type_size_x(etype, &esize) != MPI_SUCCESS || MPI_Type_size_x(filetype, &fsize) != MPI_SUCCESS ||
        MPI_Type_get_extent_x(etype, &elb, &eext) != MPI_SUCCESS ||
        MPI_Type_get_extent_x(filetype, &flb, &fext) != MPI_SUCCESS)
        return "the etype or filetype is not a valid datatype";
    if (esize <= 0) return "the etype has size 0";
    if (fsize % esize != 0)
        return "the filetype holds " + std::to_string(fsize) + " bytes of data, not a whole number of etypes of " +
               std::to_string(esize) + " bytes";
    if (fext % eext != 0)
        return "the filetype's extent (" + std::to_string(fext) + " bytes) is not a multiple of the etype's (" +
               std::to_string(eext) + " bytes)";
    if (flb < 0) return "the filetype's lower bound (" + std::to_string(flb) + ") is negative";
    return {};
}

} // namespace mpixx

namespace mpixx::inline MPIXX_ABI {

/// How many whole elements of `t`, from view offset `start` on, the file holds (at most n): the first k
/// elements fit when the byte after their last etype is within the file; byte offsets grow with view
/// offsets, so k is found by bisection with MPI_File_get_byte_offset (local calls).
inline std::size_t file::available(offset start, std::size_t n, MPI_Datatype t) const {
    int tsize = 0;
    MPIXX_CALL(MPI_Type_size, t, &tsize);
    if (n == 0 || tsize <= 0 || etype_size_ <= 0 || tsize % etype_size_ != 0) return n; // MPI judges these
    const offset per = tsize / etype_size_; // etypes per element
    const offset fsize = size();
    const auto fits = [&](std::size_t k) { return byte_offset(start + static_cast<offset>(k) * per - 1) + etype_size_ <= fsize; };
    if (fits(n)) [[likely]]
        return n;
    std::size_t lo = 0, hi = n; // fits(lo) (nothing always fits), !fits(hi)
    while (hi - lo > 1) {
        const std::size_t mid = lo + (hi - lo) / 2;
        (fits(mid) ? lo : hi) = mid;
    }
    return lo;
}

/// Where this rank's part of a read_ordered starts: after the lower ranks' parts, from the shared file
/// pointer. Only rank 0 reads the pointer (another rank could read it after rank 0 has moved on into the
/// read and advanced it); one MPI_Exscan of (rank 0: pointer + its part, others: their part) gives every
/// rank > 0 its start. Collective; called before the read, so a throw here is every rank's.
inline file::offset file::ordered_start(std::size_t n, MPI_Datatype t) const {
    if (fh_ == MPI_FILE_NULL || (amode_ & MPI_MODE_WRONLY) != 0) return 0; // run() refuses it on every rank
    int tsize = 0, rank = 0;
    MPIXX_CALL(MPI_Type_size, t, &tsize);
    MPIXX_CALL(MPI_Comm_rank, comm_, &rank);
    const long long part = static_cast<long long>(n) * tsize / (etype_size_ > 0 ? etype_size_ : 1);
    const long long shared = rank == 0 ? position_shared() : 0;
    long long mine = shared + part, before = 0;
    MPIXX_WATCHED_CALL(hang(), MPI_Exscan, &mine, &before, 1, MPI_LONG_LONG, MPI_SUM, comm_);
    return rank == 0 ? shared : before; // MPI_Exscan leaves rank 0's result undefined
}

} // namespace mpixx
