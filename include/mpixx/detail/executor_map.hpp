// mpixx/detail/executor_map.hpp - the state behind executor::map (see mpixx/executor.hpp): it feeds the
// pool from the inputs (at most map_window tasks ahead of the consumer, when bounded), and keeps the outcomes that
// come back early until they are consumed in input order. In a pool of one rank it runs each input's
// task when the consumer gets there.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/executor_core.hpp>
#include <mpixx/detail/std_light.hpp>

#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace mpixx::inline MPIXX_ABI::detail {

/// The state of a map: the inputs, the window of outcomes, and the pool's feeder interface.
template <class R, class Range, class... A>
class map_state final : public task_sink, public task_feeder {
    using range_t = std::remove_reference_t<Range>;
    static constexpr bool by_reference = std::is_lvalue_reference_v<Range>;
    struct outcome {
        std::optional<R> value;
        std::exception_ptr error;
        bool done = false;
    };

public:
    map_state(std::shared_ptr<exec_core> core, const typed_task_entry<R, A...>& entry, Range&& inputs)
        : core_(std::move(core)), entry_(&entry), inputs_(hold(std::forward<Range>(inputs))),
          it_(std::ranges::begin(range())), end_(std::ranges::end(range())) {}

    // ---- the pool's side ----
    bool feed(exec_slot& s) override {
        while (!exhausted()) {
            if (!draining_ && next_ - head_ >= core_->window()) return false;
            const std::size_t pos = next_++;
            outcomes_.emplace_back();
            bool encoded = true;
            try {
                with_args(*it_, [&](const auto&... args) {
                    encode_task<A...>(s.bytes, entry_->name_hash(), entry_->signature_hash(), args...);
                });
            } catch (...) { // this input does not encode: its own failure, the map goes on
                encoded = false;
                outcome& o = outcomes_.back();
                o.error = exec_error({.name = entry_->name(), .signature = {}, .index = pos, .worker = -1},
                                     "its arguments do not encode: " + current_what());
                o.done = true;
            }
            step();
            if (!encoded) continue;
            ++out_;
            s.sink = this; // the pool keeps this state while its tasks are out (finished())
            s.name = entry_->name();
            s.signature = entry_->signature();
            s.index = pos;
            return true;
        }
        return false;
    }
    [[nodiscard]] bool exhausted() const noexcept override { return cut_ || it_ == end_; }
    void drain() noexcept override { draining_ = true; }
    /// Shutdown with cancel_pending: inputs not yet handed out never run. When some remain, the next
    /// position fails ("cancelled") before the end, so a consumer never mistakes the cut for the end.
    void cut() noexcept override {
        if (!exhausted() && !abandoned_)
            end_with("cancelled before it ran (shutdown with cancel_pending): this input and every later one were "
                     "not run", true, false);
        cut_ = true;
    }
    [[nodiscard]] bool finished() const noexcept override { return exhausted() && out_ == 0; }

    void deliver(std::span<const std::byte> bytes, const task_info& info) noexcept override {
        --out_;
        if (abandoned_) return;
        outcome& o = outcomes_[info.index - head_];
        try {
            exec_decode<R>(bytes, o.value.emplace());
        } catch (...) {
            o.value.reset();
            o.error = exec_decode_error<R>(info);
        }
        o.done = true;
    }
    void fail(std::exception_ptr error, const task_info& info) noexcept override {
        --out_;
        if (abandoned_) return;
        outcome& o = outcomes_[info.index - head_];
        o.error = std::move(error);
        o.done = true;
    }

    // ---- the iterator's side ----
    [[nodiscard]] bool at_end() const noexcept { return outcomes_.empty() && exhausted(); }

