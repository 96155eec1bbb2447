// mpixx/window.hpp - one-sided communication (RMA): mpixx::window<T>, an RAII MPI_Win of T elements.
//
//   auto win = mpixx::window<double>::allocate(comm, n);        // n local elements, win.local() spans them
//   { auto e = win.lock(1); win.put(x, 1, 0); }                  // passive epoch: unlock at scope exit
//   win.fence(); win.get(buf, 0, 4); win.fence();                // active epoch: read buf after the fence
//   { auto e = win.lock_all(); long old = win.fetch_and_op(1L, 0, 0, mpixx::sum); }
//
// Ownership: a window is move-only; its destructor (or free()) calls MPI_Win_free, which is COLLECTIVE
// over the window's communicator: every rank must destroy (or free()) its window<T> at the same point,
// after every epoch it took part in. Epochs still open then are ended first (unlock, complete, wait);
// requests from rput/rget/raccumulate must be completed before (they refer to the window).
// Displacements count elements of T (disp_unit = sizeof(T)), except on a dynamic window, where they are
// absolute addresses in bytes (address_of() on the owner, exchanged by the user; displacement(base, i)).
// Before MPI sees an operation mpixx checks: the target rank, that an epoch to it is open
// (MPI_ERR_RMA_SYNC), that it fits the target's window (MPI_ERR_RMA_RANGE: every rank's window size is
// exchanged once at creation; a target layout's true lower and upper bounds both), and that origin,
// result and target layout hold the same data (MPI_ERR_COUNT). Origin and result elements must be T's
// (or an untyped mpixx::raw view): other element types do not compile, as MPI's type matching forbids
// them. On success an operation is that check plus one MPI call on the caller's memory. Origin buffers
// must stay alive and unchanged until the operation completes (the epoch ends, a flush, or the request
// completes): only lvalues and borrowed ranges are accepted, except by rput/raccumulate, whose requests
// own a temporary. Only MPI's predefined ops are allowed in
// accumulates (mpixx::sum, ..., mpixx::replace, mpixx::no_op); a user op does not compile.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/buffer.hpp>
#include <mpixx/communicator.hpp>
#include <mpixx/detail/window_epochs.hpp>
#include <mpixx/detail/window_state.hpp>
#include <mpixx/detail/window_util.hpp>
#include <mpixx/group.hpp>
#include <mpixx/info.hpp>
#include <mpixx/nonblocking.hpp>
#include <mpixx/ops.hpp>
#include <mpixx/request.hpp>

#include <climits>
#include <cstdint>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

namespace detail {

template <class Op, class T>
constexpr void check_rma_op() {
    static_assert(rma_builtin<Op, T>(),
                  "mpixx::window: one-sided accumulate operations take only MPI's predefined ops on element types "
                  "MPI defines them for (mpixx::sum, prod, min, max, land, lor, lxor, band, bor, bxor, minloc, "
                  "maxloc, mpixx::replace, mpixx::no_op, std::plus<> and friends): MPI forbids user-defined ops "
                  "(lambdas, functions) in RMA");
}

/// An origin or result buffer of a window<T> operation: T's (one, a range, a layout view of them) or an
/// untyped raw view (sized in bytes). MPI's type matching makes e.g. floats put into a window of doubles
/// erroneous (MPI reinterprets the bytes; an accumulate of ints into doubles does nothing), so such a
/// call does not compile; a raw view is the way to move other bytes on purpose.
template <class B, class T>
concept rma_buffer_of = std::same_as<std::remove_cvref_t<B>, T> || std::same_as<element_t<std::remove_cvref_t<B>>, T> ||
                        std::same_as<element_t<std::remove_cvref_t<B>>, opaque_element>;

[[noreturn, MPIXX_COLD]] inline void throw_rma_flavor(const char* routine, const char* need) {
    throw_usage(routine, MPI_ERR_RMA_FLAVOR, std::string("needs a window made by ") + need);
}

} // namespace detail

/// A window of T elements exposed for one-sided access by every process of a communicator. Move-only;
/// freeing (destructor, free()) is collective. See the header comment for the rules.
template <mpi_type T>
class window {
public:
    /// The element type; displacements count these.
    using value_type = T;

    /// A null window.
    window() noexcept = default;
    /// Takes o's window; o becomes null.
    window(window&& o) noexcept
        : s_(std::move(o.s_)), base_(std::exchange(o.base_, nullptr)), n_(std::exchange(o.n_, 0)), shared_(o.shared_) {}
    /// Frees this window first (collective, as the destructor), then takes o's.
    window& operator=(window&& o) noexcept {
        if (this != &o) {
            release_noexcept();
            s_ = std::move(o.s_);
            base_ = std::exchange(o.base_, nullptr);
            n_ = std::exchange(o.n_, 0);
            shared_ = o.shared_;
        }
        return *this;
    }
    /// Frees the window (collective; errors are printed, never thrown).
    ~window() { release_noexcept(); }

    // ---- creation (collective over comm) -------------------------------------------------------------

