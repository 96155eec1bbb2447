// mpixx/detail/executor_registry.hpp - the process-wide registry of executor tasks (see
// mpixx/executor.hpp): each entry is a callable under a name, with its signature, and knows how to run
// itself from an encoded argument list (on a worker) or from typed arguments (in a pool of one rank).
//
// A task travels as two 64-bit hashes (FNV-1a): of its name and of its signature R(A...) as the compiler
// spells it (detail::type_name), so a worker finds the callable without any string on the wire and
// notices when the client means another signature than the one it registered. The registry lives in
// mpixx's configuration-keyed namespace (config.hpp): units built with another configuration have
// their own (build every unit alike, as config.hpp asks).
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/error.hpp>
#include <mpixx/serialize.hpp>
#include <mpixx/detail/std_light.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// FNV-1a, 64 bits: names and signatures on the wire.
constexpr std::uint64_t fnv1a64(std::string_view s) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (const char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ull;
    }
    return h;
}

/// The signature a task travels as, "int(int)": its result and decayed argument types.
template <class R, class... A>
inline constexpr std::string_view task_signature_v = type_name<R(A...)>();
template <class R, class... A>
inline constexpr std::uint64_t task_signature_hash_v = fnv1a64(task_signature_v<R, A...>);

/// How a task ended on a worker: the first byte of its reply.
enum class task_status : std::uint8_t {
    ok = 0,            ///< the result follows
    threw = 1,         ///< the task threw; its what() follows
    unknown_task = 2,  ///< no task of that name is registered on the worker
    bad_signature = 3, ///< the worker registered the name with another signature (text: which)
    bad_arguments = 4, ///< the arguments did not decode (text: why)
};


/// The argument a task of parameter type A gets from `a`: `a` itself, or a converted copy (which lives
/// until the end of the full expression).
template <class A, class Arg>
decltype(auto) task_arg(const Arg& a) {
    if constexpr (std::is_same_v<std::remove_cvref_t<Arg>, A>) return (a);
    else return A(a);
}

/// Writes a task message: [0][name hash][signature hash][arguments as A...].
template <class... A, class... Args>
void encode_task(std::vector<std::byte>& bytes, std::uint64_t name, std::uint64_t signature, const Args&... args) {
    output_archive ar(bytes, nullptr, never_oob);
    ar.write_u8(0);
    ar.write_raw(name);
    ar.write_raw(signature);
    ar(task_arg<A>(args)...);
    ar.finish();
}

/// A registered task, type-erased.
class task_entry {
public:
    task_entry(std::string name, std::string_view signature, std::uint64_t signature_hash)
        : name_(std::move(name)), name_hash_(fnv1a64(name_)), signature_(signature), signature_hash_(signature_hash) {}
    task_entry(const task_entry&) = delete;
    task_entry& operator=(const task_entry&) = delete;
    virtual ~task_entry() = default;

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] std::uint64_t name_hash() const noexcept { return name_hash_; }
    [[nodiscard]] std::string_view signature() const noexcept { return signature_; }
    [[nodiscard]] std::uint64_t signature_hash() const noexcept { return signature_hash_; }

    /// Decodes the arguments from `args`, runs the task and writes the reply into `out` from offset 1 on
    /// (byte 0 is the caller's): the encoded result, or the text of what went wrong. Never throws.
    virtual task_status run(std::span<const std::byte> args, std::vector<std::byte>& out) const noexcept = 0;

private:
    std::string name_;
    std::uint64_t name_hash_;
    std::string_view signature_; // type_name's static storage
    std::uint64_t signature_hash_;
};

/// Writes `text` as a reply's payload (after the status byte).
inline void write_text(std::vector<std::byte>& out, std::string_view text) noexcept {
    try {
        out.resize(1 + text.size());
        std::memcpy(out.data() + 1, text.data(), text.size());
    } catch (...) { // no memory for the text: the status alone still says what happened
        out.resize(1);
    }
}

/// A registered task of signature R(A...), A decayed; `call` runs it on this process.
template <class R, class... A>
class typed_task_entry : public task_entry {
public:
    typed_task_entry(std::string name) : task_entry(std::move(name), task_signature_v<R, A...>, task_signature_hash_v<R, A...>) {}
    /// Runs the task here, on arguments it owns (a pool of one rank).
    virtual R call(A... args) const = 0;
};

template <class F, class R, class... A>
class task_entry_impl final : public typed_task_entry<R, A...> {
public:
    task_entry_impl(std::string name, F f) : typed_task_entry<R, A...>(std::move(name)), f_(std::move(f)) {}

    R call(A... args) const override { return static_cast<R>(detail::invoke(f_, std::move(args)...)); }

