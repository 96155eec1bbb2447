// mpixx/file.hpp - mpixx::file, parallel file I/O (MPI-IO) with an RAII handle.
//
//   using mpixx::file_mode;
//   mpixx::file f(comm, "out.dat", file_mode::write | file_mode::create);   // collective open
//   f.write_at(comm.rank() * block.size(), block);          // each rank its block (offsets in elements)
//   f.write_at_all(offset, block);                         // the same, collectively (one MPI call)
//   f.set_view<double>(0, subarray_layout);                // a 2D block of a global array ...
//   f.write_all(local);                                    // ... written with one collective call
//   std::vector<int> v = f.read_at<int>(0, 100);           // up to 100 ints (fewer at the end of the file)
//   auto r = f.iwrite_at(0, std::move(vec));               // the request owns vec; wait() hands it back
//   f.close();                                             // or let the destructor close it
//
// Offsets, positions and counts are in etype units of the current view (bytes until set_view names an
// etype), as in MPI. Buffers are any mpixx buffer (detail::view): containers, single values, layout views.
// Every write and independent read is one MPI call on the caller's memory; errors are mpixx::error naming
// the MPI routine and the file's path (MPI-IO returns error codes by default: mpixx checks each one).
// Reads return what the file held: collective reads (and Open MPI's non-blocking ones) are first cut to
// the end of the file (MPI_File_get_size and MPI_File_get_byte_offset, local calls), because ROMIO and
// OMPIO report the count requested by collective reads and Open MPI 4.1's non-blocking reads past the end
// never complete. A count above INT_MAX is one element of a derived type on MPI-4 (MPICH 4.0's `_c`
// routines abort on it), MPI_ERR_COUNT on MPI-3. Opening costs a communicator duplicate (kept for the
// file's agreements, freed at close) and two small allreduces besides MPI_File_open.
//
// Collective calls (open, close and the destructor, set_view, *_all, *_ordered, seek_shared, resize,
// preallocate, sync, set_atomicity, set_info) must be made by every process of the communicator the file
// was opened on, in the same order. In particular DESTROYING AN OPEN FILE IS COLLECTIVE: every rank must
// destroy (or close()) it, after completing its requests; a rank that leaves the file's scope by an
// exception while the others go on to another collective call on the file hangs them. Close explicitly
// where ranks may diverge. A rank whose argument mpixx refuses in a collective data call (a negative
// offset, a count over INT_MAX without MPI-4) still joins the collective with no data, then throws, so the
// other ranks never hang (so is a buffer that is not a whole number of etypes); a failed open, a set_view
// refused anywhere (a filetype whose displacements decrease or, when writable, overlap; ranks passing
// different data representations or etype extents) and seek_shared, resize, preallocate or set_atomicity
// with arguments that differ among ranks are agreed on by all ranks (all throw: one small allreduce each,
// as set_view's). An explicit offset (or seek) whose byte position under the view does not fit in
// MPI_Offset is MPI_ERR_ARG, never a wrapped position.
//
// The hang report (MPIXX_HANG_TIMEOUT) sees every collective call here (open, close, set_view, the
// collective data calls, seek_shared, resize, preallocate, sync, set_atomicity, set_info), naming the
// file's path; waits on file requests are request waits (request.hpp).
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/buffer.hpp>
#include <mpixx/datatype.hpp>
#include <mpixx/detail/comm_base.hpp>
#include <mpixx/detail/file_io.hpp>
#include <mpixx/detail/hang_watch.hpp>
#include <mpixx/detail/std_light.hpp>
#include <mpixx/error.hpp>
#include <mpixx/info.hpp>
#include <mpixx/request.hpp>

#include <climits>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

/// How a file is opened (MPI_MODE_*): exactly one of read, write, read_write, plus any others, with |.
enum class file_mode : int {
    read = MPI_MODE_RDONLY,                  ///< read only
    write = MPI_MODE_WRONLY,                 ///< write only
    read_write = MPI_MODE_RDWR,              ///< reading and writing
    create = MPI_MODE_CREATE,                ///< create the file if it does not exist
    exclusive = MPI_MODE_EXCL,               ///< with create: fail if the file exists
    append = MPI_MODE_APPEND,                ///< initial file pointers at the end of the file
    delete_on_close = MPI_MODE_DELETE_ON_CLOSE, ///< delete the file when it is closed
    unique_open = MPI_MODE_UNIQUE_OPEN,      ///< promise: nobody else opens the file meanwhile
    sequential = MPI_MODE_SEQUENTIAL,        ///< shared file pointer access only
};

