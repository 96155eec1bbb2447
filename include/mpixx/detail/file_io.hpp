// mpixx/detail/file_io.hpp - the MPI-IO data calls behind mpixx::file, in one table: which MPI routine
// each operation is (and its MPI-4 large-count twin), what it needs (offset, collective, write), the
// cold paths that build errors naming the file, and the payloads of owning non-blocking requests.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/datatype.hpp>
#include <mpixx/error.hpp>
#include <mpixx/request.hpp>

#include <climits>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// Every data access of mpixx::file: explicit offset (_at), individual pointer, shared pointer;
/// blocking or not (i...), collective (_all, _ordered) or not.
enum class io_op : unsigned char {
    write_at, read_at, write_at_all, read_at_all,
    write, read, write_all, read_all,
    write_shared, read_shared, write_ordered, read_ordered,
    iwrite_at, iread_at, iwrite_at_all, iread_at_all,
    iwrite, iread, iwrite_all, iread_all,
    iwrite_shared, iread_shared,
};

/// Whether the operation writes to the file.
constexpr bool io_writes(io_op op) noexcept {
    switch (op) {
    case io_op::write_at: case io_op::write_at_all: case io_op::write: case io_op::write_all:
    case io_op::write_shared: case io_op::write_ordered: case io_op::iwrite_at: case io_op::iwrite_at_all:
    case io_op::iwrite: case io_op::iwrite_all: case io_op::iwrite_shared:
        return true;
    default:
        return false;
    }
}
/// Whether every process of the file's group must call it.
constexpr bool io_collective(io_op op) noexcept {
    switch (op) {
    case io_op::write_at_all: case io_op::read_at_all: case io_op::write_all: case io_op::read_all:
    case io_op::write_ordered: case io_op::read_ordered: case io_op::iwrite_at_all: case io_op::iread_at_all:
    case io_op::iwrite_all: case io_op::iread_all:
        return true;
    default:
        return false;
    }
}
/// Whether it takes an explicit offset.
constexpr bool io_explicit(io_op op) noexcept {
    switch (op) {
    case io_op::write_at: case io_op::read_at: case io_op::write_at_all: case io_op::read_at_all:
    case io_op::iwrite_at: case io_op::iread_at: case io_op::iwrite_at_all: case io_op::iread_at_all:
        return true;
    default:
        return false;
    }
}
/// Whether it returns a request (MPI_File_i...).
constexpr bool io_nonblocking(io_op op) noexcept { return op >= io_op::iwrite_at; }

/// The MPI routine's name (for errors).
constexpr const char* io_name(io_op op) noexcept {
    constexpr const char* names[] = {
        "MPI_File_write_at",
        "MPI_File_read_at",
        "MPI_File_write_at_all",
        "MPI_File_read_at_all",
        "MPI_File_write",
        "MPI_File_read",
        "MPI_File_write_all",
        "MPI_File_read_all",
        "MPI_File_write_shared",
        "MPI_File_read_shared",
        "MPI_File_write_ordered",
        "MPI_File_read_ordered",
        "MPI_File_iwrite_at",
        "MPI_File_iread_at",
        "MPI_File_iwrite_at_all",
        "MPI_File_iread_at_all",
        "MPI_File_iwrite",
        "MPI_File_iread",
        "MPI_File_iwrite_all",
        "MPI_File_iread_all",
        "MPI_File_iwrite_shared",
        "MPI_File_iread_shared",
    };
    return names[static_cast<int>(op)];
}

