// mpixx/detail/serialize_impl.hpp - the building blocks of mpixx's binary format: how each type is
// classified (its "family"), which types are bulk (copied with one memcpy), the smallest encoding of each
// type (to bound hostile lengths), and the two archives: a growing byte writer and a bounds-checked reader.
//
// Homogeneous clusters are assumed: fixed-size values (integers, floating point, enums, bulk aggregates)
// are written raw, in native byte order and layout. Only lengths are varints (unsigned LEB128).
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/datatype.hpp>
#include <mpixx/detail/reflect.hpp>
#include <mpixx/detail/std_light.hpp>
#include <mpixx/error.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace mpixx::inline MPIXX_ABI {
class output_archive;
class input_archive;
} // namespace mpixx

namespace mpixx::inline MPIXX_ABI::detail {

inline constexpr bool type_check_enabled = MPIXX_TYPE_CHECK != 0;

inline constexpr std::uint8_t format_version = 1;    ///< first byte of every stream
inline constexpr std::uint8_t flag_type_name = 0x01; ///< header carries the sender's type name
inline constexpr std::uint8_t flag_oob = 0x02;       ///< some runs travel out of band
inline constexpr std::uint8_t known_flags = flag_type_name | flag_oob;

/// Bulk runs of at least this many bytes travel out of band (MPI layer): below it copying the run into
/// the stream costs less than a message of its own. Each run is flagged in the stream, so translation
/// units (or ranks) built with different values still understand each other.
inline constexpr std::size_t default_oob_threshold = MPIXX_OOB_THRESHOLD;
/// Threshold meaning "everything inline".
inline constexpr std::size_t never_oob = std::numeric_limits<std::size_t>::max();
/// Containers of elements whose encoding may be empty (std::monostate, user hooks, ...) cannot be
/// bounded by the stream size alone. One decode accepts as many such elements as the stream has bytes
/// (each may take one), plus elements of at most this many bytes in memory in all: a 5-byte stream
/// never makes the decoder allocate 2^20 elements of a 512-byte class (hostile lengths, issue #15).
inline constexpr std::size_t max_empty_bytes = std::size_t{1} << 20;

/// An out-of-band run left out of the byte stream by the encoder: send these bytes separately.
struct oob_out {
    const std::byte* data;
    std::size_t bytes;
};
/// A destination prepared by the decoder for an out-of-band run: receive `bytes` bytes into `data`.
struct oob_in {
    std::byte* data;
    std::size_t bytes;
};

/// The name of T as the compiler spells it, e.g. "std::vector<int>" (compile time, no RTTI).
template <class T>
constexpr std::string_view type_name() noexcept {
#if defined(__clang__) || defined(__GNUC__)
    constexpr std::string_view f = __PRETTY_FUNCTION__;
    constexpr std::size_t start = f.find("T = ") + 4;
#if defined(__clang__)
    constexpr std::size_t end = f.rfind(']'); // "[T = int[3]]"
#else
    constexpr std::size_t semi = f.find(';', start); // "[with T = int [3]; std::string_view = ...]"
    constexpr std::size_t end = semi == std::string_view::npos ? f.rfind(']') : semi;
#endif
    return f.substr(start, end - start);
#else
    return "unknown type";
#endif
}

// ---- errors (cold, out of line: only ever on the failure path) ----

inline constexpr const char* decode_routine = "mpixx::deserialize";

[[noreturn, MPIXX_COLD]] inline void throw_truncated(std::size_t need, std::size_t left) {
    throw_usage(decode_routine, MPI_ERR_TRUNCATE,
                "stream ended early: " + std::to_string(need) + " bytes needed, " + std::to_string(left) +
                    " left");
}
[[noreturn, MPIXX_COLD]] inline void throw_corrupt(const char* what) {
    throw_usage(decode_routine, MPI_ERR_OTHER, std::string("corrupt stream: ") + what);
}
[[noreturn, MPIXX_COLD]] inline void throw_bad_length(std::uint64_t n, std::size_t left) {
    throw_usage(decode_routine, MPI_ERR_OTHER,
                "corrupt stream: length " + std::to_string(n) + " cannot fit in the " + std::to_string(left) +
                    " bytes left");
}
[[noreturn, MPIXX_COLD]] inline void throw_type_mismatch(std::string_view sent,
                                                         std::string_view mine) {
    throw_usage(decode_routine, MPI_ERR_TYPE,
                "received a " + std::string(sent) + " but decoding as " + std::string(mine));
}

// ---- classification ----

template <class T, template <class...> class Tmpl>
inline constexpr bool is_instance_of = false;
template <template <class...> class Tmpl, class... A>
inline constexpr bool is_instance_of<Tmpl<A...>, Tmpl> = true;

template <class T>
inline constexpr bool is_std_array = false;
template <class T, std::size_t N>
inline constexpr bool is_std_array<std::array<T, N>> = true;

template <class T>
inline constexpr bool is_bool_vector = false;
template <class A>
inline constexpr bool is_bool_vector<std::vector<bool, A>> = true;

// The other standard containers are recognised by their interface (the standard's container
// requirements), not by name, so that this header need not include <map>, <set>, <unordered_map>,
// <unordered_set>, <deque>, <list>, <forward_list> and <complex> (0.4 s of every unit that includes
// it): a program that sends one has included its header. Containers with the same interface (Boost's,
// for instance) serialize as their standard counterparts do.

/// deque, list, forward_list: resizable, push_front, neither a vector nor a string.
template <class T>
concept front_sequence = requires(T& c, std::size_t n, typename T::value_type&& e) {
    c.begin();
    c.end();
    c.resize(n);
    c.push_front(std::move(e));
};

/// map, multimap, set, multiset and the unordered ones: node handles (extract, insert) and a key.
template <class T>
concept node_container = requires(T& c, typename T::node_type&& node) {
    typename T::key_type;
    c.begin();
    c.end();
    c.size();
    c.extract(c.begin());
    c.insert(c.end(), std::move(node));
};

/// unordered_map, unordered_multimap, unordered_set, unordered_multiset: a hash.
template <class T>
concept hashed_container = node_container<T> && requires(T& c, std::size_t n) {
    typename T::hasher;
    c.reserve(n);
};

/// Unique keys (map, set, unordered_map, unordered_set), not multi: only those have insert_return_type.
template <class T>
concept unique_keys = node_container<T> && requires { typename T::insert_return_type; };

/// Element type of std::array<E, N> or E[N].
template <class T>
using array_element_t = std::remove_cvref_t<decltype(std::declval<T&>()[0])>;
template <class T>
inline constexpr std::size_t array_extent = std::extent_v<T>;
template <class E, std::size_t N>
inline constexpr std::size_t array_extent<std::array<E, N>> = N;

/// User class with `template <class Archive> void serialize(Archive&)`.
template <class T>
concept member_hook = std::is_class_v<T> && requires(T& t, output_archive& o, input_archive& i) {
    t.serialize(o);
    t.serialize(i);
};

namespace adl {
void serialize() = delete; // hides mpixx::serialize; user overloads come from ADL only
template <class T>
concept free_hook = requires(T& t, output_archive& o, input_archive& i) {
    serialize(o, t);
    serialize(i, t);
};
template <class Archive, class T>
void call_free_hook(Archive& ar, T& v) {
    serialize(ar, v);
}
} // namespace adl

enum class family {
    none,        // not serializable
    scalar,      // arithmetic (not bool), enum, std::byte, std::complex (by shape): raw bytes
    boolean,     // bool and enums over bool: one byte, 0 or 1
    empty,       // std::monostate, std::nullptr_t: nothing
    string,      // basic_string: bulk run
    bool_vector, // std::vector<bool>: count + one byte each
    vector,      // std::vector: bulk run, or count + elements
    fixed_array, // std::array, C array: bulk run with a flag byte, or elements
    sequence,    // deque, list, forward_list: count + elements
    unique_map,  // map, unordered_map: count + (key, value)...; duplicate keys rejected
    multi_map,   // multimap, unordered_multimap
    unique_set,  // set, unordered_set: count + keys...; duplicates rejected
    multi_set,   // multiset, unordered_multiset
    product,     // pair, tuple: members in order
    optional,    // one byte 0/1 + value
    variant,     // varint index + alternative
    member_hook, // T::serialize(Archive&)
    free_hook,   // serialize(Archive&, T&) found by ADL
    aggregate,   // reflectable aggregate: fields in order (or raw bytes when bulk)
};

template <class T>
consteval family family_of() {
    if constexpr (!std::is_object_v<T> || std::is_const_v<T> || std::is_volatile_v<T>) {
        return family::none;
    } else if constexpr (std::is_same_v<T, bool>) {
        return family::boolean;
    } else if constexpr (std::is_enum_v<T>) {
        return std::is_same_v<std::underlying_type_t<T>, bool> ? family::boolean : family::scalar;
    } else if constexpr (std::is_arithmetic_v<T> || complex_type<T>) {
        return family::scalar;
    } else if constexpr (std::is_same_v<T, std::monostate> || std::is_null_pointer_v<T>) {
        return family::empty;
    } else if constexpr (is_instance_of<T, std::basic_string>) {
        return family::string;
    } else if constexpr (is_bool_vector<T>) {
        return family::bool_vector;
    } else if constexpr (is_instance_of<T, std::vector>) {
        return family::vector;
    } else if constexpr (is_std_array<T> || std::is_bounded_array_v<T>) {
        return family::fixed_array;
    } else if constexpr (is_instance_of<T, std::pair> || is_instance_of<T, std::tuple>) {
        return family::product;
    } else if constexpr (is_instance_of<T, std::optional>) {
        return family::optional;
    } else if constexpr (is_instance_of<T, std::variant>) {
        return family::variant;
    } else if constexpr (member_hook<T>) { // a class's own hook wins over its shape
        return family::member_hook;
    } else if constexpr (std::is_class_v<T> && adl::free_hook<T>) {
        return family::free_hook;
    } else if constexpr (front_sequence<T>) {
        return family::sequence;
    } else if constexpr (node_container<T>) {
        constexpr bool map = requires { typename T::mapped_type; };
        if constexpr (unique_keys<T>) return map ? family::unique_map : family::unique_set;
        else return map ? family::multi_map : family::multi_set;
    } else if constexpr (reflectable<T>) {
        return family::aggregate;
    } else {
        return family::none; // raw pointers, unions, classes without a hook, ...
    }
}

/// Calls f.template operator()<F>() for each field type F of an aggregate (as referenced: may be const).
template <class T, class F>
consteval bool all_fields(F f) {
    using refs = decltype(tie_fields(std::declval<T&>()));
    return []<class... R>(std::type_identity<std::tuple<R...>>, F g) {
        return (g.template operator()<std::remove_reference_t<R>>() && ...);
    }(std::type_identity<refs>{}, f);
}

template <class T>
consteval bool check_bulk();
/// Bulk: any byte pattern of sizeof(T) is a valid T, so runs of T are copied with one memcpy.
template <class T>
inline constexpr bool bulk_v = check_bulk<T>();

template <class T>
consteval bool check_bulk() {
    constexpr family f = family_of<T>();
    if constexpr (f == family::scalar) {
        return true;
    } else if constexpr (f == family::fixed_array) {
        return bulk_v<array_element_t<T>>;
    } else if constexpr (f == family::aggregate) {
        if constexpr (std::is_trivially_copyable_v<T>)
            return all_fields<T>([]<class F>() { return bulk_v<F>; }); // const fields are not bulk
        else
            return false;
    } else {
        return false;
    }
}

template <class T>
consteval bool check_serializable();
template <class T>
inline constexpr bool serializable_v = check_serializable<T>();

template <class T>
consteval bool check_serializable() {
    constexpr family f = family_of<T>();
    if constexpr (f == family::none || !std::default_initializable<T>) {
        return false;
    } else if constexpr (f == family::vector || f == family::sequence || f == family::unique_set ||
                         f == family::multi_set) {
        return serializable_v<typename T::value_type>;
    } else if constexpr (f == family::fixed_array) {
        return serializable_v<array_element_t<T>>;
    } else if constexpr (f == family::unique_map || f == family::multi_map) {
        return serializable_v<typename T::key_type> && serializable_v<typename T::mapped_type>;
    } else if constexpr (f == family::product || f == family::variant) {
        return []<template <class...> class Tmpl, class... E>(std::type_identity<Tmpl<E...>>) {
            return (serializable_v<E> && ...);
        }(std::type_identity<T>{});
    } else if constexpr (f == family::optional) {
        return serializable_v<typename T::value_type>;
    } else if constexpr (f == family::aggregate) {
        return all_fields<T>([]<class F>() { return serializable_v<F>; });
    } else {
        return true; // scalar, boolean, empty, string, bool_vector, hooks
    }
}

constexpr std::size_t sat_add(std::size_t a, std::size_t b) noexcept {
    return a > std::numeric_limits<std::size_t>::max() - b ? std::numeric_limits<std::size_t>::max() : a + b;
}
constexpr std::size_t sat_mul(std::size_t a, std::size_t b) noexcept {
    return b != 0 && a > std::numeric_limits<std::size_t>::max() / b ? std::numeric_limits<std::size_t>::max()
                                                                       : a * b;
}

template <class T>
consteval std::size_t min_encoded_size();
/// The fewest bytes any encoding of T can take (0 when it may be empty, e.g. user hooks).
template <class T>
inline constexpr std::size_t min_size_v = min_encoded_size<T>();

template <class T>
consteval std::size_t min_encoded_size() {
    constexpr family f = family_of<T>();
    if constexpr (f == family::scalar) {
        return sizeof(T);
    } else if constexpr (f == family::empty || f == family::member_hook || f == family::free_hook) {
        return 0;
    } else if constexpr (f == family::fixed_array) {
        if constexpr (bulk_v<array_element_t<T>>)
            return 1; // the inline/out-of-band flag
        else
            return sat_mul(array_extent<T>, min_size_v<array_element_t<T>>);
    } else if constexpr (f == family::product) {
        return []<template <class...> class Tmpl, class... E>(std::type_identity<Tmpl<E...>>) {
            std::size_t n = 0;
            ((n = sat_add(n, min_size_v<E>)), ...);
            return n;
        }(std::type_identity<T>{});
    } else if constexpr (f == family::aggregate) {
        if constexpr (bulk_v<T>) {
            return sizeof(T);
        } else {
            std::size_t n = 0;
            all_fields<T>([&n]<class F>() {
                n = sat_add(n, min_size_v<F>);
                return true;
            });
            return n;
        }
    } else {
        return 1; // a length, flag or index byte
    }
}

template <class T>
void save(output_archive& ar, const T& value);
template <class T>
void load(input_archive& ar, T& value);

} // namespace mpixx::detail