/// Combines file modes.
constexpr file_mode operator|(file_mode a, file_mode b) noexcept {
    return static_cast<file_mode>(static_cast<int>(a) | static_cast<int>(b));
}
/// The modes both have.
constexpr file_mode operator&(file_mode a, file_mode b) noexcept {
    return static_cast<file_mode>(static_cast<int>(a) & static_cast<int>(b));
}
/// Whether `mode` includes every flag of `flags`.
constexpr bool has(file_mode mode, file_mode flags) noexcept { return (mode & flags) == flags; }

/// Where a seek counts from (MPI_SEEK_SET, MPI_SEEK_CUR, MPI_SEEK_END).
enum class seek_from : int {
    start = MPI_SEEK_SET,   ///< from the start of the view
    current = MPI_SEEK_CUR, ///< from the current position
    end = MPI_SEEK_END,     ///< from the end of the file
};

/// What set_view takes as a filetype: a layout (mpixx::any_layout: native() is its committed MPI_Datatype).
/// (Spelled structurally, as any_layout is, so that file.hpp needs not include layout.hpp.)
template <class F>
concept file_view_type = requires(const F& f) {
    typename F::value_type;
    { f.native() } -> std::same_as<MPI_Datatype>;
};

/// An open MPI file, shared by the processes of a communicator. Move-only; closed (collectively) by
/// close() or the destructor. Offsets are in etype units of the view (bytes by default).
class file {
public:
    /// A file offset or position, in etype units of the view (MPI_Offset).
    using offset = MPI_Offset;

    /// No file.
    file() noexcept = default;

    /// Opens `path` collectively on `comm` (MPI_File_open): every process passes the same path and mode
    /// (checked: MPI_ERR_NOT_SAME). When the open fails anywhere, it fails everywhere: no rank keeps a
    /// handle, every rank throws (the failing ones name MPI's error and the path).
    file(const detail::comm_base& comm, std::string_view path, file_mode mode, const info& hints = {})
        : path_(path), amode_(static_cast<int>(mode)) {
        open(comm, hints);
    }

    /// Takes over an open file; `o` is left closed.
    file(file&& o) noexcept
        : fh_(std::exchange(o.fh_, MPI_FILE_NULL)), comm_(std::exchange(o.comm_, MPI_COMM_NULL)),
          path_(std::move(o.path_)), amode_(o.amode_), etype_size_(o.etype_size_), max_off_(o.max_off_),
          near_off_(o.near_off_) {}
    /// Closes this file (collectively, as the destructor does), then takes over `o`'s.
    file& operator=(file&& o) noexcept {
        if (this != &o) {
            release();
            fh_ = std::exchange(o.fh_, MPI_FILE_NULL);
            comm_ = std::exchange(o.comm_, MPI_COMM_NULL);
            path_ = std::move(o.path_);
            amode_ = o.amode_;
            etype_size_ = o.etype_size_;
            max_off_ = o.max_off_;
            near_off_ = o.near_off_;
        }
        return *this;
    }
    file(const file&) = delete;
    file& operator=(const file&) = delete;

    /// Closes an open file: COLLECTIVE, every process of the file's communicator must destroy or close
    /// it. Errors are printed to stderr, never thrown.
    ~file() { release(); }

    /// Closes the file (MPI_File_close, collective); complete its requests first. A closed file does
    /// nothing.
    void close() {
        if (fh_ == MPI_FILE_NULL) return;
        const int rc = MPIXX_WATCHED(hang(), MPI_File_close, &fh_);
        fh_ = MPI_FILE_NULL;
        free_comm();
        if (rc != MPI_SUCCESS) [[unlikely]]
            detail::throw_file_error(rc, "MPI_File_close", path_);
    }

    /// Deletes a file that no process has open (MPI_File_delete); not collective.
    static void delete_file(std::string_view path, const info& hints = {}) {
        const std::string p(path);
        if (const int rc = MPI_File_delete(p.c_str(), hints.native()); rc != MPI_SUCCESS) [[unlikely]]
            detail::throw_file_error(rc, "MPI_File_delete", p);
    }