/// Calls the MPI routine of `Op`; `out` is an MPI_Status* (blocking) or MPI_Request* (non-blocking).
/// Returns MPI's code. (Counts above INT_MAX travel as one element of a derived type, large_type: the
/// MPI-4 `_c` routines of MPICH 4.0's ROMIO abort on them, assert(count <= INT_MAX).)
template <io_op Op>
int io_call(MPI_File fh, [[maybe_unused]] MPI_Offset off, const void* buf, int n, MPI_Datatype t, void* out) noexcept {
    [[maybe_unused]] void* rbuf = const_cast<void*>(buf); // reads get a writable buffer from the caller
    [[maybe_unused]] auto* st = static_cast<MPI_Status*>(out);
    [[maybe_unused]] auto* rq = static_cast<MPI_Request*>(out);
    using enum io_op;
    if constexpr (Op == write_at) { return MPI_File_write_at(fh, off, buf, n, t, st); }
    else if constexpr (Op == read_at) { return MPI_File_read_at(fh, off, rbuf, n, t, st); }
    else if constexpr (Op == write_at_all) { return MPI_File_write_at_all(fh, off, buf, n, t, st); }
    else if constexpr (Op == read_at_all) { return MPI_File_read_at_all(fh, off, rbuf, n, t, st); }
    else if constexpr (Op == write) { return MPI_File_write(fh, buf, n, t, st); }
    else if constexpr (Op == read) { return MPI_File_read(fh, rbuf, n, t, st); }
    else if constexpr (Op == write_all) { return MPI_File_write_all(fh, buf, n, t, st); }
    else if constexpr (Op == read_all) { return MPI_File_read_all(fh, rbuf, n, t, st); }
    else if constexpr (Op == write_shared) { return MPI_File_write_shared(fh, buf, n, t, st); }
    else if constexpr (Op == read_shared) { return MPI_File_read_shared(fh, rbuf, n, t, st); }
    else if constexpr (Op == write_ordered) { return MPI_File_write_ordered(fh, buf, n, t, st); }
    else if constexpr (Op == read_ordered) { return MPI_File_read_ordered(fh, rbuf, n, t, st); }
    else if constexpr (Op == iwrite_at) { return MPI_File_iwrite_at(fh, off, buf, n, t, rq); }
    else if constexpr (Op == iread_at) { return MPI_File_iread_at(fh, off, rbuf, n, t, rq); }
    else if constexpr (Op == iwrite_at_all) { return MPI_File_iwrite_at_all(fh, off, buf, n, t, rq); }
    else if constexpr (Op == iread_at_all) { return MPI_File_iread_at_all(fh, off, rbuf, n, t, rq); }
    else if constexpr (Op == iwrite) { return MPI_File_iwrite(fh, buf, n, t, rq); }
    else if constexpr (Op == iread) { return MPI_File_iread(fh, rbuf, n, t, rq); }
    else if constexpr (Op == iwrite_all) { return MPI_File_iwrite_all(fh, buf, n, t, rq); }
    else if constexpr (Op == iread_all) { return MPI_File_iread_all(fh, rbuf, n, t, rq); }
    else if constexpr (Op == iwrite_shared) { return MPI_File_iwrite_shared(fh, buf, n, t, rq); }
    else { static_assert(Op == iread_shared); return MPI_File_iread_shared(fh, rbuf, n, t, rq); }
}

/// The largest MPI_Offset (MPI has no constant for it; MPI_Offset is a signed integer type).
inline constexpr MPI_Offset offset_max = std::numeric_limits<MPI_Offset>::max();
/// Bytes an access is assumed never to span (data of a buffer, or a file position to seek from): 2^50,
/// a pebibyte. Explicit offsets this far below the view's limit skip the exact check (file.hpp run()).
inline constexpr MPI_Offset far_headroom = MPI_Offset(1) << 50;

/// Whether n elements of t are a whole number of etypes of `esize` bytes (MPI refuses them otherwise,
/// on the calling rank only). Modular arithmetic: n * size cannot overflow. An invalid t is MPI's to judge.
inline bool whole_etypes(std::size_t n, MPI_Datatype t, int esize) noexcept {
    MPI_Count size = 0;
    if (MPI_Type_size_x(t, &size) != MPI_SUCCESS || size < 0) return true;
    const auto e = static_cast<unsigned long long>(esize);
    return (n % e) * (static_cast<unsigned long long>(size) % e) % e == 0;
}

/// " (file \"path\")": appended to every file error (cold path).
[[MPIXX_COLD]] inline std::string file_suffix(const std::string& path) { return " (file \"" + path + "\")"; }

/// Throws the error of a failed MPI-IO call, naming the routine and the file (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_file_error(int code, const char* routine,
                                                      const std::string& path) {
    int cls = code;
    char text[MPI_MAX_ERROR_STRING] = "MPI error";
    int len = 0;
    MPI_Error_class(code, &cls);
    if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) text[0] = '\0';
    throw error(routine, cls, std::string(text) + file_suffix(path));
}

/// Throws an mpixx::error for misuse of a file detected by mpixx itself (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_file_usage(const char* routine, int cls,
                                                      const std::string& message,
                                                      const std::string& path) {
    throw error(routine, cls, message + file_suffix(path));
}