namespace mpixx::inline MPIXX_ABI {

/// True exactly for the types mpixx can encode and decode (see mpixx/serialize.hpp).
template <class T>
concept serializable = detail::serializable_v<T>;

/// The archive a user `serialize` hook receives when an object is being encoded.
class output_archive {
public:
    static constexpr bool saving() noexcept { return true; }
    static constexpr bool loading() noexcept { return false; }

    /// Encodes each value in order.
    template <serializable... Ts>
    void operator()(const Ts&... values) {
        (detail::save(*this, values), ...);
    }

    // ---- low level, for mpixx's own codecs ----

    /// Writes into `buf` (its capacity is reused); runs of >= threshold bytes go to `segs` when non-null.
    output_archive(std::vector<std::byte>& buf, std::vector<detail::oob_out>* segs, std::size_t threshold)
        : buf_(&buf), segs_(segs), threshold_(threshold == 0 ? 1 : threshold) {
        // Writes go over the bytes the vector already holds, then grow() resizes it by steps: resizing
        // straight to its capacity would zero-fill bytes most small encodes never touch (measured: a
        // third of encoding a 2-entry map).
        cur_ = buf.data();
        end_ = buf.data() + buf.size();
    }
    output_archive(const output_archive&) = delete;
    output_archive& operator=(const output_archive&) = delete;