    /// A window of `n` elements of memory MPI allocates on this process (MPI_Win_allocate); `hints`
    /// go to MPI (e.g. {{"accumulate_ordering", "none"}}, {{"no_locks", "true"}}), as for every creation.
    [[nodiscard]] static window allocate(const communicator& comm, std::size_t n, const info& hints = {}) {
        check_comm(comm, "mpixx::window::allocate");
        window w;
        w.s_ = std::make_shared<detail::window_state>();
        void* base = nullptr;
        // Each rank's part padded to 64 bytes: MPICH 4.0 (ch4) places the parts of MPI_Win_allocate
        // contiguously in shared memory but addresses them as if aligned, so with sizes that are not
        // multiples of 16 bytes puts land in the wrong place (seen with raw MPI). Padding costs < 64 bytes.
        // A size too large on one rank joins the creation with none (the others would hang in it) and
        // is refused on every rank by finish().
        const MPI_Aint want = detail::window_bytes_or_none(n, sizeof(T));
        const MPI_Aint padded = want < 0 ? 0 : (want + 63) / 64 * 64;
#ifdef OPEN_MPI
        // Open MPI 4.1 serves MPI_Win_allocate with osc/rdma where osc/ucx and osc/pt2pt are disabled (as
        // Debian's openmpi-mca-params.conf does), and its MPI_Compare_and_swap then crashes in btl/vader
        // (seen with raw MPI). When the processes share memory, osc/sm serves MPI_Win_allocate_shared: a
        // window MPI allows every RMA operation on, so use it (shared_query stays for allocate_shared).
        if (node_size(comm) == comm.size())
            MPIXX_WATCHED_CALL(created(comm), MPI_Win_allocate_shared, padded, static_cast<int>(sizeof(T)),
                               hints.native(), comm.native(), &base, &w.s_->win);
        else
#endif
            MPIXX_WATCHED_CALL(created(comm), MPI_Win_allocate, padded, static_cast<int>(sizeof(T)), hints.native(),
                               comm.native(), &base, &w.s_->win);
        w.finish(comm, static_cast<T*>(base), n, "mpixx::window::allocate", want < 0);
        return w;
    }

    /// A window over memory the caller owns (MPI_Win_create); it must outlive the window.
    [[nodiscard]] static window create(const communicator& comm, std::span<T> mem, const info& hints = {}) {
        check_comm(comm, "mpixx::window::create");
        window w;
        w.s_ = std::make_shared<detail::window_state>();
        const MPI_Aint want = detail::window_bytes_or_none(mem.size(), sizeof(T)); // as in allocate
        MPIXX_WATCHED_CALL(created(comm), MPI_Win_create, want < 0 ? nullptr : mem.data(), want < 0 ? 0 : want,
                           static_cast<int>(sizeof(T)), hints.native(), comm.native(), &w.s_->win);
        w.finish(comm, mem.data(), mem.size(), "mpixx::window::create", want < 0);
        return w;
    }

    /// A window of `n` elements in memory shared by the node's processes (MPI_Win_allocate_shared):
    /// `comm` must be a shared-memory communicator (comm.split_shared()); shared_query(r) spans rank r's part.
    [[nodiscard]] static window allocate_shared(const communicator& comm, std::size_t n,
                                                const info& hints = {}) {
        check_comm(comm, "mpixx::window::allocate_shared");
        check_shared_comm(comm);
        window w;
        w.s_ = std::make_shared<detail::window_state>();
        void* base = nullptr;
        const MPI_Aint want = detail::window_bytes_or_none(n, sizeof(T)); // as in allocate
        MPIXX_WATCHED_CALL(created(comm), MPI_Win_allocate_shared, want < 0 ? 0 : want, static_cast<int>(sizeof(T)),
                           hints.native(), comm.native(), &base, &w.s_->win);
        w.shared_ = true;
        w.finish(comm, static_cast<T*>(base), n, "mpixx::window::allocate_shared", want < 0);
        return w;
    }

    /// A window with no memory yet (MPI_Win_create_dynamic): attach() exposes memory; displacements are
    /// absolute addresses in bytes (address_of on the owner, sent to the others; displacement(base, i)).
    [[nodiscard]] static window create_dynamic(const communicator& comm, const info& hints = {}) {
        check_comm(comm, "mpixx::window::create_dynamic");
        window w;
        w.s_ = std::make_shared<detail::window_state>();
        MPIXX_WATCHED_CALL(created(comm), MPI_Win_create_dynamic, hints.native(), comm.native(), &w.s_->win);
        w.s_->dynamic = true;
        w.finish(comm, nullptr, 0);
        return w;
    }

    /// Frees the window now (MPI_Win_free, collective), ending epochs still open; throws on failure.
    void free() {
        if (!s_) return;
        auto s = std::move(s_);
        base_ = nullptr;
        n_ = 0;
        const char* routine = "MPI_Win_free";
        if (int rc = s->release(&routine); rc != MPI_SUCCESS) [[unlikely]]
            detail::throw_mpi_error(rc, routine);
    }

