// mpixx/info.hpp - mpixx::info, a small value type of (key, value) hints (MPI_Info).
//
//   mpixx::info hints{{"cb_nodes", "2"}, {"romio_cb_write", "enable"}};
//   mpixx::file f(comm, "out.dat", mpixx::file_mode::write | mpixx::file_mode::create, hints);
//   hints.set("striping_factor", "4");  std::optional<std::string> v = hints.get("cb_nodes");
//
// Copies share one MPI_Info, freed (MPI_Info_free) with the last copy; a copy that is modified first
// duplicates it (copy on write, MPI_Info_dup), so info behaves as a value. A default info is MPI_INFO_NULL
// (no hints): passing it costs nothing. Accepted by file open and set_view, communicator::dup and
// split_shared, and window creation.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/error.hpp>
#include <mpixx/detail/owner.hpp>

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

/// (key, value) hints for MPI (MPI_Info). A value type: copies share the handle until one is modified.
class info {
public:
    /// No hints (MPI_INFO_NULL).
    info() = default;

    /// Shares the handle (until either is modified).
    info(const info&) = default;
    /// Shares the handle (until either is modified).
    info& operator=(const info&) = default;
    /// Moving leaves an empty info behind.
    info(info&& o) noexcept : handle_(std::exchange(o.handle_, MPI_INFO_NULL)), owner_(std::move(o.owner_)) {}
    /// Moving leaves an empty info behind.
    info& operator=(info&& o) noexcept {
        if (this != &o) {
            handle_ = std::exchange(o.handle_, MPI_INFO_NULL);
            owner_ = std::move(o.owner_);
        }
        return *this;
    }
    /// Frees the handle with the last copy.
    ~info() = default;

    /// Hints from (key, value) pairs, e.g. info{{"cb_nodes", "2"}, {"striping_unit", "1048576"}}.
    info(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
        for (const auto& [k, v] : pairs) set(k, v);
    }

    /// Takes ownership of a handle (freed with the last copy); MPI_INFO_NULL gives an empty info.
    [[nodiscard]] static info adopt(MPI_Info handle) {
        info i;
        if (handle != MPI_INFO_NULL) i.reset(handle);
        return i;
    }

    /// Sets `key` to `value` (MPI_Info_set). Keys have 1 to MPI_MAX_INFO_KEY - 1 characters, values 1 to
    /// MPI_MAX_INFO_VAL - 1, neither contains a NUL (MPI_ERR_INFO_KEY / MPI_ERR_INFO_VALUE otherwise, on
    /// every MPI: Open MPI refuses empty values and strings of the maximum length, MPICH accepts them).
    info& set(std::string_view key, std::string_view value) {
        check_key(key, "mpixx::info::set");
        if (value.empty() || value.size() >= static_cast<std::size_t>(MPI_MAX_INFO_VAL)) [[unlikely]]
            detail::throw_usage("mpixx::info::set", MPI_ERR_INFO_VALUE,
                                "the value of key \"" + std::string(key) + "\" has " + std::to_string(value.size()) +
                                    " characters; values have 1 to MPI_MAX_INFO_VAL - 1 (" +
                                    std::to_string(MPI_MAX_INFO_VAL - 1) + ")");
        // MPI takes C strings: a NUL would silently cut the value short.
        if (value.find('\0') != std::string_view::npos) [[unlikely]]
            detail::throw_usage("mpixx::info::set", MPI_ERR_INFO_VALUE,
                                "the value of key \"" + std::string(key) + "\" contains a NUL character");
        make_unique();
        const std::string k(key), v(value); // MPI wants NUL-terminated strings
        MPIXX_CALL(MPI_Info_set, handle_, k.c_str(), v.c_str());
        return *this;
    }

