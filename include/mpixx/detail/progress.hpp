// mpixx/detail/progress.hpp - matching of probe-sized receives while this process waits on something else.
//
// A receive of unknown size (irecv<std::vector<T>>, irecv<std::string>, object receives) cannot be posted
// to MPI before its message is matched: MPI_Improbe finds the message and its size, MPI_Imrecv then posts
// the receive into a buffer of that size. Until then MPI does not know about the receive, so a peer's
// rendezvous send to it (a large MPI_Send) cannot complete: "both ranks irecv<string>, then a blocking
// send of 1 MB, then wait" deadlocks (Boost.MPI does, issue #72). mpixx keeps every such receive that could
// not be matched at once in this process-wide registry, in posting order. A blocking mpixx operation that
// may wait on a peer checks active() - one relaxed atomic load - and only when something is registered
// waits by polling: it posts its non-blocking twin and calls wait(), which tests that request and lets
// poll() match the registered receives. With nothing registered it stays one plain blocking MPI call.
// Done by every blocking point-to-point call (send, ssend, recv, sendrecv, sendrecv_replace, probe,
// mprobe; iprobe/improbe poll once) and by every wait/test of requests, pools and persistent requests.
// Blocking collectives do it only when built with MPIXX_COLLECTIVE_PROGRESS=1 (collectives_common.hpp):
// a blocking and a non-blocking collective never match, so that choice must be the same on every rank.
//
// Matching order follows MPI's rule that a message goes to the earliest posted receive it matches:
// receives are probed in posting order; a later receive may probe only when every earlier unmatched one
// whose envelope overlaps its own is contained in it (then a message it finds that an earlier one also
// matches is handed to the earliest such receive). So receives with equal envelopes complete in posting
// order, and (0, 5) then (any, any) cannot deadlock. Limits: a receive whose envelope only partly overlaps
// an earlier pending one ((0, any) then (any, 5)) is matched after it; and MPI itself matches receives
// posted later by other means (a borrowed-buffer irecv, a blocking recv) without seeing the pending ones.
//
// Threads: the registry is guarded by a mutex, taken only on the registered path (never by active()),
// and held only for MPI_Improbe and bookkeeping. Matching is two steps: under the lock a found message is
// claimed for its receive (MPI_Improbe binds it, so matching order is kept); the receive itself
// (on_match: MPI_Imrecv, or an object's stream receive and decode) then runs with the lock released, in
// the thread that claimed it or the one that takes it first. poll() and take() - what test() and every
// polling loop call - only try the lock and return at once when another thread holds it (that thread
// is doing the matching), so request::test() never waits for another thread's receive. Matching order
// between receives posted by different threads is unspecified, as in MPI.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/atomic.hpp>
#include <mpixx/detail/hang_watch.hpp>
#include <mpixx/detail/yield.hpp>
#include <mpixx/error.hpp>
#include <mpixx/status.hpp>

#include <mpixx/detail/std_light.hpp>
#include <mpixx/detail/owner.hpp>
#include <cstddef>
#include <exception>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI {
class message; // message.hpp, included at the end: it may include request.hpp, which needs this header
} // namespace mpixx

namespace mpixx::inline MPIXX_ABI::detail {

/// A receive matched by mpixx rather than by MPI (its size comes from a probe). Lives on the heap so
/// that the registry can refer to it while the request that owns it is moved around.
class progress_item {
public:
    /// A receive for (source, tag) on `comm`; `keep_alive` keeps the communicator alive meanwhile.
    progress_item(MPI_Comm comm, int source, int tag, detail::rc<void> keep_alive = nullptr) noexcept
        : comm_(comm), source_(source), tag_(tag), keep_alive_(std::move(keep_alive)) {}
    progress_item(const progress_item&) = delete;
    progress_item& operator=(const progress_item&) = delete;
    virtual ~progress_item() { settle(); }

protected:
    /// Posts the receive of the matched message `m` (MPI_Imrecv on m.native()) into storage the item
    /// owns, storing the request in `r`. May throw; then the message is discarded and wait() rethrows.
    virtual void on_match(message& m, MPI_Request& r) = 0;

