// mpixx/task_farm.hpp - the guide's master-worker pattern as one collective call, in the spirit of
// mpi4py.futures' MPICommExecutor(comm, root).map(f, tasks):
//
//   std::vector<int> squares = mpixx::task_farm(comm, tasks, [](int t) { return t * t; });
//
// Every rank of `comm` calls it with the same f, root and in_flight, and a tasks range of the same
// type (only the root's is read: the others may pass an empty one; checked mode, MPIXX_CHECKED, agrees
// on root and in_flight first: every rank throws if they differ or one rank's are invalid). The root
// hands the tasks out and returns the results in task order; every other rank works and returns an
// empty vector. At 1 rank the root computes everything itself.
// Tasks and results: any serializable types (mpixx/serialize.hpp), the same on every rank.
//
// Scheduling: dynamic. Each worker holds up to `in_flight` tasks (default 2: it finds the next task
// already queued when it returns a result, which hides the round-trip latency); a worker gets its next
// task as soon as it returns a result, so fast workers take more tasks.
//
// Failures: an exception thrown by f on a worker (or a task that does not decode, or a result whose
// serialization throws) is caught there and sent back. The root then hands out no new task, receives
// every task still in flight, stops every worker, and throws mpixx::task_error (naming the task index,
// the worker and the original what()); the other ranks return normally and the communicator stays
// usable. At 1 rank f's exception is wrapped the same way. Only a failing MPI call propagates as is (the farm is then broken).
// To keep every successful result when some tasks fail, call task_farm_collect instead (same
// arguments): it never stops handing out, runs every task, and returns on the root a
// farm_outcome{results, failures}: the results in task order (a failed task's slot holds R{}) and
// every failure as a task_error (index, worker, what()), by increasing index, reported together
// after all tasks ran. task_farm stays fail-fast: no task is started after the first failure.
// (For per-task futures and several task kinds in one pool, see mpixx/executor.hpp.)
//
// Protocol, on a private duplicate of `comm` (detail::private_comm, made collectively on first use and
// cached; print_ordered shares it on another tag), so the farm never matches a user's message nor a
// user's receive one of the farm's:
//   farm_task_tag   root -> worker: one message per task; an EMPTY message means "stop".
//   farm_result_tag worker -> root: one message per result, in the order the worker got its tasks
//                   (MPI's non-overtaking rule), so the root knows the task index from a per-worker FIFO
//                   and no index travels; an EMPTY message means "this task failed", and the error text
//                   (chars) follows on the same tag.
// A message is the value itself when its type is an mpi_type (one typed MPI call: 4 bytes for an int),
// otherwise its serialized stream with every bulk run inline (one message, so a failure never leaves
// part of one behind). Neither kind is ever empty, so empty messages are free to be the signals.
// No deadlock, whatever the sizes: the root blocks only receiving results (always sent eventually),
// or sending a typed task <= farm_blocking_bytes (the cheapest way for tiny tasks), which always finds
// a receive: a worker of typed tasks keeps `in_flight` receives posted (re-posted after each result),
// and the root never has more than that many tasks out to it. Larger typed tasks and serialized ones go
// out non-blocking (serialized workers size their receive with a matched probe). "Stop" goes to a
// worker once it has nothing in flight and nothing is left to hand out: one per posted receive
// (typed tasks), else one. Every message is received before the call returns on any rank.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/communicator.hpp>
#include <mpixx/detail/private_comm.hpp>
#include <mpixx/serialize.hpp>
#include <mpixx/detail/std_light.hpp>

#include <concepts>
#include <cstddef>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

/// A task failed (mpixx::task_farm, mpixx::executor): its index, the rank that ran it, the task's name
/// (executor tasks) and the original what().
class task_error : public error {
public:
    /// Task `index` of a task_farm failed on rank `worker` of the farm's communicator with `what_arg`.
    task_error(std::size_t index, int worker, std::string what_arg)
        : task_error("mpixx::task_farm", {}, index, worker, std::move(what_arg)) {}