    // ---- what it is -----------------------------------------------------------------------------------

    /// This process's part of the window (empty for a dynamic window).
    [[nodiscard]] std::span<T> local() const noexcept { return {base_, n_}; }
    /// The number of elements rank `r` exposes (0 for a dynamic window).
    [[nodiscard]] std::size_t size_of(int r) const {
        const auto& s = state("mpixx::window::size_of");
        if (static_cast<unsigned>(r) >= static_cast<unsigned>(s.size)) [[unlikely]]
            detail::throw_bad_rank("mpixx::window::size_of", r, s.size);
        return s.dynamic ? 0 : static_cast<std::size_t>(s.extent[static_cast<std::size_t>(r)]);
    }
    /// This process's rank in the window's group.
    [[nodiscard]] int rank() const noexcept { return s_ ? s_->rank : MPI_UNDEFINED; }
    /// The number of processes in the window's group.
    [[nodiscard]] int group_size() const noexcept { return s_ ? s_->size : 0; }
    /// Whether this is a null window.
    [[nodiscard]] bool is_null() const noexcept { return !s_; }
    /// The underlying MPI_Win (still owned by this object).
    [[nodiscard]] MPI_Win native() const noexcept { return s_ ? s_->win : MPI_WIN_NULL; }

    /// Rank r's segment of a shared-memory window, directly addressable here (MPI_Win_shared_query).
    /// proc_null: the segment of the lowest rank whose segment is not empty (MPI-3.1; MPICH and Open MPI
    /// implement it), an empty span when all are.
    [[nodiscard]] std::span<T> shared_query(int r) const {
        const auto& s = state("mpixx::window::shared_query");
        if (!shared_) [[unlikely]]
            detail::throw_rma_flavor("mpixx::window::shared_query", "allocate_shared");
        if (r != MPI_PROC_NULL && static_cast<unsigned>(r) >= static_cast<unsigned>(s.size)) [[unlikely]]
            detail::throw_bad_rank("mpixx::window::shared_query", r, s.size);
        MPI_Aint size = 0;
        int unit = 0;
        void* base = nullptr;
        MPIXX_CALL(MPI_Win_shared_query, s.win, r, &size, &unit, &base);
        if (size == 0) return {}; // MPI may hand out any base for an empty segment
        return {static_cast<T*>(base), static_cast<std::size_t>(size) / sizeof(T)};
    }

    /// Exposes `mem` through a dynamic window (MPI_Win_attach; local). It must outlive the attachment.
    void attach(std::span<T> mem) {
        const auto& s = dynamic_state("mpixx::window::attach");
        MPIXX_CALL(MPI_Win_attach, s.win, mem.data(), bytes(mem.size(), "mpixx::window::attach"));
    }
    /// Withdraws memory attached before (MPI_Win_detach; local).
    void detach(std::span<T> mem) {
        const auto& s = dynamic_state("mpixx::window::detach");
        MPIXX_CALL(MPI_Win_detach, s.win, mem.data());
    }
    /// The address of `x` as a dynamic window's displacement (MPI_Get_address): send it to the peers.
    [[nodiscard]] static MPI_Aint address_of(const T& x) {
        MPI_Aint a = 0;
        MPIXX_CALL(MPI_Get_address, &x, &a);
        return a;
    }
    /// The displacement of element i of an array whose first element has address `base` (MPI_Aint_add).
    [[nodiscard]] static MPI_Aint displacement(MPI_Aint base, std::size_t i) noexcept {
        return MPI_Aint_add(base, static_cast<MPI_Aint>(i * sizeof(T)));
    }

    // ---- data movement ----------------------------------------------------------------------------------

    /// Writes `origin` at element `disp` of `target`'s window (MPI_Put). Complete at the epoch's end or a flush.
    template <int&..., class B>
        requires send_buffer<B> && borrowable<B&&> && detail::rma_buffer_of<B, T>
    void put(B&& origin, int target, MPI_Aint disp) {
        auto v = detail::view(origin);
        const MPI_Aint n = target_count<B>(v, "mpixx::window::put");
        if (!s_ || !s_->check_access(target, disp, n, "mpixx::window::put")) return null_or_skip("mpixx::window::put");
        MPIXX_CALL(MPI_Put, v.ptr, icount(v.count), v.type, target, disp, icount(n), tdt(), s_->win);
    }
    /// Writes `origin` into `target`'s window laid out by `target_layout` at element `disp`; both hold
    /// the same data (MPI_ERR_COUNT otherwise) and every byte the layout touches lies in the window.
    template <int&..., class B, detail::rma_layout L>
        requires send_buffer<B> && borrowable<B&&> && detail::rma_buffer_of<B, T>
    void put(B&& origin, int target, MPI_Aint disp, const L& target_layout) {
        auto v = detail::view(origin);
        const MPI_Datatype lt = target_layout.native();
        const auto reach = target_reach(target_layout, v, "mpixx::window::put");
        if (!s_ || !s_->check_layout_access(target, disp, reach.lb, reach.extent, sizeof(T), "mpixx::window::put"))
            return null_or_skip("mpixx::window::put");
        MPIXX_CALL(MPI_Put, v.ptr, icount(v.count), v.type, target, disp, 1, lt, s_->win);
    }

