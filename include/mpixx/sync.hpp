// mpixx/sync.hpp - synchronisation built on one-sided communication (window.hpp), as mpi4py.util.sync:
//
//   mpixx::counter c(comm);              // a distributed atomic counter held by rank 0
//   long long ticket = c.next();         // 0, 1, 2, ... across all ranks, each value handed out once
//   mpixx::mutex m(comm);                // a process mutex: std::lock_guard<mpixx::mutex> g(m);
//   mpixx::node_shared_array<double> t(comm, n, [](std::span<double> s) { fill(s); });
//   double x = t[i];                     // one copy per node, filled by the node's rank 0
//
// All three are built and destroyed collectively over their communicator (they own a window: see
// window.hpp). Between construction and destruction each keeps a lock_all epoch open on its own window,
// so next(), lock() and unlock() are one atomic operation and a flush each. Construction checks that
// every rank passed the same root (counter, mutex) or size (node_shared_array), and that the filler did
// not throw anywhere, with one small allreduce: on failure every rank throws, none is left waiting.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/communicator.hpp>
#include <mpixx/window.hpp>
#include <mpixx/detail/yield.hpp>

#include <cstddef>
#include <exception>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

namespace mpixx::inline MPIXX_ABI {

namespace detail {

/// Replaces the barrier that ends the construction of a counter or mutex (one MPI_Allreduce, no dearer):
/// every rank learns whether all passed the same valid root, so that all throw together. A root out of
/// range on one rank only would otherwise leave the others waiting in the barrier, and two roots would
/// give two counters (values handed out twice) or two mutexes (no mutual exclusion).
inline void agree_root(const communicator& comm, int root, const char* routine) {
    int v[2] = {root, ~root}; // max of root and of ~root: the same everywhere iff v[0] == ~v[1]
    MPIXX_COLL_CALL(MPI_Allreduce, MPI_Iallreduce, MPI_IN_PLACE, v, 2, MPI_INT, MPI_MAX, comm.native());
    if (v[0] != ~v[1]) [[unlikely]]
        throw_usage(routine, MPI_ERR_ROOT, "the ranks passed different roots (from " + std::to_string(~v[1]) +
                                               " to " + std::to_string(v[0]) + "): every rank must pass the same");
    if (static_cast<unsigned>(root) >= static_cast<unsigned>(comm.size())) [[unlikely]]
        throw_bad_root(routine, root, comm.size(), false);
}

/// node_shared_array's size, agreed over `comm` before anything is allocated (one MPI_Allreduce): the
/// leader allocates what it was given and the others see that, so a rank passing another n would index
/// past the array; and a size too large for MPI_Aint bytes must throw everywhere, not on the leader alone
/// (the others would wait in MPI_Win_allocate_shared).
inline void agree_shared_size(const communicator& comm, std::size_t n, std::size_t elem, const char* routine) {
    check_window_comm(comm, routine); // null or intercommunicator: every rank throws alike, before any call
    unsigned long long v[2] = {n, ~static_cast<unsigned long long>(n)};
    MPIXX_COLL_CALL(MPI_Allreduce, MPI_Iallreduce, MPI_IN_PLACE, v, 2, MPI_UNSIGNED_LONG_LONG, MPI_MAX,
                    comm.native());
    if (v[0] != ~v[1]) [[unlikely]]
        throw_usage(routine, MPI_ERR_ARG, "the ranks passed different sizes (from " + std::to_string(~v[1]) +
                                              " to " + std::to_string(v[0]) + "): every rank must pass the same n");
    (void)window_bytes(n, elem, routine);
}

/// After the leader's filler ran: whether it threw on any rank of `comm` (one MPI_Allreduce, which also
/// orders the leader's stores before everyone's loads as publish()'s barrier does). Rethrows this rank's
/// exception; the other ranks throw MPI_ERR_OTHER naming the rank whose filler threw.
inline void agree_fill(const communicator& comm, std::exception_ptr failure, const char* routine) {
    int who = failure ? comm.rank() : -1;
    MPIXX_COLL_CALL(MPI_Allreduce, MPI_Iallreduce, MPI_IN_PLACE, &who, 1, MPI_INT, MPI_MAX, comm.native());
    if (failure) [[unlikely]]
        std::rethrow_exception(failure);
    if (who >= 0) [[unlikely]]
        throw_usage(routine, MPI_ERR_OTHER, "the filler threw on rank " + std::to_string(who) +
                                                " (its node's leader, which rethrows its exception): the array is "
                                                "not filled");
}

} // namespace detail

/// A distributed atomic counter (mpi4py.util.sync.Counter): one long long on rank `root`, incremented by
/// any rank with MPI_Fetch_and_op. Collective construction and destruction; not copyable, movable.
class counter {
public:
    /// A counter starting at `start`, held by `root` of `comm` (collective).
    explicit counter(const communicator& comm, long long start = 0, int root = 0)
        : win_(window<long long>::allocate(comm, comm.rank() == root ? 1 : 0)), root_(root) {
        epoch_ = win_.lock_all(rma_mode::nocheck);
        if (comm.rank() == root) {
            win_.accumulate(start, root, 0, replace);
            win_.flush(root);
        }
        detail::agree_root(comm, root, "mpixx::counter"); // and nobody counts before the start value is in
    }

