// mpixx/executor.hpp - a pool of MPI processes with futures, after mpi4py.futures' MPICommExecutor:
//
//   MPIXX_REGISTER_TASK(square, [](int x) { return x * x; });   // namespace scope, every rank
//   MPIXX_REGISTER_TASK(greet, [](std::string s) { return "hello " + s; });
//
//   mpixx::executor ex(comm);            // rank 0 is the client; the others serve tasks HERE, until
//   if (ex.is_client()) {                // the client's executor shuts down (like `with ... as ex:`)
//       mpixx::future<int> f = ex.submit(square, 7);
//       auto g = ex.submit(greet, "mpi");                 // another kind of task, the same pool
//       for (int y : ex.map(square, inputs)) use(y);      // results in input order, streamed
//       for (auto& h : mpixx::as_completed(futures)) use(h.get());
//       f.get();                                          // 49, or throws mpixx::task_error
//   }                                                     // ~executor: waits, releases the workers
//
// Roles. Every rank of `comm` constructs the executor (collective; in checked mode, MPIXX_CHECKED, the
// ranks agree on root and in_flight first, and all throw if one rank's differ or are invalid). Rank
// `root` (default 0) is the client and returns at once; every other rank is a worker: its constructor
// runs the tasks the client sends and returns when the client's executor shuts down, so code after the
// scope runs on all ranks again.
// Hence on the client: end the executor's scope (or call shutdown()) before any collective call on
// `comm`, as the workers only get there after it. With one rank the client runs each task itself
// (submit runs it at once, map as it is iterated).
//
// Tasks are registered functions, so that different kinds of task share one pool: MPIXX_REGISTER_TASK
// (namespace scope: the task is named after the variable it defines) or register_task("name", f) at
// run time. Register every task on every rank, before the pools that use it start: a pool's workers
// only know what was registered when they started serving. A name is unique per program (registering it
// twice throws); on the wire a task is a 64-bit hash of its name and one of its signature R(A...), so
// nothing depends on registration order, and a worker that registered the name with another signature
// (or not at all) makes that task's future fail with a message naming the task, never a hang. All ranks
// must be built by the same compiler (signatures are compared as the compiler spells types).
// Arguments and results: any serializable types (mpixx/serialize.hpp); void results are allowed.
// Parameters are taken by value or const reference. Arguments are converted to the parameter types on
// the client (submit(greet, "mpi") sends a std::string).
//
// Scheduling: dynamic. Each worker holds up to `in_flight` tasks (default 2: the next task is already
// there when one ends, hiding the round trip); a task goes to the first worker with room, in the order
// workers free up (dealt round-robin at the start, so a few tasks reach many workers). Tasks submitted
// while every worker is full wait in a queue on the client, in submission order.
// map(task, inputs) pulls inputs lazily, as workers have room (a range of millions of inputs is never
// materialised, nor are its futures); results come back in input order, and those that finish before
// the consumer gets to them wait in the map. By default nothing bounds how far the pool runs ahead of
// the consumer (Python's map submits everything at once): any bound starves the other workers once a
// slow task sits at the head (measured: 40x slower when a worker is descheduled, 3 ranks on 2 cores).
// `map_window` = N bounds it (at most N tasks out or unconsumed), for long maps with large results
// and a slow consumer. Each input is the task's argument (a tuple-like element is spread over a task
// of several parameters). An input that does not encode fails its own position; a range that throws
// while advancing ends the map with that failure at the next position (the pool goes on, as at 1 rank).
//
// Progress: no thread of its own. The client makes progress (receives results, hands out queued tasks)
// whenever it calls the executor or a future: submit, map iteration, ready, wait, wait_for, get,
// as_completed. Between such calls the workers finish what they hold (in_flight each) and wait.
//
// Failures: a task that throws on a worker never stops the pool: its future's get() (or the map
// iterator's dereference) throws mpixx::task_error with the task's index (submission number on this
// executor, counted from 0, or position in a map's inputs), the worker's rank, the task's name and the
// original what(); the same for a task the worker does not know (MPI_ERR_ARG), one registered there with
// another signature or whose arguments do not decode (MPI_ERR_TYPE), and a result that does not decode
// as the expected type. A failing MPI call breaks the pool: the call that met it throws it, and so do
// every unfinished future and later calls. A worker killed by a signal ends the job (the MPI launcher
// reports it and stops every process): no call blocks forever on a dead worker.
//
// Shutdown: shutdown(wait = true, cancel_pending = false), as in Python: no more tasks are accepted; the
// tasks already submitted (and the rest of every map still alive) still run, then every worker is
// released. wait = false returns at once and the rest happens during later calls; cancel_pending
// fails the tasks not yet sent to a worker (task_error "cancelled before it ran") and ends maps (a map
// cut short yields one such task_error, at its first input not run, before its end: never a silent
// truncation; at one rank alike, the inputs not yet iterated being the ones not run).
// The client's destructor is shutdown(true), with cancel_pending when the scope is left by an exception.
// Futures and maps stay usable after shutdown: their results are kept on the client.
// If the pool broke and the workers cannot be released, the destructor calls MPI_Abort (the workers
// would otherwise wait forever), after printing why on stderr.
//
// Protocol and deadlock freedom: mpixx/detail/executor_core.hpp. Executors work on mpixx's private
// duplicate of `comm` (made collectively by the first one, cached), so pools never match user messages
// nor the reverse; pools on one communicator follow each other (a second one while the first still
// runs is refused on the client: its workers serve one pool at a time), pools on other communicators
// (a split, a dup) may run at the same time. Not thread-safe: one thread of the client uses an executor
// and its futures.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/communicator.hpp>
#include <mpixx/detail/executor_core.hpp>
#include <mpixx/detail/executor_map.hpp>
#include <mpixx/detail/executor_registry.hpp>
#include <mpixx/detail/private_comm.hpp>
#include <mpixx/task_farm.hpp>
#include <mpixx/detail/std_light.hpp>
#include <mpixx/detail/yield.hpp>