    task_status run(std::span<const std::byte> bytes, std::vector<std::byte>& out) const noexcept override {
        std::tuple<A...> args{};
        try {
            input_archive ar(bytes, nullptr, 0);
            std::apply([&ar](auto&... a) { ar(a...); }, args);
            ar.finish();
        } catch (...) {
            write_text(out, current_what());
            return task_status::bad_arguments;
        }
        try {
            if constexpr (std::is_void_v<R>) {
                std::apply([this](auto&... a) { detail::invoke(f_, std::move(a)...); }, args);
                out.resize(1);
            } else {
                const R result = std::apply([this](auto&... a) { return static_cast<R>(detail::invoke(f_, std::move(a)...)); }, args);
                // The archive writes over the bytes `out` already holds (no zero-filling), from byte 0.
                output_archive ar(out, nullptr, never_oob);
                ar.write_u8(0);
                ar(result);
                ar.finish();
            }
            return task_status::ok;
        } catch (...) {
            write_text(out, current_what());
            return task_status::threw;
        }
    }

private:
    mutable F f_; // a task may keep state between calls (mutable lambdas)
};

/// Every task of the process, by name hash. Entries are never removed: pointers to them stay valid.
class task_registry {
public:
    /// The process's registry.
    static task_registry& instance() {
        static task_registry r;
        return r;
    }

    /// Adds `e`; a name registered before (or with the same hash) is an error.
    const task_entry& add(std::unique_ptr<task_entry> e) {
        const std::lock_guard lock(mutex_);
        const std::size_t i = position(e->name_hash());
        if (i < entries_.size() && entries_[i]->name_hash() == e->name_hash()) [[unlikely]]
            throw_duplicate(e->name(), entries_[i]->name());
        const task_entry& added = *e;
        entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(i), std::move(e));
        return added;
    }

    /// The entry of the name with this hash, or nullptr.
    [[nodiscard]] const task_entry* find(std::uint64_t name_hash) const {
        const std::lock_guard lock(mutex_);
        const std::size_t i = position(name_hash);
        return i < entries_.size() && entries_[i]->name_hash() == name_hash ? entries_[i].get() : nullptr;
    }

    /// A copy of `name` that lives as long as the process (names of tasks submitted by name only).
    std::string_view intern(std::string_view name) {
        const std::lock_guard lock(mutex_);
        for (const std::string& n : names_)
            if (n == name) return n;
        return names_.emplace_back(name); // a deque never moves its elements
    }

private:
    task_registry() = default;

    /// The index of the first entry whose hash is not below `h` (binary search; mutex_ held).
    [[nodiscard]] std::size_t position(std::uint64_t h) const noexcept {
        std::size_t lo = 0, hi = entries_.size();
        while (lo < hi) {
            const std::size_t mid = lo + (hi - lo) / 2;
            if (entries_[mid]->name_hash() < h) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    [[noreturn, MPIXX_COLD]] static void throw_duplicate(const std::string& name, const std::string& old) {
        throw_usage("mpixx::register_task", MPI_ERR_ARG,
                    name == old ? "a task named '" + name + "' is already registered (task names are unique per program)"
                                : "task names '" + name + "' and '" + old + "' have the same 64-bit hash: rename one");
    }

    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<task_entry>> entries_; // by increasing name hash
    std::deque<std::string> names_;                     // interned names (few: those submitted by name only)
};

/// The signature of a callable with one non-template call operator, or of a function (pointer).
template <class F>
struct callable_signature : callable_signature<decltype(&F::operator())> {};
template <class R, class... A>
struct callable_signature<R (*)(A...)> {
    using type = R(A...);
};
template <class R, class... A>
struct callable_signature<R (*)(A...) noexcept> : callable_signature<R (*)(A...)> {};
template <class R, class... A>
struct callable_signature<R(A...)> : callable_signature<R (*)(A...)> {};
template <class R, class... A>
struct callable_signature<R(A...) noexcept> : callable_signature<R (*)(A...)> {};
template <class C, class R, class... A>
struct callable_signature<R (C::*)(A...)> : callable_signature<R (*)(A...)> {};
template <class C, class R, class... A>
struct callable_signature<R (C::*)(A...) const> : callable_signature<R (*)(A...)> {};
template <class C, class R, class... A>
struct callable_signature<R (C::*)(A...) noexcept> : callable_signature<R (*)(A...)> {};
template <class C, class R, class... A>
struct callable_signature<R (C::*)(A...) const noexcept> : callable_signature<R (*)(A...)> {};

/// Whether a task parameter of type P can receive a decoded argument it may move from.
template <class P>
inline constexpr bool task_parameter_ok = !std::is_lvalue_reference_v<P> || std::is_const_v<std::remove_reference_t<P>>;

} // namespace mpixx::detail
