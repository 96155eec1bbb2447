// mpixx/detail/executor_core.hpp - the engine of mpixx::executor (see mpixx/executor.hpp for the user's
// view): the wire protocol, the client's pool (slots, queue, feeders, progress), and the shared state
// behind a future. The wire helpers and the worker's loop are in executor_wire.hpp.
//
// Protocol, on mpixx's private duplicate of the user's communicator (detail::private_comm: made
// collectively by the first pool or task_farm there, then cached; its tags differ from task_farm's and
// print_ordered's), so no message of a pool matches a user's, nor the reverse. Pools on one communicator
// follow each other on it: each pool receives every one of its messages before it ends (the client has
// every reply, each worker its "stop", its other posted receives cancelled), so none is left for the
// next. Two pools at once on one communicator cannot be (a worker serves one pool at a time); the client
// refuses to start the second (exec_claim). A fresh MPI_Comm_dup per pool would cost more than the dup:
// the first messages on a new context are slower (measured: ~50 us per pool of 2000 tiny tasks).
//   exec_task_tag       client -> worker: a task, [0][u64 name hash][u64 signature hash][arguments];
//                       an EMPTY message means "stop".
//   exec_reply_tag      worker -> client: a reply, [status][result, or a text when the task failed],
//                       one per task, in the order the worker got its tasks (MPI's non-overtaking rule),
//                       so the client knows the task from a per-worker FIFO and no task id travels.
//   *_body_tag          a message longer than exec_inline_bytes is announced on its tag by 9 bytes
//                       [0x80][u64 size] and follows whole on the body tag: every other message is
//                       received with ONE MPI call into a fixed buffer (no probe), as a hand-written
//                       farm of fixed-size messages would. A body is matched (MPI_Mprobe) before it
//                       is received: a size other than the announced one is an error, never trusted.
// Arguments and results are mpixx-serialized (every bulk run inline). No deadlock, whatever the sizes:
// a worker keeps in_flight receives posted on the task tag (re-posted after each reply) and the client
// never has more than in_flight tasks out to it, so the client's blocking send of a task (or of an
// announcement) always finds a receive, or one about to be re-posted (the worker needs nothing from the
// client to do that); a long task's body goes non-blocking (MPI_Isend, the request freed at once: the
// reply proves the worker received it, MPI's own example of MPI_Request_free, so the buffer is reused
// only then). Otherwise the client blocks only receiving a reply, which a worker with a task in flight
// always sends; a worker blocks receiving tasks or sending replies, which the client receives whenever
// it waits. "Stop" (blocking, empty) goes to a worker with nothing in flight once the pool shuts down
// and nothing is left to hand out, one per receive it keeps posted: it leaves with none posted, so
// nothing of this pool can swallow the first tasks of the next one on the same communicator.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/comm_base.hpp>
#include <mpixx/detail/executor_registry.hpp>
#include <mpixx/detail/executor_wire.hpp>
#include <mpixx/task_farm.hpp>

#include <mpixx/detail/std_light.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// Marks `comm` as carrying a client's pool (false when one is running there already), or unmarks it.
inline bool exec_claim(MPI_Comm comm, bool claim) {
    static std::mutex mutex;
    static std::vector<MPI_Comm> active; // a few communicators at most
    const std::lock_guard lock(mutex);
    std::size_t i = 0;
    while (i < active.size() && active[i] != comm) ++i;
    if (!claim) {
        if (i == active.size()) return false;
        active.erase(active.begin() + static_cast<std::ptrdiff_t>(i));
        return true;
    }
    if (i < active.size()) return false;
    active.push_back(comm);
    return true;
}

/// What the client knows about a task whose reply came: for results and error messages.
struct task_info {
    std::string_view name;
    std::string_view signature;
    std::size_t index;
    int worker;
    bool cancelled = false; ///< fail(): the task was cancelled before it ran
};

/// The task_error of a task (cold path).
[[MPIXX_COLD]] inline std::exception_ptr exec_error(const task_info& info, std::string text,
                                                    int error_class = MPI_ERR_OTHER) {
    return std::make_exception_ptr(
        task_error(exec_routine, std::string(info.name), info.index, info.worker, std::move(text), error_class));
}