    /// Unregisters and completes a receive in flight: call it first in the destructor of a derived
    /// class that owns the receive buffer (a safety net; the owning request normally did it).
    void settle() noexcept;

private:
    friend class progress;
    // waiting: registered, no message yet; claimed: a message is bound to it (message_), on_match not
    // run yet; running: a thread runs on_match without the lock; matched: on_match done (request_ or
    // error_ set); taken: handed to the owner; cancelled: withdrawn. Guarded by progress's mutex.
    enum class state : unsigned char { waiting, claimed, running, matched, taken, cancelled };

    MPI_Comm comm_;
    int source_;
    int tag_;
    detail::rc<void> keep_alive_;
    state state_ = state::waiting;
    bool registered_ = false;                // listed in the registry (waiting, claimed or running)
    MPI_Message message_ = MPI_MESSAGE_NULL; // the claimed message, until on_match runs
    MPI_Status status_{};                    // its status
    MPI_Request request_ = MPI_REQUEST_NULL; // the posted MPI_Imrecv, until taken
    std::exception_ptr error_;               // a failure while matching, rethrown by take()
};

/// The process-wide registry of unmatched probe-sized receives, and waiting that drives it.
class progress {
public:
    /// Whether any receive is waiting to be matched: one relaxed atomic load, the whole cost of the check.
    [[nodiscard]] static bool active() noexcept { return count_.load(memory_order_relaxed) != 0; }

    /// Matches `item` now if it can, registers it otherwise.
    static void start(progress_item& item) {
        if (!active()) {
            // Nothing earlier to respect: try directly, without the lock.
            if (probe_one(item)) return;
            std::lock_guard lock(mutex_);
            add_locked(item);
            return;
        }
        mutex_lock lock(mutex_);
        add_locked(item);
        poll_locked();
        run_claimed(lock);
    }

    /// Once `item` is matched, moves its posted MPI request into `r` and returns true (rethrowing a
    /// matching failure); returns true with `r` untouched when it was cancelled; false while unmatched,
    /// or when another thread holds the registry (never blocks: callers poll).
    static bool take(progress_item& item, MPI_Request& r) {
        mutex_lock lock(mutex_, std::try_to_lock);
        if (!lock.owns_lock()) return false;
        if (item.state_ == progress_item::state::waiting) poll_locked();
        if (item.state_ == progress_item::state::claimed) run_one(item, lock); // its own receive first
        run_claimed(lock);
        switch (item.state_) {
        case progress_item::state::matched:
            item.state_ = progress_item::state::taken;
            if (item.error_) std::rethrow_exception(std::exchange(item.error_, nullptr));
            r = std::exchange(item.request_, MPI_REQUEST_NULL);
            return true;
        case progress_item::state::taken:
        case progress_item::state::cancelled: return true;
        default: return false; // waiting, or claimed / running in another thread
        }
    }

    /// Withdraws an unmatched receive; false when it was already matched (then it must be waited for).
    static bool cancel(progress_item& item) noexcept {
        std::lock_guard lock(mutex_);
        if (item.state_ != progress_item::state::waiting) return false;
        remove_locked(item);
        item.state_ = progress_item::state::cancelled;
        return true;
    }

    /// Drops `item` from the registry for good (its owner is going away): waits while another thread
    /// runs its on_match, and discards a message claimed for it but not received. No-op when unlisted.
    static void remove(progress_item& item) noexcept;

    /// Tries once to match every registered receive, in posting order, then runs the receives of the
    /// messages claimed (without the lock). Returns at once when another thread holds the registry.
    static void poll() {
        if (!active()) return;
        mutex_lock lock(mutex_, std::try_to_lock);
        if (!lock.owns_lock()) return;
        poll_locked();
        run_claimed(lock);
    }

    /// MPI_Wait(r, st) that keeps registered receives matching while it waits; with none registered it is
    /// the plain MPI_Wait after two relaxed loads (this and the hang report's). Returns the MPI return
    /// code (the caller turns it into an error, knowing what the request was).
    [[nodiscard, gnu::always_inline]] static int wait(MPI_Request& r, MPI_Status* st) {
        if (hang_watch_on()) [[unlikely]]
            return wait_watched(r, st);
        if (!active()) [[likely]]
            return MPI_Wait(&r, st);
        return wait_matching(r, st);
    }

