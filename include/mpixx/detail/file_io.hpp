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

/// The MPI routine's name (for errors), or its large-count twin's.
constexpr const char* io_name(io_op op, bool large) noexcept {
    constexpr const char* names[][2] = {
        {"MPI_File_write_at", "MPI_File_write_at_c"}, {"MPI_File_read_at", "MPI_File_read_at_c"},
        {"MPI_File_write_at_all", "MPI_File_write_at_all_c"}, {"MPI_File_read_at_all", "MPI_File_read_at_all_c"},
        {"MPI_File_write", "MPI_File_write_c"}, {"MPI_File_read", "MPI_File_read_c"},
        {"MPI_File_write_all", "MPI_File_write_all_c"}, {"MPI_File_read_all", "MPI_File_read_all_c"},
        {"MPI_File_write_shared", "MPI_File_write_shared_c"}, {"MPI_File_read_shared", "MPI_File_read_shared_c"},
        {"MPI_File_write_ordered", "MPI_File_write_ordered_c"}, {"MPI_File_read_ordered", "MPI_File_read_ordered_c"},
        {"MPI_File_iwrite_at", "MPI_File_iwrite_at_c"}, {"MPI_File_iread_at", "MPI_File_iread_at_c"},
        {"MPI_File_iwrite_at_all", "MPI_File_iwrite_at_all_c"}, {"MPI_File_iread_at_all", "MPI_File_iread_at_all_c"},
        {"MPI_File_iwrite", "MPI_File_iwrite_c"}, {"MPI_File_iread", "MPI_File_iread_c"},
        {"MPI_File_iwrite_all", "MPI_File_iwrite_all_c"}, {"MPI_File_iread_all", "MPI_File_iread_all_c"},
        {"MPI_File_iwrite_shared", "MPI_File_iwrite_shared_c"}, {"MPI_File_iread_shared", "MPI_File_iread_shared_c"},
    };
    return names[static_cast<int>(op)][large ? 1 : 0];
}

#if MPI_VERSION >= 4
#define MPIXX_IO_PICK(fn, ...)                                                                             \
    if constexpr (std::is_same_v<N, int>) return fn(__VA_ARGS__);                                          \
    else return fn##_c(__VA_ARGS__);
#else
#define MPIXX_IO_PICK(fn, ...) return fn(__VA_ARGS__);
#endif

/// Calls the MPI routine of `Op` with count type N (int, or MPI_Count for the MPI-4 `_c` twin); `out`
/// is an MPI_Status* (blocking) or MPI_Request* (non-blocking). Returns MPI's code.
template <io_op Op, class N>
int io_call(MPI_File fh, [[maybe_unused]] MPI_Offset off, const void* buf, N n, MPI_Datatype t, void* out) noexcept {
    [[maybe_unused]] void* rbuf = const_cast<void*>(buf); // reads get a writable buffer from the caller
    [[maybe_unused]] auto* st = static_cast<MPI_Status*>(out);
    [[maybe_unused]] auto* rq = static_cast<MPI_Request*>(out);
    using enum io_op;
    if constexpr (Op == write_at) { MPIXX_IO_PICK(MPI_File_write_at, fh, off, buf, n, t, st) }
    else if constexpr (Op == read_at) { MPIXX_IO_PICK(MPI_File_read_at, fh, off, rbuf, n, t, st) }
    else if constexpr (Op == write_at_all) { MPIXX_IO_PICK(MPI_File_write_at_all, fh, off, buf, n, t, st) }
    else if constexpr (Op == read_at_all) { MPIXX_IO_PICK(MPI_File_read_at_all, fh, off, rbuf, n, t, st) }
    else if constexpr (Op == write) { MPIXX_IO_PICK(MPI_File_write, fh, buf, n, t, st) }
    else if constexpr (Op == read) { MPIXX_IO_PICK(MPI_File_read, fh, rbuf, n, t, st) }
    else if constexpr (Op == write_all) { MPIXX_IO_PICK(MPI_File_write_all, fh, buf, n, t, st) }
    else if constexpr (Op == read_all) { MPIXX_IO_PICK(MPI_File_read_all, fh, rbuf, n, t, st) }
    else if constexpr (Op == write_shared) { MPIXX_IO_PICK(MPI_File_write_shared, fh, buf, n, t, st) }
    else if constexpr (Op == read_shared) { MPIXX_IO_PICK(MPI_File_read_shared, fh, rbuf, n, t, st) }
    else if constexpr (Op == write_ordered) { MPIXX_IO_PICK(MPI_File_write_ordered, fh, buf, n, t, st) }
    else if constexpr (Op == read_ordered) { MPIXX_IO_PICK(MPI_File_read_ordered, fh, rbuf, n, t, st) }
    else if constexpr (Op == iwrite_at) { MPIXX_IO_PICK(MPI_File_iwrite_at, fh, off, buf, n, t, rq) }
    else if constexpr (Op == iread_at) { MPIXX_IO_PICK(MPI_File_iread_at, fh, off, rbuf, n, t, rq) }
    else if constexpr (Op == iwrite_at_all) { MPIXX_IO_PICK(MPI_File_iwrite_at_all, fh, off, buf, n, t, rq) }
    else if constexpr (Op == iread_at_all) { MPIXX_IO_PICK(MPI_File_iread_at_all, fh, off, rbuf, n, t, rq) }
    else if constexpr (Op == iwrite) { MPIXX_IO_PICK(MPI_File_iwrite, fh, buf, n, t, rq) }
    else if constexpr (Op == iread) { MPIXX_IO_PICK(MPI_File_iread, fh, rbuf, n, t, rq) }
    else if constexpr (Op == iwrite_all) { MPIXX_IO_PICK(MPI_File_iwrite_all, fh, buf, n, t, rq) }
    else if constexpr (Op == iread_all) { MPIXX_IO_PICK(MPI_File_iread_all, fh, rbuf, n, t, rq) }
    else if constexpr (Op == iwrite_shared) { MPIXX_IO_PICK(MPI_File_iwrite_shared, fh, buf, n, t, rq) }
    else { static_assert(Op == iread_shared); MPIXX_IO_PICK(MPI_File_iread_shared, fh, rbuf, n, t, rq) }
}
#undef MPIXX_IO_PICK

/// " (file \"path\")": appended to every file error (cold path).
inline std::string file_suffix(const std::string& path) { return " (file \"" + path + "\")"; }

/// Throws the error of a failed MPI-IO call, naming the routine and the file (cold path).
[[noreturn, gnu::noinline, gnu::cold]] inline void throw_file_error(int code, const char* routine,
                                                                     const std::string& path) {
    int cls = code;
    char text[MPI_MAX_ERROR_STRING] = "MPI error";
    int len = 0;
    MPI_Error_class(code, &cls);
    if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) text[0] = '\0';
    throw error(routine, cls, std::string(text) + file_suffix(path));
}

/// Throws an mpixx::error for misuse of a file detected by mpixx itself (cold path).
[[noreturn, gnu::noinline, gnu::cold]] inline void throw_file_usage(const char* routine, int cls,
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