#if !MPIXX_STANDARD_HEADERS && __has_include(<bits/chrono.h>) // libstdc++ 11 and later
#include <bits/chrono.h> // clocks and durations, without <chrono>'s calendars and I/O (<sstream>)
#else
#include <chrono>
#endif
#include <cstddef>
#include <cstdio>
#include <deque>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

/// How an executor runs; every rank passes the same values.
struct executor_options {
    int root = 0;               ///< the client rank; every other rank is a worker
    int in_flight = 2;          ///< tasks queued per worker, 1..1024
    std::size_t map_window = 0; ///< a map's tasks out or unconsumed at most; 0: no bound (see above)
};

/// What future::wait_for and wait_until found: the task finished, or the time ran out. Our own enum
/// (like mpixx::debugger_status) rather than std::future_status: <future> would cost every unit that
/// includes the umbrella about 0.3 s of compile time, and a task is never deferred.
enum class future_status {
    ready,  ///< the task has finished (get() returns or throws at once)
    timeout ///< the time ran out first
};

template <class Sig>
class task;

/// A registered task of signature R(A...) (A decayed): what submit and map take. Cheap to copy.
template <class R, class... A>
class task<R(A...)> {
public:
    using result_type = R; ///< What the task returns.
    /// The handle of a registry entry (made by register_task).
    explicit task(const detail::typed_task_entry<R, A...>& entry) noexcept : entry_(&entry) {}
    /// The name the task is registered under.
    [[nodiscard]] std::string_view name() const noexcept { return entry_->name(); }
    /// The registry entry (runs the task locally, names its signature).
    [[nodiscard]] const detail::typed_task_entry<R, A...>& entry() const noexcept { return *entry_; }

private:
    const detail::typed_task_entry<R, A...>* entry_;
};

namespace detail {

template <class Sig>
struct task_registrar;
template <class R, class... P>
struct task_registrar<R(P...)> {
    using result = std::remove_cvref_t<R>;
    using handle = task<result(std::remove_cvref_t<P>...)>;