    /// Reads element `disp` onwards of `target`'s window into `origin` (MPI_Get); valid after the epoch
    /// ends or a flush.
    template <int&..., class B>
        requires recv_target<B&&> && detail::rma_buffer_of<B, T>
    void get(B&& origin, int target, MPI_Aint disp) {
        auto v = detail::view(origin);
        const MPI_Aint n = target_count<B>(v, "mpixx::window::get");
        if (!s_ || !s_->check_access(target, disp, n, "mpixx::window::get")) return null_or_skip("mpixx::window::get");
        MPIXX_CALL(MPI_Get, v.ptr, icount(v.count), v.type, target, disp, icount(n), tdt(), s_->win);
    }
    /// Reads from `target`'s window laid out by `target_layout` at element `disp` into `origin` (the same
    /// amount of data: MPI_ERR_COUNT otherwise).
    template <int&..., class B, detail::rma_layout L>
        requires recv_target<B&&> && detail::rma_buffer_of<B, T>
    void get(B&& origin, int target, MPI_Aint disp, const L& target_layout) {
        auto v = detail::view(origin);
        const MPI_Datatype lt = target_layout.native();
        const auto reach = target_reach(target_layout, v, "mpixx::window::get");
        if (!s_ || !s_->check_layout_access(target, disp, reach.lb, reach.extent, sizeof(T), "mpixx::window::get"))
            return null_or_skip("mpixx::window::get");
        MPIXX_CALL(MPI_Get, v.ptr, icount(v.count), v.type, target, disp, 1, lt, s_->win);
    }
    /// Reads one element and returns it (MPI_Get + MPI_Win_flush_local): passive epochs only (lock,
    /// lock_all), where MPI can complete one read. proc_null gives T{}.
    [[nodiscard]] T get(int target, MPI_Aint disp) {
        T out{};
        if (!s_ || !s_->check_passive(target, disp, 1, "mpixx::window::get")) {
            null_or_skip("mpixx::window::get");
            return out;
        }
        MPIXX_CALL(MPI_Get, &out, 1, tdt(), target, disp, 1, tdt(), s_->win);
        MPIXX_WATCHED_CALL(s_->hang(target), MPI_Win_flush_local, target, s_->win);
        return out;
    }

    /// Combines `origin` into `target`'s window at `disp` with a predefined op, atomically per element
    /// (MPI_Accumulate; mpixx::replace is an atomic put).
    template <int&..., class B, class Op>
        requires send_buffer<B> && borrowable<B&&> && detail::rma_buffer_of<B, T>
    void accumulate(B&& origin, int target, MPI_Aint disp, Op op) {
        detail::check_rma_op<Op, T>();
        (void)op;
        auto v = detail::view(origin);
        const MPI_Aint n = target_count<B>(v, "mpixx::window::accumulate");
        if (!s_ || !s_->check_access(target, disp, n, "mpixx::window::accumulate"))
            return null_or_skip("mpixx::window::accumulate");
        MPIXX_CALL(MPI_Accumulate, v.ptr, icount(v.count), origin_type<B>(v), target, disp, icount(n),
                   detail::rma_datatype<T>(), detail::rma_op_handle<Op, T>(), s_->win);
    }

    /// Fetches the target elements into `result`, then combines `origin` into them (MPI_Get_accumulate);
    /// with mpixx::no_op `origin` is ignored (an atomic read), else it holds as much as `result`
    /// (MPI_ERR_COUNT otherwise). `result` is valid after the epoch or a flush.
    template <int&..., class B, class R, class Op>
        requires send_buffer<B> && borrowable<B&&> && recv_target<R&&> && detail::rma_buffer_of<B, T> &&
                 detail::rma_buffer_of<R, T>
    void get_accumulate(B&& origin, R&& result, int target, MPI_Aint disp, Op op) {
        detail::check_rma_op<Op, T>();
        (void)op;
        auto v = detail::view(origin);
        auto r = detail::view(result);
        if constexpr (!std::is_same_v<std::remove_cvref_t<Op>, no_op_t>) // MPI ignores a no_op's origin
            check_same_data<B, R>(v, r, "mpixx::window::get_accumulate");
        const MPI_Aint n = target_count<R>(r, "mpixx::window::get_accumulate");
        if (!s_ || !s_->check_access(target, disp, n, "mpixx::window::get_accumulate"))
            return null_or_skip("mpixx::window::get_accumulate");
        MPIXX_CALL(MPI_Get_accumulate, v.ptr, icount(v.count), origin_type<B>(v), r.ptr, icount(r.count),
                   origin_type<R>(r), target, disp, icount(n), detail::rma_datatype<T>(),
                   detail::rma_op_handle<Op, T>(), s_->win);
    }