    /// Task `index`, named `name` (may be empty), failed in `routine` on rank `worker` with `what_arg`.
    task_error(const char* routine, std::string name, std::size_t index, int worker, std::string what_arg,
               int error_class = MPI_ERR_OTHER)
        : error(routine, error_class,
                "task " + std::to_string(index) + (name.empty() ? std::string() : " ('" + name + "')") +
                    " failed on rank " + std::to_string(worker) + ": " + what_arg),
          index_(index), worker_(worker), name_(std::move(name)), task_what_(std::move(what_arg)) {}

    /// The index of the failed task: its position in the tasks range (task_farm, executor::map) or its
    /// submission number on the executor (executor::submit, counted from 0).
    [[nodiscard]] std::size_t task_index() const noexcept { return index_; }
    /// The rank (in the farm's or pool's communicator) on which the task ran; -1 if it never ran.
    [[nodiscard]] int worker() const noexcept { return worker_; }
    /// The registered name of the task (executor tasks); empty for task_farm.
    [[nodiscard]] const std::string& task_name() const noexcept { return name_; }
    /// The what() of the exception the task threw (or why it could not run).
    [[nodiscard]] const std::string& task_what() const noexcept { return task_what_; }

private:
    std::size_t index_;
    int worker_;
    std::string name_;
    std::string task_what_;
};

/// What task_farm_collect returns on the root: every result, and every failure.
template <class R>
struct farm_outcome {
    std::vector<R> results;           ///< in task order; the slot of a failed task holds R{}
    std::vector<task_error> failures; ///< every failed task, by increasing task_index()
    /// Whether every task succeeded.
    [[nodiscard]] bool ok() const noexcept { return failures.empty(); }
};

/// How task_farm runs; every rank must pass the same values.
struct task_farm_options {
    int root = 0;      ///< the rank that hands out tasks and gets the results
    int in_flight = 2; ///< tasks queued per worker, 1..1024 (2 hides the round trip; more rarely helps)
};