/// Where the outcome of a task goes: a future's state, or a map's buffer. Never throws.
class task_sink {
public:
    virtual ~task_sink() = default;
    /// The task succeeded: `result` is its encoded result (a result that does not decode is a failure).
    virtual void deliver(std::span<const std::byte> result, const task_info& info) noexcept = 0;
    /// The task failed (or was cancelled, or the pool broke).
    virtual void fail(std::exception_ptr error, const task_info& info) noexcept = 0;
};

/// A task, ready to go or in flight: its message stays here until the reply (the send reads it).
struct exec_slot {
    task_sink* sink = nullptr;
    std::shared_ptr<task_sink> keep; // a future's state (the user may drop the future); a map keeps itself
    std::string_view name;      // the registry's (or an interned) copy
    std::string_view signature; // the client's
    std::size_t index = 0;
    std::vector<std::byte> bytes;
    exec_announce announce{};

    task_info info(int worker, bool cancelled = false) const noexcept {
        return {name, signature, index, worker, cancelled};
    }
};

/// A source of tasks the pool pulls from when a worker has room (a map).
class task_feeder {
public:
    virtual ~task_feeder() = default;
    /// Writes its next task into `slot`; false when it has none to give now.
    virtual bool feed(exec_slot& slot) = 0;
    /// Whether it will never give another task.
    [[nodiscard]] virtual bool exhausted() const noexcept = 0;
    /// Shutdown: give every remaining task, ignoring any window.
    virtual void drain() noexcept = 0;
    /// Shutdown with cancellation: give no more tasks.
    virtual void cut() noexcept = 0;
    /// Exhausted and none of its tasks out: the pool may let it go.
    [[nodiscard]] virtual bool finished() const noexcept = 0;
};

/// The client's side of a pool. Single-threaded: every call comes from the client's thread.
class exec_core {
public:
    /// A pool over `comm` (mpixx's private duplicate; null for a pool of one rank).
    exec_core(MPI_Comm comm, int client, int size, int depth, std::size_t window)
        : comm_(comm), client_(client), size_(size), depth_(static_cast<std::size_t>(depth)),
          window_(window != 0 ? window : std::numeric_limits<std::size_t>::max()) {
        if (size_ == 1) {
            released_ = true;
            return;
        }
        if (!exec_claim(comm_, true)) [[unlikely]]
            throw_usage(exec_routine, MPI_ERR_OTHER,
                        "another executor is still running on this communicator (its workers serve one pool at a time)");
        claimed_ = true;
        slots_.resize(depth_ * static_cast<std::size_t>(size_));
        head_.assign(static_cast<std::size_t>(size_), 0);
        count_.assign(static_cast<std::size_t>(size_), 0);
        stopped_.assign(static_cast<std::size_t>(size_), false);
        inbox_.resize(exec_inline_bytes);
        for (std::size_t round = 0; round < depth_; ++round) // dealt round-robin: few tasks reach many workers
            for (int w = 0; w < size_; ++w)
                if (w != client_) free_.push_back(w);
        running_ = workers();
    }
    exec_core(const exec_core&) = delete;
    exec_core& operator=(const exec_core&) = delete;
    ~exec_core() {
        if (claimed_) exec_claim(comm_, false); // a broken pool (the executor aborts the job then)
    }

    [[nodiscard]] bool local() const noexcept { return size_ == 1; }
    [[nodiscard]] int client() const noexcept { return client_; }
    [[nodiscard]] std::size_t workers() const noexcept { return static_cast<std::size_t>(size_ - 1); }
    [[nodiscard]] std::size_t window() const noexcept { return window_; }
    [[nodiscard]] bool closing() const noexcept { return closing_; }

    /// Throws if the pool broke (an MPI call failed) or was shut down.
    void check_open(const char* what) const {
        check_usable();
        if (closing_) [[unlikely]]
            throw_usage(exec_routine, MPI_ERR_OTHER, std::string(what) + " after shutdown()");
    }
    /// Throws the failure that broke the pool, if one did.
    void check_usable() const {
        if (broken_) [[unlikely]]
            std::rethrow_exception(broken_);
    }