    template <class F>
    static handle add(std::string name, F&& f) {
        static_assert((task_parameter_ok<P> && ...), "a task takes its arguments by value or by const reference");
        static_assert((serializable<std::remove_cvref_t<P>> && ...), "every task argument must be serializable");
        static_assert(std::is_void_v<result> || serializable<result>, "a task's result must be serializable (or void)");
        static_assert(std::is_invocable_v<std::decay_t<F>&, std::remove_cvref_t<P>&&...>,
                      "the callable cannot be called with the signature given");
        using impl = task_entry_impl<std::decay_t<F>, result, std::remove_cvref_t<P>...>;
        const task_entry& e = task_registry::instance().add(std::make_unique<impl>(std::move(name), std::forward<F>(f)));
        return handle(static_cast<const typed_task_entry<result, std::remove_cvref_t<P>...>&>(e));
    }
};

/// What future<R>::get() const& returns: const R&, or void.
template <class R>
struct future_get {
    using type = const R&;
};
template <>
struct future_get<void> {
    using type = void;
};

/// How as_completed reaches a future's state.
struct future_access {
    template <class F>
    static future_state_base* state(F& f) noexcept {
        return f.s_.get();
    }
};

} // namespace detail

/// Registers `f` as the task `name` on this process and returns its handle. Call it identically on every
/// rank, before the pools that use it start. The signature is deduced from f (a function, or a
/// callable with one non-template call operator) or given: register_task<int(int)>("n", generic_lambda).
template <class Sig = void, class F>
auto register_task(std::string name, F&& f) {
    if constexpr (std::is_void_v<Sig>)
        return detail::task_registrar<typename detail::callable_signature<std::decay_t<F>>::type>::add(std::move(name),
                                                                                                    std::forward<F>(f));
    else
        return detail::task_registrar<Sig>::add(std::move(name), std::forward<F>(f));
}

/// Defines `name` (namespace scope), the handle of `callable` registered as the task "name".
#define MPIXX_REGISTER_TASK(name, ...) inline const auto name = ::mpixx::register_task(#name, __VA_ARGS__)

/// The result of a task, on the client. Move-only; get() may be called many times.
template <class R>
class future {
public:
    /// A future with no task (valid() is false).
    future() = default;
    /// A future of the given shared state (made by the executor).
    explicit future(std::shared_ptr<detail::future_state<R>> s) noexcept : s_(std::move(s)) {}
    future(const future&) = delete;
    future& operator=(const future&) = delete;
    future(future&&) noexcept = default;            ///< Moves the task's future; the source becomes invalid.
    future& operator=(future&&) noexcept = default; ///< Moves the task's future; the source becomes invalid.

    /// Whether this future refers to a task.
    [[nodiscard]] bool valid() const noexcept { return s_ != nullptr; }
    /// Whether the task has finished (result or failure); makes progress, never blocks.
    [[nodiscard]] bool ready() const { return state().ready(); }
    /// Blocks, making progress, until the task has finished.
    void wait() const { state().wait(); }
    /// Waits at most `d`: future_status::ready or future_status::timeout.
    template <class Rep, class Period>
    future_status wait_for(const std::chrono::duration<Rep, Period>& d) const {
        return wait_until(std::chrono::steady_clock::now() + d);
    }
    /// Waits until `t` at the latest: future_status::ready or future_status::timeout.
    template <class Clock, class Duration>
    future_status wait_until(const std::chrono::time_point<Clock, Duration>& t) const {
        for (;;) {
            if (ready()) return future_status::ready;
            if (Clock::now() >= t) return future_status::timeout;
            detail::yield_cpu(); // nothing arrived: let a worker sharing this core run
        }
    }
    /// The result (waiting for it); throws mpixx::task_error when the task failed.
    typename detail::future_get<R>::type get() const& {
        wait();
        s_->rethrow_if_failed();
        if constexpr (!std::is_void_v<R>) {
            if (!s_->value) [[unlikely]]
                s_->throw_moved_out();
            return *s_->value;
        }
    }
    /// The result, moved out of the future (waiting for it); throws mpixx::task_error when it failed.
    /// A later get() throws mpixx::error (MPI_ERR_REQUEST) rather than give the moved-from husk.
    R get() && {
        wait();
        s_->rethrow_if_failed();
        if constexpr (!std::is_void_v<R>) {
            if (!s_->value) [[unlikely]]
                s_->throw_moved_out();
            R r(std::move(*s_->value));
            s_->value.reset();
            return r;
        }
    }
    /// Removes the task if it is still queued on the client (not yet sent): true when it was; its get()
    /// then throws task_error "cancelled before it ran".
    bool cancel() { return state().cancel(); }
    /// Whether the task was cancelled (by cancel() or shutdown(..., true)).
    [[nodiscard]] bool cancelled() const noexcept { return s_ && s_->cancelled(); }
    /// The rank that ran the task (the client itself in a pool of one); -1 until it has finished.
    [[nodiscard]] int worker() const noexcept { return s_ ? s_->worker() : -1; }
    /// The task's submission number on its executor, counted from 0.
    [[nodiscard]] std::size_t index() const { return state().index(); }
    /// The name of the task.
    [[nodiscard]] std::string_view task_name() const { return state().name(); }

private:
    friend struct detail::future_access;
    detail::future_state<R>& state() const {
        if (!s_) [[unlikely]]
            detail::throw_usage(detail::exec_routine, MPI_ERR_REQUEST, "the future has no task (default-constructed)");
        return *s_;
    }
    std::shared_ptr<detail::future_state<R>> s_;
};