namespace detail {

inline constexpr int farm_task_tag = 0x6601;   // distinct from print_ordered's tag on the same private dup
inline constexpr int farm_result_tag = 0x6602;
/// Typed tasks up to this size go out with a blocking send (no request to create and wait for: the
/// cheapest way for tiny tasks); larger ones non-blocking, so the root never waits for a busy worker.
inline constexpr std::size_t farm_blocking_bytes = 4096;
/// Each worker keeps up to in_flight receives posted: a bound keeps that sane.
inline constexpr int farm_max_in_flight = 1024;

/// The MPI datatype a farm message of T travels as (its own for mpi_types, bytes of a stream otherwise).
template <class T>
MPI_Datatype farm_type() {
    if constexpr (mpi_type<T>) return datatype<T>();
    else return MPI_BYTE;
}

/// Sends an empty message: "stop" (root -> worker) or "failed" (worker -> root).
template <class T>
void farm_send_empty(MPI_Comm comm, int dest, int tag) {
    MPIXX_CALL(MPI_Send, nullptr, 0, farm_type<T>(), dest, tag, comm);
}

/// Receives one farm message of T: typed into `value`, serialized into `bytes` (not decoded: the caller
/// decodes, so that a decoding failure never loses track of a received message). Returns the sender,
/// and whether the message was non-empty through `nonempty`.
template <class T>
int farm_recv(MPI_Comm comm, int source, int tag, T& value, std::vector<std::byte>& bytes, bool& nonempty) {
    MPI_Status st;
    if constexpr (mpi_type<T>) {
        MPIXX_CALL(MPI_Recv, &value, 1, datatype<T>(), source, tag, comm, &st);
        int n = 0;
        MPIXX_CALL(MPI_Get_count, &st, datatype<T>(), &n);
        nonempty = n != 0;
    } else {
        MPI_Message m = MPI_MESSAGE_NULL;
        MPIXX_CALL(MPI_Mprobe, source, tag, comm, &m, &st);
        bytes.resize(status(st).count(MPI_BYTE));
        MPIXX_CALL_COUNT(MPI_Mrecv, bytes.data(), bytes.size(), MPI_BYTE, &m, MPI_STATUS_IGNORE);
        nonempty = !bytes.empty();
    }
    return st.MPI_SOURCE;
}

/// Receives the text of a failure that `source` announced with an empty message.
inline std::string farm_recv_text(MPI_Comm comm, int source) {
    MPI_Message m = MPI_MESSAGE_NULL;
    MPI_Status st;
    MPIXX_CALL(MPI_Mprobe, source, farm_result_tag, comm, &m, &st);
    std::string text(status(st).count(MPI_CHAR), '\0');
    MPIXX_CALL_COUNT(MPI_Mrecv, text.data(), text.size(), MPI_CHAR, &m, MPI_STATUS_IGNORE);
    return text;
}

/// Runs one task and sends its result (or its failure) to the root.
template <class Task, class R, class F>
void farm_run_one(MPI_Comm comm, int root, F& f, Task& task, std::span<const std::byte> stream, R& result,
                  std::vector<std::byte>& out) {
    std::string failure;
    bool ok = true, ran = false;
    try {
        if constexpr (!mpi_type<Task>) mpixx::deserialize_into(stream, task);
        result = detail::invoke(f, std::as_const(task));
        ran = true;
        // Encoded here, inside the try: a result whose serialization throws is this task's failure
        // (escaping, it would leave this worker's farm while the root waits for the result: a hang).
        if constexpr (!mpi_type<R>) {
            std::vector<oob_out> none;
            encode_into(out, none, result, never_oob);
        }
    } catch (...) {
        ok = false;
        failure = ran ? "its result does not serialize: " + current_what() : current_what();
    }
    if (!ok) {
        farm_send_empty<R>(comm, root, farm_result_tag);
        MPIXX_CALL_COUNT(MPI_Send, failure.data(), failure.size(), MPI_CHAR, root, farm_result_tag, comm);
    } else if constexpr (mpi_type<R>) {
        MPIXX_CALL(MPI_Send, &result, 1, datatype<R>(), root, farm_result_tag, comm);
    } else {
        MPIXX_CALL_COUNT(MPI_Send, out.data(), out.size(), MPI_BYTE, root, farm_result_tag, comm);
    }
}

/// A worker's loop that receives each task when it needs it (serialized tasks, or typed ones one at a time).
template <class Task, class R, class F>
void farm_work_plain(MPI_Comm comm, int root, F& f, R& result, std::vector<std::byte>& out) {
    Task task{};
    std::vector<std::byte> in;
    for (;;) {
        bool nonempty = false;
        farm_recv(comm, root, farm_task_tag, task, in, nonempty);
        if (!nonempty) return; // stop
        farm_run_one(comm, root, f, task, std::span<const std::byte>(in), result, out);
    }
}

/// A worker's loop: receive a task, run f, send the result (or the failure), until "stop".
template <class Task, class R, class F>
void farm_work(MPI_Comm comm, int root, std::size_t depth, F& f) {
    R result{};
    std::vector<std::byte> out;
    if constexpr (mpi_type<Task>) {
        if (depth == 1) return farm_work_plain<Task>(comm, root, f, result, out); // nothing to keep posted
        // `depth` receives stay posted, so a blocking send of the root always finds one (see above).
        const auto tasks = std::make_unique<Task[]>(depth); // not a vector: vector<bool> has no bools
        posted_receives posted(depth);
        auto& req = posted.requests;
        for (std::size_t k = 0; k < depth; ++k)
            MPIXX_CALL(MPI_Irecv, &tasks[k], 1, datatype<Task>(), root, farm_task_tag, comm, &req[k]);
        for (std::size_t k = 0;; k = (k + 1) % depth) {
            MPI_Status st;
            MPIXX_CALL(MPI_Wait, &req[k], &st);
            int n = 0;
            MPIXX_CALL(MPI_Get_count, &st, datatype<Task>(), &n);
            if (n == 0) { // stop: the root sends one per posted receive
                for (std::size_t j = 1; j < depth; ++j)
                    MPIXX_CALL(MPI_Wait, &req[(k + j) % depth], MPI_STATUS_IGNORE);
                return;
            }
            farm_run_one(comm, root, f, tasks[k], {}, result, out);
            MPIXX_CALL(MPI_Irecv, &tasks[k], 1, datatype<Task>(), root, farm_task_tag, comm, &req[k]);
        }
    } else {
        farm_work_plain<Task>(comm, root, f, result, out);
    }
}

/// The root's side: hands out tasks, collects the results in task order, stops the workers.
template <class Task, class R, class Range>
class farm_master {
    using iterator = std::ranges::iterator_t<const Range>;
    using reference = std::ranges::range_reference_t<const Range>;
    // Typed tasks are sent straight from the range's element when it is a real object of type Task.
    static constexpr bool send_in_place =
        std::is_lvalue_reference_v<reference> && std::is_same_v<std::remove_cvref_t<reference>, Task>;