    /// The value of `key`, or nothing when it is not set.
    [[nodiscard]] std::optional<std::string> get(std::string_view key) const {
        check_key(key, "mpixx::info::get");
        if (handle_ == MPI_INFO_NULL) return std::nullopt;
        const std::string k(key);
        int len = 0, found = 0;
#if MPI_VERSION >= 4
        char probe[1] = "";
        int buflen = 1; // learns the length (MPI_Info_get_string: it includes the NUL)
        MPIXX_CALL(MPI_Info_get_string, handle_, k.c_str(), &buflen, probe, &found);
        if (!found) return std::nullopt;
        std::string value(static_cast<std::size_t>(buflen), '\0');
        len = buflen;
        MPIXX_CALL(MPI_Info_get_string, handle_, k.c_str(), &len, value.data(), &found);
        value.resize(static_cast<std::size_t>(buflen > 0 ? buflen - 1 : 0));
#else
        MPIXX_CALL(MPI_Info_get_valuelen, handle_, k.c_str(), &len, &found);
        if (!found) return std::nullopt;
        std::string value(static_cast<std::size_t>(len) + 1, '\0');
        MPIXX_CALL(MPI_Info_get, handle_, k.c_str(), len, value.data(), &found);
        value.resize(static_cast<std::size_t>(len));
#endif
        return value;
    }

    /// Whether `key` is set.
    [[nodiscard]] bool contains(std::string_view key) const { return get(key).has_value(); }

    /// Removes `key` (MPI_Info_delete); false when it was not set.
    bool erase(std::string_view key) {
        check_key(key, "mpixx::info::erase");
        if (!contains(key)) return false;
        make_unique();
        const std::string k(key);
        MPIXX_CALL(MPI_Info_delete, handle_, k.c_str());
        return true;
    }

    /// Number of keys set (MPI_Info_get_nkeys).
    [[nodiscard]] std::size_t size() const {
        if (handle_ == MPI_INFO_NULL) return 0;
        int n = 0;
        MPIXX_CALL(MPI_Info_get_nkeys, handle_, &n);
        return static_cast<std::size_t>(n);
    }
    /// Whether no key is set.
    [[nodiscard]] bool empty() const { return size() == 0; }

    /// The keys, in MPI's order (MPI_Info_get_nthkey).
    [[nodiscard]] std::vector<std::string> keys() const {
        std::vector<std::string> out;
        const std::size_t n = size();
        out.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            char key[MPI_MAX_INFO_KEY + 1] = "";
            MPIXX_CALL(MPI_Info_get_nthkey, handle_, static_cast<int>(i), key);
            out.emplace_back(key);
        }
        return out;
    }

    /// The handle to pass to MPI (MPI_INFO_NULL when empty and never set); owned by this info.
    [[nodiscard]] MPI_Info native() const noexcept { return handle_; }

    /// Whether both share one handle (or both are null).
    friend bool operator==(const info& a, const info& b) noexcept { return a.handle_ == b.handle_; }

private:
    static void check_key(std::string_view key, const char* routine) {
        if (key.empty() || key.size() >= static_cast<std::size_t>(MPI_MAX_INFO_KEY)) [[unlikely]]
            detail::throw_usage(routine, MPI_ERR_INFO_KEY,
                                "info key \"" + std::string(key) + "\" has " + std::to_string(key.size()) +
                                    " characters; keys have 1 to MPI_MAX_INFO_KEY - 1 (" +
                                    std::to_string(MPI_MAX_INFO_KEY - 1) + ")");
        // MPI takes C strings: "a\0b" would silently name key "a".
        if (key.find('\0') != std::string_view::npos) [[unlikely]]
            detail::throw_usage(routine, MPI_ERR_INFO_KEY, "info key contains a NUL character");
    }

    static void free_info(MPI_Info h) noexcept {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Info_free(&h);
    }

    void reset(MPI_Info h) {
        try {
            owner_ = detail::on_last_copy([h]() { free_info(h); });
        } catch (...) {
            free_info(h);
            throw;
        }
        handle_ = h;
    }

    /// Makes this the only owner of a handle before modifying it (creating or duplicating one).
    void make_unique() {
        if (handle_ != MPI_INFO_NULL && owner_.use_count() == 1) return;
        MPI_Info h = MPI_INFO_NULL;
        if (handle_ == MPI_INFO_NULL) MPIXX_CALL(MPI_Info_create, &h);
        else MPIXX_CALL(MPI_Info_dup, handle_, &h);
        reset(h);
    }

    MPI_Info handle_ = MPI_INFO_NULL;
    detail::rc<void> owner_; // frees handle_ with the last copy
};

} // namespace mpixx