/// The results of executor::map, in input order, computed as they are consumed (an input range).
/// Dereferencing waits for the next result, or throws its task_error (++ then moves past it).
template <class R, class Range, class... A>
class map_range {
    using state_t = detail::map_state<R, Range, A...>;

public:
    /// The results of one map call (made by executor::map).
    explicit map_range(std::shared_ptr<state_t> s) noexcept : s_(std::move(s)) {}
    map_range(map_range&&) noexcept = default; ///< Moves the results; the source becomes empty.
    map_range& operator=(map_range&&) = delete;
    ~map_range() {
        if (s_) s_->abandon();
    }

    /// An input iterator over the results, in submission order.
    class iterator {
    public:
        using value_type = R;                             ///< A task's result.
        using difference_type = std::ptrdiff_t;           ///< Distance type (input iterator).
        using iterator_concept = std::input_iterator_tag; ///< Single pass.
        iterator() = default;
        /// An iterator over the given map's results.
        explicit iterator(state_t* s) noexcept : s_(s) {}
        /// Waits for the current result; throws its task_error if the task failed.
        R& operator*() const { return state().head(); }
        /// Moves to the next result.
        iterator& operator++() {
            state().pop();
            return *this;
        }
        /// Moves to the next result.
        void operator++(int) { ++*this; }
        /// Whether the results are all consumed (a default-constructed iterator is at the end).
        friend bool operator==(const iterator& i, std::default_sentinel_t) noexcept {
            return i.s_ == nullptr || i.s_->at_end();
        }

    private:
        state_t& state() const {
            if (s_ == nullptr) [[unlikely]]
                no_results("the iterator is default-constructed");
            return *s_;
        }
        state_t* s_ = nullptr;
    };

    /// The first result's position (call once); throws mpixx::error (MPI_ERR_REQUEST) on a moved-from range.
    iterator begin() {
        if (s_ == nullptr) [[unlikely]]
            no_results("the map_range was moved from");
        return iterator(s_.get());
    }
    /// The end of the results.
    std::default_sentinel_t end() const noexcept { return {}; }

private:
    /// Misuse of a range or iterator with no map behind it (cold path).
    [[noreturn, MPIXX_COLD]] static void no_results(const char* why) {
        detail::throw_usage(detail::exec_routine, MPI_ERR_REQUEST, std::string("no map results to iterate: ") + why);
    }
    std::shared_ptr<state_t> s_;
};

/// The futures of a range, in the order they finish (an input range of references into `futures`):
/// those already finished first, then each as its task comes back. A future may be in one as_completed
/// at a time. Futures from several executors may be mixed.
template <std::ranges::forward_range Futures>
class as_completed_range {
    using iter = std::ranges::iterator_t<Futures>;
    struct watcher final : detail::completion_listener {
        std::vector<iter> its;
        std::vector<detail::future_state_base*> states;
        std::vector<std::size_t> same;  // the previous position of the same future (duplicates), or npos
        std::vector<std::size_t> order; // positions, as they finished
        std::size_t yielded = 0, scan = 0;