    /// One task in flight: its index, its send, and what the send reads from when not the range.
    struct slot {
        std::size_t index = 0;
        MPI_Request request = MPI_REQUEST_NULL;
        std::vector<std::byte> bytes;                                     // serialized tasks
        [[no_unique_address]] std::conditional_t<mpi_type<Task> && !send_in_place, Task, std::monostate> copy{};
    };

public:
    /// `collect`: a failed task is recorded and the farm goes on (task_farm_collect); otherwise the
    /// first failure stops the handing out (task_farm).
    farm_master(MPI_Comm comm, int root, int size, int depth, const Range& tasks, bool collect = false)
        : comm_(comm), root_(root), size_(size), collect_(collect), depth_(static_cast<std::size_t>(depth)),
          n_(static_cast<std::size_t>(std::ranges::size(tasks))), next_it_(std::ranges::begin(tasks)),
          slots_(static_cast<std::size_t>(size) * depth_), head_(static_cast<std::size_t>(size)),
          count_(static_cast<std::size_t>(size)) {}

    /// Runs the farm to the end; throws the first failure once every worker has stopped (in collect
    /// mode only a failing MPI call or an internal error throws: task failures are in failures()).
    std::vector<R> run() {
        std::vector<R> results(n_);
        // Deal one task to each worker per round, so that few tasks still reach many workers.
        for (std::size_t round = 0; round < depth_; ++round)
            for (int w = 0; w < size_; ++w)
                if (w != root_ && can_hand_out()) post_guarded(w);
        for (int w = 0; w < size_; ++w)
            if (w != root_ && count_[idx(w)] == 0) stop(w);
        while (outstanding_ > 0) receive_one(results);
        if (failure_) std::rethrow_exception(failure_);
        return results;
    }

    /// The failed tasks (collect mode), by increasing index.
    std::vector<task_error> failures() && {
        // Insertion sort (stable, and no <algorithm>: 0.1 s per unit). Failures arrive nearly in index order,
        // each out of place by at most the number of tasks in flight, so this is close to linear.
        for (std::size_t i = 1; i < failures_.size(); ++i)
            for (std::size_t j = i; j > 0 && failures_[j].task_index() < failures_[j - 1].task_index(); --j)
                std::swap(failures_[j], failures_[j - 1]);
        return std::move(failures_);
    }

private:
    static std::size_t idx(int rank) noexcept { return static_cast<std::size_t>(rank); }
    [[nodiscard]] bool can_hand_out() const noexcept { return !failure_ && next_ < n_; }
    slot& slot_at(int w, std::size_t k) noexcept { return slots_[idx(w) * depth_ + k % depth_]; }