    /// Sends a task whose message `encode(bytes)` writes to a worker with room, or queues it.
    template <class Encode>
    void post(std::shared_ptr<task_sink> sink, std::string_view name, std::string_view signature,
              std::size_t index, Encode&& encode) {
        check_open("submit");
        if (free_.empty()) poll(); // collect what came back: maybe a worker has room now
        if (!free_.empty()) {
            exec_slot& s = next_slot(free_.front());
            encode(s.bytes); // may throw: nothing has changed yet
            s.sink = sink.get();
            s.keep = std::move(sink);
            s.name = name;
            s.signature = signature;
            s.index = index;
            guarded([&] { launch(); });
        } else {
            exec_slot s;
            encode(s.bytes);
            s.sink = sink.get();
            s.keep = std::move(sink);
            s.name = name;
            s.signature = signature;
            s.index = index;
            pending_.push_back(std::move(s));
        }
    }

    /// Handles every reply that has arrived; never blocks.
    void poll() {
        check_usable();
        if (in_flight_ == 0) return;
        guarded([&] {
            for (;;) {
                int flag = 0;
                MPI_Message m = MPI_MESSAGE_NULL;
                MPI_Status st;
                MPIXX_CALL(MPI_Improbe, MPI_ANY_SOURCE, exec_reply_tag, comm_, &flag, &m, &st);
                if (!flag) break;
                int n = 0;
                MPIXX_CALL(MPI_Get_count, &st, MPI_BYTE, &n);
                if (static_cast<std::size_t>(n) > exec_inline_bytes) [[unlikely]]
                    throw_usage(exec_routine, MPI_ERR_INTERN, "a reply longer than the protocol allows");
                MPIXX_CALL(MPI_Mrecv, inbox_.data(), n, MPI_BYTE, &m, MPI_STATUS_IGNORE);
                on_reply(st.MPI_SOURCE, exec_complete(comm_, st.MPI_SOURCE, exec_reply_tag,
                                                      static_cast<std::size_t>(n), inbox_, body_));
            }
        });
    }

    /// Blocks until one more reply came and is handled. Only called while something is in flight.
    void wait_one() {
        check_usable();
        if (in_flight_ == 0) [[unlikely]]
            throw_usage(exec_routine, MPI_ERR_INTERN, "waiting on a pool with nothing in flight");
        guarded([&] {
            int from = 0;
            const auto msg = exec_recv(comm_, MPI_ANY_SOURCE, exec_reply_tag, inbox_, body_, from);
            on_reply(from, msg);
        });
    }

    /// Hands queued tasks, then feeders' tasks, to workers with room; releases the workers when done.
    void refill() {
        check_usable();
        if (local() || released_) return;
        guarded([&] { fill(); });
    }

    /// A map to pull tasks from when workers have room; kept until it is finished() (a map whose range is
    /// gone lives on here until its tasks out came back). In a pool of one rank, kept only to be cut.
    void add_feeder(std::shared_ptr<task_feeder> f) {
        check_open("map");
        feeders_.push_back(std::move(f));
        refill();
    }
    void remove_feeder(const task_feeder* f) noexcept {
        std::erase_if(feeders_, [f](const auto& p) { return p.get() == f; });
    }

    /// Removes the queued task of `sink` (not yet sent); true when it was queued.
    bool cancel(const task_sink* sink) {
        auto it = pending_.begin();
        while (it != pending_.end() && it->sink != sink) ++it;
        if (it == pending_.end()) return false;
        const exec_slot s = std::move(*it);
        pending_.erase(it);
        const task_info info = s.info(-1, true);
        s.sink->fail(exec_error(info, "cancelled before it ran"), info);
        return true;
    }