    /// Room for n more bytes; returns where to write them (advance with commit()).
    std::byte* reserve(std::size_t n) {
        if (static_cast<std::size_t>(end_ - cur_) < n) [[unlikely]]
            grow(n);
        return cur_;
    }
    void commit(std::byte* new_end) noexcept { cur_ = new_end; }

    void write_bytes(const void* p, std::size_t n) {
        std::byte* at = reserve(n);
        if (n != 0) std::memcpy(at, p, n);
        cur_ = at + n;
    }
    void write_u8(std::uint8_t b) {
        *reserve(1) = std::byte{b};
        ++cur_;
    }
    template <class T>
    void write_raw(const T& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        std::memcpy(reserve(sizeof(T)), std::addressof(v), sizeof(T));
        cur_ += sizeof(T);
    }
    static std::byte* put_varint(std::byte* p, std::uint64_t v) noexcept {
        while (v >= 0x80) {
            *p++ = std::byte(static_cast<std::uint8_t>(v | 0x80));
            v >>= 7;
        }
        *p++ = std::byte(static_cast<std::uint8_t>(v));
        return p;
    }
    void write_varint(std::uint64_t v) { cur_ = put_varint(reserve(10), v); }

    /// A run of `count` bulk elements: varint (count << 1 | out_of_band), then the bytes when inline.
    void write_run(const void* data, std::size_t count, std::size_t elem_size) {
        const std::size_t bytes = count * elem_size;
        if (goes_oob(bytes)) {
            write_varint((std::uint64_t{count} << 1) | 1);
            segs_->push_back({static_cast<const std::byte*>(data), bytes});
        } else {
            std::byte* at = put_varint(reserve(10 + bytes), std::uint64_t{count} << 1);
            copy_bytes(at, static_cast<const std::byte*>(data), bytes);
            cur_ = at + bytes;
        }
    }
    /// A run whose size the type fixes (std::array): one flag byte (0 inline, 1 out of band), then bytes.
    void write_fixed_run(const void* data, std::size_t bytes) {
        if (goes_oob(bytes)) {
            write_u8(1);
            segs_->push_back({static_cast<const std::byte*>(data), bytes});
        } else {
            write_u8(0);
            write_bytes(data, bytes);
        }
    }