    /// Adds `incr` and returns the value before it (atomic across all ranks).
    long long fetch_add(long long incr) { return win_.fetch_and_op(incr, root_, 0, sum); }
    /// The next value: fetch_add(incr), default 1.
    long long next(long long incr = 1) { return fetch_add(incr); }
    /// The current value (an atomic read; others may change it right after).
    [[nodiscard]] long long value() { return win_.fetch_and_op(0LL, root_, 0, no_op); }
    /// The rank holding the value.
    [[nodiscard]] int root() const noexcept { return root_; }
    /// Frees the counter's window now (collective); the destructor does it otherwise.
    void free() {
        if (epoch_.locked()) epoch_.unlock();
        win_.free();
    }

private:
    window<long long> win_; // declared first: destroyed after the epoch
    lock_all_epoch epoch_;
    int root_;
};

/// A mutual-exclusion lock across processes (mpi4py.util.sync.Mutex), held by at most one rank at a time:
/// lock() spins on MPI_Compare_and_swap of one int on `root`. Satisfies Lockable: std::lock_guard,
/// std::unique_lock and std::scoped_lock work. Not recursive. Collective construction and destruction.
/// It orders no other memory: flush the windows the critical section wrote before unlock().
class mutex {
public:
    /// An unlocked mutex held on `root` of `comm` (collective).
    explicit mutex(const communicator& comm, int root = 0)
        : win_(window<int>::allocate(comm, comm.rank() == root ? 1 : 0)), root_(root), me_(comm.rank() + 1) {
        epoch_ = win_.lock_all(rma_mode::nocheck);
        if (comm.rank() == root) {
            const int unlocked = 0;
            win_.accumulate(unlocked, root, 0, replace);
            win_.flush(root);
        }
        detail::agree_root(comm, root, "mpixx::mutex"); // and nobody locks before it is initialised
    }