    /// Refuses new tasks; with `cancel_pending`, drops the tasks not yet sent; with `wait`, returns once
    /// every task sent has come back and every worker is released (otherwise that happens during later
    /// calls, or in the executor's destructor).
    void shutdown(bool wait, bool cancel_pending) {
        closing_ = true;
        if (local()) { // nothing is out; a map's inputs not yet run are cut as at more ranks
            if (cancel_pending)
                for (const auto& f : feeders_) f->cut();
            return;
        }
        check_usable();
        if (cancel_pending) {
            while (!pending_.empty()) cancel(pending_.front().sink);
            for (const auto& f : feeders_) f->cut();
        }
        for (const auto& f : feeders_) f->drain();
        refill();
        while (wait && !released_) wait_one();
    }

    [[nodiscard]] bool released() const noexcept { return released_; }

private:
    static std::size_t idx(int rank) noexcept { return static_cast<std::size_t>(rank); }
    exec_slot& next_slot(int w) noexcept { return slots_[idx(w) * depth_ + (head_[idx(w)] + count_[idx(w)]) % depth_]; }

    /// Runs f; an exception there (a failed MPI call) breaks the pool: every task still out fails with it.
    template <class F>
    void guarded(F&& f) {
        try {
            f();
        } catch (...) {
            broken_ = std::current_exception();
            for (int w = 0; w < size_; ++w)
                for (; count_[idx(w)] > 0; --count_[idx(w)]) {
                    exec_slot& s = slots_[idx(w) * depth_ + head_[idx(w)]];
                    head_[idx(w)] = (head_[idx(w)] + 1) % depth_;
                    const std::shared_ptr<task_sink> keep = std::move(s.keep);
                    if (task_sink* sink = std::exchange(s.sink, nullptr)) sink->fail(broken_, s.info(w));
                }
            for (exec_slot& s : pending_) s.sink->fail(broken_, s.info(-1));
            pending_.clear();
            feeders_.clear();
            in_flight_ = 0;
            throw;
        }
    }

    /// Sends the task just written into the next slot of free_.front().
    void launch() {
        const int w = free_.front();
        exec_slot& s = next_slot(w);
        free_.pop_front();
        ++count_[idx(w)];
        ++in_flight_;
        // The message (or the announcement) on the task tag: blocking, it always finds a posted receive
        // (exec_serve). A long message's body: non-blocking, the worker takes it when it gets there.
        if (s.bytes.size() <= exec_inline_bytes) {
            MPIXX_CALL_COUNT(MPI_Send, s.bytes.data(), s.bytes.size(), MPI_BYTE, w, exec_task_tag, comm_);
        } else {
            exec_set_announce(s.announce, s.bytes.size());
            MPIXX_CALL(MPI_Send, s.announce.data(), static_cast<int>(s.announce.size()), MPI_BYTE, w, exec_task_tag, comm_);
            MPI_Request r = MPI_REQUEST_NULL;
            MPIXX_CALL_COUNT(MPI_Isend, s.bytes.data(), s.bytes.size(), MPI_BYTE, w, exec_task_body_tag, comm_, &r);
            MPIXX_CALL(MPI_Request_free, &r);
        }
    }

    void fill() {
        while (!free_.empty()) {
            exec_slot& s = next_slot(free_.front());
            if (!pending_.empty()) {
                exec_slot& p = pending_.front();
                s.sink = p.sink;
                s.keep = std::move(p.keep);
                s.name = p.name;
                s.signature = p.signature;
                s.index = p.index;
                s.bytes.swap(p.bytes);
                pending_.pop_front();
            } else if (!feed(s)) {
                break;
            }
            launch();
        }
        std::erase_if(feeders_, [](const auto& f) { return f->finished(); });
        bool exhausted = true;
        for (const auto& f : feeders_) exhausted = exhausted && f->exhausted();
        if (closing_ && pending_.empty() && exhausted)
            release_idle();
    }

    bool feed(exec_slot& s) {
        for (std::size_t k = 0; k < feeders_.size(); ++k) {
            const std::size_t at = (turn_ + k) % feeders_.size();
            if (feeders_[at]->feed(s)) {
                turn_ = at + 1; // the next feeder goes first next time: maps share the pool fairly
                return true;
            }
        }
        return false;
    }