    /// Hands the next task to worker w; a failure to send it ends the handing out.
    void post_guarded(int w) {
        try {
            post(w);
        } catch (...) {
            failure_ = std::current_exception();
        }
    }

    void post(int w) {
        slot& s = slot_at(w, head_[idx(w)] + count_[idx(w)]);
        const Task& task = *next_it_; // a converted temporary lives to the end of this function
        if constexpr (mpi_type<Task> && sizeof(Task) <= farm_blocking_bytes) {
            MPIXX_CALL(MPI_Send, &task, 1, datatype<Task>(), w, farm_task_tag, comm_);
        } else if constexpr (mpi_type<Task>) {
            const Task* p = &task;
            if constexpr (!send_in_place) {
                s.copy = task;
                p = &s.copy;
            }
            MPIXX_CALL(MPI_Isend, p, 1, datatype<Task>(), w, farm_task_tag, comm_, &s.request);
        } else {
            encode_into(s.bytes, no_segments_, task, never_oob);
            MPIXX_CALL_COUNT(MPI_Isend, s.bytes.data(), s.bytes.size(), MPI_BYTE, w, farm_task_tag, comm_,
                             &s.request);
        }
        s.index = next_++;
        ++next_it_;
        ++count_[idx(w)];
        ++outstanding_;
    }

    /// Tells worker w to stop: one empty message per receive it keeps posted (typed tasks), else one.
    /// Blocking is safe: w has nothing in flight, so it is (or will be) waiting for exactly these.
    void stop(int w) const {
        const std::size_t n = mpi_type<Task> ? depth_ : 1;
        for (std::size_t k = 0; k < n; ++k) farm_send_empty<Task>(comm_, w, farm_task_tag);
    }

    /// Receives one result (or failure) from any worker and gives that worker its next task or "stop".
    void receive_one(std::vector<R>& results) {
        bool nonempty = false;
        const int w = farm_recv(comm_, MPI_ANY_SOURCE, farm_result_tag, value_, bytes_, nonempty);
        if (w == root_ || w < 0 || w >= size_ || count_[idx(w)] == 0) [[unlikely]]
            throw_usage("mpixx::task_farm", MPI_ERR_INTERN, "a result arrived from a rank with no task in flight");
        slot& s = slot_at(w, head_[idx(w)]);
        MPIXX_CALL(MPI_Wait, &s.request, MPI_STATUS_IGNORE); // the worker has it: the send is complete
        head_[idx(w)] = (head_[idx(w)] + 1) % depth_;
        --count_[idx(w)];
        --outstanding_;
        if (!nonempty) {
            std::string text = farm_recv_text(comm_, w);
            if (collect_) failures_.emplace_back(s.index, w, std::move(text));
            else if (!failure_) failure_ = std::make_exception_ptr(task_error(s.index, w, std::move(text)));
        } else if (!failure_) {
            try {
                if constexpr (mpi_type<R>) results[s.index] = value_;
                else mpixx::deserialize_into(std::span<const std::byte>(bytes_), results[s.index]);
            } catch (...) {
                // A result that does not decode is that task's failure, named by its index (the class of an
                // mpixx::error, e.g. a corrupt stream's, is kept).
                std::string why = "its result does not decode: " + current_what();
                if (collect_) failures_.emplace_back(s.index, w, std::move(why));
                else failure_ = std::make_exception_ptr(task_error("mpixx::task_farm", {}, s.index, w, std::move(why),
                                                                   current_error_class(MPI_ERR_OTHER)));
            }
        }
        if (can_hand_out()) post_guarded(w);
        if (count_[idx(w)] == 0) stop(w); // nothing in flight there and nothing more to hand out
    }