    /// Atomically applies op(old, value) to one element and returns the old value (MPI_Fetch_and_op +
    /// MPI_Win_flush_local): passive epochs only. mpixx::no_op reads, mpixx::replace swaps.
    template <class Op>
    [[nodiscard]] T fetch_and_op(const T& value, int target, MPI_Aint disp, Op op) {
        detail::check_rma_op<Op, T>();
        (void)op;
        T old{};
        if (!s_ || !s_->check_passive(target, disp, 1, "mpixx::window::fetch_and_op")) {
            null_or_skip("mpixx::window::fetch_and_op");
            return old;
        }
        MPIXX_CALL(MPI_Fetch_and_op, &value, &old, detail::rma_datatype<T>(), target, disp,
                   detail::rma_op_handle<Op, T>(), s_->win);
        MPIXX_WATCHED_CALL(s_->hang(target), MPI_Win_flush_local, target, s_->win);
        return old;
    }
    /// As fetch_and_op, into `old` (any epoch: valid after it ends or a flush); both must outlive that.
    template <class Op>
    void fetch_and_op(const T& value, T& old, int target, MPI_Aint disp, Op op) {
        detail::check_rma_op<Op, T>();
        (void)op;
        if (!s_ || !s_->check_access(target, disp, 1, "mpixx::window::fetch_and_op"))
            return null_or_skip("mpixx::window::fetch_and_op");
        MPIXX_CALL(MPI_Fetch_and_op, &value, &old, detail::rma_datatype<T>(), target, disp,
                   detail::rma_op_handle<Op, T>(), s_->win);
    }
    /// Refused: in the into-result form the value must outlive the operation (pass an lvalue).
    template <class Op>
    void fetch_and_op(const T&&, T&, int, MPI_Aint, Op) = delete;

    /// Atomically replaces one element by `value` if it equals `compare`; returns the old value
    /// (MPI_Compare_and_swap + MPI_Win_flush_local): passive epochs only; integer, bool, byte elements.
    [[nodiscard]] T compare_and_swap(const T& value, const T& compare, int target, MPI_Aint disp)
        requires detail::rma_cas_type<T>
    {
        T old{};
        if (!s_ || !s_->check_passive(target, disp, 1, "mpixx::window::compare_and_swap")) {
            null_or_skip("mpixx::window::compare_and_swap");
            return old;
        }
        MPIXX_CALL(MPI_Compare_and_swap, &value, &compare, &old, datatype<T>(), target, disp, s_->win);
        MPIXX_WATCHED_CALL(s_->hang(target), MPI_Win_flush_local, target, s_->win);
        return old;
    }

    // ---- request-based (passive epochs only; the request completes locally: origin reusable) ----------

    /// MPI_Rput of a borrowed buffer (it must outlive the request), or of a temporary the request owns
    /// (`request<B>`: wait() hands it back).
    template <int&..., class B>
        requires send_buffer<B> && (borrowable<B&&> || std::move_constructible<std::remove_cvref_t<B>>) &&
                 detail::rma_buffer_of<B, T>
    auto rput(B&& origin, int target, MPI_Aint disp) {
        return start_owned<B>(std::forward<B>(origin), [&](auto& buf, MPI_Request& r) {
            auto v = detail::view(buf);
            const MPI_Aint n = target_count<decltype(buf)>(v, "mpixx::window::rput");
            if (!s_ || !s_->check_passive(target, disp, n, "mpixx::window::rput"))
                return null_or_skip("mpixx::window::rput");
            MPIXX_CALL(MPI_Rput, v.ptr, icount(v.count), v.type, target, disp, icount(n), tdt(), s_->win, &r);
        });
    }
    /// MPI_Rget into a borrowed buffer (it must outlive the request; a temporary does not compile).
    template <int&..., class B>
        requires recv_target<B&&> && detail::rma_buffer_of<B, T>
    request<> rget(B&& origin, int target, MPI_Aint disp) {
        auto v = detail::view(origin);
        const MPI_Aint n = target_count<B>(v, "mpixx::window::rget");
        MPI_Request r = MPI_REQUEST_NULL;
        if (!s_ || !s_->check_passive(target, disp, n, "mpixx::window::rget")) {
            null_or_skip("mpixx::window::rget");
            return request<>();
        }
        MPIXX_CALL(MPI_Rget, v.ptr, icount(v.count), v.type, target, disp, icount(n), tdt(), s_->win, &r);
        return request<>(r);
    }
    /// MPI_Raccumulate with a predefined op; a temporary origin is owned by the request, as in rput.
    template <int&..., class B, class Op>
        requires send_buffer<B> && (borrowable<B&&> || std::move_constructible<std::remove_cvref_t<B>>) &&
                 detail::rma_buffer_of<B, T>
    auto raccumulate(B&& origin, int target, MPI_Aint disp, Op op) {
        detail::check_rma_op<Op, T>();
        (void)op;
        return start_owned<B>(std::forward<B>(origin), [&](auto& buf, MPI_Request& r) {
            auto v = detail::view(buf);
            const MPI_Aint n = target_count<decltype(buf)>(v, "mpixx::window::raccumulate");
            if (!s_ || !s_->check_passive(target, disp, n, "mpixx::window::raccumulate"))
                return null_or_skip("mpixx::window::raccumulate");
            MPIXX_CALL(MPI_Raccumulate, v.ptr, icount(v.count), origin_type<decltype(buf)>(v), target, disp,
                       icount(n), detail::rma_datatype<T>(), detail::rma_op_handle<Op, T>(), s_->win, &r);
        });
    }