    /// Whether a file is open.
    [[nodiscard]] bool is_open() const noexcept { return fh_ != MPI_FILE_NULL; }
    /// The path it was opened with.
    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    /// The mode it was opened with.
    [[nodiscard]] file_mode mode() const noexcept { return static_cast<file_mode>(amode_); }
    /// The underlying handle (interoperation with code calling MPI directly).
    [[nodiscard]] MPI_File native() const noexcept { return fh_; }

    // ---- views -----------------------------------------------------------------------------------

    /// Sets this process's view (MPI_File_set_view, collective): from byte `disp` on, the file is seen
    /// as repetitions of the layout `filetype` made of etype E; offsets then count E's.
    /// A filetype that does not fit E (its size or extent not a multiple of E's, a negative lower bound)
    /// is refused with MPI_ERR_TYPE on every rank before MPI sees it.
    template <mpi_type E, class F>
        requires file_view_type<F>
    void set_view(offset disp, const F& filetype, std::string_view datarep = "native", const info& hints = {}) {
        set_view(disp, datatype<E>(), filetype.native(), datarep, hints);
    }
    /// A view of E's from byte `disp` on (etype and filetype E).
    template <mpi_type E>
    void set_view(offset disp = 0, std::string_view datarep = "native", const info& hints = {}) {
        set_view(disp, datatype<E>(), datatype<E>(), datarep, hints);
    }
    /// Sets the view from MPI datatypes (a committed filetype built by the caller). Its displacements
    /// must not decrease (nor overlap in a writable file), and every rank must pass the same datarep and
    /// etype extent: checked on every rank before MPI sees them (MPI_ERR_TYPE, MPI_ERR_NOT_SAME).
    void set_view(offset disp, MPI_Datatype etype, MPI_Datatype filetype, std::string_view datarep = "native",
                  const info& hints = {});

    /// The absolute byte position of view offset `off` (MPI_File_get_byte_offset); MPI_ERR_ARG when it
    /// does not fit in MPI_Offset.
    [[nodiscard]] offset byte_offset(offset off) const {
        if (off > max_off_) [[unlikely]]
            refuse_far(off, "MPI_File_get_byte_offset");
        offset b = 0;
        call(MPI_File_get_byte_offset(fh_, off, &b), "MPI_File_get_byte_offset");
        return b;
    }

    // ---- explicit offsets ------------------------------------------------------------------------

    /// Writes the buffer at `off` (MPI_File_write_at).
    template <int&..., class B>
        requires send_buffer<B>
    void write_at(offset off, const B& buf) {
        put<detail::io_op::write_at>(off, buf);
    }
    /// Reads into the buffer from `off` (MPI_File_read_at); returns the elements read (fewer at the end).
    template <int&..., class B>
        requires recv_target<B&&>
    std::size_t read_at(offset off, B&& buf) {
        return get<detail::io_op::read_at>(off, buf);
    }
    /// Reads up to n T's from `off` (MPI_File_read_at): the vector holds what was read.
    template <mpi_type T>
    [[nodiscard]] std::vector<T> read_at(offset off, std::size_t n) {
        return get_vector<detail::io_op::read_at, T>(off, n);
    }
    /// Collective write_at (MPI_File_write_at_all).
    template <int&..., class B>
        requires send_buffer<B>
    void write_at_all(offset off, const B& buf) {
        put<detail::io_op::write_at_all>(off, buf);
    }
    /// Collective read_at into a buffer (MPI_File_read_at_all); returns the elements read.
    template <int&..., class B>
        requires recv_target<B&&>
    std::size_t read_at_all(offset off, B&& buf) {
        return get<detail::io_op::read_at_all>(off, buf);
    }
    /// Collective read_at of up to n T's (MPI_File_read_at_all).
    template <mpi_type T>
    [[nodiscard]] std::vector<T> read_at_all(offset off, std::size_t n) {
        return get_vector<detail::io_op::read_at_all, T>(off, n);
    }

    // ---- individual file pointer -----------------------------------------------------------------

