// mpixx/detail/type_fingerprint.hpp - the name a type-checked stream carries: built from the type's
// structure, so that ranks built with g++ and with clang++ agree on it.
//
// Compilers spell types differently (g++ "std::__cxx11::list<int>", "long int", "{anonymous}::x", "> >";
// clang++ "std::list<int>", "long", "(anonymous namespace)::x", ">>"). The fingerprint never uses a
// compiler's spelling of a standard type: it composes one from what the serializer sees (family of the
// type, element and field types, sizes), e.g. "std::vector<std::map<std::string, double>>",
// "std::int64_t" for both long and long long. Only user classes and enums are named as the compiler
// names them (their name is their identity), after normalising the known spelling differences;
// reflected aggregates also list their fields ("geo::point{double, double}"), so a field added on one
// side is a mismatch. Built once per type (function-local static), and only in type-checked builds.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/serialize_impl.hpp>

#include <string>
#include <string_view>
#include <type_traits>

namespace mpixx::inline MPIXX_ABI::detail {

/// A compiler's spelling of a user type, with g++'s and clang++'s known differences made one.
inline std::string normalise_type_spelling(std::string_view compiler_name) {
    std::string s(compiler_name);
    auto replace_all = [&s](std::string_view from, std::string_view to) {
        for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
            s.replace(at, from.size(), to);
    };
    replace_all("std::__cxx11::", "std::");
    replace_all("std::__1::", "std::"); // libc++
    replace_all("{anonymous}", "(anonymous namespace)");
    replace_all("> >", ">>"); // twice: "> > >" leaves one
    replace_all("> >", ">>");
    replace_all(" [", "[");
    // g++ spells integer types the long way (longest first: each is contained in the next ones).
    replace_all("long long unsigned int", "unsigned long long");
    replace_all("long long int", "long long");
    replace_all("long unsigned int", "unsigned long");
    replace_all("short unsigned int", "unsigned short");
    replace_all("long int", "long");
    replace_all("short int", "short");
    replace_all(", std::char_traits<char>, std::allocator<char>>", ">");
    replace_all("std::basic_string<char>", "std::string");
    return s;
}

template <class T>
const std::string& type_fingerprint();

/// The fingerprint of an integer or floating-point type: by size and signedness, not by spelling.
template <class T>
std::string arithmetic_fingerprint() {
    if constexpr (std::is_same_v<T, char>) return "char";
    else if constexpr (std::is_same_v<T, wchar_t>) return "wchar_t";
    else if constexpr (std::is_same_v<T, char8_t>) return "char8_t";
    else if constexpr (std::is_same_v<T, char16_t>) return "char16_t";
    else if constexpr (std::is_same_v<T, char32_t>) return "char32_t";
    else if constexpr (std::is_floating_point_v<T>)
        return sizeof(T) == sizeof(float) ? "float" : sizeof(T) == sizeof(double) ? "double" : "long double";
    else if constexpr (sizeof(T) == 4) return std::is_signed_v<T> ? "int" : "unsigned";
    else if constexpr (sizeof(T) == 2) return std::is_signed_v<T> ? "short" : "unsigned short";
    else if constexpr (sizeof(T) == 1) return std::is_signed_v<T> ? "signed char" : "unsigned char";
    else return (std::is_signed_v<T> ? "std::int" : "std::uint") + std::to_string(8 * sizeof(T)) + "_t";
}

/// "prefix<A, B, ...>" from the fingerprints of the types.
template <class... A>
std::string composed_fingerprint(std::string_view prefix) {
    std::string s(prefix);
    s += '<';
    bool first = true;
    ((s += first ? "" : ", ", s += type_fingerprint<std::remove_cv_t<A>>(), first = false), ...);
    s += '>';
    return s;
}

/// The template's standard name (the containers and wrappers the serializer knows).
template <class T>
constexpr std::string_view std_template_name() {
    constexpr family f = family_of<T>();
    constexpr bool hashed = hashed_container<T>;
    if constexpr (is_instance_of<T, std::vector>) return "std::vector";
    // Containers recognised by shape (serialize_impl.hpp) are named after their standard counterpart.
    else if constexpr (f == family::sequence && requires(T& c) { c[0]; }) return "std::deque";
    else if constexpr (f == family::sequence && requires(T& c) { c.size(); }) return "std::list";
    else if constexpr (f == family::sequence) return "std::forward_list";
    else if constexpr (f == family::unique_set) return hashed ? "std::unordered_set" : "std::set";
    else if constexpr (f == family::multi_set) return hashed ? "std::unordered_multiset" : "std::multiset";
    else if constexpr (f == family::unique_map) return hashed ? "std::unordered_map" : "std::map";
    else if constexpr (f == family::multi_map) return hashed ? "std::unordered_multimap" : "std::multimap";
    else if constexpr (is_instance_of<T, std::pair>) return "std::pair";
    else if constexpr (is_instance_of<T, std::tuple>) return "std::tuple";
    else if constexpr (is_instance_of<T, std::optional>) return "std::optional";
    else return "std::variant";
}

template <class T>
std::string make_fingerprint() {
    constexpr family f = family_of<T>();
    if constexpr (std::is_same_v<T, bool>) {
        return "bool";
    } else if constexpr (std::is_enum_v<T> || f == family::member_hook || f == family::free_hook) {
        return normalise_type_spelling(type_name<T>()); // a user type: its name is its identity
    } else if constexpr (complex_type<T>) {
        return composed_fingerprint<typename T::value_type>("std::complex");
    } else if constexpr (std::is_arithmetic_v<T>) {
        return arithmetic_fingerprint<T>();
    } else if constexpr (f == family::empty) {
        return std::is_null_pointer_v<T> ? "std::nullptr_t" : "std::monostate";
    } else if constexpr (f == family::string) {
        using C = typename T::value_type;
        return std::is_same_v<C, char> ? std::string("std::string") : composed_fingerprint<C>("std::basic_string");
    } else if constexpr (f == family::bool_vector) {
        return "std::vector<bool>";
    } else if constexpr (f == family::fixed_array) {
        const std::string n = std::to_string(array_extent<T>);
        if constexpr (is_std_array<T>) return "std::array<" + type_fingerprint<array_element_t<T>>() + ", " + n + ">";
        else return type_fingerprint<array_element_t<T>>() + "[" + n + "]";
    } else if constexpr (f == family::vector || f == family::sequence || f == family::unique_set ||
                         f == family::multi_set) {
        return composed_fingerprint<typename T::value_type>(std_template_name<T>());
    } else if constexpr (f == family::unique_map || f == family::multi_map) {
        return composed_fingerprint<typename T::key_type, typename T::mapped_type>(std_template_name<T>());
    } else if constexpr (f == family::product || f == family::variant || f == family::optional) {
        return []<template <class...> class Tmpl, class... E>(std::type_identity<Tmpl<E...>>) {
            return composed_fingerprint<E...>(std_template_name<T>());
        }(std::type_identity<T>{});
    } else if constexpr (f == family::aggregate) {
        using fields = decltype(tie_fields(std::declval<T&>()));
        return []<class... R>(std::type_identity<std::tuple<R...>>) {
            std::string s = normalise_type_spelling(type_name<T>()) + "{";
            bool first = true;
            ((s += first ? "" : ", ", s += type_fingerprint<std::remove_cvref_t<R>>(), first = false), ...);
            return s + "}";
        }(std::type_identity<fields>{});
    } else {
        return normalise_type_spelling(type_name<T>());
    }
}

/// The fingerprint of T (see the top of this header), built on first use.
template <class T>
const std::string& type_fingerprint() {
    static const std::string name = make_fingerprint<T>();
    return name;
}

/// What a stream header names: T's fingerprint when `with_name`, nothing otherwise.
template <class T>
std::string_view header_name(bool with_name) {
    return with_name ? std::string_view(type_fingerprint<T>()) : std::string_view{};
}

} // namespace mpixx::detail
