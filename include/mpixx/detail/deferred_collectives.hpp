// mpixx/detail/deferred_collectives.hpp - checked mode (MPIXX_CHECKED): every collective, blocking or
// not, runs only once every rank's signature record (collective_signature.hpp) agrees.
//
// Blocking collectives exchange their records first and throw on disagreement before MPI runs anything.
// A non-blocking collective must not wait for other ranks at its call (the NBX pattern posts an
// ibarrier and keeps receiving until it completes), so its record goes out in an MPI_Iallgather and the
// collective itself is posted later: by the first wait or test of any request on that communicator that
// finds the exchanges complete, in call order (MPI's rule: the same order on every rank). A
// disagreement is seen alike on every rank: no rank posts that collective, its request throws the
// mismatch error on wait() or test(), and the later ones go on. A blocking collective, and making a
// communicator from this one (settle_collectives), first posts every deferred one of its communicator
// (it would wait for the same ranks anyway). A persistent collective (MPI-4 `..._init`) is checked at
// each start the same way: its record goes out at start(), MPI_Start runs once the records agree.
//
// The exchanges use the communicator's signature duplicate (p2p_signature.hpp), always non-blocking,
// so that a blocking call on one rank meets a non-blocking one on another and is reported, not hung.
// Communicators mpixx did not create have no duplicate: their blocking collectives exchange on the
// communicator itself and their non-blocking ones are not checked. Blocking collectives on
// intercommunicators are checked by inter_collective_check.hpp; their non-blocking ones, and single-rank
// communicators, are not.
#pragma once

#include <mpixx/config.hpp>

// Checked mode only: every use is under MPIXX_CHECKED, and an unchecked unit skips the parsing.
#if MPIXX_CHECKED
#include <mpixx/detail/arg_pack.hpp>
#include <mpixx/detail/collective_signature.hpp>
#include <mpixx/detail/inter_collective_check.hpp>
#include <mpixx/detail/p2p_signature.hpp>
#include <mpixx/detail/progress.hpp>
#include <mpixx/error.hpp>
#include <mpixx/request.hpp>
#include <mpixx/detail/owner.hpp>
#include <mpixx/detail/std_light.hpp>

#include <exception>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// Posts a deferred collective's MPI call into a request handle; returns the MPI return code.
struct deferred_poster {
    virtual ~deferred_poster() = default;
    virtual int post(MPI_Request* r) = 0;
};

/// The call Fn(args..., request), arguments kept by value (buffers and count arrays are the caller's or
/// the request payload's, which outlive the operation as MPI requires).
template <auto Fn, class... A>
struct deferred_call final : deferred_poster {
    arg_pack<A...> args;
    explicit deferred_call(A... a) : args(a...) {}
    int post(MPI_Request* r) override {
        return args.apply([r](A... a) { return Fn(a..., r); });
    }
};

/// A non-blocking collective waiting for its signature exchange.
struct deferred_collective {
    enum class phase : unsigned char { checking, posted, failed };
    MPI_Comm comm = MPI_COMM_NULL;            ///< the user's communicator
    const char* routine = "";                 ///< MPI routine, for errors
    collective_record mine{};                 ///< this rank's record
    std::vector<collective_record> all;       ///< every rank's, once the exchange completed
    MPI_Request exchange = MPI_REQUEST_NULL;  ///< the MPI_Iallgather of the records
    detail::box<deferred_poster> poster;  ///< posts the collective once checked
    MPI_Request posted = MPI_REQUEST_NULL;    ///< the collective, once posted
    phase state = phase::checking;
    std::exception_ptr failure; ///< the mismatch (or MPI error) when failed
};

/// The deferred collectives of every communicator, in call order (one lock: checked mode only).
struct deferred_queue {
    std::mutex mutex;
    std::vector<detail::rc<deferred_collective>> pending;

    static deferred_queue& instance() {
        static deferred_queue q;
        return q;
    }

