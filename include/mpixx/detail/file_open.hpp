// mpixx/detail/file_open.hpp - the cold parts of mpixx::file: collective open with agreement (no rank
// keeps a handle when any failed), close in the destructor, the checks of modes and views (a typemap
// walk for their order), the agreement of collective calls' arguments, and the limits of offsets whose
// byte positions fit in MPI_Offset.
// Included by file.hpp at its end.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/file.hpp>
#include <mpixx/request.hpp>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

namespace detail {

/// A 62-bit hash of the path (FNV-1a): processes compare it to find one that names another file.
inline long long path_hash(std::string_view path) noexcept {
    std::uint64_t h = 1469598103934665603ull;
    for (const char c : path) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    return static_cast<long long>(h >> 2);
}

/// The order of a datatype's typemap, as MPI's file views need it (filetypes and etypes: displacements
/// non-negative and monotonically nondecreasing; in a writable file, no overlapping regions). Relative to
/// the type's origin: where its first element starts, where its last starts and ends, whether some
/// element starts before the previous one (decrease) or before it ends (overlap). Decoded with
/// MPI_Type_get_contents for the combiners mpixx's layouts and hand-built types use; any other (subarray,
/// darray: monotone by construction) is one opaque block of its true extent, so the walk never refuses
/// a type MPI accepts. known: false when the walk gave up (overflow, depth): MPI judges the type. Cold
/// (set_view only).
struct type_walk {
    bool empty = true, decrease = false, overlap = false, known = true;
    long long first = 0, last = 0, end = 0;