    // ---- synchronisation ----------------------------------------------------------------------------

    /// Opens a passive-target epoch to `target` (MPI_Win_lock); it ends with the returned guard.
    [[nodiscard]] lock_epoch lock(int target, lock_type type = lock_type::exclusive, int assert_ = 0) {
        detail::rma_lock(state("mpixx::window::lock"), target, type, assert_);
        return lock_epoch(s_, target);
    }
    /// Opens a passive-target epoch to every rank (MPI_Win_lock_all); it ends with the returned guard.
    [[nodiscard]] lock_all_epoch lock_all(int assert_ = 0) {
        detail::rma_lock_all(state("mpixx::window::lock_all"), assert_);
        return lock_all_epoch(s_);
    }
    /// Ends the previous fence epoch and starts the next (MPI_Win_fence; collective). rma_mode::nosucceed
    /// starts none.
    void fence(int assert_ = 0) {
        auto& s = state("mpixx::window::fence");
        if (s.locks_held > 0 || (s.access_all & detail::window_state::lock_all_bit) || s.started || s.posted) [[unlikely]]
            detail::throw_rma_sync("mpixx::window::fence",
                                   "a lock, lock_all, start or post epoch is open on this window: end it first");
        MPIXX_WATCHED_CALL(s.hang(), MPI_Win_fence, assert_, s.win);
        s.access_all = (assert_ & MPI_MODE_NOSUCCEED) ? 0 : detail::window_state::fence_bit;
    }
    /// Completes every operation to `target` at both ends (MPI_Win_flush): passive epochs only.
    void flush(int target) {
        if (!s_ || !s_->check_flush(target, "mpixx::window::flush")) return null_or_skip("mpixx::window::flush");
        MPIXX_WATCHED_CALL(s_->hang(target), MPI_Win_flush, target, s_->win);
    }
    /// Completes every operation to `target` at this end: origin buffers reusable (MPI_Win_flush_local).
    void flush_local(int target) {
        if (!s_ || !s_->check_flush(target, "mpixx::window::flush_local"))
            return null_or_skip("mpixx::window::flush_local");
        MPIXX_WATCHED_CALL(s_->hang(target), MPI_Win_flush_local, target, s_->win);
    }
    /// MPI_Win_flush_all: every operation of open passive epochs completes at both ends.
    void flush_all() {
        auto& s = passive_state("mpixx::window::flush_all");
        MPIXX_WATCHED_CALL(s.hang(), MPI_Win_flush_all, s.win);
    }
    /// MPI_Win_flush_local_all: every operation of open passive epochs completes at this end.
    void flush_local_all() {
        auto& s = passive_state("mpixx::window::flush_local_all");
        MPIXX_WATCHED_CALL(s.hang(), MPI_Win_flush_local_all, s.win);
    }
    /// Synchronises the public and private copies of this process's window memory (MPI_Win_sync): with
    /// loads and stores to shared-memory windows.
    void sync() { MPIXX_CALL(MPI_Win_sync, state("mpixx::window::sync").win); }

