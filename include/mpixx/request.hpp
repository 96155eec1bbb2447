// mpixx/request.hpp - RAII handles of pending MPI operations: request<T> and persistent_request.
//
// Contract (library code that starts non-blocking operations builds on this):
//
//   namespace detail {
//   template <class T> struct request_payload {            // owns what must outlive the operation
//       virtual ~request_payload() = default;                // (buffers moved in, results) and
//       virtual T finish(const MPI_Status&) = 0;            // produces wait()'s result once it completed
//       virtual bool post(MPI_Request& r);  // operations posted late (probe-sized receives): stores the
//                                           // MPI request in r once it exists; false while it cannot
//       virtual bool cancel();              // withdraws an operation not yet posted to MPI
//   };
//   }
//   template <class T = void> class [[nodiscard]] request {  // move-only
//       request() noexcept;                                             // null: nothing pending
//       explicit request(MPI_Request r, detail::box<detail::request_payload<T>> payload = nullptr) noexcept;
//       T wait();                  // completes and returns the result (void: nothing; see status())
//       std::optional<T> test();   // (T = void: bool) completes if done, else nothing happens
//       bool pending() const noexcept;   void cancel();   MPI_Request native() const noexcept;
//       mpixx::status status() const;    // of the completed operation (empty status for a null one)
//   };
//
// - A request is pending from construction (with a non-null handle or a payload) until wait() or a
//   successful test() completes it. As in MPI (MPI_Wait on MPI_REQUEST_NULL), wait() and test() of a
//   request<void> that is not pending (null, completed, moved from) return at once (test(): true), and
//   so do those of an inactive persistent_request. A request<T> (T non-void) hands its T out once: a
//   second wait() or test() after it was taken, or one on a null request<T>, throws mpixx::error with
//   MPI_ERR_REQUEST, as does cancel() of a request that is not pending. status() throws only while the
//   operation is pending; a request that never ran reports MPI's empty status (any_source, any_tag).
// - test() never blocks: its progress poll skips the registry when another thread holds it, and never
//   runs a matched receive while holding the registry's lock (detail/progress.hpp).
// - A payload is needed for T != void (it produces the T); for T = void it is optional (e.g. to keep a
//   buffer alive). A request built from MPI_REQUEST_NULL and a payload is pending: its first wait calls
//   payload->post() until it returns true (an operation whose handle then stays null completes at once).
// - The destructor of a pending request WAITS for it (it never frees a buffer in flight and never calls
//   MPI_Request_free); it is noexcept: an error there is printed to stderr, never thrown (so it is safe
//   during stack unwinding). Assigning to a pending request waits for it first.
// - Except during stack unwinding (std::uncaught_exceptions() greater than when the request was made):
//   a scope left by an exception must not wait forever for a message that may never come. Then a
//   pending RECEIVE is cancelled and its buffer released: a probe-sized or object receive not yet
//   matched is withdrawn (a matched one completes: its sender is already sending), a receive built with
//   detail::receive_request is cancelled with MPI_Cancel and completed. A pending SEND (and any other
//   operation) is still waited for: MPI-4 deprecates cancelling sends and implementations mostly cannot,
//   and a send completes once its receiver takes the message (eagerly sent ones at once); a send whose
//   receiver never receives it still blocks, as MPI_Wait would.
// - Waiting drives detail::progress when probe-sized receives are registered (see detail/progress.hpp),
//   so a pending request never stops a peer's send to this process from completing.
//
// - detail::deferred_recv<T> + detail::start_deferred<T>(payload) build a receive whose MPI request
//   exists only once its message is matched (probe-sized receives; object receives can do the same).
// - Threads: a request is used by one thread at a time; the progress registry has its own lock.
//
// persistent_request: any inactive persistent handle (MPI_Send_init, MPI_Recv_init, MPI_Bcast_init, ...);
// start(), wait(), test(), restartable; start_all(p...) is MPI_Startall. The destructor waits for an
// active one and then frees it (MPI_Request_free only when inactive); during stack unwinding a started
// persistent receive (recv_init) is cancelled instead, as request's receives.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/progress.hpp>
#include <mpixx/detail/request_support.hpp>
#include <mpixx/error.hpp>
#include <mpixx/status.hpp>
#if MPIXX_CHECKED
#include <mpixx/detail/p2p_signature.hpp>
#include <mpixx/detail/owner.hpp>
#endif