    MPI_Comm comm_;
    int root_, size_;
    bool collect_;
    std::size_t depth_, n_, next_ = 0, outstanding_ = 0;
    iterator next_it_;
    std::vector<slot> slots_;        // depth_ per rank, a ring each
    std::vector<std::size_t> head_;  // per rank: the oldest task in flight
    std::vector<std::size_t> count_; // per rank: tasks in flight
    std::vector<oob_out> no_segments_;
    std::vector<std::byte> bytes_;
    R value_{};
    std::exception_ptr failure_;         // stops the farm: the first task failure, or an MPI failure
    std::vector<task_error> failures_;   // collect mode: every task failure
};

/// The result type of a farm: what f returns for a const Task&.
template <class F, class Task>
using farm_result_t = std::remove_cvref_t<std::invoke_result_t<F&, const Task&>>;

/// What is wrong with a pool's root or in_flight on this rank (task_farm, executor): an MPI error
/// class, or 0.
inline int pool_option_problem(int size, int root, int in_flight, int max_in_flight) noexcept {
    if (root < 0 || root >= size) return MPI_ERR_ROOT;
    if (in_flight < 1 || in_flight > max_in_flight) return MPI_ERR_ARG;
    return 0;
}

/// Throws the problem pool_option_problem found (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_pool_option(const char* routine, int problem, int size, int root,
                                                       int in_flight, int max_in_flight) {
    if (problem == MPI_ERR_ROOT)
        throw_usage(routine, MPI_ERR_ROOT,
                    "root " + std::to_string(root) + " is out of range for a communicator of size " + std::to_string(size));
    throw_usage(routine, MPI_ERR_ARG,
                "in_flight must be in [1, " + std::to_string(max_in_flight) + "], got " + std::to_string(in_flight));
}

#if MPIXX_CHECKED
/// Checked mode: the ranks of a pool agree on root and in_flight (one small allreduce on the pool's
/// private communicator) before any task moves: values that differ among ranks would hang the pool or
/// let a worker serve one pool's tasks in another; an invalid value on one rank would leave it alone
/// outside the pool. Every rank throws alike. Returns at once when this rank found a problem itself
/// (the caller throws it).
inline void pool_agree(MPI_Comm pool, const char* routine, int problem, int root, int in_flight) {
    if (problem != 0) root = in_flight = 0; // irrelevant (every rank throws) and safe to negate
    const int mine[5] = {problem, root, -root, in_flight, -in_flight};
    int all[5] = {};
    MPIXX_CALL(MPI_Allreduce, mine, all, 5, MPI_INT, MPI_MAX, pool);
    if (problem != 0) return;
    if (all[0] != 0) [[unlikely]]
        throw_usage(routine, all[0], "another rank passed an invalid root or in_flight");
    if (all[1] != -all[2]) [[unlikely]]
        throw_usage(routine, MPI_ERR_ROOT, "the ranks passed different roots (from " + std::to_string(-all[2]) +
                                               " to " + std::to_string(all[1]) + "); every rank must pass the same");
    if (all[3] != -all[4]) [[unlikely]]
        throw_usage(routine, MPI_ERR_ARG, "the ranks passed different in_flight values (from " + std::to_string(-all[4]) +
                                              " to " + std::to_string(all[3]) + "); every rank must pass the same");
}
#endif

/// Checks a pool's arguments (task_farm, executor). Checked mode: every rank throws alike, even when the
/// values differ among ranks (pool_agree); otherwise each rank checks its own (they must be the same).
inline void pool_check(const communicator& comm, const char* routine, int root, int in_flight, int max_in_flight) {
    if (comm.is_null()) [[unlikely]]
        throw_usage(routine, MPI_ERR_COMM, "the communicator is null");
    if (comm.is_inter()) [[unlikely]]
        throw_intercomm(routine);
    const int size = comm.size();
    const int problem = pool_option_problem(size, root, in_flight, max_in_flight);
#if MPIXX_CHECKED
    if (size > 1) pool_agree(private_comm::get(comm.native()), routine, problem, root, in_flight);
#endif
    if (problem != 0) [[unlikely]]
        throw_pool_option(routine, problem, size, root, in_flight, max_in_flight);
}