    /// Opens an exposure epoch to the processes `origins` (MPI_Win_post); end it with wait() or test().
    void post(std::span<const int> origins, int assert_ = 0) {
        auto& s = state("mpixx::window::post");
        if (s.posted) [[unlikely]]
            detail::throw_rma_sync("mpixx::window::post", "an exposure epoch (post) is already open: wait() first");
        MPI_Group g = detail::window_group(s.win, origins.data(), origins.size(), s.size, "mpixx::window::post");
        const int rc = MPI_Win_post(g, assert_, s.win);
        MPI_Group_free(&g);
        detail::check(rc, "MPI_Win_post");
        s.posted = true;
    }
    /// post() of a braced list of ranks.
    void post(std::initializer_list<int> origins, int assert_ = 0) {
        post(std::span<const int>(origins.begin(), origins.size()), assert_);
    }
    /// post() of an mpixx::group of processes of the window's group.
    void post(const group& origins, int assert_ = 0) { post(window_ranks(origins, "mpixx::window::post"), assert_); }
    /// Opens an access epoch to the processes `targets` (MPI_Win_start); end it with complete().
    void start(std::span<const int> targets, int assert_ = 0) {
        auto& s = state("mpixx::window::start");
        if (s.started || (s.access_all & detail::window_state::lock_all_bit) || s.locks_held > 0) [[unlikely]]
            detail::throw_rma_sync("mpixx::window::start", "an access epoch is already open on this window");
        MPI_Group g = detail::window_group(s.win, targets.data(), targets.size(), s.size, "mpixx::window::start");
        const int rc = MPIXX_WATCHED(s.hang(), MPI_Win_start, g, assert_, s.win);
        MPI_Group_free(&g);
        detail::check(rc, "MPI_Win_start");
        s.started = true;
        s.access_all = 0;
        for (int t : targets) s.access[static_cast<std::size_t>(t)] |= detail::window_state::start_bit;
    }
    /// start() of a braced list of ranks.
    void start(std::initializer_list<int> targets, int assert_ = 0) {
        start(std::span<const int>(targets.begin(), targets.size()), assert_);
    }
    /// start() of an mpixx::group of processes of the window's group.
    void start(const group& targets, int assert_ = 0) {
        start(window_ranks(targets, "mpixx::window::start"), assert_);
    }
    /// Ends the access epoch of start(): its operations complete here (MPI_Win_complete).
    void complete() {
        auto& s = state("mpixx::window::complete");
        if (!s.started) [[unlikely]]
            detail::throw_rma_sync("mpixx::window::complete", "no access epoch was started (start) on this window");
        s.started = false;
        for (auto& a : s.access) a &= static_cast<unsigned char>(~detail::window_state::start_bit);
        MPIXX_WATCHED_CALL(s.hang(), MPI_Win_complete, s.win);
    }
    /// Ends the exposure epoch of post() once every origin completed (MPI_Win_wait).
    void wait() {
        auto& s = state("mpixx::window::wait");
        if (!s.posted) [[unlikely]]
            detail::throw_rma_sync("mpixx::window::wait", "no exposure epoch was posted (post) on this window");
        s.posted = false;
        MPIXX_WATCHED_CALL(s.hang(), MPI_Win_wait, s.win);
    }
    /// Ends the exposure epoch if every origin completed, without blocking (MPI_Win_test).
    [[nodiscard]] bool test() {
        auto& s = state("mpixx::window::test");
        if (!s.posted) [[unlikely]]
            detail::throw_rma_sync("mpixx::window::test", "no exposure epoch was posted (post) on this window");
        int flag = 0;
        MPIXX_CALL(MPI_Win_test, s.win, &flag);
        if (flag) s.posted = false;
        return flag != 0;
    }

private:
    std::vector<int> window_ranks(const group& g, const char* routine) const {
        return detail::window_ranks(state(routine).win, g, routine);
    }
    static void check_comm(const communicator& comm, const char* routine) { detail::check_window_comm(comm, routine); }
    /// The hang report's site of a collective step of creation (or of its undoing) on `comm`.
    static detail::hang_site created(const communicator& comm) noexcept { return detail::hang_comm_site(comm.native()); }
    static int node_size(const communicator& comm) { return detail::node_size(comm); }
    static void check_shared_comm(const communicator& comm) { detail::check_shared_comm(comm); }
    static MPI_Aint bytes(std::size_t n, const char* routine) { return detail::window_bytes(n, sizeof(T), routine); }
    static int icount(std::size_t n) { return detail::rma_icount(n); }
    static int icount(MPI_Aint n) { return detail::rma_icount(static_cast<std::size_t>(n)); }
    static MPI_Datatype tdt() { return datatype<T>(); }

    /// Whether B is a plain buffer of T's (one item = one element; layout views are not).
    template <class B>
    static constexpr bool plain_of_t =
        std::is_same_v<detail::element_t<std::remove_cvref_t<B>>, T> && !layout_buffer<std::remove_cvref_t<B>>;

    /// The origin's size in target elements: its count when its elements are T's, else from its bytes
    /// (MPI sizes: a padded struct's datatype holds fewer bytes than sizeof).
    template <class B, class V>
    static MPI_Aint target_count(const V& v, const char* routine) {
        if constexpr (plain_of_t<B>) {
            return static_cast<MPI_Aint>(v.count);
        } else {
            const MPI_Aint total = detail::rma_bytes(v.type, v.count, routine);
            const MPI_Aint elem = detail::rma_bytes(tdt(), 1, routine);
            if (elem == 0 || total % elem != 0) [[unlikely]]
                detail::throw_rma_type(routine, static_cast<std::size_t>(total), static_cast<std::size_t>(elem));
            return total / elem;
        }
    }
    /// The datatype an accumulate's origin uses (the predefined pair type for minloc/maxloc elements).
    template <class B, class V>
    static MPI_Datatype origin_type(const V& v) {
        if constexpr (plain_of_t<B>) return detail::rma_datatype<T>();
        else return v.type;
    }
    /// Origin and result of get_accumulate hold the same data (MPI_ERR_COUNT otherwise): counts when both
    /// are plain buffers of T's (no MPI call), else bytes.
    template <class B, class R, class V, class W>
    static void check_same_data(const V& v, const W& r, const char* routine) {
        bool same = false;
        if constexpr (plain_of_t<B> && plain_of_t<R>) same = v.count == r.count;
        else same = detail::rma_bytes(v.type, v.count, routine) == detail::rma_bytes(r.type, r.count, routine);
        if (!same) [[unlikely]]
            detail::throw_rma_count(routine, "the origin buffer", v.count, v.type, "the result buffer", r.count,
                                    r.type);
    }
    /// What a target layout touches from its displacement (checked against the target's window), after
    /// checking that it holds as much data as the origin buffer `v` (MPI_ERR_COUNT otherwise).
    template <class L, class V>
    static detail::rma_reach target_reach(const L& target_layout, const V& v, const char* routine) {
        if constexpr (requires { typename L::value_type; })
            static_assert(std::is_same_v<typename L::value_type, T> || std::is_void_v<typename L::value_type>,
                          "mpixx::window: a target layout must describe elements of the window's type T");
        const MPI_Datatype lt = target_layout.native();
        const detail::rma_reach r = detail::layout_reach(lt, routine);
        if (detail::rma_bytes(v.type, v.count, routine) != r.bytes) [[unlikely]]
            detail::throw_rma_count(routine, "the origin buffer", v.count, v.type, "the target layout", 1, lt);
        return r;
    }