#include <concepts>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace mpixx::inline MPIXX_ABI {

class persistent_request;
template <class T>
class request;

namespace detail {

/// Tag of request's constructor for a receive (see the contract: cancelled during stack unwinding).
struct receive_request_t {
    explicit receive_request_t() = default;
};
/// Marks a request as a receive: `request<T>(detail::receive_request, r, payload)`.
inline constexpr receive_request_t receive_request{};

template <class T, class Payload>
request<T> start_deferred(detail::box<Payload> payload);

template <class T>
struct request_payload;

#if MPIXX_CHECKED
// Checked mode's deferred collectives (detail/deferred_collectives.hpp, included at the end of this header).
struct deferred_collective;
struct persistent_collective;
/// Wraps `inner` into a payload that posts the collective once its signature check passed.
template <class T>
detail::box<request_payload<T>> defer_payload(detail::rc<deferred_collective> entry,
                                                  detail::box<request_payload<T>> inner);
/// Defers the MPI_Start of the persistent collective `handle` described by `c` until its records agree.
inline detail::rc<deferred_collective> defer_start(const persistent_collective& c, MPI_Request handle);
/// Hands out the deferred collective's request once posted; false while not yet; throws when it failed.
inline bool deferred_post(deferred_collective& e, MPI_Request& r);
#endif

/// The request slot a non-blocking collective is started into (MPIXX_ICOLL, collectives_common.hpp): the
/// MPI request, or in checked mode the collective whose posting waits for its signature check.
struct coll_post {
    MPI_Request handle = MPI_REQUEST_NULL; ///< the started operation (null while deferred)
#if MPIXX_CHECKED
    detail::rc<deferred_collective> deferred; ///< checked mode: the collective to post once checked
#endif
};

/// The handle a persistent collective's init call (MPIXX_ICOLL) creates, and in checked mode what each
/// start contributes to the signature check.
struct persistent_post {
    MPI_Request handle = MPI_REQUEST_NULL; ///< the inactive persistent handle
#if MPIXX_CHECKED
    detail::rc<persistent_collective> check; ///< checked mode: its record (null: not checked)
#endif
};

/// Owns what must outlive an operation (buffers moved in, results) and produces wait()'s result.
template <class T>
struct request_payload {
    virtual ~request_payload() = default;
    /// The result, once the operation completed with status `st` (called at most once).
    virtual T finish(const MPI_Status& st) = 0;
    /// For an operation posted late (a probe-sized receive): stores its MPI request in `r` once it
    /// exists and returns true; false while it cannot yet. Must make progress itself (it is polled).
    virtual bool post(MPI_Request& r) {
        (void)r;
        return true;
    }
    /// Withdraws an operation not yet posted to MPI; true when it did (post() then returns true).
    virtual bool cancel() { return false; }
};

/// What completing a request<T> yields in generic code: T, or the status for T = void.
template <class T>
using request_result_t = std::conditional_t<std::is_void_v<T>, mpixx::status, T>;

struct request_access;

/// Polls `ready()` until it returns true (posting an operation that waits for something), marked for
/// the hang report as a wait.
template <class F>
void poll_until(F&& ready) {
    auto loop = [&] {
        progress::backoff b;
        while (!ready()) b.pause();
    };
    if (hang_watch_on()) [[unlikely]] {
        const hang_scope watched(hang_wait_site("MPI_Wait", 1));
        loop();
    } else {
        loop();
    }
}

} // namespace detail