    /// Blocks until this process holds the mutex. Locking it twice from one process throws MPI_ERR_RMA_SYNC.
    void lock() {
        if (held_) [[unlikely]]
            detail::throw_rma_sync("mpixx::mutex::lock", "this process already holds the mutex (it is not recursive)");
        while (win_.compare_and_swap(me_, 0, root_, 0) != 0) detail::yield_cpu();
        held_ = true;
    }
    /// Takes the mutex if it is free; never blocks.
    [[nodiscard]] bool try_lock() {
        if (held_) [[unlikely]]
            detail::throw_rma_sync("mpixx::mutex::try_lock", "this process already holds the mutex");
        held_ = win_.compare_and_swap(me_, 0, root_, 0) == 0;
        return held_;
    }
    /// Releases the mutex; MPI_ERR_RMA_SYNC when this process does not hold it.
    void unlock() {
        if (!held_) [[unlikely]]
            detail::throw_rma_sync("mpixx::mutex::unlock", "this process does not hold the mutex");
        const int was = win_.compare_and_swap(0, me_, root_, 0);
        held_ = false;
        if (was != me_) [[unlikely]]
            detail::throw_rma_sync("mpixx::mutex::unlock", "the mutex was held by rank " + std::to_string(was - 1) +
                                                                ", not by this process");
    }
    /// Whether this process holds the mutex.
    [[nodiscard]] bool owns_lock() const noexcept { return held_; }
    /// Frees the mutex's window now (collective); the destructor does it otherwise.
    void free() {
        if (epoch_.locked()) epoch_.unlock();
        win_.free();
    }

private:
    window<int> win_;
    lock_all_epoch epoch_;
    int root_;
    int me_; // rank + 1: 0 means unlocked
    bool held_ = false;
};

/// One copy per node of read-mostly data (a lookup table): an array of T in a shared-memory window,
/// allocated by the node's first process (its rank 0 of comm.split_shared()) and read in place by every
/// process of the node. Fill it on the leader (writable()), then publish() on every process of the node;
/// or pass the filler to the constructor. To rewrite it later: publish() (everyone has read), the leader
/// writes, publish() again. Collective over `comm` to build and to destroy.
template <mpi_type T>
class node_shared_array {
public:
    /// An array of `n` T's per node (collective over comm; value-initialised by nobody: fill it). Every
    /// rank must pass the same n (else all throw MPI_ERR_ARG); too large for MPI_Aint bytes: MPI_ERR_SIZE.
    node_shared_array(const communicator& comm, std::size_t n) : node_(split(comm, n)) {
        win_ = window<T>::allocate_shared(node_, node_.rank() == 0 ? n : 0);
        data_ = win_.shared_query(0);
        epoch_ = win_.lock_all(rma_mode::nocheck); // for sync(): loads and stores order through it
    }
    /// As above, and the node's leader calls fill(std::span<T>) before everyone's publish(). A filler
    /// that may throw costs one allreduce over comm instead of the node barrier: when it throws, that
    /// leader rethrows and every other rank throws MPI_ERR_OTHER (nobody is left waiting).
    template <class F>
        requires std::invocable<F&, std::span<T>>
    node_shared_array(const communicator& comm, std::size_t n, F&& fill) : node_shared_array(comm, n) {
        if constexpr (std::is_nothrow_invocable_v<F&, std::span<T>>) {
            if (is_leader()) fill(data_);
            publish();
        } else {
            std::exception_ptr failure;
            if (is_leader()) {
                try {
                    fill(data_);
                } catch (...) {
                    failure = std::current_exception();
                }
            }
            win_.sync();
            detail::agree_fill(comm, failure, "mpixx::node_shared_array");
            win_.sync();
        }
    }
    /// Takes o's array; o is left empty (its data() no longer spans memory o does not own).
    node_shared_array(node_shared_array&& o) noexcept
        : node_(std::move(o.node_)), win_(std::move(o.win_)), epoch_(std::move(o.epoch_)),
          data_(std::exchange(o.data_, {})) {}
    /// Frees this array (collective over its node), then takes o's; o is left empty.
    node_shared_array& operator=(node_shared_array&& o) noexcept {
        if (this != &o) {
            epoch_ = std::move(o.epoch_); // the epoch ends before its window is freed
            win_ = std::move(o.win_);
            node_ = std::move(o.node_);
            data_ = std::exchange(o.data_, {});
        }
        return *this;
    }

    /// Whether this process is its node's leader, the one that fills the array.
    [[nodiscard]] bool is_leader() const noexcept { return node_.rank() == 0; }
    /// The array, writable: on the leader only (elsewhere MPI_ERR_ARG), before publish().
    [[nodiscard]] std::span<T> writable() {
        if (!is_leader()) [[unlikely]]
            detail::throw_usage("mpixx::node_shared_array::writable", MPI_ERR_ARG,
                                "only the node's leader (node rank 0) writes the array; the others read it");
        return data_;
    }
    /// Makes the leader's stores visible to the node (MPI_Win_sync, a node barrier, MPI_Win_sync):
    /// collective over the node, after every store and before any load.
    void publish() {
        win_.sync();
        node_.barrier();
        win_.sync();
    }
    /// The array, read-only.
    [[nodiscard]] std::span<const T> data() const noexcept { return data_; }
    /// Element i.
    [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return data_[i]; }
    /// The number of elements.
    [[nodiscard]] std::size_t size() const noexcept { return data_.size(); }
    /// Iteration over the elements.
    [[nodiscard]] auto begin() const noexcept { return data().begin(); }
    /// End of the elements.
    [[nodiscard]] auto end() const noexcept { return data().end(); }
    /// The node's communicator (processes sharing this copy).
    [[nodiscard]] const communicator& node() const noexcept { return node_; }

private:
    static communicator split(const communicator& comm, std::size_t n) {
        detail::agree_shared_size(comm, n, sizeof(T), "mpixx::node_shared_array");
        return comm.split_shared();
    }

    communicator node_;
    window<T> win_;
    lock_all_epoch epoch_;
    std::span<T> data_;
};

} // namespace mpixx