    /// Settles `e`, whose exchange completed with return code `rc`: posts it, or records why not.
    static void settle(deferred_collective& e, int rc) noexcept {
        try {
            if (rc != MPI_SUCCESS) throw_mpi_error(rc, "MPI_Iallgather");
            std::string what;
            if (const int code = compare_records(e.all, what); code != MPI_SUCCESS) [[unlikely]]
                throw collective_mismatch(e.routine, code, what, e.all);
            check(e.poster->post(&e.posted), e.routine);
            e.state = deferred_collective::phase::posted;
        } catch (...) {
            e.failure = std::current_exception();
            e.state = deferred_collective::phase::failed;
        }
        e.poster.reset();
    }

    /// Settles the deferred collectives of `comm` in call order while their exchanges are complete
    /// (`block`: waits for each). Call with the lock held.
    void advance(MPI_Comm comm, bool block) {
        for (std::size_t i = 0; i < pending.size();) {
            deferred_collective& e = *pending[i];
            if (e.comm != comm) {
                ++i;
                continue;
            }
            int rc = MPI_SUCCESS;
            if (block) {
                rc = progress::wait(e.exchange, MPI_STATUS_IGNORE);
            } else {
                int done = 0;
                rc = MPI_Test(&e.exchange, &done, MPI_STATUS_IGNORE);
                if (rc == MPI_SUCCESS && !done) return;
            }
            settle(e, rc);
            pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(i));
        }
    }
};

/// Checked mode: posts every deferred collective of `comm` (before a blocking collective on it).
inline void flush_deferred(MPI_Comm comm) {
    deferred_queue& q = deferred_queue::instance();
    std::lock_guard lock(q.mutex);
    q.advance(comm, true);
}

/// request_payload::post of a deferred collective: hands out its MPI request once posted; false while
/// its exchange (or an earlier one on its communicator) is incomplete; throws when it failed its check.
inline bool deferred_post(deferred_collective& e, MPI_Request& r) {
    deferred_queue& q = deferred_queue::instance();
    mutex_lock lock(q.mutex, std::try_to_lock);
    if (!lock) return false; // another thread is settling: poll again
    if (e.state == deferred_collective::phase::checking) q.advance(e.comm, false);
    if (e.state == deferred_collective::phase::checking) return false;
    if (e.state == deferred_collective::phase::failed) std::rethrow_exception(e.failure);
    r = std::exchange(e.posted, MPI_REQUEST_NULL);
    return true;
}

/// The payload of a deferred collective's request: posts it (deferred_post), then finishes as `inner`.
template <class T>
struct deferred_payload final : request_payload<T> {
    detail::rc<deferred_collective> entry;
    detail::box<request_payload<T>> inner;
    T finish(const MPI_Status& st) override {
        if constexpr (std::is_void_v<T>) {
            if (inner) inner->finish(st);
        } else {
            return inner->finish(st);
        }
    }
    bool post(MPI_Request& r) override { return deferred_post(*entry, r); }
};

template <class T>
detail::box<request_payload<T>> defer_payload(detail::rc<deferred_collective> entry,
                                                  detail::box<request_payload<T>> inner) {
    auto p = detail::make_box<deferred_payload<T>>();
    p->entry = std::move(entry);
    p->inner = std::move(inner);
    return p;
}

/// Checked mode: what a collective contributes to the signature check (a persistent one at each start).
struct persistent_collective {
    MPI_Comm comm = MPI_COMM_NULL;     ///< the user's communicator
    MPI_Comm sig_comm = MPI_COMM_NULL; ///< its signature duplicate, which carries the records
    const char* routine = "";
    int size = 0;
    collective_record record{};
};

/// The record of collective `s`, or null when its communicator is not checked (no signature duplicate,
/// an intercommunicator, a single rank).
inline detail::rc<persistent_collective> checked_record(const collective_site& s) {
    const MPI_Comm sc = signature_comm::find(s.comm);
    if (sc == MPI_COMM_NULL) return nullptr;
    int inter = 0, size = 1, rank = 0;
    MPIXX_CALL(MPI_Comm_test_inter, s.comm, &inter);
    MPIXX_CALL(MPI_Comm_size, s.comm, &size);
    MPIXX_CALL(MPI_Comm_rank, s.comm, &rank);
    if (inter || size == 1) return nullptr;
    auto c = detail::make_rc<persistent_collective>();
    c->comm = s.comm;
    c->sig_comm = sc;
    c->routine = s.routine;
    c->size = size;
    c->record = make_record(s, rank);
    return c;
}