    /// Sends "stop" to every worker with nothing in flight: one per receive it keeps posted, so that it
    /// leaves none posted (cancelling them would race with the next pool's first tasks, which may come
    /// before the worker got to cancel: the communicator is shared by successive pools).
    void release_idle() {
        for (int w = 0; w < size_; ++w) {
            if (w == client_ || stopped_[idx(w)] || count_[idx(w)] != 0) continue;
            // Blocking is safe: w has nothing in flight, so it is (or will be) waiting for these.
            for (std::size_t k = 0; k < depth_; ++k) MPIXX_CALL(MPI_Send, nullptr, 0, MPI_BYTE, w, exec_task_tag, comm_);
            stopped_[idx(w)] = true;
            --running_;
        }
        if (running_ == 0 && !released_) {
            released_ = true;
            claimed_ = false;
            exec_claim(comm_, false);
        }
    }

    void on_reply(int w, std::span<const std::byte> msg) {
        if (w < 0 || w >= size_ || count_[idx(w)] == 0 || msg.empty()) [[unlikely]]
            throw_usage(exec_routine, MPI_ERR_INTERN, "a reply that matches no task in flight");
        exec_slot& s = slots_[idx(w) * depth_ + head_[idx(w)]];
        head_[idx(w)] = (head_[idx(w)] + 1) % depth_;
        --count_[idx(w)];
        --in_flight_;
        free_.push_back(w);
        task_sink* const sink = std::exchange(s.sink, nullptr);
        const std::shared_ptr<task_sink> keep = std::move(s.keep); // alive until delivered
        const task_info info = s.info(w);
        const auto status = static_cast<task_status>(msg[0]);
        const std::span<const std::byte> payload = msg.subspan(1);
        if (status == task_status::ok) [[likely]]
            sink->deliver(payload, info);
        else
            sink->fail(reply_error(status, payload, info), info);
        fill();
    }

    /// The task_error of a failed reply (cold path).
    [[MPIXX_COLD]] static std::exception_ptr reply_error(task_status status, std::span<const std::byte> payload,
                                                         const task_info& info) {
        const std::string text(reinterpret_cast<const char*>(payload.data()), payload.size());
        const std::string on = "rank " + std::to_string(info.worker);
        switch (status) {
        case task_status::threw: return exec_error(info, text);
        case task_status::unknown_task:
            return exec_error(info, "no task named '" + std::string(info.name) + "' is registered on " + on +
                                        " (register every task on every rank before the pool starts)",
                              MPI_ERR_ARG);
        case task_status::bad_signature:
            return exec_error(info, "submitted as " + std::string(info.signature) + " but registered on " + on +
                                        " as " + text,
                              MPI_ERR_TYPE);
        case task_status::bad_arguments:
            return exec_error(info, "its arguments do not decode on " + on + ": " + text, MPI_ERR_TYPE);
        default: return exec_error(info, "unknown reply status from " + on, MPI_ERR_INTERN);
        }
    }

    MPI_Comm comm_;
    int client_, size_;
    std::size_t depth_, window_;
    std::vector<exec_slot> slots_;   // depth_ per rank, a ring each
    std::vector<std::size_t> head_;  // per rank: its oldest task in flight
    std::vector<std::size_t> count_; // per rank: tasks in flight
    std::vector<bool> stopped_;
    std::deque<int> free_;           // one entry per free slot
    std::deque<exec_slot> pending_;  // submitted while every worker was full
    std::vector<std::shared_ptr<task_feeder>> feeders_;
    std::size_t turn_ = 0, in_flight_ = 0, running_ = 0;
    std::vector<std::byte> inbox_, body_;
    bool closing_ = false, released_ = false, claimed_ = false;
    std::exception_ptr broken_;
};

/// Watches futures for completion (as_completed).
class completion_listener {
public:
    virtual void completed(std::size_t position) noexcept = 0;

protected:
    ~completion_listener() = default;
};

/// The state a future shares with the pool.
class future_state_base : public task_sink {
public:
    future_state_base(std::shared_ptr<exec_core> core, std::string_view name, std::size_t index)
        : core_(std::move(core)), name_(name), index_(index) {}

