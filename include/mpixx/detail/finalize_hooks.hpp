// mpixx/detail/finalize_hooks.hpp - run clean-ups (freeing cached datatypes, ops) at MPI_Finalize.
//
// MPI deletes the attributes of MPI_COMM_SELF first thing in MPI_Finalize, while MPI is still usable;
// a delete callback there frees what mpixx cached, even when the application, not mpixx, finalizes MPI.
#pragma once

#include <mpixx/error.hpp>

#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

struct finalize_registry {
    std::mutex mutex;
    std::vector<std::function<void()>> hooks;
    bool attached = false;

    static finalize_registry& instance() {
        static finalize_registry r;
        return r;
    }

    static int on_delete(MPI_Comm, int keyval, void*, void*) {
        auto& r = instance();
        std::vector<std::function<void()>> hooks;
        {
            std::lock_guard lock(r.mutex);
            hooks.swap(r.hooks);
            r.attached = false;
        }
        for (auto it = hooks.rbegin(); it != hooks.rend(); ++it) (*it)();
        MPI_Comm_free_keyval(&keyval);
        return MPI_SUCCESS;
    }
};

/// Runs `hook` at the start of MPI_Finalize (in reverse order of registration). Throws (and keeps
/// nothing) when it cannot be registered: the caller still owns what the hook would have freed.
inline void at_finalize(std::function<void()> hook) {
    auto& r = finalize_registry::instance();
    std::lock_guard lock(r.mutex);
    if (!r.attached) {
        int keyval = MPI_KEYVAL_INVALID;
        MPIXX_CALL(MPI_Comm_create_keyval, MPI_COMM_NULL_COPY_FN, &finalize_registry::on_delete, &keyval, nullptr);
        if (const int rc = MPI_Comm_set_attr(MPI_COMM_SELF, keyval, nullptr); rc != MPI_SUCCESS) {
            MPI_Comm_free_keyval(&keyval);
            check(rc, "MPI_Comm_set_attr");
        }
        r.attached = true;
    }
    r.hooks.push_back(std::move(hook));
}

} // namespace mpixx::detail