/// Whole elements of `t` moved by a completed file access. MPI reports MPI_UNDEFINED for a partial
/// element (a read that hit the end of the file inside a derived type) or, before MPI-4, for more than
/// INT_MAX: then the whole elements are counted from the bytes.
inline std::size_t io_count(const MPI_Status& st, MPI_Datatype t) {
#if MPI_VERSION >= 4
    MPI_Count n = 0;
    MPIXX_CALL(MPI_Get_count_c, &st, t, &n);
#else
    int n = 0;
    MPIXX_CALL(MPI_Get_count, &st, t, &n);
#endif
    if (n != MPI_UNDEFINED) [[likely]]
        return static_cast<std::size_t>(n);
    MPI_Count bytes = 0;
    int size = 0;
    MPIXX_CALL(MPI_Get_elements_x, &st, MPI_BYTE, &bytes);
    MPIXX_CALL(MPI_Type_size, t, &size);
    return size > 0 && bytes > 0 ? static_cast<std::size_t>(bytes / size) : 0;
}

/// A committed datatype holding n (above INT_MAX) elements of t, so that a count too large for an int
/// travels as count 1: chunks of 2^30 elements, plus the rest. Freed by the destructor (MPI keeps it for
/// an operation still pending, MPI-3.1 section 4.1.9). Cold path.
class large_type {
public:
    large_type(std::size_t n, MPI_Datatype t) {
        constexpr std::size_t chunk = std::size_t(1) << 30;
        const std::size_t q = n / chunk, r = n % chunk;
        if (q > static_cast<std::size_t>(INT_MAX)) throw_usage("mpixx::file", MPI_ERR_COUNT, "count too large");
        MPI_Datatype block = MPI_DATATYPE_NULL, blocks = MPI_DATATYPE_NULL, rest = MPI_DATATYPE_NULL;
        MPIXX_CALL(MPI_Type_contiguous, static_cast<int>(chunk), t, &block);
        int rc = MPI_Type_contiguous(static_cast<int>(q), block, &blocks);
        MPI_Type_free(&block);
        check(rc, "MPI_Type_contiguous");
        if (r == 0) {
            type_ = blocks;
        } else {
            MPI_Aint lb = 0, extent = 0;
            rc = MPI_Type_get_extent(t, &lb, &extent);
            if (rc == MPI_SUCCESS) rc = MPI_Type_contiguous(static_cast<int>(r), t, &rest);
            if (rc == MPI_SUCCESS) {
                int lengths[2] = {1, 1};
                MPI_Aint displs[2] = {0, static_cast<MPI_Aint>(q * chunk) * extent};
                MPI_Datatype types[2] = {blocks, rest};
                rc = MPI_Type_create_struct(2, lengths, displs, types, &type_);
                MPI_Type_free(&rest);
            }
            MPI_Type_free(&blocks);
            check(rc, "MPI_Type_create_struct");
        }
        if (rc = MPI_Type_commit(&type_); rc != MPI_SUCCESS) {
            MPI_Type_free(&type_);
            throw_mpi_error(rc, "MPI_Type_commit");
        }
    }
    large_type(const large_type&) = delete;
    large_type& operator=(const large_type&) = delete;
    ~large_type() {
        if (type_ != MPI_DATATYPE_NULL) MPI_Type_free(&type_);
    }
    /// The datatype (count 1 of it is the n elements).
    [[nodiscard]] MPI_Datatype get() const noexcept { return type_; }

private:
    MPI_Datatype type_ = MPI_DATATYPE_NULL;
};

/// Owns a buffer moved into a non-blocking file access; wait() hands it back.
template <class B>
struct file_owned final : request_payload<B> {
    B buf;
    template <class U>
    explicit file_owned(U&& u) : buf(std::forward<U>(u)) {}
    B finish(const MPI_Status&) override { return std::move(buf); }
};

/// A non-blocking read of up to n elements into a vector it owns; wait() returns it cut to what was read.
template <class T>
struct file_vector_read final : request_payload<std::vector<T>> {
    std::vector<T> buf;
    explicit file_vector_read(std::size_t n) : buf(n) {}
    std::vector<T> finish(const MPI_Status& st) override {
        buf.resize(io_count(st, datatype<T>()));
        return std::move(buf);
    }
};

} // namespace mpixx::detail