    void fail(std::exception_ptr error, const task_info& info) noexcept override {
        error_ = std::move(error);
        worker_ = info.worker;
        cancelled_ = info.cancelled;
        finish();
    }

    [[nodiscard]] bool done() const noexcept { return done_; }
    /// Progress without blocking, then whether the task is done.
    bool ready() {
        if (!done_) std::shared_ptr<exec_core>(core_)->poll();
        return done_;
    }
    /// Blocks (making progress) until the task is done.
    void wait() {
        if (done_) return;
        const std::shared_ptr<exec_core> core = core_; // alive for the whole wait
        while (!done_) core->wait_one();
    }
    bool cancel() { return !done_ && core_->cancel(this); }
    [[nodiscard]] const std::shared_ptr<exec_core>& core() const noexcept { return core_; }
    [[nodiscard]] std::string_view name() const noexcept { return name_; }
    [[nodiscard]] std::size_t index() const noexcept { return index_; }
    [[nodiscard]] int worker() const noexcept { return worker_; }
    [[nodiscard]] bool cancelled() const noexcept { return cancelled_; }
    void rethrow_if_failed() const {
        if (error_) std::rethrow_exception(error_);
    }

    /// as_completed's hook: hears of the completion, with `listener_position`.
    completion_listener* listener = nullptr;
    std::size_t listener_position = 0;

protected:
    void finish() noexcept {
        done_ = true;
        if (listener != nullptr) std::exchange(listener, nullptr)->completed(listener_position);
    }
    void set_worker(int w) noexcept { worker_ = w; }
    void set_error(std::exception_ptr e) noexcept { error_ = std::move(e); }

private:
    std::shared_ptr<exec_core> core_;
    std::string_view name_;
    std::size_t index_;
    int worker_ = -1;
    bool done_ = false, cancelled_ = false;
    std::exception_ptr error_;
};

/// Decodes an encoded result into `out` (void: nothing may follow).
template <class R, class Stored>
void exec_decode(std::span<const std::byte> bytes, Stored& out) {
    if constexpr (std::is_void_v<R>) {
        if (!bytes.empty()) throw_usage("mpixx::deserialize", MPI_ERR_OTHER, "a void task replied with data");
    } else {
        input_archive ar(bytes, nullptr, 0);
        ar(out);
        ar.finish();
    }
}

/// The error of a result that does not decode as R (cold path, inside a catch block).
template <class R>
[[MPIXX_COLD]] std::exception_ptr exec_decode_error(const task_info& info) {
    return exec_error(info, "its result does not decode as " + std::string(type_name<R>()) + ": " + current_what(),
                      current_error_class(MPI_ERR_TYPE));
}

template <class R>
class future_state final : public future_state_base {
public:
    using stored = std::conditional_t<std::is_void_v<R>, std::monostate, R>;
    using future_state_base::future_state_base;

    void deliver(std::span<const std::byte> bytes, const task_info& info) noexcept override {
        set_worker(info.worker);
        try {
            exec_decode<R>(bytes, value.emplace());
        } catch (...) {
            value.reset();
            set_error(exec_decode_error<R>(info));
        }
        finish();
    }

    /// A task run here (a pool of one rank): its value, or its failure as a task_error.
    template <class F>
    void run_here(int rank, F&& f) noexcept {
        set_worker(rank);
        try {
            if constexpr (std::is_void_v<R>) {
                f();
                value.emplace();
            } else {
                value.emplace(f());
            }
        } catch (...) {
            value.reset();
            set_error(exec_error(task_info{.name = name(), .signature = {}, .index = index(), .worker = rank},
                                 current_what()));
        }
        finish();
    }

    /// get() after get() && moved the result out (cold path).
    [[noreturn, MPIXX_COLD]] void throw_moved_out() const {
        throw_usage(exec_routine, MPI_ERR_REQUEST,
                    "the result of task " + std::to_string(index()) + " ('" + std::string(name()) +
                        "') was already moved out by get() &&");
    }

    std::optional<stored> value;
};

} // namespace mpixx::detail