    /// Keeps runs inline while alive (map keys and set elements are decoded into temporaries).
    struct inline_scope {
        explicit inline_scope(output_archive& a) noexcept : ar(a) { ++ar.inline_depth_; }
        ~inline_scope() { --ar.inline_depth_; }
        inline_scope(const inline_scope&) = delete;
        inline_scope& operator=(const inline_scope&) = delete;
        output_archive& ar;
    };

    void write_header(std::string_view type) {
        header_at_ = static_cast<std::size_t>(cur_ - buf_->data()); // after a prefix the caller wrote
        write_u8(detail::format_version);
        write_u8(type.empty() ? 0 : detail::flag_type_name);
        if (!type.empty()) {
            write_varint(type.size());
            write_bytes(type.data(), type.size());
        }
    }
    /// Trims the buffer to what was written and marks out-of-band streams in the header.
    void finish() {
        buf_->resize(static_cast<std::size_t>(cur_ - buf_->data()));
        if (segs_ != nullptr && !segs_->empty()) (*buf_)[header_at_ + 1] |= std::byte{detail::flag_oob};
    }

private:
    /// memcpy, with runs of up to 16 bytes (map keys, short strings) copied inline: a call to the
    /// library's memcpy would cost more than the copy.
    static void copy_bytes(std::byte* to, const std::byte* from, std::size_t n) noexcept {
        if (n >= 8 && n <= 16) { // two overlapping 8-byte moves
            std::memcpy(to, from, 8);
            std::memcpy(to + n - 8, from + n - 8, 8);
        } else if (n >= 4 && n < 8) {
            std::memcpy(to, from, 4);
            std::memcpy(to + n - 4, from + n - 4, 4);
        } else if (n < 4) {
            for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
        } else {
            std::memcpy(to, from, n);
        }
    }
    bool goes_oob(std::size_t bytes) const noexcept {
        return segs_ != nullptr && bytes >= threshold_ && inline_depth_ == 0;
    }
    [[gnu::noinline]] void grow(std::size_t n) {
        std::vector<std::byte>& b = *buf_;
        const std::size_t used = static_cast<std::size_t>(cur_ - b.data());
        if (n > b.max_size() - used)
            detail::throw_usage("mpixx::serialize", MPI_ERR_NO_MEM, "object too large to serialize");
        const std::size_t need = used + n;
        // Geometric steps (few calls), but within the capacity already there no more than twice what is
        // written so far: the zero-filling resize then costs about as much as the writes.
        std::size_t size = std::max(std::max(need, std::min(2 * used, b.max_size())), std::size_t{64});
        if (need <= b.capacity()) size = std::min(size, b.capacity());
        b.resize(size);
        cur_ = b.data() + used;
        end_ = b.data() + b.size();
    }