/// A pending MPI operation. Move-only; the destructor waits for a pending operation. T is what wait()
/// returns: a buffer moved into the operation, a received value or container; void for none.
template <class T = void>
class [[nodiscard("an mpixx request waits for its operation when destroyed, so a discarded one makes the "
                  "call blocking: keep it (auto r = comm.isend(...)) and call r.wait() when the data is needed")]] request {
public:
    using value_type = T; ///< What wait() returns.

    /// A null request: nothing pending.
    request() noexcept = default;
    /// Takes a started operation (library code): its handle and what must outlive it.
    explicit request(MPI_Request r, detail::box<detail::request_payload<T>> payload = nullptr) noexcept
        : req_(r), state_(r != MPI_REQUEST_NULL || payload ? state::pending : state::null),
          payload_(std::move(payload)) {}
    /// Takes a started non-blocking collective (library code); in checked mode it may still be deferred
    /// until its signature check passed (its first wait or test posts it).
    explicit request(detail::coll_post& q, detail::box<detail::request_payload<T>> payload = nullptr)
        : request(q.handle, std::move(payload)) {
#if MPIXX_CHECKED
        if (q.deferred) {
            payload_ = detail::defer_payload<T>(std::move(q.deferred), std::move(payload_));
            state_ = state::pending;
        }
#endif
    }
    /// Takes a started receive (MPI_Irecv and the like): cancelled, not waited for, by a destructor
    /// that runs during stack unwinding.
    request(detail::receive_request_t, MPI_Request r,
            detail::box<detail::request_payload<T>> payload = nullptr) noexcept
        : request(r, std::move(payload)) {
        kind_ = kind::receive;
        unwinding_ = std::uncaught_exceptions();
    }

    /// Takes the other's operation (the other becomes null).
    request(request&& o) noexcept
        : req_(std::exchange(o.req_, MPI_REQUEST_NULL)), st_(std::exchange(o.st_, mpixx::status())),
          state_(std::exchange(o.state_, state::null)), fix_(o.fix_), kind_(o.kind_),
          unwinding_(o.unwinding_), payload_(std::move(o.payload_)) {}
    /// Waits for this request if pending, then takes the other's operation.
    request& operator=(request&& o) noexcept {
        if (this != &o) {
            settle();
            req_ = std::exchange(o.req_, MPI_REQUEST_NULL);
            st_ = std::exchange(o.st_, mpixx::status());
            state_ = std::exchange(o.state_, state::null);
            fix_ = o.fix_;
            kind_ = o.kind_;
            unwinding_ = o.unwinding_;
            payload_ = std::move(o.payload_);
        }
        return *this;
    }
    request(const request&) = delete;
    request& operator=(const request&) = delete;
    /// Waits for a pending operation (errors are printed, never thrown); during stack unwinding a
    /// pending receive is cancelled instead (see the contract above).
    ~request() { settle(); }

    /// Blocks until the operation completes and returns its result (MPI_Wait). Not pending: a
    /// request<void> returns at once (MPI_Wait on MPI_REQUEST_NULL); a request<T> throws MPI_ERR_REQUEST.
    T wait() {
        if (state_ != state::pending) [[unlikely]] {
            if constexpr (std::is_void_v<T>) return;
            else detail::throw_result_taken("mpixx::request::wait");
        }
        if (req_ == MPI_REQUEST_NULL && payload_) [[unlikely]]
            post_blocking();
        MPI_Status st;
        const int rc = detail::progress::wait(req_, &st);
        if (rc != MPI_SUCCESS) [[unlikely]]
            fail(rc, st, "MPI_Wait");
        if constexpr (std::is_void_v<T>) complete(st);
        else return complete(st);
    }

    /// Completes the operation if it is done (MPI_Test): its result (T = void: true), or nothing. Never
    /// blocks. Not pending: a request<void> returns true; a request<T> throws MPI_ERR_REQUEST.
    [[nodiscard]] std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> test() {
        if (state_ != state::pending) [[unlikely]] {
            if constexpr (std::is_void_v<T>) return true;
            else detail::throw_result_taken("mpixx::request::test");
        }
        if (req_ == MPI_REQUEST_NULL && payload_) [[unlikely]] {
            if (!try_post()) return {};
        } else if (detail::progress::active()) [[unlikely]] {
            detail::progress::poll(); // non-blocking: skipped while another thread holds the registry
        }
        int flag = 0;
        MPI_Status st;
        if (int rc = MPI_Test(&req_, &flag, &st); rc != MPI_SUCCESS) [[unlikely]]
            fail(rc, st, "MPI_Test");
        if (!flag) return {};
        if constexpr (std::is_void_v<T>) {
            complete(st);
            return true;
        } else {
            return complete(st);
        }
    }

    /// Whether the operation has been started and not yet completed by wait() or test().
    [[nodiscard]] bool pending() const noexcept { return state_ == state::pending; }

    /// Asks MPI to cancel the operation (MPI_Cancel); it must still be completed with wait() or test(),
    /// after which status().cancelled() tells whether it was cancelled. A probe-sized receive not yet
    /// matched is withdrawn at once and its wait() returns an empty container.
    void cancel() {
        if (state_ != state::pending) [[unlikely]]
            detail::throw_not_pending("mpixx::request::cancel");
        if (req_ == MPI_REQUEST_NULL) {
            if (payload_ && payload_->cancel()) fix_ |= fix_cancelled;
            return;
        }
        MPIXX_CALL(MPI_Cancel, &req_);
    }

    /// The underlying handle (MPI_REQUEST_NULL once completed, or while a probe-sized receive is unmatched).
    [[nodiscard]] MPI_Request native() const noexcept { return req_; }

    /// Status of the completed operation (source, tag, count, cancelled); MPI's empty status for a null
    /// request; throws MPI_ERR_REQUEST while pending.
    [[nodiscard]] mpixx::status status() const {
        if (state_ == state::pending) [[unlikely]]
            detail::throw_usage("mpixx::request::status", MPI_ERR_REQUEST,
                                "the request has not completed (wait() or test() it first)");
        return st_;
    }

private:
    friend struct detail::request_access;
    template <class U, class Payload>
    friend request<U> detail::start_deferred(detail::box<Payload> payload);
    enum class state : unsigned char { null, pending, done };
    /// What a destructor running during stack unwinding does: wait (sends, collectives, ...), cancel
    /// with MPI_Cancel (receives), or withdraw through the payload when not yet matched (deferred).
    enum class kind : unsigned char { wait, receive, deferred };

    /// Posts a late operation, polling until it can (its failure completes the request).
    void post_blocking() {
        detail::poll_until([this] { return try_post(); });
    }
    bool try_post() {
        try {
            return payload_->post(req_);
        } catch (...) {
            abandon();
            throw;
        }
    }

    /// The request completed with status `st`: record it and produce the result.
    detail::request_result_t<T> complete(MPI_Status& st) {
        if (fix_) [[unlikely]]
            fix_status(st);
        st_ = mpixx::status(st);
        state_ = state::done;
        auto payload = std::move(payload_);
        if constexpr (std::is_void_v<T>) {
            if (payload) payload->finish(st);
            return st_;
        } else {
            if (!payload) [[unlikely]]
                detail::throw_usage("mpixx::request::wait", MPI_ERR_REQUEST,
                                    "a request<T> was built without a payload");
            return payload->finish(st);
        }
    }

    /// Corrects MPI's status `st` (cold): a receive from proc_null reports source proc_null, tag any_tag
    /// and count 0 (MPICH 4.0's MPI_Irecv gives source 0, tag 0); a withdrawn operation is cancelled.
    [[MPIXX_COLD]] void fix_status(MPI_Status& st) const noexcept {
        if (fix_ & fix_proc_null) detail::set_proc_null_status(st);
        if (fix_ & fix_cancelled) MPI_Status_set_cancelled(&st, 1);
    }

    /// MPI reported an error: a request MPI has freed is complete (its payload goes) and keeps the status
    /// MPI gave it (a truncated receive's source and tag); then throw.
    [[noreturn, MPIXX_COLD]] void fail(int rc, const MPI_Status& st, const char* routine) {
        if (req_ == MPI_REQUEST_NULL) failed(&st);
        detail::throw_mpi_error(rc, routine);
    }
    /// MPI completed this request with an error (it freed the handle): no result; the status `st` (when
    /// MPI filled one in) is kept for status().
    void failed(const MPI_Status* st) noexcept {
        if (st) {
            MPI_Status copy = *st;
            if (fix_) fix_status(copy);
            st_ = mpixx::status(copy);
        }
        abandon();
    }
    void abandon() noexcept {
        state_ = state::done;
        payload_.reset();
    }

    /// A receive left pending by a scope an exception leaves: withdraw it when it is not matched yet
    /// (deferred), or MPI_Cancel it (receive); its buffer goes. False when it must be waited for.
    bool cancel_unwinding() noexcept {
        try {
            if (req_ == MPI_REQUEST_NULL && payload_) {
                if (!payload_->cancel()) return false; // matched already: its sender is sending it
                abandon();
                return true;
            }
            if (kind_ != kind::receive || req_ == MPI_REQUEST_NULL) return false;
            MPI_Cancel(&req_);
            MPI_Wait(&req_, MPI_STATUS_IGNORE); // completes at once if cancelled, else it had its message
            abandon();
            return true;
        } catch (...) {
            return false;
        }
    }

    void settle() noexcept {
        if (state_ != state::pending) return;
        if (!detail::mpi_usable()) {
            detail::report_destructor_error("MPI was finalized while the request was pending");
            abandon();
            return;
        }
        if (kind_ != kind::wait && std::uncaught_exceptions() > unwinding_) [[unlikely]] {
            if (cancel_unwinding()) return;
        }
        try {
            if constexpr (std::is_void_v<T>) wait();
            else (void)wait();
        } catch (const std::exception& e) {
            detail::report_destructor_error(e.what());
        } catch (...) {
            detail::report_destructor_error("unknown exception");
        }
        abandon();
    }

    MPI_Request req_ = MPI_REQUEST_NULL;
    mpixx::status st_;
    state state_ = state::null;
    enum : unsigned char { fix_cancelled = 1, fix_proc_null = 2 };
    unsigned char fix_ = 0; // status corrections (fix_status): withdrawn, or a receive from proc_null
    kind kind_ = kind::wait;
    int unwinding_ = 0; // std::uncaught_exceptions() when made (receives only: sends never ask)
    detail::box<detail::request_payload<T>> payload_;
};