        void completed(std::size_t pos) noexcept override {
            for (std::size_t p = pos; p != npos; p = same[p]) order.push_back(p); // reserved: no throw
        }
        ~watcher() {
            for (detail::future_state_base* s : states)
                if (s->listener == this) s->listener = nullptr;
        }
        /// Makes progress until one more future is done (or every one was yielded).
        void advance() {
            while (yielded == order.size() && yielded < its.size()) {
                while (states[scan]->done()) ++scan; // not done: its pool has it in flight or queued
                states[scan]->core()->wait_one();
            }
        }
    };
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

public:
    /// The futures to watch (borrowed: they must outlive the range).
    explicit as_completed_range(Futures& futures) : futures_(&futures) {}

    /// An input iterator over the futures, each when it has finished.
    class iterator {
    public:
        using value_type = std::ranges::range_value_t<Futures>;   ///< A future.
        using difference_type = std::ptrdiff_t;                    ///< Distance type (input iterator).
        using iterator_concept = std::input_iterator_tag;          ///< Single pass.
        iterator() = default;
        /// An iterator over the given watcher's futures.
        explicit iterator(watcher* w) noexcept : w_(w) {}
        /// The next finished future.
        std::ranges::range_reference_t<Futures> operator*() const {
            check("iterator dereferenced at its end");
            return *w_->its[w_->order[w_->yielded]];
        }
        /// Waits, making progress, for the next future to finish.
        iterator& operator++() {
            check("iterator incremented past its end");
            ++w_->yielded;
            w_->advance();
            return *this;
        }
        /// Waits, making progress, for the next future to finish.
        void operator++(int) { ++*this; }
        /// A default-constructed iterator is at the end.
        friend bool operator==(const iterator& i, std::default_sentinel_t) noexcept {
            return i.w_ == nullptr || i.w_->yielded == i.w_->its.size();
        }

    private:
        // Past the end or default-constructed: an error, not a read out of bounds or through null.
        void check(const char* at_end) const {
            if (*this == std::default_sentinel) [[unlikely]]
                detail::throw_usage("mpixx::as_completed", MPI_ERR_REQUEST,
                                    w_ == nullptr ? "a default-constructed iterator cannot be used" : at_end);
        }
        watcher* w_ = nullptr;
    };

    /// Starts watching; waits for the first future to finish (call once).
    iterator begin() {
        auto w = std::make_unique<watcher>();
        for (auto it = std::ranges::begin(*futures_); it != std::ranges::end(*futures_); ++it) {
            detail::future_state_base* s = detail::future_access::state(*it);
            if (s == nullptr) [[unlikely]]
                detail::throw_usage("mpixx::as_completed", MPI_ERR_REQUEST, "a future has no task (default-constructed)");
            w->its.push_back(it);
            w->states.push_back(s);
        }
        const std::size_t n = w->its.size();
        w->order.reserve(n);
        w->same.assign(n, npos);
        for (std::size_t i = 0; i < n; ++i) {
            detail::future_state_base* s = w->states[i];
            if (s->done()) {
                w->order.push_back(i);
            } else if (s->listener == nullptr || s->listener == w.get()) {
                if (s->listener == w.get()) w->same[i] = s->listener_position;
                s->listener = w.get();
                s->listener_position = i;
            } else [[unlikely]] {
                detail::throw_usage("mpixx::as_completed", MPI_ERR_ARG, "a future is already in another as_completed");
            }
        }
        w_ = std::move(w);
        w_->advance();
        return iterator(w_.get());
    }
    /// The end of the range.
    std::default_sentinel_t end() const noexcept { return {}; }

private:
    Futures* futures_;
    std::unique_ptr<watcher> w_;
};

/// The futures of `futures` in the order they finish: for (auto& f : mpixx::as_completed(fs)) f.get();
template <std::ranges::forward_range Futures>
[[nodiscard]] as_completed_range<Futures> as_completed(Futures& futures) {
    return as_completed_range<Futures>(futures);
}