    std::vector<std::byte>* buf_;
    std::byte* cur_ = nullptr;
    std::byte* end_ = nullptr;
    std::vector<detail::oob_out>* segs_;
    std::size_t threshold_;
    std::size_t header_at_ = 0;
    int inline_depth_ = 0;
};

/// The archive a user `serialize` hook receives when an object is being decoded.
class input_archive {
public:
    static constexpr bool saving() noexcept { return false; }
    static constexpr bool loading() noexcept { return true; }

    /// Decodes into each value in order.
    template <serializable... Ts>
    void operator()(Ts&... values) {
        (detail::load(*this, values), ...);
    }

    // ---- low level, for mpixx's own codecs; every read is bounds-checked ----

    /// Reads `bytes`; out-of-band runs (at most max_oob_bytes in all) are recorded in `segs` when non-null.
    input_archive(std::span<const std::byte> bytes, std::vector<detail::oob_in>* segs,
                  std::size_t max_oob_bytes) noexcept
        : cur_(bytes.data()), end_(bytes.data() + bytes.size()), segs_(segs), oob_budget_(max_oob_bytes),
          empty_count_(bytes.size()), empty_bytes_(detail::max_empty_bytes) {}
    input_archive(const input_archive&) = delete;
    input_archive& operator=(const input_archive&) = delete;