    /// A null window throws; otherwise the operation targets proc_null and is skipped.
    void null_or_skip(const char* routine) const {
        if (!s_) [[unlikely]]
            detail::throw_null_window(routine);
    }
    detail::window_state& state(const char* routine) const {
        if (!s_) [[unlikely]]
            detail::throw_null_window(routine);
        return *s_;
    }
    detail::window_state& dynamic_state(const char* routine) const {
        auto& s = state(routine);
        if (!s.dynamic) [[unlikely]]
            detail::throw_rma_flavor(routine, "create_dynamic");
        return s;
    }
    detail::window_state& passive_state(const char* routine) const {
        auto& s = state(routine);
        if (!(s.access_all & detail::window_state::lock_all_bit) && s.locks_held == 0) [[unlikely]]
            detail::throw_rma_sync(routine, "needs a passive-target epoch (lock or lock_all) on this window");
        return s;
    }

    /// Runs `start(buf, r)` on the caller's buffer when borrowable, else on a copy the request owns.
    template <class B, class F>
    auto start_owned(B&& origin, F&& start) {
        if constexpr (borrowable<B&&>) {
            MPI_Request r = MPI_REQUEST_NULL;
            start(origin, r);
            return request<>(r);
        } else {
            using O = std::remove_cvref_t<B>;
            auto payload = detail::make_box<detail::owned_payload<O>>(std::forward<B>(origin));
            MPI_Request r = MPI_REQUEST_NULL;
            start(std::as_const(payload->buf), r);
            if (r == MPI_REQUEST_NULL) return request<O>(); // proc_null: nothing started, nothing to hand back
            return request<O>(r, std::move(payload));
        }
    }

    /// Completes creation: errors returned, not fatal; every rank's size exchanged (one allgather).
    /// After creation: every rank's size, exchanged once (-1 from a rank whose size does not fit in
    /// MPI_Aint: then every rank frees the window and throws MPI_ERR_SIZE).
    void finish(const communicator& comm, T* base, std::size_t n, const char* routine = nullptr,
                bool too_large = false) {
        try {
            MPIXX_CALL(MPI_Win_set_errhandler, s_->win, MPI_ERRORS_RETURN);
            s_->rank = comm.rank();
            s_->size = comm.size();
            s_->access.assign(static_cast<std::size_t>(s_->size), 0);
            if (!s_->dynamic) {
                s_->extent.resize(static_cast<std::size_t>(s_->size));
                const MPI_Aint mine = too_large ? MPI_Aint(-1) : static_cast<MPI_Aint>(n);
                MPIXX_WATCHED_CALL(created(comm), MPI_Allgather, &mine, 1, MPI_AINT, s_->extent.data(), 1, MPI_AINT,
                                   comm.native());
                if (too_large) [[unlikely]]
                    detail::throw_window_size(routine, n);
                for (std::size_t r = 0; r < s_->extent.size(); ++r)
                    if (s_->extent[r] < 0) [[unlikely]]
                        detail::throw_usage(routine, MPI_ERR_SIZE,
                                            "rank " + std::to_string(r) +
                                                " asked for more elements than fit in MPI_Aint bytes (it throws too)");
            }
        } catch (...) {
            (void)MPIXX_WATCHED(created(comm), MPI_Win_free, &s_->win);
            s_.reset();
            throw;
        }
        base_ = base;
        n_ = n;
    }

    void release_noexcept() noexcept {
        if (!s_) return;
        auto s = std::move(s_);
        base_ = nullptr;
        n_ = 0;
        if (!detail::window_mpi_alive()) return;
        const char* routine = "MPI_Win_free";
        if (int rc = s->release(&routine); rc != MPI_SUCCESS) detail::report_window_error(routine, rc);
    }

    std::shared_ptr<detail::window_state> s_;
    T* base_ = nullptr;
    std::size_t n_ = 0;
    bool shared_ = false;
};

} // namespace mpixx