/// A persistent operation (MPI_Send_init, MPI_Recv_init): start() it, wait() for it, start it again.
/// Move-only; the destructor waits for an active operation, then frees the handle (MPI_Request_free).
class [[nodiscard("a persistent request is freed when destroyed: keep it (auto r = comm.send_init(...)) and "
                  "call r.start() and r.wait()")]] persistent_request {
public:
    /// A null persistent request.
    persistent_request() noexcept = default;
    /// Takes an inactive persistent handle (library code).
    explicit persistent_request(MPI_Request r) noexcept : req_(r) {}
#if MPIXX_CHECKED
    /// Checked mode: a persistent point-to-point handle whose starts and completions are checked.
    persistent_request(MPI_Request r, const detail::persistent_check& c) noexcept : req_(r), check_(c) {}
#endif
    /// Takes a persistent collective's inactive handle (library code); in checked mode each start is
    /// posted once every rank's record agrees.
    explicit persistent_request(detail::persistent_post& q) noexcept : req_(q.handle) {
#if MPIXX_CHECKED
        coll_ = std::move(q.check);
#endif
    }
    /// Takes the other's handle (the other becomes null).
    persistent_request(persistent_request&& o) noexcept
        : req_(std::exchange(o.req_, MPI_REQUEST_NULL)), st_(std::exchange(o.st_, mpixx::status())),
          active_(std::exchange(o.active_, false)), proc_null_(std::exchange(o.proc_null_, false)),
          receive_(std::exchange(o.receive_, false)), unwinding_(o.unwinding_) {
#if MPIXX_CHECKED
        check_ = std::exchange(o.check_, {});
        coll_ = std::move(o.coll_);
        pending_ = std::move(o.pending_);
#endif
    }
    /// Frees this handle (waiting if active), then takes the other's.
    persistent_request& operator=(persistent_request&& o) noexcept {
        if (this != &o) {
            release();
            req_ = std::exchange(o.req_, MPI_REQUEST_NULL);
            st_ = std::exchange(o.st_, mpixx::status());
            active_ = std::exchange(o.active_, false);
            proc_null_ = std::exchange(o.proc_null_, false);
            receive_ = std::exchange(o.receive_, false);
            unwinding_ = o.unwinding_;
#if MPIXX_CHECKED
            check_ = std::exchange(o.check_, {});
            coll_ = std::move(o.coll_);
            pending_ = std::move(o.pending_);
#endif
        }
        return *this;
    }
    persistent_request(const persistent_request&) = delete;
    persistent_request& operator=(const persistent_request&) = delete;
    /// Waits for an active operation (during unwinding a receive is cancelled), then frees the handle.
    ~persistent_request() { release(); }

    /// Starts the operation (MPI_Start); throws MPI_ERR_REQUEST if it is null or already active.
    void start() {
        check_startable("mpixx::persistent_request::start");
#if MPIXX_CHECKED
        check_.on_start();
        if (coll_) { // a persistent collective: MPI_Start once every rank's record agrees (wait or test)
            pending_ = detail::defer_start(*coll_, req_);
            active_ = true;
            return;
        }
#endif
        MPIXX_CALL(MPI_Start, &req_);
        active_ = true;
    }

    /// Blocks until the started operation completes (MPI_Wait); the request can then be started again.
    /// An inactive (or null) one returns at once, as MPI_Wait does.
    void wait() {
        if (!active_) [[unlikely]]
            return;
#if MPIXX_CHECKED
        if (pending_) post_blocking();
#endif
        MPI_Status st;
        const int rc = detail::progress::wait(req_, &st);
        if (rc != MPI_SUCCESS) [[unlikely]]
            fail(rc, &st, "MPI_Wait"); // complete (or failed): inactive either way
        complete(st);
    }

    /// Completes the started operation if it is done (MPI_Test); never blocks. An inactive (or null)
    /// one is done: true.
    [[nodiscard]] bool test() {
        if (!active_) [[unlikely]]
            return true;
#if MPIXX_CHECKED
        if (pending_ && !try_post()) return false;
#endif
        detail::progress::poll();
        int flag = 0;
        MPI_Status st;
        if (int rc = MPI_Test(&req_, &flag, &st); rc != MPI_SUCCESS) [[unlikely]]
            fail(rc, &st, "MPI_Test");
        if (flag) complete(st);
        return flag != 0;
    }

    /// Asks MPI to cancel the started operation (MPI_Cancel); wait() for it afterwards.
    void cancel() {
        if (!active_) [[unlikely]]
            throw_inactive("mpixx::persistent_request::cancel");
        MPIXX_CALL(MPI_Cancel, &req_);
    }

    /// Whether the operation was started and has not completed yet.
    [[nodiscard]] bool active() const noexcept { return active_; }
    /// Whether this holds no persistent operation.
    [[nodiscard]] bool is_null() const noexcept { return req_ == MPI_REQUEST_NULL; }
    /// The underlying handle.
    [[nodiscard]] MPI_Request native() const noexcept { return req_; }

    /// Status of the last completed run (MPI's empty status before the first); throws while active.
    [[nodiscard]] mpixx::status status() const {
        if (active_) [[unlikely]]
            detail::throw_usage("mpixx::persistent_request::status", MPI_ERR_REQUEST,
                                "the persistent request is active (wait() for it first)");
        return st_;
    }

private:
    friend struct detail::request_access;

    void check_startable(const char* routine) const {
        if (req_ == MPI_REQUEST_NULL) [[unlikely]]
            detail::throw_usage(routine, MPI_ERR_REQUEST, "the persistent request is null (or moved from)");
        if (active_) [[unlikely]]
            detail::throw_usage(routine, MPI_ERR_REQUEST,
                                "the persistent request is already active (wait() for it first)");
    }
    [[noreturn, MPIXX_COLD]] static void throw_inactive(const char* routine) {
        detail::throw_usage(routine, MPI_ERR_REQUEST, "the persistent request is not active (start() it first)");
    }

#if MPIXX_CHECKED
    /// Checked mode: starts a deferred persistent collective once its records agree; false while not yet.
    bool try_post() {
        try {
            MPI_Request r = MPI_REQUEST_NULL;
            if (!detail::deferred_post(*pending_, r)) return false;
        } catch (...) {
            pending_.reset();
            active_ = false; // not started on any rank
            throw;
        }
        pending_.reset();
        return true;
    }
    void post_blocking() {
        detail::poll_until([this] { return try_post(); });
    }
#endif

    mpixx::status complete(const MPI_Status& st) {
        record(st);
        active_ = false;
#if MPIXX_CHECKED
        check_.on_complete(st_.native());
#endif
        return st_;
    }
    /// Keeps MPI's status; a receive from proc_null reports source proc_null, tag any_tag, count 0
    /// (MPICH 4.0's MPI_Recv_init says any_source).
    void record(MPI_Status st) noexcept {
        if (proc_null_) [[unlikely]]
            detail::set_proc_null_status(st);
        st_ = mpixx::status(st);
    }
    /// MPI reported an error: inactive, with the status MPI filled in (null: none); then throw.
    [[noreturn, MPIXX_COLD]] void fail(int rc, const MPI_Status* st, const char* routine) {
        failed(st);
        detail::throw_mpi_error(rc, routine);
    }
    void failed(const MPI_Status* st) noexcept {
        active_ = false;
        if (st) record(*st);
    }

    /// A started receive in a scope an exception leaves: cancelled (MPI_Cancel), not waited for forever
    /// (as request's receives; a matched one completes at once).
    [[MPIXX_COLD]] void cancel_unwinding() noexcept {
        if (MPI_Cancel(&req_) != MPI_SUCCESS) return;
        if (MPI_Wait(&req_, MPI_STATUS_IGNORE) == MPI_SUCCESS) active_ = false;
    }

    void release() noexcept {
        if (req_ == MPI_REQUEST_NULL) return;
        if (!detail::mpi_usable()) return;
        if (active_ && receive_ && std::uncaught_exceptions() > unwinding_) [[unlikely]]
            cancel_unwinding();
        if (active_) {
            try {
                wait();
            } catch (const std::exception& e) {
                detail::report_destructor_error(e.what());
            } catch (...) {
                detail::report_destructor_error("unknown exception");
            }
        }
        if (active_) return; // could not complete: freeing an active request could free a buffer in use
        MPI_Request_free(&req_);
        req_ = MPI_REQUEST_NULL;
    }

    MPI_Request req_ = MPI_REQUEST_NULL;
    mpixx::status st_;
    bool active_ = false;
    bool proc_null_ = false; // a receive from proc_null (its status is corrected: set_proc_null_status)
    bool receive_ = false;   // a receive: cancelled, not waited for, by a release() during unwinding
    int unwinding_ = 0;      // receives: std::uncaught_exceptions() when made
#if MPIXX_CHECKED
    detail::persistent_check check_; // checked mode: signatures of a persistent send or receive
    detail::rc<detail::persistent_collective> coll_; // checked mode: a persistent collective's record
    detail::rc<detail::deferred_collective> pending_; // its start, until the records agree
#endif
};

