// mpixx/serialize.hpp - compact binary serialization of C++ objects, for messaging objects over MPI.
//
//   std::vector<std::byte> bytes = mpixx::serialize(value);
//   auto copy = mpixx::deserialize<T>(bytes);      // or mpixx::deserialize_into(bytes, existing)
//
// Supported (nested to any depth), see mpixx::serializable<T>:
//   arithmetic types, enums, std::byte, std::complex, std::string (any basic_string), std::vector,
//   std::array (use it instead of C arrays in aggregates), C arrays, std::deque, std::list,
//   std::forward_list, std::map, std::multimap, std::unordered_map, std::unordered_multimap, std::set,
//   std::multiset, std::unordered_set, std::unordered_multiset, std::pair, std::tuple, std::optional,
//   std::variant, std::monostate, std::nullptr_t; plain aggregates (reflected automatically, up to 16
//   fields, no C-array members); and user classes with ONE hook used both to save and to load:
//
//     struct particle {
//         template <class Archive> void serialize(Archive& ar) { ar(pos, mass, tags); }
//         ...
//     };
//     // or, found by ADL:  template <class Archive> void serialize(Archive& ar, particle& p);
//
//   `ar.saving()` / `ar.loading()` are static constexpr, for hooks that need asymmetry; inside
//   `if constexpr` spell them `Archive::loading()` (clang rejects `ar.` there before C++23).
// Every serializable type must be default-constructible (decoding builds elements, then fills them).
// Raw pointers, references, unions and classes without a hook are not serializable. Recursive types
// (a struct holding a vector of itself) need a hook. Enums without a fixed underlying type travel as
// raw bytes: the value is not validated against the enumerators.
//
// Stream format (homogeneous clusters: native byte order and layout; lengths are unsigned LEB128 varints):
//   header   : u8 version (1), u8 flags (bit 0: type name follows, bit 1: out-of-band runs exist),
//              [varint n, n bytes: the sender's type name]
//   scalars  : raw sizeof(T) bytes; bool and optional flags: one byte 0/1 (anything else is corrupt)
//   bulk runs: (vector/basic_string of bulk elements) varint (count << 1 | oob), then count * sizeof(E)
//              bytes when inline; std::array of bulk: u8 oob flag, then the bytes when inline
//   others   : containers: varint count + elements; map: count + (key, value)...; optional: flag + value;
//              variant: varint index + alternative; pair/tuple/aggregate/hook: members in order
//   Bulk = arithmetic except bool, enums, std::byte, std::complex, std::array of bulk, and trivially
//   copyable aggregates of bulk fields: runs of them are one memcpy. Runs of >= a threshold may travel
//   out of band (detail::encode_into), never inside map keys or sets.
//   The stream must be consumed exactly (trailing bytes are corrupt). Maps and sets reject duplicate
//   keys as corrupt (multimaps and multisets keep them, in order). Over MPI, a stream with out-of-band
//   runs is followed by a table of their sizes (detail/object_protocol.hpp): not part of the stream.
//
// Type checking (MPIXX_TYPE_CHECK=1, the default unless NDEBUG; define it the same in every TU): the
// encoder embeds detail::type_fingerprint<T>() and a checking decoder compares it (a stream without one is
// accepted; a decoder without checking skips it). So units and ranks built with different values still
// read each other's streams. Fingerprints are built from the type's structure (detail/type_fingerprint.hpp),
// so ranks built with g++ and with clang++ agree ("std::vector<std::int64_t>", "geo::point{double, double}").
//
// Decoding never reads outside the given bytes; a bad stream throws mpixx::error from
// "mpixx::deserialize" with MPI_ERR_TRUNCATE (ran out of bytes), MPI_ERR_OTHER (corrupt) or MPI_ERR_TYPE
// (type names differ). On failure the destination is valid but unspecified. No length is taken on
// trust: a container allocates at most what the remaining bytes can hold (elements that may encode to
// nothing: one per stream byte plus 1 MiB in all), out-of-band runs at most the caller's budget.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/serialize_impl.hpp>
#include <mpixx/detail/serialize_std.hpp>
#include <mpixx/detail/type_fingerprint.hpp>

namespace mpixx::inline MPIXX_ABI {

/// Encodes `value` into a new byte buffer (everything inline).
template <serializable T>
[[nodiscard]] std::vector<std::byte> serialize(const T& value) {
    std::vector<std::byte> bytes;
    output_archive ar(bytes, nullptr, detail::never_oob);
    ar.write_header(detail::header_name<T>(detail::type_check_enabled));
    detail::save(ar, value);
    ar.finish();
    return bytes;
}

/// Decodes `bytes` into `out`, reusing its storage (a vector of the right size is not reallocated).
template <serializable T>
void deserialize_into(std::span<const std::byte> bytes, T& out) {
    input_archive ar(bytes, nullptr, 0);
    ar.read_header(detail::header_name<T>(detail::type_check_enabled));
    detail::load(ar, out);
    ar.finish();
}

/// Decodes `bytes` into a new T.
template <serializable T>
    requires(!std::is_array_v<T>)
[[nodiscard]] T deserialize(std::span<const std::byte> bytes) {
    T out{};
    mpixx::deserialize_into(bytes, out);
    return out;
}

namespace detail {

/// A stream plus the out-of-band runs left out of it (pointing into the encoded object).
struct encoded {
    std::vector<std::byte> bytes;
    std::vector<oob_out> segments;
};

/// Encodes `value` into `bytes` (cleared; its capacity is reused, so repeated encodes stop allocating).
/// Bulk runs of >= oob_threshold bytes are not copied: they are appended to `segments` (cleared first)
/// and must be sent separately, in order, while `value` is alive and unchanged. The stream starts after
/// `prefix` bytes left for the caller (the MPI layer's frame; their content is unspecified).
template <serializable T>
void encode_into(std::vector<std::byte>& bytes, std::vector<oob_out>& segments, const T& value,
                 std::size_t oob_threshold = default_oob_threshold, bool with_type_name = type_check_enabled,
                 std::size_t prefix = 0) {
    segments.clear();
    output_archive ar(bytes, &segments, oob_threshold);
    if (prefix != 0) ar.commit(ar.reserve(prefix) + prefix);
    ar.write_header(header_name<T>(with_type_name));
    detail::save(ar, value);
    ar.finish();
}

template <serializable T>
[[nodiscard]] encoded encode(const T& value, std::size_t oob_threshold = default_oob_threshold,
                             bool with_type_name = type_check_enabled) {
    encoded e;
    detail::encode_into(e.bytes, e.segments, value, oob_threshold, with_type_name);
    return e;
}

/// Decodes `bytes` into `out` (storage reused). Each out-of-band run gets its destination sized and
/// appended to `segments` (cleared first), in stream order: receive exactly `bytes` bytes into each.
/// Out-of-band runs may total at most `max_oob_bytes` (the caller knows the real sizes). The
/// destinations stay valid until `out` is next modified. `check_type` compares a type name the stream
/// carries with T's (a stream without one, or a decoder without checking, skips the check).
template <serializable T>
void decode_into(std::span<const std::byte> bytes, T& out, std::vector<oob_in>& segments,
                 std::size_t max_oob_bytes = std::numeric_limits<std::size_t>::max(),
                 bool check_type = type_check_enabled) {
    segments.clear();
    input_archive ar(bytes, &segments, max_oob_bytes);
    ar.read_header(header_name<T>(check_type));
    detail::load(ar, out);
    ar.finish();
}

} // namespace detail
} // namespace mpixx