    std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - cur_); }
    /// The read position, to come back to with rewind() after reading ahead (inline bytes only).
    const std::byte* mark() const noexcept { return cur_; }
    void rewind(const std::byte* m) noexcept { cur_ = m; }

    /// The next n bytes (throws MPI_ERR_TRUNCATE when fewer remain).
    const std::byte* read_bytes(std::size_t n) {
        if (remaining() < n) [[unlikely]]
            detail::throw_truncated(n, remaining());
        const std::byte* p = cur_;
        cur_ += n;
        return p;
    }
    std::uint8_t read_u8() { return static_cast<std::uint8_t>(*read_bytes(1)); }
    /// One byte that must be 0 or 1.
    bool read_flag(const char* what) {
        const std::uint8_t b = read_u8();
        if (b > 1) [[unlikely]]
            detail::throw_corrupt(what);
        return b != 0;
    }
    template <class T>
    void read_raw(T& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        std::memcpy(std::addressof(v), read_bytes(sizeof(T)), sizeof(T));
    }
    std::uint64_t read_varint() {
        if (cur_ != end_ && static_cast<std::uint8_t>(*cur_) < 0x80) [[likely]]
            return static_cast<std::uint8_t>(*cur_++);
        return read_varint_slow();
    }

    /// A container length whose elements each take at least MinElement bytes in the stream and
    /// ElemSize bytes in memory; rejects lengths that cannot fit, so a hostile length never causes a
    /// large allocation (at most the stream's bytes times ElemSize, plus max_empty_bytes per decode).
    template <std::size_t MinElement, std::size_t ElemSize = 1>
    std::size_t read_length() {
        const std::uint64_t n = read_varint();
        if constexpr (MinElement != 0) {
            if (n > remaining() / MinElement) [[unlikely]]
                detail::throw_bad_length(n, remaining());
        } else { // elements may be empty: budgets shared by the whole decode
            const std::uint64_t counted = std::min<std::uint64_t>(n, empty_count_);
            const std::uint64_t extra = n - counted; // beyond one stream byte each: charged in memory bytes
            if (extra > empty_bytes_ / std::max<std::size_t>(ElemSize, 1)) [[unlikely]]
                detail::throw_bad_length(n, remaining());
            empty_count_ -= static_cast<std::size_t>(counted);
            empty_bytes_ -= static_cast<std::size_t>(extra) * std::max<std::size_t>(ElemSize, 1);
        }
        return static_cast<std::size_t>(n);
    }

    /// A bulk run header: its element count and, when inline, its bytes (null when out of band).
    struct run {
        std::size_t count;
        const std::byte* data;
    };
    template <std::size_t ElemSize>
    run read_run() {
        const std::uint64_t v = read_varint();
        const std::uint64_t count = v >> 1;
        if ((v & 1) != 0) [[unlikely]]
            return {oob_run(count, ElemSize), nullptr};
        if (count > remaining() / ElemSize) [[unlikely]]
            detail::throw_truncated(detail::sat_mul(static_cast<std::size_t>(count), ElemSize), remaining());
        const std::byte* p = cur_;
        cur_ += count * ElemSize;
        return {static_cast<std::size_t>(count), p};
    }
    /// A fixed-size run (std::array): its bytes when inline, null when out of band.
    const std::byte* read_fixed_run(std::size_t bytes) {
        if (!read_flag("bad inline/out-of-band flag")) [[likely]]
            return read_bytes(bytes);
        oob_run(bytes, 1);
        return nullptr;
    }
    /// Records where an out-of-band run announced by read_run/read_fixed_run must be received.
    void record_oob(void* data, std::size_t bytes) { segs_->push_back({static_cast<std::byte*>(data), bytes}); }

    struct inline_scope {
        explicit inline_scope(input_archive& a) noexcept : ar(a) { ++ar.inline_depth_; }
        ~inline_scope() { --ar.inline_depth_; }
        inline_scope(const inline_scope&) = delete;
        inline_scope& operator=(const inline_scope&) = delete;
        input_archive& ar;
    };

    /// Reads the stream header; `expected` is the receiver's type name, empty to skip the check.
    void read_header(std::string_view expected) {
        if (read_u8() != detail::format_version) detail::throw_corrupt("unknown format version");
        flags_ = read_u8();
        if ((flags_ & ~detail::known_flags) != 0) detail::throw_corrupt("unknown header flags");
        if ((flags_ & detail::flag_oob) != 0 && segs_ == nullptr)
            detail::throw_usage(detail::decode_routine, MPI_ERR_OTHER,
                                "the stream has out-of-band data, which this decode cannot receive");
        if ((flags_ & detail::flag_type_name) != 0) {
            const std::size_t n = read_length<1>();
            const std::byte* p = read_bytes(n);
            const std::string_view sent(reinterpret_cast<const char*>(p), n);
            if (!expected.empty() && sent != expected) detail::throw_type_mismatch(sent, expected);
        }
    }
    /// Checks that the whole stream was consumed and out-of-band use matched the header.
    void finish() const {
        if (cur_ != end_) detail::throw_corrupt("trailing bytes after the object");
        if ((flags_ & detail::flag_oob) != 0 && segs_->empty())
            detail::throw_corrupt("header announces out-of-band data but there is none");
    }