    /// Writes at this process's file pointer and advances it (MPI_File_write).
    template <int&..., class B>
        requires send_buffer<B>
    void write(const B& buf) {
        put<detail::io_op::write>(0, buf);
    }
    /// Reads at the file pointer into the buffer (MPI_File_read); returns the elements read.
    template <int&..., class B>
        requires recv_target<B&&>
    std::size_t read(B&& buf) {
        return get<detail::io_op::read>(0, buf);
    }
    /// Reads up to n T's at the file pointer (MPI_File_read).
    template <mpi_type T>
    [[nodiscard]] std::vector<T> read(std::size_t n) {
        return get_vector<detail::io_op::read, T>(0, n);
    }
    /// Collective write at each process's file pointer (MPI_File_write_all).
    template <int&..., class B>
        requires send_buffer<B>
    void write_all(const B& buf) {
        put<detail::io_op::write_all>(0, buf);
    }
    /// Collective read at each file pointer into the buffer (MPI_File_read_all); returns the elements read.
    template <int&..., class B>
        requires recv_target<B&&>
    std::size_t read_all(B&& buf) {
        return get<detail::io_op::read_all>(0, buf);
    }
    /// Collective read of up to n T's at each file pointer (MPI_File_read_all).
    template <mpi_type T>
    [[nodiscard]] std::vector<T> read_all(std::size_t n) {
        return get_vector<detail::io_op::read_all, T>(0, n);
    }
    /// Moves this process's file pointer (MPI_File_seek), in etype units; MPI_ERR_ARG for a position
    /// whose byte offset does not fit in MPI_Offset.
    void seek(offset off, seek_from whence = seek_from::start) {
        if (off > near_off_) [[unlikely]]
            check_seek(off, whence, "MPI_File_seek");
        call(MPI_File_seek(fh_, off, static_cast<int>(whence)), "MPI_File_seek");
    }
    /// This process's file pointer, in etype units (MPI_File_get_position).
    [[nodiscard]] offset position() const {
        offset p = 0;
        call(MPI_File_get_position(fh_, &p), "MPI_File_get_position");
        return p;
    }

    // ---- shared file pointer ---------------------------------------------------------------------

    /// Writes at the shared file pointer (MPI_File_write_shared): processes' writes go one after the
    /// other in an unspecified order.
    template <int&..., class B>
        requires send_buffer<B>
    void write_shared(const B& buf) {
        put<detail::io_op::write_shared>(0, buf);
    }
    /// Reads at the shared file pointer into the buffer (MPI_File_read_shared); returns the elements read.
    template <int&..., class B>
        requires recv_target<B&&>
    std::size_t read_shared(B&& buf) {
        return get<detail::io_op::read_shared>(0, buf);
    }
    /// Reads up to n T's at the shared file pointer (MPI_File_read_shared).
    template <mpi_type T>
    [[nodiscard]] std::vector<T> read_shared(std::size_t n) {
        return get_vector<detail::io_op::read_shared, T>(0, n);
    }
    /// Collective write at the shared pointer in rank order (MPI_File_write_ordered).
    template <int&..., class B>
        requires send_buffer<B>
    void write_ordered(const B& buf) {
        put<detail::io_op::write_ordered>(0, buf);
    }
    /// Collective read at the shared pointer in rank order (MPI_File_read_ordered); returns the elements read.
    template <int&..., class B>
        requires recv_target<B&&>
    std::size_t read_ordered(B&& buf) {
        return get<detail::io_op::read_ordered>(0, buf);
    }
    /// Collective read of up to n T's per process in rank order (MPI_File_read_ordered).
    template <mpi_type T>
    [[nodiscard]] std::vector<T> read_ordered(std::size_t n) {
        return get_vector<detail::io_op::read_ordered, T>(0, n);
    }
    /// Moves the shared file pointer (MPI_File_seek_shared, collective: the same arguments everywhere,
    /// checked: MPI_ERR_NOT_SAME on every rank).
    void seek_shared(offset off, seek_from whence = seek_from::start);
    /// The shared file pointer, in etype units (MPI_File_get_position_shared). Not collective: another
    /// rank's shared-pointer call (seek_shared included) may move it while this rank reads it.
    [[nodiscard]] offset position_shared() const {
        offset p = 0;
        call(MPI_File_get_position_shared(fh_, &p), "MPI_File_get_position_shared");
        return p;
    }

    // ---- non-blocking ----------------------------------------------------------------------------
    // A borrowable buffer (lvalue, std::span, ...) is borrowed: keep it alive until the request
    // completes (request<>). Anything else (a temporary, an owning view) is moved into the request
    // (request<B>) and wait() hands it back. The value forms return request<std::vector<T>>.