/// Checks task_farm's arguments.
inline void farm_check(const communicator& comm, const task_farm_options& options) {
    pool_check(comm, "mpixx::task_farm", options.root, options.in_flight, farm_max_in_flight);
}

/// Both farms: the results on the root (empty elsewhere); with `failures`, task failures are collected
/// there and every task runs, otherwise the first one is thrown.
template <class Task, class R, class Tasks, class F>
std::vector<R> farm_run(const communicator& comm, const Tasks& tasks, F& f, const task_farm_options& options,
                        std::vector<task_error>* failures) {
    farm_check(comm, options);
    if (comm.size() == 1) { // no workers: the root does it all, with the same error reporting
        std::vector<R> results;
        results.reserve(static_cast<std::size_t>(std::ranges::size(tasks)));
        for (auto&& task : tasks) {
            try {
                results.push_back(detail::invoke(f, static_cast<const Task&>(task)));
            } catch (...) {
                task_error e(results.size(), comm.rank(), current_what());
                if (failures == nullptr) throw e;
                failures->push_back(std::move(e));
                results.emplace_back();
            }
        }
        return results;
    }
    const MPI_Comm farm = private_comm::get(comm.native());
    if (comm.rank() != options.root) {
        farm_work<Task, R>(farm, options.root, static_cast<std::size_t>(options.in_flight), f);
        return {};
    }
    farm_master<Task, R, Tasks> master(farm, options.root, comm.size(), options.in_flight, tasks, failures != nullptr);
    std::vector<R> results = master.run();
    if (failures != nullptr) *failures = std::move(master).failures();
    return results;
}

} // namespace detail

/// A range task_farm can take its tasks from: sized, multi-pass, of serializable elements.
template <class R>
concept task_range = std::ranges::forward_range<const R> && std::ranges::sized_range<const R> &&
                     serializable<std::ranges::range_value_t<const R>>;

/// Collective: runs f on every task of the root's `tasks`, on the other ranks, with dynamic load
/// balancing; the root returns the results in task order, every other rank an empty vector. The first
/// task that throws stops the handing out: the root throws its mpixx::task_error after a clean shutdown
/// (see the header comment; task_farm_collect runs every task instead).
template <task_range Tasks, class F,
          class Task = std::ranges::range_value_t<const Tasks>, class R = detail::farm_result_t<F, Task>>
    requires std::invocable<F&, const Task&> && serializable<R>
[[nodiscard]] std::vector<R> task_farm(const communicator& comm, const Tasks& tasks, F&& f,
                                       task_farm_options options = {}) {
    return detail::farm_run<Task, R>(comm, tasks, f, options, nullptr);
}

/// task_farm with the tasks handed out by rank `root`.
template <task_range Tasks, class F,
          class Task = std::ranges::range_value_t<const Tasks>, class R = detail::farm_result_t<F, Task>>
    requires std::invocable<F&, const Task&> && serializable<R>
[[nodiscard]] std::vector<R> task_farm(const communicator& comm, const Tasks& tasks, F&& f, int root) {
    return task_farm(comm, tasks, std::forward<F>(f), task_farm_options{.root = root});
}

/// Collective, as task_farm, but a failing task never stops the farm: every task runs, and the root
/// gets every successful result plus the failures (index, worker, what()), all at the end. Other ranks
/// return an empty outcome. Only a failing MPI call throws.
template <task_range Tasks, class F,
          class Task = std::ranges::range_value_t<const Tasks>, class R = detail::farm_result_t<F, Task>>
    requires std::invocable<F&, const Task&> && serializable<R>
[[nodiscard]] farm_outcome<R> task_farm_collect(const communicator& comm, const Tasks& tasks, F&& f,
                                                task_farm_options options = {}) {
    farm_outcome<R> out;
    out.results = detail::farm_run<Task, R>(comm, tasks, f, options, &out.failures);
    return out;
}

} // namespace mpixx