namespace detail {

/// Payload of a receive posted late: its message is matched through detail::progress (MPI_Improbe),
/// then received by on_match (MPI_Imrecv into storage the derived class owns). Derived classes must
/// call settle() first in their destructor. Used by probe-sized and object receives.
template <class T>
class deferred_recv : public request_payload<T>, public progress_item {
public:
    using progress_item::progress_item;
    bool post(MPI_Request& r) override { return progress::take(*this, r); }
    bool cancel() override { return progress::cancel(*this); }
};

/// Starts a deferred receive: it is matched now if its message is there, registered otherwise. Returns
/// the request that owns it.
template <class T, class Payload>
request<T> start_deferred(detail::box<Payload> payload) {
    Payload& item = *payload;
    request<T> r(MPI_REQUEST_NULL, std::move(payload));
    r.kind_ = request<T>::kind::deferred;
    r.unwinding_ = std::uncaught_exceptions();
    try {
        progress::start(item);
    } catch (...) {
        progress::cancel(item); // not registered: the request's destructor then completes at once
        throw;
    }
    return r;
}

} // namespace detail
} // namespace mpixx

// request_access, waitable and start_all (need both classes complete).
#include <mpixx/detail/request_access.hpp>

#if MPIXX_CHECKED
#include <mpixx/detail/deferred_collectives.hpp>
#endif