/// A pool of the ranks of a communicator: one client hands out tasks, the others run them.
class executor {
public:
    /// Collective over `comm`. The client returns at once; a worker serves tasks until the client
    /// shuts the pool down, then returns (is_client() false). One rank: the client runs tasks itself.
    explicit executor(const communicator& comm, executor_options options = {}) : options_(options) {
        refuse_if_busy(comm, options.root);
        check(comm, options);
        size_ = comm.size();
        client_ = comm.rank() == options.root;
        if (size_ == 1) {
            core_ = std::make_shared<detail::exec_core>(MPI_COMM_NULL, options.root, 1, options.in_flight, options.map_window);
            return;
        }
        const MPI_Comm pool = detail::private_comm::get(comm.native()); // collective on first use
        if (client_)
            core_ = std::make_shared<detail::exec_core>(pool, options.root, size_, options.in_flight, options.map_window);
        else
            served_ = detail::exec_serve(pool, options.root, static_cast<std::size_t>(options.in_flight));
    }
    /// The same with the client at rank `root`.
    executor(const communicator& comm, int root) : executor(comm, executor_options{.root = root}) {}

    executor(const executor&) = delete;
    executor& operator=(const executor&) = delete;
    executor(executor&& other) noexcept = default; ///< Moves the executor; the source is left empty.
    executor& operator=(executor&&) = delete;

    /// The client: shutdown(true), cancelling queued tasks when left by an exception. Aborts the job if
    /// the workers cannot be released (they would wait forever).
    ~executor() {
        if (!core_) return;
        if (core_->local()) { // nothing to release; maps still alive are cut alike when left by an exception
            core_->shutdown(true, std::uncaught_exceptions() > uncaught_);
            return;
        }
        if (core_->released()) return;
        try {
            core_->shutdown(true, std::uncaught_exceptions() > uncaught_);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "mpixx::executor: cannot release the workers (%s); aborting the job\n", e.what());
            std::fflush(stderr);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }

    /// Whether this rank is the client (only the client submits); false on workers once they return.
    [[nodiscard]] bool is_client() const noexcept { return client_ && core_ != nullptr; }
    /// The client's rank.
    [[nodiscard]] int root() const noexcept { return options_.root; }
    /// How many ranks run tasks (0 with one rank: the client runs them).
    [[nodiscard]] int workers() const noexcept { return size_ - 1; }
    /// On a worker: how many tasks it ran for this pool.
    [[nodiscard]] std::size_t tasks_served() const noexcept { return served_; }

    /// Runs task(args...) on a worker; the arguments are converted to the task's parameter types and
    /// serialized now. Client only.
    template <class R, class... A, class... Args>
    future<R> submit(const task<R(A...)>& t, Args&&... args) {
        static_assert(sizeof...(Args) == sizeof...(A), "submit: wrong number of arguments for this task");
        static_assert((std::is_constructible_v<A, Args&&> && ...), "submit: an argument does not convert to the task's parameter type");
        detail::exec_core& core = client_core("submit");
        const auto& e = t.entry();
        auto st = std::make_shared<detail::future_state<R>>(core_, e.name(), submitted_++);
        if (core.local()) {
            core.check_open("submit");
            st->run_here(options_.root, [&]() -> R { return e.call(A(std::forward<Args>(args))...); });
        } else {
            core.post(st, e.name(), e.signature(), st->index(), [&](std::vector<std::byte>& bytes) {
                detail::encode_task<A...>(bytes, e.name_hash(), e.signature_hash(), args...);
            });
        }
        return future<R>(std::move(st));
    }

