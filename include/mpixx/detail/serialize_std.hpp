// mpixx/detail/serialize_std.hpp - the encoding of each type family (see family in serialize_impl.hpp):
// detail::save writes a value, detail::load overwrites an existing value in place, reusing its storage.
//
// Loads construct elements where they will live (resize then fill, emplace then fill) so that the
// destinations recorded for out-of-band runs stay valid; map keys and set elements, which must be built
// before insertion, are kept inline (inline_scope) on both sides.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/serialize_impl.hpp>

namespace mpixx::inline MPIXX_ABI::detail {

template <class T>
inline constexpr bool dependent_false = false;

/// How many steps from `first` to `last` (std::distance, without <iterator>).
template <class It>
std::size_t count_between(It first, It last) {
    std::size_t n = 0;
    for (; first != last; ++first) ++n;
    return n;
}

template <class T>
void save(output_archive& ar, const T& v) {
    constexpr family f = family_of<T>();
    if constexpr (f == family::scalar) {
        ar.write_raw(v);
    } else if constexpr (f == family::boolean) {
        ar.write_u8(static_cast<bool>(v) ? 1 : 0);
    } else if constexpr (f == family::empty) {
    } else if constexpr (f == family::string) {
        ar.write_run(v.data(), v.size(), sizeof(typename T::value_type));
    } else if constexpr (f == family::bool_vector) {
        ar.write_varint(v.size());
        std::byte* p = ar.reserve(v.size());
        for (const bool b : v) *p++ = std::byte{b};
        ar.commit(p);
    } else if constexpr (f == family::vector) {
        using E = typename T::value_type;
        if constexpr (bulk_v<E>) {
            ar.write_run(v.data(), v.size(), sizeof(E));
        } else {
            ar.write_varint(v.size());
            for (const E& e : v) detail::save(ar, e);
        }
    } else if constexpr (f == family::fixed_array) {
        using E = array_element_t<T>;
        if constexpr (bulk_v<E>) {
            ar.write_fixed_run(std::data(v), array_extent<T> * sizeof(E));
        } else {
            for (const E& e : v) detail::save(ar, e);
        }
    } else if constexpr (f == family::sequence) {
        ar.write_varint(detail::count_between(v.begin(), v.end())); // forward_list has no size()
        for (const auto& e : v) detail::save(ar, e);
    } else if constexpr (f == family::unique_map || f == family::multi_map) {
        ar.write_varint(v.size());
        for (const auto& [key, mapped] : v) {
            {
                output_archive::inline_scope keys_inline(ar);
                detail::save(ar, key);
            }
            detail::save(ar, mapped);
        }
    } else if constexpr (f == family::unique_set || f == family::multi_set) {
        ar.write_varint(v.size());
        output_archive::inline_scope keys_inline(ar);
        for (const auto& e : v) detail::save(ar, e);
    } else if constexpr (f == family::product) {
        std::apply([&ar](const auto&... e) { (detail::save(ar, e), ...); }, v);
    } else if constexpr (f == family::optional) {
        ar.write_u8(v.has_value() ? 1 : 0);
        if (v) detail::save(ar, *v);
    } else if constexpr (f == family::variant) {
        if (v.valueless_by_exception())
            throw_usage("mpixx::serialize", MPI_ERR_ARG, "cannot serialize a valueless std::variant");
        ar.write_varint(v.index());
        std::visit([&ar](const auto& alt) { detail::save(ar, alt); }, v);
    } else if constexpr (f == family::member_hook) {
        const_cast<T&>(v).serialize(ar); // the hook is shared with loading, hence non-const; it only reads here
    } else if constexpr (f == family::free_hook) {
        adl::call_free_hook(ar, const_cast<T&>(v));
    } else if constexpr (f == family::aggregate) {
        if constexpr (bulk_v<T>)
            ar.write_raw(v);
        else
            std::apply([&ar](const auto&... field) { (detail::save(ar, field), ...); }, tie_fields(v));
    } else {
        static_assert(dependent_false<T>, "mpixx: this type is not serializable");
    }
}

/// Loads a run of bulk elements into contiguous storage that already holds `count` elements.
template <class E>
void load_run_into(input_archive& ar, const input_archive::run& r, E* dest) {
    const std::size_t bytes = r.count * sizeof(E);
    if (r.data == nullptr)
        ar.record_oob(dest, bytes);
    else if (bytes != 0)
        std::memcpy(dest, r.data, bytes);
}

/// Variant alternative I: reuse it when already active, else default-construct it; then load it.
template <std::size_t I, class V>
void load_alternative(input_archive& ar, V& v) {
    if (v.index() != I) v.template emplace<I>();
    detail::load(ar, *std::get_if<I>(&v));
}

template <class T>
inline constexpr bool is_narrow_string = false;
template <class Tr, class A>
inline constexpr bool is_narrow_string<std::basic_string<char, Tr, A>> = true;
template <class Tr, class A>
inline constexpr bool is_narrow_string<std::basic_string<unsigned char, Tr, A>> = true;

/// Decodes a key and builds a new node for it at the end of `v` (keys are always inline). Narrow string
/// keys are constructed straight from the stream bytes; others are decoded into `scratch` and moved.
template <class T, class K>
typename T::iterator emplace_decoded_key(input_archive& ar, T& v, K& scratch) {
    constexpr bool is_map = requires { typename T::mapped_type; };
    const auto emplace = [&v](auto&&... key_args) {
        if constexpr (is_map)
            return v.emplace_hint(v.end(), std::piecewise_construct,
                                  std::forward_as_tuple(std::forward<decltype(key_args)>(key_args)...),
                                  std::forward_as_tuple());
        else
            return v.emplace_hint(v.end(), std::forward<decltype(key_args)>(key_args)...);
    };
    input_archive::inline_scope keys_inline(ar);
    if constexpr (is_narrow_string<K>) {
        const input_archive::run r = ar.read_run<1>(); // never out of band here: inline_scope rejects it
        return emplace(reinterpret_cast<const typename K::value_type*>(r.data), r.count);
    } else {
        detail::load(ar, scratch);
        return emplace(std::move(scratch));
    }
}

/// Whether the next key in the stream equals `key`; reads it when it does, else leaves the stream
/// where it was. Narrow strings are compared on the stream bytes, other keys decoded into `scratch`.
template <class K>
bool next_key_equals(input_archive& ar, const K& key, K& scratch) {
    const std::byte* const start = ar.mark();
    input_archive::inline_scope keys_inline(ar);
    bool same;
    if constexpr (is_narrow_string<K>) {
        const input_archive::run r = ar.read_run<1>();
        using C = typename K::value_type;
        same = std::basic_string_view<C, typename K::traits_type>(reinterpret_cast<const C*>(r.data), r.count) ==
               key;
    } else {
        detail::load(ar, scratch);
        same = scratch == key;
    }
    if (!same) ar.rewind(start);
    return same;
}

/// Maps and sets: entries whose keys repeat the existing ones in order keep their nodes, values loaded
/// in place (the steady state of a loop receiving into one object); after the first difference the
/// remaining old nodes are recycled (key and value overwritten) and new nodes built from the stream.
/// Unique containers reject duplicate keys.
template <class T>
void load_associative(input_archive& ar, T& v) {
    constexpr family f = family_of<T>();
    constexpr bool is_map = f == family::unique_map || f == family::multi_map;
    constexpr bool unique = f == family::unique_map || f == family::unique_set;
    using K = typename T::key_type;
    constexpr std::size_t min_entry = [] {
        if constexpr (is_map)
            return sat_add(min_size_v<K>, min_size_v<typename T::mapped_type>);
        else
            return min_size_v<K>;
    }();
    const std::size_t n = ar.read_length<min_entry, sizeof(typename T::value_type) + 4 * sizeof(void*)>(); // a node
    K scratch{};
    std::size_t i = 0;
    auto it = v.begin();
    if constexpr (std::equality_comparable<K>) {
        for (; i < n && it != v.end(); ++it, ++i) {
            if constexpr (is_map) {
                if (!detail::next_key_equals(ar, it->first, scratch)) break;
                detail::load(ar, it->second);
            } else {
                if (!detail::next_key_equals(ar, *it, scratch)) break;
            }
        }
    }
    // Nodes past the matched prefix are recycled; a vector of handles keeps the container's comparator
    // and hash out of it (a default-constructed one may not be usable).
    std::vector<typename T::node_type> old;
    if (i < n && it != v.end()) {
        old.reserve(detail::count_between(it, v.end()));
        while (it != v.end()) old.push_back(v.extract(it++));
    } else {
        v.erase(it, v.end()); // the stream holds fewer entries: drop the rest
    }
    if constexpr (hashed_container<T>) v.reserve(n);
    std::size_t next_old = 0;
    for (; i < n; ++i) {
        typename T::iterator at;
        const std::size_t before = v.size();
        if (next_old < old.size()) {
            auto& node = old[next_old++];
            {
                input_archive::inline_scope keys_inline(ar);
                if constexpr (is_map)
                    detail::load(ar, node.key());
                else
                    detail::load(ar, node.value());
            }
            at = v.insert(v.end(), std::move(node));
        } else {
            at = detail::emplace_decoded_key(ar, v, scratch);
        }
        if (unique && v.size() == before) throw_corrupt("duplicate key in a map or set");
        if constexpr (is_map) detail::load(ar, at->second);
    }
}

template <class T>
void load(input_archive& ar, T& v) {
    constexpr family f = family_of<T>();
    if constexpr (f == family::scalar) {
        ar.read_raw(v);
    } else if constexpr (f == family::boolean) {
        v = static_cast<T>(ar.read_flag("bool byte is neither 0 nor 1"));
    } else if constexpr (f == family::empty) {
    } else if constexpr (f == family::string) {
        using C = typename T::value_type;
        const input_archive::run r = ar.read_run<sizeof(C)>();
        if constexpr (is_narrow_string<T>) {
            if (r.data != nullptr) { // the common case: one assign, reusing capacity
                v.assign(reinterpret_cast<const C*>(r.data), r.count);
                return;
            }
        }
        v.resize(r.count);
        load_run_into(ar, r, v.data());
    } else if constexpr (f == family::bool_vector) {
        const std::size_t n = ar.read_length<1>();
        const std::byte* p = ar.read_bytes(n);
        v.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            const auto b = static_cast<std::uint8_t>(p[i]);
            if (b > 1) throw_corrupt("bool byte is neither 0 nor 1");
            v[i] = b != 0;
        }
    } else if constexpr (f == family::vector) {
        using E = typename T::value_type;
        if constexpr (bulk_v<E>) {
            const input_archive::run r = ar.read_run<sizeof(E)>();
            v.resize(r.count);
            load_run_into(ar, r, v.data());
        } else {
            v.resize(ar.read_length<min_size_v<E>, sizeof(E)>());
            for (E& e : v) detail::load(ar, e);
        }
    } else if constexpr (f == family::fixed_array) {
        using E = array_element_t<T>;
        if constexpr (bulk_v<E>) {
            constexpr std::size_t bytes = array_extent<T> * sizeof(E);
            const std::byte* p = ar.read_fixed_run(bytes);
            if (p == nullptr)
                ar.record_oob(std::data(v), bytes);
            else if constexpr (bytes != 0)
                std::memcpy(std::data(v), p, bytes);
        } else {
            for (E& e : v) detail::load(ar, e);
        }
    } else if constexpr (f == family::sequence) {
        v.resize(ar.read_length<min_size_v<typename T::value_type>, sizeof(typename T::value_type) + 2 * sizeof(void*)>());
        for (auto& e : v) detail::load(ar, e);
    } else if constexpr (f == family::unique_map || f == family::multi_map || f == family::unique_set ||
                         f == family::multi_set) {
        detail::load_associative(ar, v);
    } else if constexpr (f == family::product) {
        std::apply([&ar](auto&... e) { (detail::load(ar, e), ...); }, v);
    } else if constexpr (f == family::optional) {
        if (ar.read_flag("optional flag is neither 0 nor 1")) {
            if (!v) v.emplace();
            detail::load(ar, *v);
        } else {
            v.reset();
        }
    } else if constexpr (f == family::variant) {
        const std::uint64_t index = ar.read_varint();
        if (index >= std::variant_size_v<T>) throw_corrupt("variant index out of range");
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((index == I ? detail::load_alternative<I>(ar, v) : void()), ...);
        }(std::make_index_sequence<std::variant_size_v<T>>{});
    } else if constexpr (f == family::member_hook) {
        v.serialize(ar);
    } else if constexpr (f == family::free_hook) {
        adl::call_free_hook(ar, v);
    } else if constexpr (f == family::aggregate) {
        if constexpr (bulk_v<T>)
            ar.read_raw(v);
        else
            std::apply([&ar](auto&... field) { (detail::load(ar, field), ...); }, tie_fields(v));
    } else {
        static_assert(dependent_false<T>, "mpixx: this type is not serializable");
    }
}

} // namespace mpixx::detail