    /// Starts write_at (MPI_File_iwrite_at).
    template <int&..., class B>
        requires send_buffer<B>
    auto iwrite_at(offset off, B&& buf) {
        return start_write<detail::io_op::iwrite_at>(off, std::forward<B>(buf));
    }
    /// Starts read_at into a buffer (MPI_File_iread_at).
    template <int&..., class B>
        requires recv_buffer<B&>
    auto iread_at(offset off, B&& buf) {
        return start_read<detail::io_op::iread_at>(off, std::forward<B>(buf));
    }
    /// Starts a read of up to n T's at `off` (MPI_File_iread_at); wait() returns them.
    template <mpi_type T>
    request<std::vector<T>> iread_at(offset off, std::size_t n) {
        return start_vector<detail::io_op::iread_at, T>(off, n);
    }
    /// Starts a collective write_at (MPI_File_iwrite_at_all, MPI-3.1).
    template <int&..., class B>
        requires send_buffer<B>
    auto iwrite_at_all(offset off, B&& buf) {
        return start_write<detail::io_op::iwrite_at_all>(off, std::forward<B>(buf));
    }
    /// Starts a collective read_at into a buffer (MPI_File_iread_at_all, MPI-3.1).
    template <int&..., class B>
        requires recv_buffer<B&>
    auto iread_at_all(offset off, B&& buf) {
        return start_read<detail::io_op::iread_at_all>(off, std::forward<B>(buf));
    }
    /// Starts a collective read of up to n T's at `off` (MPI_File_iread_at_all).
    template <mpi_type T>
    request<std::vector<T>> iread_at_all(offset off, std::size_t n) {
        return start_vector<detail::io_op::iread_at_all, T>(off, n);
    }
    /// Starts a write at the file pointer (MPI_File_iwrite); the pointer advances at once.
    template <int&..., class B>
        requires send_buffer<B>
    auto iwrite(B&& buf) {
        return start_write<detail::io_op::iwrite>(0, std::forward<B>(buf));
    }
    /// Starts a read at the file pointer into a buffer (MPI_File_iread).
    template <int&..., class B>
        requires recv_buffer<B&>
    auto iread(B&& buf) {
        return start_read<detail::io_op::iread>(0, std::forward<B>(buf));
    }
    /// Starts a read of up to n T's at the file pointer (MPI_File_iread).
    template <mpi_type T>
    request<std::vector<T>> iread(std::size_t n) {
        return start_vector<detail::io_op::iread, T>(0, n);
    }
    /// Starts a collective write at each file pointer (MPI_File_iwrite_all, MPI-3.1).
    template <int&..., class B>
        requires send_buffer<B>
    auto iwrite_all(B&& buf) {
        return start_write<detail::io_op::iwrite_all>(0, std::forward<B>(buf));
    }
    /// Starts a collective read at each file pointer into a buffer (MPI_File_iread_all, MPI-3.1).
    template <int&..., class B>
        requires recv_buffer<B&>
    auto iread_all(B&& buf) {
        return start_read<detail::io_op::iread_all>(0, std::forward<B>(buf));
    }
    /// Starts a write at the shared file pointer (MPI_File_iwrite_shared).
    template <int&..., class B>
        requires send_buffer<B>
    auto iwrite_shared(B&& buf) {
        return start_write<detail::io_op::iwrite_shared>(0, std::forward<B>(buf));
    }
    /// Starts a read at the shared file pointer into a buffer (MPI_File_iread_shared).
    template <int&..., class B>
        requires recv_buffer<B&>
    auto iread_shared(B&& buf) {
        return start_read<detail::io_op::iread_shared>(0, std::forward<B>(buf));
    }

    // ---- size, consistency, hints ----------------------------------------------------------------