/// Queues the collective described by `c`: its record goes out now (MPI_Iallgather on the duplicate),
/// `poster` posts it once every rank's record agrees (deferred_queue::advance).
inline detail::rc<deferred_collective> defer(const persistent_collective& c,
                                                 detail::box<deferred_poster> poster) {
    auto e = detail::make_rc<deferred_collective>();
    e->comm = c.comm;
    e->routine = c.routine;
    e->mine = c.record;
    e->all.resize(static_cast<std::size_t>(c.size));
    e->poster = std::move(poster);
    deferred_queue& dq = deferred_queue::instance();
    std::lock_guard lock(dq.mutex);
    constexpr int bytes = static_cast<int>(sizeof(collective_record));
    MPIXX_CALL(MPI_Iallgather, &e->mine, bytes, MPI_BYTE, e->all.data(), bytes, MPI_BYTE, c.sig_comm, &e->exchange);
    dq.pending.push_back(e);
    return e;
}

/// Checked mode's start of the non-blocking collective Fn(args..., &q.handle) (see start_icoll): its
/// record goes out now, the collective once every rank's agrees.
template <auto Fn, class... A>
int defer_collective(const char* routine, coll_post& q, A... args) {
    const auto c = checked_record(site_of<Fn>(routine, args...));
    if (!c) return Fn(args..., &q.handle);
    q.deferred = defer(*c, detail::make_box<deferred_call<Fn, A...>>(args...));
    return MPI_SUCCESS;
}

/// Starts the persistent collective `h` (deferred_call of MPI_Start on a copy: the handle stays the same).
struct deferred_start final : deferred_poster {
    MPI_Request handle;
    explicit deferred_start(MPI_Request h) : handle(h) {}
    int post(MPI_Request* r) override {
        MPI_Request h = handle;
        const int rc = MPI_Start(&h);
        *r = h;
        return rc;
    }
};

inline detail::rc<deferred_collective> defer_start(const persistent_collective& c, MPI_Request handle) {
    return defer(c, detail::make_box<deferred_start>(handle));
}

/// Checked mode, before the blocking collective `s`: every rank learns every rank's record and throws
/// (the same error everywhere) if they disagree.
inline void check_collective_site(const collective_site& s) {
    int inter = 0;
    MPIXX_CALL(MPI_Comm_test_inter, s.comm, &inter);
    if (inter) return check_inter_site(s);
    int rank = 0, size = 0;
    MPIXX_CALL(MPI_Comm_rank, s.comm, &rank);
    MPIXX_CALL(MPI_Comm_size, s.comm, &size);
    if (size == 1) return;
    const MPI_Comm sc = signature_comm::find(s.comm);
    if (sc != MPI_COMM_NULL) flush_deferred(s.comm);
    const collective_record mine = make_record(s, rank);
    std::vector<collective_record> all(static_cast<std::size_t>(size));
    constexpr int bytes = static_cast<int>(sizeof(collective_record));
    if (sc != MPI_COMM_NULL || MPIXX_COLLECTIVE_PROGRESS) {
        // Non-blocking on the duplicate: it matches the exchanges of non-blocking collectives.
        MPI_Request r = MPI_REQUEST_NULL;
        MPIXX_CALL(MPI_Iallgather, &mine, bytes, MPI_BYTE, all.data(), bytes, MPI_BYTE,
                   sc != MPI_COMM_NULL ? sc : s.comm, &r);
        check(progress::wait(r, MPI_STATUS_IGNORE), "MPI_Allgather");
    } else {
        MPIXX_CALL(MPI_Allgather, &mine, bytes, MPI_BYTE, all.data(), bytes, MPI_BYTE, s.comm);
    }
    std::string what;
    if (const int code = compare_records(all, what); code != MPI_SUCCESS) [[unlikely]]
        throw collective_mismatch(s.routine, code, what, all);
}

} // namespace mpixx::detail

#endif // MPIXX_CHECKED