    /// wait() while the hang report is on: marked as blocked in MPI_Wait meanwhile (a blocking call that
    /// waits here through its non-blocking twin keeps its own, outer, mark).
    [[MPIXX_COLD]] static int wait_watched(MPI_Request& r, MPI_Status* st) {
        const hang_scope watched({"MPI_Wait", MPI_COMM_NULL, -1, -1, 1, MPI_DATATYPE_NULL, hang_kind::wait});
        if (!active()) return MPI_Wait(&r, st);
        return wait_matching(r, st);
    }

    /// The slow path of wait(): polls `r`, matching registered receives, until it completes; plain
    /// MPI_Wait once none is left.
    [[MPIXX_COLD]] static int wait_matching(MPI_Request& r, MPI_Status* st) {
        backoff b;
        for (;;) {
            int flag = 0;
            if (int rc = MPI_Test(&r, &flag, st); rc != MPI_SUCCESS || flag) return rc;
            if (!active()) return MPI_Wait(&r, st);
            poll();
            b.pause();
        }
    }

    /// Paces a polling loop: it spins at first (latency), then yields on every round, so that ranks
    /// sharing a core (oversubscribed runs) are not starved by a rank that polls.
    class backoff {
    public:
        void pause() noexcept {
            if (spins_ < 64) ++spins_;
            else yield_cpu();
        }

    private:
        unsigned spins_ = 0;
    };

private:
    static void add_locked(progress_item& item) {
        items_.push_back(&item);
        item.registered_ = true;
        count_.store(items_.size(), memory_order_relaxed);
    }

    static void remove_locked(progress_item& item) noexcept {
        if (!item.registered_) return;
        auto at = items_.begin();
        while (*at != &item) ++at; // registered: it is there
        items_.erase(at);
        item.registered_ = false;
        count_.store(items_.size(), memory_order_relaxed);
    }

    /// Can one message match both envelopes?
    static bool overlap(const progress_item& a, const progress_item& b) noexcept {
        auto src = [](int x, int y) {
            return x == y || (x == MPI_ANY_SOURCE && y != MPI_PROC_NULL) || (y == MPI_ANY_SOURCE && x != MPI_PROC_NULL);
        };
        return a.comm_ == b.comm_ && src(a.source_, b.source_) &&
               (a.tag_ == b.tag_ || a.tag_ == MPI_ANY_TAG || b.tag_ == MPI_ANY_TAG);
    }
    /// Does every message that matches `a` also match `b`?
    static bool contained(const progress_item& a, const progress_item& b) noexcept {
        return (b.source_ == a.source_ || (b.source_ == MPI_ANY_SOURCE && a.source_ != MPI_PROC_NULL)) &&
               (b.tag_ == a.tag_ || b.tag_ == MPI_ANY_TAG);
    }
    /// Does `item` accept the message described by `st` (same communicator assumed)?
    static bool accepts(const progress_item& item, const MPI_Status& st) noexcept {
        return (item.source_ == st.MPI_SOURCE || (item.source_ == MPI_ANY_SOURCE && st.MPI_SOURCE != MPI_PROC_NULL)) &&
               (item.tag_ == st.MPI_TAG || item.tag_ == MPI_ANY_TAG);
    }

    /// Hands the matched message to `item` and posts its receive (on_match); failures are kept for
    /// take(). Never called with the lock held.
    static void deliver(progress_item& item, MPI_Message m, const MPI_Status& st) noexcept;

    /// Binds the message found by MPI_Improbe to `item` (lock held); its receive runs later, unlocked.
    static void claim(progress_item& item, MPI_Message m, const MPI_Status& st) noexcept {
        item.message_ = m;
        item.status_ = st;
        item.state_ = progress_item::state::claimed;
    }

    /// Runs the receive of `item`, which is claimed, with the lock released (`lock` is held on entry and
    /// on return).
    static void run_one(progress_item& item, mutex_lock& lock) noexcept {
        item.state_ = progress_item::state::running; // nobody else runs it, and its owner waits for it
        const MPI_Message m = std::exchange(item.message_, MPI_MESSAGE_NULL);
        const MPI_Status st = item.status_;
        lock.unlock();
        deliver(item, m, st);
        lock.lock();
        item.state_ = progress_item::state::matched;
        remove_locked(item);
    }

    /// Runs the receives of every claimed item, in posting order (lock held on entry and on return).
    static void run_claimed(mutex_lock& lock) noexcept {
        for (;;) {
            auto it = items_.begin();
            while (it != items_.end() && (*it)->state_ != progress_item::state::claimed) ++it;
            if (it == items_.end()) return;
            run_one(**it, lock);
        }
    }

