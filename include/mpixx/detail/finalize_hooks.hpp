// mpixx/detail/finalize_hooks.hpp - run clean-ups (freeing cached datatypes, ops) at MPI_Finalize.
//
// MPI deletes the attributes of MPI_COMM_SELF first thing in MPI_Finalize, while MPI is still usable;
// a delete callback there frees what mpixx cached, even when the application, not mpixx, finalizes MPI.
// The hooks form a lock-free push-only list (compiler atomic builtins): no <functional> or <mutex>, which
// would cost every translation unit that includes datatype.hpp a fifth of a second.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/error.hpp>

#include <new>
#include <type_traits>
#include <utility>

namespace mpixx::inline MPIXX_ABI::detail {

/// One registered clean-up: a node of the list, run and deleted by finalize_registry::on_delete.
struct finalize_node {
    finalize_node* next = nullptr;
    void (*run_and_delete)(finalize_node*) noexcept = nullptr;
};

template <class F>
struct finalize_fn_node final : finalize_node {
    F fn;
    explicit finalize_fn_node(F f) : fn(std::move(f)) {
        run_and_delete = [](finalize_node* n) noexcept {
            auto* self = static_cast<finalize_fn_node*>(n);
            self->fn();
            delete self;
        };
    }
};

struct finalize_registry {
    finalize_node* head = nullptr; // newest first: running from the head is reverse registration order

    static finalize_registry& instance() {
        static finalize_registry r;
        return r;
    }

    static int on_delete(MPI_Comm, int keyval, void*, void*) {
        // MPI_Finalize runs on one thread with no other MPI call in flight: take the whole list.
        finalize_node* n = __atomic_exchange_n(&instance().head, nullptr, __ATOMIC_ACQ_REL);
        while (n) {
            finalize_node* next = n->next;
            n->run_and_delete(n);
            n = next;
        }
        MPI_Comm_free_keyval(&keyval);
        return MPI_SUCCESS;
    }

    /// Pushes `n`; returns whether the list was empty (the caller then attaches the MPI_COMM_SELF attribute).
    bool push(finalize_node* n) noexcept {
        finalize_node* old = __atomic_load_n(&head, __ATOMIC_ACQUIRE);
        do {
            n->next = old;
        } while (!__atomic_compare_exchange_n(&head, &old, n, true, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
        return old == nullptr;
    }

    /// Takes `n` back if it is still the newest node (a failed attach); false if others were pushed since.
    bool unpush(finalize_node* n) noexcept {
        finalize_node* expected = n;
        return __atomic_compare_exchange_n(&head, &expected, n->next, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    }
};

/// Runs `hook` (a noexcept-callable without arguments) at the start of MPI_Finalize, in reverse order of
/// registration. Throws (and keeps nothing) when it cannot be registered: the caller still owns what the
/// hook would have freed.
template <class F>
void at_finalize(F hook) {
    static_assert(std::is_invocable_v<F&>, "at_finalize takes a callable without arguments");
    auto& r = finalize_registry::instance();
    auto* node = new finalize_fn_node<F>(std::move(hook));
    if (!r.push(node)) return;
    // The list was empty: the first hook (of this MPI session) attaches the attribute that runs them all.
    int keyval = MPI_KEYVAL_INVALID;
    int rc = MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, &finalize_registry::on_delete, &keyval, nullptr);
    const char* routine = "MPI_Comm_create_keyval";
    if (rc == MPI_SUCCESS) {
        rc = MPI_Comm_set_attr(MPI_COMM_SELF, keyval, nullptr);
        routine = "MPI_Comm_set_attr";
        if (rc != MPI_SUCCESS) MPI_Comm_free_keyval(&keyval);
    }
    if (rc != MPI_SUCCESS) {
        if (r.unpush(node)) delete node;
        throw_mpi_error(rc, routine);
    }
}

} // namespace mpixx::detail