    /// The file's size in bytes (MPI_File_get_size).
    [[nodiscard]] offset size() const {
        offset s = 0;
        call(MPI_File_get_size(fh_, &s), "MPI_File_get_size");
        return s;
    }
    /// Truncates or extends the file to `bytes` (MPI_File_set_size, collective: the same size everywhere,
    /// checked: MPI_ERR_NOT_SAME on every rank).
    void resize(offset bytes) {
        agree_size(bytes, "mpixx::file::resize");
        call(MPIXX_WATCHED(hang(), MPI_File_set_size, fh_, bytes), "MPI_File_set_size");
    }
    /// Reserves storage for the first `bytes` bytes (MPI_File_preallocate, collective, the same size
    /// everywhere: checked).
    void preallocate(offset bytes) {
        agree_size(bytes, "mpixx::file::preallocate");
        call(MPIXX_WATCHED(hang(), MPI_File_preallocate, fh_, bytes), "MPI_File_preallocate");
    }
    /// Transfers this process's writes to storage and makes others' visible (MPI_File_sync, collective).
    void sync() { call(MPIXX_WATCHED(hang(), MPI_File_sync, fh_), "MPI_File_sync"); }
    /// Sets atomic mode (MPI_File_set_atomicity, collective, the same flag everywhere: checked,
    /// MPI_ERR_NOT_SAME on every rank): conflicting accesses are then sequentially consistent.
    void set_atomicity(bool atomic) {
        require_open("mpixx::file::set_atomicity");
        agree({}, "mpixx::file::set_atomicity", MPI_ERR_ARG, atomic ? 1 : 0, 0, "different atomicity flags");
        call(MPIXX_WATCHED(hang(), MPI_File_set_atomicity, fh_, atomic ? 1 : 0), "MPI_File_set_atomicity");
    }
    /// Whether atomic mode is on (MPI_File_get_atomicity).
    [[nodiscard]] bool atomicity() const {
        int flag = 0;
        call(MPI_File_get_atomicity(fh_, &flag), "MPI_File_get_atomicity");
        return flag != 0;
    }
    /// Passes new hints (MPI_File_set_info, collective).
    void set_info(const info& hints) {
        call(MPIXX_WATCHED(hang(), MPI_File_set_info, fh_, hints.native()), "MPI_File_set_info");
    }
    /// The hints in use (MPI_File_get_info): a new info owned by the caller.
    [[nodiscard]] info get_info() const {
        MPI_Info h = MPI_INFO_NULL;
        call(MPI_File_get_info(fh_, &h), "MPI_File_get_info");
        return info::adopt(h);
    }

private:
    using op_t = detail::io_op;

    /// Checks a return code of a call on this file; also refuses a closed file before MPI sees it.
    void call(int rc, const char* routine) const {
        if (rc != MPI_SUCCESS) [[unlikely]]
            fail(rc, routine);
    }
    [[noreturn, MPIXX_COLD]] void fail(int rc, const char* routine) const {
        if (fh_ == MPI_FILE_NULL) not_open(routine);
        detail::throw_file_error(rc, routine, path_);
    }
    [[noreturn, MPIXX_COLD]] void not_open(const char* routine) const {
        detail::throw_file_usage(routine, MPI_ERR_FILE, "the file is not open (default-constructed, moved from or closed)",
                                 path_);
    }
    /// The hang report's site of a collective call on this file (named by MPIXX_WATCHED).
    [[nodiscard]] detail::hang_site hang(std::size_t n = 0, MPI_Datatype t = MPI_DATATYPE_NULL) const noexcept {
        return detail::hang_file_site(nullptr, comm_, path_.c_str(), n, t);
    }
    void require_open(const char* routine) const {
        if (fh_ == MPI_FILE_NULL) [[unlikely]]
            not_open(routine);
    }

    // ---- open/close --------------------------------------------------------------------------------

    void open(const detail::comm_base& comm, const info& hints);
    void release() noexcept;
    void free_comm() noexcept {
        if (comm_ == MPI_COMM_NULL) return;
        MPI_Comm_free(&comm_);
        comm_ = MPI_COMM_NULL;
    }
    void agree(const std::string& problem, const char* routine, int cls, long long a = 0, long long b = 0,
               const char* differ = nullptr);
    void agree_size(offset bytes, const char* routine);
    static std::string mode_problem(int amode);
    std::string view_problem(offset disp, MPI_Datatype etype, MPI_Datatype filetype, int& cls) const;
    void set_limits(offset disp, MPI_Datatype etype, MPI_Datatype filetype) noexcept;
    [[nodiscard]] bool fits(offset off, std::size_t n, MPI_Datatype t) const noexcept;
    [[noreturn]] void refuse_far(offset off, const char* routine) const; // cold
    void check_seek(offset off, seek_from whence, const char* routine) const;
    std::size_t available(offset start, std::size_t n, MPI_Datatype t) const;
    offset ordered_start(std::size_t n, MPI_Datatype t) const;

    // ---- data access -------------------------------------------------------------------------------