    /// Runs the task registered as `name`, expected to have the signature R(decayed Args...) (no
    /// conversion: the argument types are sent as they are). A worker that does not have it, or has
    /// another signature, fails the future. Client only.
    template <class R, class... Args>
    future<R> submit(std::string_view name, Args&&... args) {
        using entry_t = detail::typed_task_entry<R, std::remove_cvref_t<Args>...>;
        constexpr auto signature = detail::task_signature_v<R, std::remove_cvref_t<Args>...>;
        constexpr auto signature_hash = detail::task_signature_hash_v<R, std::remove_cvref_t<Args>...>;
        detail::exec_core& core = client_core("submit");
        auto& registry = detail::task_registry::instance();
        const std::uint64_t name_hash = detail::fnv1a64(name);
        const detail::task_entry* e = registry.find(name_hash);
        if (e != nullptr && e->name() != name) e = nullptr; // another name with the same hash
        const std::string_view stable = e != nullptr ? std::string_view(e->name()) : registry.intern(name);
        auto st = std::make_shared<detail::future_state<R>>(core_, stable, submitted_++);
        const detail::task_info info{.name = stable, .signature = signature, .index = st->index(), .worker = core.client()};
        if (e != nullptr && e->signature() != signature) { // the client knows it already: fail now
            st->fail(detail::exec_error(info, "submitted as " + std::string(signature) + " but registered as " +
                                                  std::string(e->signature()), MPI_ERR_TYPE), info);
        } else if (core.local()) {
            core.check_open("submit");
            if (e == nullptr)
                st->fail(detail::exec_error(info, "no task named '" + std::string(name) + "' is registered", MPI_ERR_ARG), info);
            else
                st->run_here(options_.root, [&]() -> R { return static_cast<const entry_t&>(*e).call(std::forward<Args>(args)...); });
        } else {
            core.post(st, stable, signature, st->index(), [&](std::vector<std::byte>& bytes) {
                detail::encode_task<std::remove_cvref_t<Args>...>(bytes, name_hash, signature_hash, args...);
            });
        }
        return future<R>(std::move(st));
    }

    /// task(x) for every x of `inputs`, results in input order, as a lazily consumed range (see the
    /// header comment: window, tuple inputs). The range is kept by reference when it is an lvalue
    /// (it must outlive the map), moved in otherwise. Client only.
    template <class R, class... A, std::ranges::input_range Range>
    auto map(const task<R(A...)>& t, Range&& inputs) {
        static_assert(!std::is_void_v<R>, "map needs a task that returns a value (submit void tasks)");
        using state_t = detail::map_state<R, Range, A...>;
        detail::exec_core& core = client_core("map");
        core.check_open("map");
        auto st = std::make_shared<state_t>(core_, t.entry(), std::forward<Range>(inputs));
        core.add_feeder(st); // at one rank too: shutdown(..., true) cuts it
        return map_range<R, Range, A...>(std::move(st));
    }

    /// Accepts no more tasks; see the header comment. Client only (a no-op on workers, which return
    /// from the constructor only once the pool is shut down).
    void shutdown(bool wait = true, bool cancel_pending = false) {
        if (!client_ || !core_) return;
        core_->shutdown(wait, cancel_pending);
    }

private:
    /// A client whose communicator still carries its running pool is refused before check(): the
    /// checked-mode agreement there is collective, and that pool's workers could not join it (a hang).
    static void refuse_if_busy(const communicator& comm, int root) {
        if (comm.is_null() || comm.is_inter() || comm.size() == 1 || comm.rank() != root) return;
        const MPI_Comm pool = detail::private_comm::find(comm.native()); // never collective
        if (pool == MPI_COMM_NULL) return;                               // no pool ever ran there
        if (!detail::exec_claim(pool, true)) [[unlikely]]
            detail::throw_usage(detail::exec_routine, MPI_ERR_OTHER,
                                "another executor is still running on this communicator (its workers serve one "
                                "pool at a time)");
        detail::exec_claim(pool, false);
    }
    static void check(const communicator& comm, const executor_options& o) {
        detail::pool_check(comm, detail::exec_routine, o.root, o.in_flight, detail::exec_max_in_flight);
    }
    detail::exec_core& client_core(const char* what) const {
        if (!client_ || !core_) [[unlikely]]
            detail::throw_usage(detail::exec_routine, MPI_ERR_OTHER,
                                std::string(what) + " on a worker rank (only the client, rank " +
                                    std::to_string(options_.root) + ", submits)");
        return *core_;
    }

    executor_options options_;
    int size_ = 0;
    bool client_ = false;
    std::shared_ptr<detail::exec_core> core_; // the client's pool
    std::size_t submitted_ = 0, served_ = 0;
    int uncaught_ = std::uncaught_exceptions();
};

} // namespace mpixx