private:
    [[gnu::noinline]] std::uint64_t read_varint_slow() {
        std::uint64_t v = 0;
        for (unsigned shift = 0;; shift += 7) {
            if (cur_ == end_) detail::throw_truncated(1, 0);
            const auto b = static_cast<std::uint8_t>(*cur_++);
            if (shift == 63 && b > 1) detail::throw_corrupt("varint overflows 64 bits");
            v |= std::uint64_t{b & 0x7fu} << shift;
            if ((b & 0x80) == 0) {
                if (b == 0 && shift != 0) detail::throw_corrupt("overlong varint");
                return v;
            }
        }
    }
    /// Validates an out-of-band run of count elements and charges it to the budget.
    [[gnu::noinline]] std::size_t oob_run(std::uint64_t count, std::size_t elem_size) {
        if ((flags_ & detail::flag_oob) == 0) detail::throw_corrupt("out-of-band run in an inline stream");
        if (inline_depth_ != 0) detail::throw_corrupt("out-of-band run inside a map key or set");
        if (count == 0 || count > oob_budget_ / elem_size)
            detail::throw_corrupt("out-of-band run is empty or exceeds the size limit");
        oob_budget_ -= static_cast<std::size_t>(count) * elem_size;
        return static_cast<std::size_t>(count);
    }

    const std::byte* cur_;
    const std::byte* end_;
    std::vector<detail::oob_in>* segs_;
    std::size_t oob_budget_;
    std::size_t empty_count_;
    std::size_t empty_bytes_;
    std::uint8_t flags_ = 0;
    int inline_depth_ = 0;
};

} // namespace mpixx