    /// The result at the head (waiting for it); throws its task_error if it failed.
    R& head() {
        if (at_end()) [[unlikely]]
            past_end();
        ready_head();
        outcome& o = outcomes_.front();
        if (o.error) std::rethrow_exception(o.error);
        return *o.value;
    }
    /// Moves past the head.
    void pop() {
        if (at_end()) [[unlikely]]
            past_end();
        ready_head();
        outcomes_.pop_front();
        ++head_;
        if (!core_->local()) core_->refill(); // room in the window
    }
    /// The map's range is gone: no more tasks; results still to come are dropped (the pool keeps this
    /// state until they came).
    void abandon() noexcept {
        abandoned_ = cut_ = true;
        if (out_ == 0) core_->remove_feeder(this);
    }

private:
    static auto hold(Range&& r) {
        if constexpr (by_reference) return std::addressof(r);
        else return range_t(std::move(r));
    }
    range_t& range() noexcept {
        if constexpr (by_reference) return *inputs_;
        else return inputs_;
    }

    /// Calls f with the task's arguments from one input: itself, or its elements for a task of several.
    template <class Input, class F>
    static void with_args(Input&& in, F&& f) {
        if constexpr (sizeof...(A) == 1) f(in);
        else std::apply([&f](const auto&... xs) { f(xs...); }, in);
    }

    void ready_head() {
        if (core_->local()) {
            if (outcomes_.empty() && !exhausted()) run_here();
            return;
        }
        while (outcomes_.empty()) { // the workers are busy with other tasks: wait for room
            core_->refill();
            if (outcomes_.empty()) core_->wait_one();
        }
        while (!outcomes_.front().done) core_->wait_one();
    }

    /// A pool of one rank: runs the next input's task here.
    void run_here() {
        const std::size_t pos = next_++;
        outcome& o = outcomes_.emplace_back();
        try {
            with_args(*it_, [&](const auto&... args) { o.value.emplace(entry_->call(A(task_arg<A>(args))...)); });
        } catch (...) {
            o.value.reset();
            o.error = exec_error({.name = entry_->name(), .signature = {}, .index = pos, .worker = core_->client()},
                                 current_what());
        }
        o.done = true;
        step();
    }

    /// Moves to the next input. A range whose increment throws cannot go on: the map ends there, with
    /// that failure at the next position (never a broken pool: the range is the user's, not MPI's).
    void step() noexcept {
        try {
            ++it_;
        } catch (...) {
            end_with("the input range threw while advancing to this input: ", false, true);
            cut_ = true;
        }
    }
    /// Ends the map with one failed outcome at the next position (with the current exception's what()
    /// when `add_what`, called in a handler). Cold path.
    [[MPIXX_COLD]] void end_with(const char* text, bool cancelled, bool add_what) noexcept {
        outcome* o = nullptr;
        try {
            o = &outcomes_.emplace_back();
        } catch (...) { // no memory even for that: the map just ends
            return;
        }
        const std::size_t pos = next_++;
        o->done = true;
        try {
            std::string t(text);
            if (add_what) t += current_what();
            o->error = exec_error({.name = entry_->name(), .signature = {}, .index = pos, .worker = -1, .cancelled = cancelled},
                                  std::move(t));
        } catch (...) {
            o->error = std::current_exception();
        }
    }
    [[noreturn, MPIXX_COLD]] static void past_end() {
        throw_usage(exec_routine, MPI_ERR_REQUEST, "a map's iterator was dereferenced or incremented at its end");
    }

    std::shared_ptr<exec_core> core_;
    const typed_task_entry<R, A...>* entry_;
    std::conditional_t<by_reference, range_t*, range_t> inputs_;
    std::ranges::iterator_t<range_t> it_;
    std::ranges::sentinel_t<range_t> end_;
    std::size_t next_ = 0; // position of the next input to hand out
    std::size_t head_ = 0; // position of outcomes_.front()
    std::size_t out_ = 0;  // tasks in the pool (sent or queued), not yet come back
    std::deque<outcome> outcomes_;
    bool draining_ = false, cut_ = false, abandoned_ = false;
};

} // namespace mpixx::detail