    /// The one MPI call of every data access: checks what mpixx can check, then calls MPI. `out` is an
    /// MPI_Status* or MPI_Request*.
    template <op_t Op>
    void run(offset off, const void* p, std::size_t n, MPI_Datatype t, void* out) {
        if (fh_ == MPI_FILE_NULL) [[unlikely]]
            not_open(detail::io_name(Op));
        if constexpr (detail::io_writes(Op)) {
            if ((amode_ & (MPI_MODE_WRONLY | MPI_MODE_RDWR)) == 0) [[unlikely]]
                refuse_mode(Op);
        } else {
            if ((amode_ & MPI_MODE_WRONLY) != 0) [[unlikely]]
                refuse_mode(Op);
        }
        if constexpr (detail::io_explicit(Op)) {
            if (off < 0) [[unlikely]]
                refuse<Op>(t, MPI_ERR_ARG, "offset " + std::to_string(off) + " is negative");
            // Far offsets only (one comparison here): their byte positions may not fit in MPI_Offset.
            if (off > near_off_ && !fits(off, n, t)) [[unlikely]]
                refuse<Op>(t, MPI_ERR_ARG, far_text(off));
        }
        // MPI refuses a buffer of a partial etype on that rank only: a collective would hang the others.
        if constexpr (detail::io_collective(Op))
            if (etype_size_ > 1 && !detail::whole_etypes(n, t, etype_size_)) [[unlikely]]
                refuse<Op>(t, MPI_ERR_TYPE, partial_text(n, t));
        int rc = MPI_SUCCESS;
        // A blocking collective waits on the other ranks: marked for the hang report meanwhile.
        std::optional<detail::hang_scope> watched;
        if constexpr (detail::io_collective(Op) && !detail::io_nonblocking(Op))
            if (detail::hang_watch_on()) [[unlikely]]
                watched.emplace(detail::hang_file_site(detail::io_name(Op), comm_, path_.c_str(), n, t));
        if (n <= static_cast<std::size_t>(INT_MAX)) [[likely]] {
            rc = detail::io_call<Op>(fh_, off, p, static_cast<int>(n), t, out);
        } else {
#if MPI_VERSION >= 4
            const detail::large_type big(n, t); // one element of a type of n (MPICH 4.0's `_c` calls abort)
            rc = detail::io_call<Op>(fh_, off, p, 1, big.get(), out);
#else
            refuse<Op>(t, MPI_ERR_COUNT,
                       "count " + std::to_string(n) + " exceeds INT_MAX and this MPI has no MPI-4 large-count calls");
#endif
        }
        if (rc != MPI_SUCCESS) [[unlikely]]
            detail::throw_file_error(rc, detail::io_name(Op), path_);
    }

    /// Refuses a write to a read-only file or a read of a write-only one (every rank opened it alike, so
    /// a collective call is refused everywhere). Cold.
    [[noreturn]] void refuse_mode(op_t op) const;
    /// Refuses an argument of this process; in a collective call it first joins the collective with no
    /// data (the other ranks then complete instead of hanging), then throws. Cold.
    template <op_t Op>
    [[noreturn]] void refuse(MPI_Datatype t, int cls, const std::string& text);

    template <op_t Op, class B>
    void put(offset off, const B& buf) {
        auto v = detail::view(buf);
        MPI_Status st;
        run<Op>(off, v.ptr, v.count, v.type, &st);
    }
    /// Whether mpixx, not MPI's status, counts what a read of Op got. ROMIO and OMPIO report the count
    /// REQUESTED by collective reads, even past the end of the file (pmodels/mpich#1085,
    /// open-mpi/ompi#14015), and Open MPI 4.1's non-blocking reads past the end never complete: such
    /// reads are cut to what the file holds before they start (MPI_File_get_size, MPI_File_get_byte_offset).
    template <op_t Op>
    static constexpr bool clamped() {
        using enum detail::io_op;
#ifdef OPEN_MPI
        if (Op == iread_at || Op == iread) return true;
#endif
        return Op == read_at_all || Op == read_all || Op == iread_at_all || Op == iread_all;
    }
    /// The count a read of Op posts: n, or for clamped reads what the file holds from its start.
    template <op_t Op>
    std::size_t clamp(offset off, std::size_t n, MPI_Datatype t) const {
        if constexpr (!clamped<Op>()) {
            return n;
        } else {
            if (fh_ == MPI_FILE_NULL || n == 0 || (amode_ & MPI_MODE_WRONLY) != 0) return n; // run() refuses
            if constexpr (detail::io_explicit(Op)) {
                if (off < 0) return n;
                return available(off, n, t);
            } else {
                return available(position(), n, t);
            }
        }
    }