    /// Appends `p` shifted by `d` bytes.
    void append(const type_walk& p, long long d) noexcept {
        known = known && p.known;
        if (!known || p.empty) return;
        long long f = 0, l = 0, e = 0;
        if (__builtin_add_overflow(p.first, d, &f) || __builtin_add_overflow(p.last, d, &l) ||
            __builtin_add_overflow(p.end, d, &e)) {
            known = false;
            return;
        }
        if (!empty) {
            decrease = decrease || f < last;
            overlap = overlap || f < end;
        }
        decrease = decrease || p.decrease;
        overlap = overlap || p.overlap;
        if (empty) first = f;
        empty = false;
        last = l;
        end = e;
    }
};

/// `count` copies of `p`, `stride` bytes apart.
inline type_walk repeat_walk(const type_walk& p, long long count, long long stride) noexcept {
    type_walk w;
    for (long long i = 0; i < count && i < 2; ++i) w.append(p, i * stride); // the first two: flags
    if (count > 2 && w.known && !w.empty) {
        long long span = 0;
        if (__builtin_mul_overflow(count - 1, stride, &span) || __builtin_add_overflow(p.last, span, &w.last) ||
            __builtin_add_overflow(p.end, span, &w.end))
            w.known = false;
    }
    return w;
}

inline type_walk walk_type(MPI_Datatype t, int depth) {
    type_walk w;
    int ni = 0, na = 0, nd = 0, comb = MPI_COMBINER_NAMED;
    MPI_Count size = 0, tlb = 0, text = 0;
    if (depth > 32 || MPI_Type_size_x(t, &size) != MPI_SUCCESS) {
        w.known = false;
        return w;
    }
    if (size == 0) return w; // no elements: nothing to order
    if (MPI_Type_get_envelope(t, &ni, &na, &nd, &comb) != MPI_SUCCESS) comb = MPI_COMBINER_NAMED;
    const auto opaque = [&] { // one block: first = last = its true lower bound, end = its true upper bound
        if (MPI_Type_get_true_extent_x(t, &tlb, &text) != MPI_SUCCESS) {
            w.known = false;
        } else {
            w.empty = false;
            w.first = w.last = tlb;
            w.end = tlb + text;
        }
        return w;
    };
    if (comb == MPI_COMBINER_NAMED) return opaque();
    std::vector<int> ints(static_cast<std::size_t>(ni));
    std::vector<MPI_Aint> addrs(static_cast<std::size_t>(na));
    std::vector<MPI_Datatype> types(static_cast<std::size_t>(nd), MPI_DATATYPE_NULL);
    if (MPI_Type_get_contents(t, ni, na, nd, ints.data(), addrs.data(), types.data()) != MPI_SUCCESS) return opaque();
    struct freer { // get_contents hands out new references to derived types
        std::vector<MPI_Datatype>& v;
        ~freer() {
            for (MPI_Datatype& d : v) {
                int a = 0, b = 0, c = 0, k = MPI_COMBINER_NAMED;
                if (d != MPI_DATATYPE_NULL && MPI_Type_get_envelope(d, &a, &b, &c, &k) == MPI_SUCCESS &&
                    k != MPI_COMBINER_NAMED)
                    MPI_Type_free(&d);
            }
        }
    } free_types{types};
    // child i's walk and extent
    const auto child = [&](std::size_t i, long long& ext) {
        MPI_Count lb = 0, x = 0;
        if (MPI_Type_get_extent_x(types[i], &lb, &x) != MPI_SUCCESS) {
            type_walk u;
            u.known = false;
            return u;
        }
        ext = x;
        return walk_type(types[i], depth + 1);
    };
    long long ext = 0, d = 0;
    const auto scaled = [&](long long v) { // element displacement v in bytes
        if (__builtin_mul_overflow(v, ext, &d)) w.known = false;
        return d;
    };
    switch (comb) {
    case MPI_COMBINER_DUP:
    case MPI_COMBINER_RESIZED: // same typemap, other bounds
        return walk_type(types[0], depth + 1);
    case MPI_COMBINER_CONTIGUOUS: {
        const type_walk c = child(0, ext);
        return repeat_walk(c, ints[0], ext);
    }
    case MPI_COMBINER_VECTOR:
    case MPI_COMBINER_HVECTOR: {
        const type_walk c = child(0, ext);
        const long long stride = comb == MPI_COMBINER_VECTOR ? scaled(ints[2]) : static_cast<long long>(addrs[0]);
        type_walk r = repeat_walk(repeat_walk(c, ints[1], ext), ints[0], stride);
        r.known = r.known && w.known;
        return r;
    }
    case MPI_COMBINER_INDEXED:
    case MPI_COMBINER_HINDEXED:
    case MPI_COMBINER_INDEXED_BLOCK:
    case MPI_COMBINER_HINDEXED_BLOCK: {
        const type_walk c = child(0, ext);
        const bool block = comb == MPI_COMBINER_INDEXED_BLOCK || comb == MPI_COMBINER_HINDEXED_BLOCK;
        const bool bytes = comb == MPI_COMBINER_HINDEXED || comb == MPI_COMBINER_HINDEXED_BLOCK;
        const std::size_t n = static_cast<std::size_t>(ints[0]), at = block ? 2 : 1 + n;
        for (std::size_t i = 0; i < n && w.known; ++i) {
            const long long len = block ? ints[1] : ints[1 + i];
            w.append(repeat_walk(c, len, ext), bytes ? static_cast<long long>(addrs[i]) : scaled(ints[at + i]));
        }
        return w;
    }
    case MPI_COMBINER_STRUCT: {
        for (std::size_t i = 0; i < static_cast<std::size_t>(ints[0]) && w.known; ++i) {
            const type_walk c = child(i, ext);
            w.append(repeat_walk(c, ints[1 + i], ext), static_cast<long long>(addrs[i]));
        }
        return w;
    }
    default:
        return opaque();
    }
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

/// The agreement of a collective call on this file, before MPI sees it: one allreduce of the largest
/// error class refused anywhere (`problem` non-empty: this rank refuses with `cls`) and of a and b as max
/// and max of their complements (~v: no overflow), which are equal everywhere exactly when the maximum
/// is the complement of the complements' maximum. Every rank throws when any refused or, with `differ`,
/// when the ranks passed different a or b (MPI_ERR_NOT_SAME); else all go on.
inline void file::agree(const std::string& problem, const char* routine, int cls, long long a, long long b,
                        const char* differ) {
    long long mine[5] = {problem.empty() ? 0 : cls, a, ~a, b, ~b}, all[5] = {};
    MPIXX_WATCHED_CALL(hang(), MPI_Allreduce, mine, all, 5, MPI_LONG_LONG, MPI_MAX, comm_);
    if (mine[0] != 0) detail::throw_file_usage(routine, cls, problem, path_);
    if (all[0] != 0)
        detail::throw_file_usage(routine, static_cast<int>(all[0]), "the call was refused on another process", path_);
    if (differ != nullptr && (all[1] != ~all[2] || all[3] != ~all[4]))
        detail::throw_file_usage(routine, MPI_ERR_NOT_SAME, std::string("the processes passed ") + differ, path_);
}

inline void file::agree_size(offset bytes, const char* routine) {
    require_open(routine);
    agree(bytes < 0 ? "size " + std::to_string(bytes) + " is negative" : std::string(), routine, MPI_ERR_ARG, bytes,
          0, "different sizes");
}

inline void file::set_view(offset disp, MPI_Datatype etype, MPI_Datatype filetype, std::string_view datarep,
                           const info& hints) {
    require_open("mpixx::file::set_view");
    int cls = MPI_ERR_TYPE;
    const std::string problem = view_problem(disp, etype, filetype, cls);
    // MPI checks datarep and the etype on each rank alone: one rank refused hangs the others in set_view.
    MPI_Aint elb = 0, eext = 0;
    if (problem.empty()) MPI_Type_get_extent(etype, &elb, &eext);
    agree(problem, "mpixx::file::set_view", cls, detail::path_hash(datarep), eext,
          "different data representations or etype extents");
    const std::string rep(datarep);
    if (int rc = MPIXX_WATCHED(hang(), MPI_File_set_view, fh_, disp, etype, filetype, rep.c_str(), hints.native());
        rc != MPI_SUCCESS) [[unlikely]]
        detail::throw_file_error(rc, "MPI_File_set_view", path_);
    int esize = 1;
    MPI_Type_size(etype, &esize);
    etype_size_ = esize;
    set_limits(disp, etype, filetype);
}

inline void file::seek_shared(offset off, seek_from whence) {
    require_open("mpixx::file::seek_shared");
    // A relative seek this far is refused whatever the pointer (whose value a rank cannot read safely).
    const bool far = off > near_off_ && (whence != seek_from::start || off > max_off_);
    agree(far ? far_text(off) : std::string(), "mpixx::file::seek_shared", MPI_ERR_ARG, off, static_cast<int>(whence),
          "different offsets or origins");
    call(MPIXX_WATCHED(hang(), MPI_File_seek_shared, fh_, off, static_cast<int>(whence)), "MPI_File_seek_shared");
}

/// A seek past near_off_ (cold): from the start, exact; from the current position, exact (a local call);
/// from the end, refused (the end's view offset is not known without moving the pointer).
inline void file::check_seek(offset off, seek_from whence, const char* routine) const {
    if (fh_ == MPI_FILE_NULL) return; // call() says so
    offset target = off;
    if (whence == seek_from::current && __builtin_add_overflow(position(), off, &target)) target = detail::offset_max;
    if (whence == seek_from::end || target > max_off_) refuse_far(off, routine);
}

/// The limits of explicit offsets under a view just set: the etype at view offset o lies in filetype
/// tile o / k (k etypes a tile) at disp + tile * extent, within the tile's true extent; the last tile
/// that ends within MPI_Offset bounds max_off_ (a tile short of exact, far past any real file).
inline void file::set_limits(offset disp, MPI_Datatype etype, MPI_Datatype filetype) noexcept {
    MPI_Count esize = 0, fsize = 0, lb = 0, ext = 0, tlb = 0, text = 0;
    max_off_ = detail::offset_max - 1;
    if (MPI_Type_size_x(etype, &esize) == MPI_SUCCESS && MPI_Type_size_x(filetype, &fsize) == MPI_SUCCESS &&
        MPI_Type_get_extent_x(filetype, &lb, &ext) == MPI_SUCCESS &&
        MPI_Type_get_true_extent_x(filetype, &tlb, &text) == MPI_SUCCESS && esize > 0 && fsize > 0 && ext > 0) {
        const long long d = disp == MPI_DISPLACEMENT_CURRENT ? 0 : disp, k = fsize / esize;
        long long room = 0, top = 0;
        if (__builtin_sub_overflow(detail::offset_max - d, tlb + text, &room) || room < 0)
            max_off_ = -1;
        else if (__builtin_mul_overflow(room / ext, k, &top) || __builtin_add_overflow(top, k - 1, &max_off_))
            max_off_ = detail::offset_max;
    }
    const offset headroom = detail::far_headroom / (esize > 0 ? esize : 1);
    near_off_ = max_off_ >= headroom ? max_off_ - headroom : -1;
}

/// Whether n elements of t from view offset `off` on all have byte positions that fit in MPI_Offset.
inline bool file::fits(offset off, std::size_t n, MPI_Datatype t) const noexcept {
    if (off > max_off_) return false;
    MPI_Count size = 0;
    if (n == 0 || MPI_Type_size_x(t, &size) != MPI_SUCCESS || size <= 0) return true; // MPI judges t
    long long bytes = 0, last = 0;
    if (n > static_cast<std::size_t>(LLONG_MAX) || __builtin_mul_overflow(static_cast<long long>(n), size, &bytes))
        return false;
    const long long etypes = bytes / etype_size_ + (bytes % etype_size_ != 0 ? 1 : 0);
    return !__builtin_add_overflow(off, etypes - 1, &last) && last <= max_off_;
}

[[MPIXX_COLD]] inline void file::refuse_mode(op_t op) const {
    if (detail::io_writes(op))
        detail::throw_file_usage(detail::io_name(op), MPI_ERR_READ_ONLY, "cannot write: the file was opened read-only",
                                 path_);
    detail::throw_file_usage(detail::io_name(op), MPI_ERR_ACCESS, "cannot read: the file was opened write-only", path_);
}

template <file::op_t Op>
[[MPIXX_COLD]] void file::refuse(MPI_Datatype t, int cls, const std::string& text) {
    if constexpr (detail::io_collective(Op)) {
        if constexpr (detail::io_nonblocking(Op)) {
            MPI_Request r = MPI_REQUEST_NULL;
            if (detail::io_call<Op>(fh_, 0, nullptr, 0, t, &r) == MPI_SUCCESS)
                (void)MPIXX_WATCHED(hang(), MPI_Wait, &r, MPI_STATUS_IGNORE);
        } else {
            std::optional<detail::hang_scope> watched;
            if (detail::hang_watch_on()) watched.emplace(detail::hang_file_site(detail::io_name(Op), comm_, path_.c_str()));
            MPI_Status st;
            (void)detail::io_call<Op>(fh_, 0, nullptr, 0, t, &st);
        }
    }
    detail::throw_file_usage(detail::io_name(Op), cls, text, path_);
}

[[MPIXX_COLD]] inline std::string file::far_text(offset off) const {
    return "offset " + std::to_string(off) + ", or data from it on, lies past view offset " + std::to_string(max_off_) +
           ", the last whose byte position fits in MPI_Offset under this view";
}

[[MPIXX_COLD]] inline void file::refuse_far(offset off, const char* routine) const {
    detail::throw_file_usage(routine, MPI_ERR_ARG, far_text(off), path_);
}

[[MPIXX_COLD]] inline std::string file::partial_text(std::size_t n, MPI_Datatype t) const {
    MPI_Count size = 0;
    MPI_Type_size_x(t, &size);
    return std::to_string(n) + " elements of " + std::to_string(size) +
           " bytes are not a whole number of the view's etypes of " + std::to_string(etype_size_) + " bytes";
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

inline std::string file::view_problem(offset disp, MPI_Datatype etype, MPI_Datatype filetype, int& cls) const {
    cls = MPI_ERR_ARG;
    if (disp < 0 && disp != MPI_DISPLACEMENT_CURRENT)
        return "displacement " + std::to_string(disp) + " is negative";
    if ((disp == MPI_DISPLACEMENT_CURRENT) != ((amode_ & MPI_MODE_SEQUENTIAL) != 0))
        return "MPI_DISPLACEMENT_CURRENT is the displacement of files opened with file_mode::sequential, and theirs only";
    cls = MPI_ERR_TYPE;
    if (etype == MPI_DATATYPE_NULL || filetype == MPI_DATATYPE_NULL) return "the etype or filetype is MPI_DATATYPE_NULL";
    MPI_Count esize = 0, fsize = 0, elb = 0, eext = 0, flb = 0, fext = 0;
    if (MPI_Type_size_x(etype, &esize) != MPI_SUCCESS || MPI_Type_size_x(filetype, &fsize) != MPI_SUCCESS ||
        MPI_Type_get_extent_x(etype, &elb, &eext) != MPI_SUCCESS ||
        MPI_Type_get_extent_x(filetype, &flb, &fext) != MPI_SUCCESS)
        return "the etype or filetype is not a valid datatype";
    if (esize <= 0) return "the etype has size 0";
    if (eext <= 0) return "the etype's extent (" + std::to_string(eext) + " bytes) is not positive";
    if (fsize > 0 && fext <= 0) return "the filetype's extent (" + std::to_string(fext) + " bytes) is not positive";
    if (fsize % esize != 0)
        return "the filetype holds " + std::to_string(fsize) + " bytes of data, not a whole number of etypes of " +
               std::to_string(esize) + " bytes";
    if (fext % eext != 0)
        return "the filetype's extent (" + std::to_string(fext) + " bytes) is not a multiple of the etype's (" +
               std::to_string(eext) + " bytes)";
    if (flb < 0) return "the filetype's lower bound (" + std::to_string(flb) + ") is negative";
    // The typemaps' order (MPI checks it on each rank alone: a type refused on one rank hangs the others).
#ifdef OPEN_MPI
    const bool no_overlap = true; // OMPIO refuses overlapping regions in any file's view
#else
    const bool no_overlap = (amode_ & (MPI_MODE_WRONLY | MPI_MODE_RDWR)) != 0;
#endif
    for (const bool file_type : {false, true}) {
        const char* name = file_type ? "filetype" : "etype";
        const detail::type_walk w = detail::walk_type(file_type ? filetype : etype, 0);
        if (!w.known || w.empty) continue;
        if (w.first < 0) return std::string("the ") + name + " has data at a negative displacement";
        if (w.decrease)
            return std::string("the ") + name + "'s displacements decrease (MPI requires them monotonically nondecreasing)";
        if (no_overlap && w.overlap)
            return std::string("the ") + name +
                   " has overlapping regions (MPI forbids them in a writable file's view, Open MPI in any)";
    }
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
    if (start > near_off_ && !fits(start, n, t)) return n;                                 // run() refuses it
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