    static void fail(progress_item& item, int rc) noexcept {
        try {
            throw_mpi_error(rc, "MPI_Improbe");
        } catch (...) {
            item.error_ = std::current_exception();
        }
        item.state_ = progress_item::state::matched;
    }

    /// One MPI_Improbe for an item nobody precedes; true when it was matched (or failed).
    static bool probe_one(progress_item& item) noexcept {
        int flag = 0;
        MPI_Message m = MPI_MESSAGE_NULL;
        MPI_Status st;
        if (int rc = MPI_Improbe(item.source_, item.tag_, item.comm_, &flag, &m, &st); rc != MPI_SUCCESS) {
            fail(item, rc);
            return true;
        }
        if (flag) {
            deliver(item, m, st); // not registered yet: nobody else can see it
            item.state_ = progress_item::state::matched;
        }
        return flag != 0;
    }

    static void poll_locked() noexcept {
        const std::size_t n = items_.size();
        for (std::size_t k = 0; k < n; ++k) {
            progress_item& item = *items_[k];
            if (item.state_ != progress_item::state::waiting) continue;
            bool blocked = false;
            for (std::size_t j = 0; j < k && !blocked; ++j) {
                const progress_item& earlier = *items_[j];
                blocked = earlier.state_ == progress_item::state::waiting && overlap(earlier, item) &&
                          !contained(earlier, item);
            }
            if (blocked) continue;
            for (;;) {
                int flag = 0;
                MPI_Message m = MPI_MESSAGE_NULL;
                MPI_Status st;
                if (int rc = MPI_Improbe(item.source_, item.tag_, item.comm_, &flag, &m, &st); rc != MPI_SUCCESS) {
                    fail(item, rc);
                    break;
                }
                if (!flag) break;
                // The message belongs to the earliest unmatched receive that accepts it.
                progress_item* target = &item;
                if (st.MPI_SOURCE != MPI_PROC_NULL) {
                    for (std::size_t j = 0; j < k; ++j) {
                        progress_item& earlier = *items_[j];
                        if (earlier.state_ == progress_item::state::waiting && earlier.comm_ == item.comm_ &&
                            accepts(earlier, st)) {
                            target = &earlier;
                            break;
                        }
                    }
                }
                claim(*target, m, st);
                if (target == &item) break;
            }
        }
        // Claimed (and running) items stay listed: active() stays true until their receive is posted.
        std::erase_if(items_, [](progress_item* p) {
            if (p->state_ == progress_item::state::waiting || p->state_ == progress_item::state::claimed ||
                p->state_ == progress_item::state::running)
                return false;
            p->registered_ = false;
            return true;
        });
        count_.store(items_.size(), memory_order_relaxed);
    }

    static inline atomic<std::size_t> count_{0};
    static inline std::mutex mutex_;
    static inline std::vector<progress_item*> items_; // unmatched or claimed receives, in posting order
};

} // namespace mpixx::detail

#include <mpixx/message.hpp>

namespace mpixx::inline MPIXX_ABI::detail {

inline void progress::remove(progress_item& item) noexcept {
    MPI_Message m = MPI_MESSAGE_NULL;
    MPI_Status st{};
    {
        mutex_lock lock(mutex_);
        while (item.state_ == progress_item::state::running) {
            lock.unlock();
            yield_cpu();
            lock.lock();
        }
        if (item.state_ == progress_item::state::claimed) {
            m = std::exchange(item.message_, MPI_MESSAGE_NULL);
            st = item.status_;
            item.state_ = progress_item::state::cancelled;
        }
        remove_locked(item);
    }
    if (m != MPI_MESSAGE_NULL) {
        message dropped(m, st, item.comm_); // received and dropped by its destructor, with the lock released
    }
}

inline void progress::deliver(progress_item& item, MPI_Message m, const MPI_Status& st) noexcept {
    try {
        message msg(m, st, item.comm_); // discards the message if on_match does not receive it
        item.on_match(msg, item.request_);
    } catch (...) {
        item.error_ = std::current_exception();
    }
}

inline void progress_item::settle() noexcept {
    progress::remove(*this);
    if (request_ == MPI_REQUEST_NULL) return;
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Wait(&request_, MPI_STATUS_IGNORE);
    request_ = MPI_REQUEST_NULL;
}

} // namespace mpixx::detail