    template <op_t Op, class B>
    std::size_t get(offset off, B& buf) {
        auto v = detail::view(buf);
        MPI_Status st;
        if constexpr (Op == op_t::read_ordered) {
            const offset start = ordered_start(v.count, v.type);
            run<Op>(off, v.ptr, v.count, v.type, &st);
            return std::min(detail::io_count(st, v.type), available(start, v.count, v.type));
        } else {
            const std::size_t n = clamp<Op>(off, v.count, v.type);
            run<Op>(off, v.ptr, n, v.type, &st);
            return clamped<Op>() ? n : detail::io_count(st, v.type);
        }
    }
    template <op_t Op, class T>
    std::vector<T> get_vector(offset off, std::size_t n) {
        const MPI_Datatype t = datatype<T>();
        std::vector<T> out(clamp<Op>(off, n, t));
        MPI_Status st;
        if constexpr (Op == op_t::read_ordered) {
            const offset start = ordered_start(n, t);
            run<Op>(off, out.data(), n, t, &st);
            out.resize(std::min(detail::io_count(st, t), available(start, n, t)));
        } else {
            run<Op>(off, out.data(), out.size(), t, &st);
            if constexpr (!clamped<Op>()) out.resize(detail::io_count(st, t));
        }
        return out;
    }

    template <op_t Op, class B>
    auto start_write(offset off, B&& buf) {
        if constexpr (borrowable<B&&>) {
            auto v = detail::view(std::as_const(buf));
            MPI_Request r = MPI_REQUEST_NULL;
            run<Op>(off, v.ptr, v.count, v.type, &r);
            return request<>(r);
        } else {
            using O = std::remove_cvref_t<B>;
            auto payload = detail::make_box<detail::file_owned<O>>(std::forward<B>(buf));
            auto v = detail::view(std::as_const(payload->buf));
            MPI_Request r = MPI_REQUEST_NULL;
            run<Op>(off, v.ptr, v.count, v.type, &r);
            return request<O>(r, std::move(payload));
        }
    }
    template <op_t Op, class B>
    auto start_read(offset off, B&& buf) {
        if constexpr (borrowable<B&&>) {
            auto v = detail::view(buf);
            MPI_Request r = MPI_REQUEST_NULL;
            run<Op>(off, v.ptr, clamp<Op>(off, v.count, v.type), v.type, &r);
            return request<>(r);
        } else {
            using O = std::remove_cvref_t<B>;
            auto payload = detail::make_box<detail::file_owned<O>>(std::move(buf));
            auto v = detail::view(payload->buf);
            MPI_Request r = MPI_REQUEST_NULL;
            run<Op>(off, v.ptr, clamp<Op>(off, v.count, v.type), v.type, &r);
            return request<O>(r, std::move(payload));
        }
    }
    template <op_t Op, class T>
    request<std::vector<T>> start_vector(offset off, std::size_t n) {
        auto payload = detail::make_box<detail::file_vector_read<T>>(clamp<Op>(off, n, datatype<T>()));
        MPI_Request r = MPI_REQUEST_NULL;
        run<Op>(off, payload->buf.data(), payload->buf.size(), datatype<T>(), &r);
        return request<std::vector<T>>(r, std::move(payload));
    }

    std::string far_text(offset off) const; // cold, as is partial_text
    std::string partial_text(std::size_t n, MPI_Datatype t) const;

    MPI_File fh_ = MPI_FILE_NULL;
    MPI_Comm comm_ = MPI_COMM_NULL; // mpixx's duplicate of the opening communicator: agreements
    std::string path_;
    int amode_ = 0;
    int etype_size_ = 1; // bytes of the view's etype (offsets count etypes)
    // The largest view offset whose byte position fits in MPI_Offset, and the largest below which no
    // access of a buffer of under 2^50 bytes can overflow (set_limits): explicit offsets at most
    // near_off_ need no further check. The byte view to start with.
    offset max_off_ = detail::offset_max - 1;
    offset near_off_ = detail::offset_max - 1 - detail::far_headroom;
};

} // namespace mpixx

#include <mpixx/detail/file_open.hpp>
