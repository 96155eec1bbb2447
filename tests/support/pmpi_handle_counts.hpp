// tests/support/pmpi_handle_counts.hpp - PMPI interposition that counts live communicators and groups,
// for tests that prove mpixx frees every handle it creates. Include in ONE translation unit of a test
// executable (it defines the MPI_ entry points it intercepts).
//
//   const auto before = handle_counts::now();
//   { ... }
//   CHECK(handle_counts::now() == before);
#pragma once

#include <mpi.h>

namespace handle_counts {
inline int comms = 0;  ///< communicators created minus freed (by the routines below)
inline int groups = 0; ///< groups created minus freed

struct snapshot {
    int comms, groups;
    friend bool operator==(const snapshot&, const snapshot&) = default;
};
inline snapshot now() { return {comms, groups}; }
} // namespace handle_counts

namespace handle_counts::detail {
inline int comm_made(int rc, const MPI_Comm* c) {
    if (rc == MPI_SUCCESS && *c != MPI_COMM_NULL) ++comms;
    return rc;
}
inline int group_made(int rc, const MPI_Group* g) {
    if (rc == MPI_SUCCESS && *g != MPI_GROUP_NULL && *g != MPI_GROUP_EMPTY) ++groups;
    return rc;
}
} // namespace handle_counts::detail

extern "C" {
// ---- communicators ------------------------------------------------------------------------------------
int MPI_Comm_dup(MPI_Comm comm, MPI_Comm* out) { return handle_counts::detail::comm_made(PMPI_Comm_dup(comm, out), out); }
int MPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm* out) {
    return handle_counts::detail::comm_made(PMPI_Comm_split(comm, color, key, out), out);
}
int MPI_Comm_create(MPI_Comm comm, MPI_Group g, MPI_Comm* out) {
    return handle_counts::detail::comm_made(PMPI_Comm_create(comm, g, out), out);
}
int MPI_Comm_create_group(MPI_Comm comm, MPI_Group g, int tag, MPI_Comm* out) {
    return handle_counts::detail::comm_made(PMPI_Comm_create_group(comm, g, tag, out), out);
}
int MPI_Cart_create(MPI_Comm comm, int nd, const int dims[], const int periods[], int reorder, MPI_Comm* out) {
    return handle_counts::detail::comm_made(PMPI_Cart_create(comm, nd, dims, periods, reorder, out), out);
}
int MPI_Cart_sub(MPI_Comm comm, const int keep[], MPI_Comm* out) {
    return handle_counts::detail::comm_made(PMPI_Cart_sub(comm, keep, out), out);
}
int MPI_Graph_create(MPI_Comm comm, int n, const int index[], const int edges[], int reorder, MPI_Comm* out) {
    return handle_counts::detail::comm_made(PMPI_Graph_create(comm, n, index, edges, reorder, out), out);
}
int MPI_Dist_graph_create_adjacent(MPI_Comm comm, int indeg, const int sources[], const int sw[], int outdeg,
                                   const int dests[], const int dw[], MPI_Info info, int reorder, MPI_Comm* out) {
    return handle_counts::detail::comm_made(
        PMPI_Dist_graph_create_adjacent(comm, indeg, sources, sw, outdeg, dests, dw, info, reorder, out), out);
}
int MPI_Dist_graph_create(MPI_Comm comm, int n, const int sources[], const int degrees[], const int dests[],
                          const int weights[], MPI_Info info, int reorder, MPI_Comm* out) {
    return handle_counts::detail::comm_made(
        PMPI_Dist_graph_create(comm, n, sources, degrees, dests, weights, info, reorder, out), out);
}
int MPI_Comm_free(MPI_Comm* comm) {
    const int rc = PMPI_Comm_free(comm);
    if (rc == MPI_SUCCESS) --handle_counts::comms;
    return rc;
}
// ---- groups -------------------------------------------------------------------------------------------
int MPI_Comm_group(MPI_Comm comm, MPI_Group* g) { return handle_counts::detail::group_made(PMPI_Comm_group(comm, g), g); }
int MPI_Comm_remote_group(MPI_Comm comm, MPI_Group* g) {
    return handle_counts::detail::group_made(PMPI_Comm_remote_group(comm, g), g);
}
int MPI_Group_incl(MPI_Group g, int n, const int ranks[], MPI_Group* out) {
    return handle_counts::detail::group_made(PMPI_Group_incl(g, n, ranks, out), out);
}
int MPI_Group_excl(MPI_Group g, int n, const int ranks[], MPI_Group* out) {
    return handle_counts::detail::group_made(PMPI_Group_excl(g, n, ranks, out), out);
}
int MPI_Group_range_incl(MPI_Group g, int n, int ranges[][3], MPI_Group* out) {
    return handle_counts::detail::group_made(PMPI_Group_range_incl(g, n, ranges, out), out);
}
int MPI_Group_range_excl(MPI_Group g, int n, int ranges[][3], MPI_Group* out) {
    return handle_counts::detail::group_made(PMPI_Group_range_excl(g, n, ranges, out), out);
}
int MPI_Group_union(MPI_Group a, MPI_Group b, MPI_Group* out) {
    return handle_counts::detail::group_made(PMPI_Group_union(a, b, out), out);
}
int MPI_Group_intersection(MPI_Group a, MPI_Group b, MPI_Group* out) {
    return handle_counts::detail::group_made(PMPI_Group_intersection(a, b, out), out);
}
int MPI_Group_difference(MPI_Group a, MPI_Group b, MPI_Group* out) {
    return handle_counts::detail::group_made(PMPI_Group_difference(a, b, out), out);
}
int MPI_Group_free(MPI_Group* g) {
    const bool counted = *g != MPI_GROUP_EMPTY;
    const int rc = PMPI_Group_free(g);
    if (rc == MPI_SUCCESS && counted) --handle_counts::groups;
    return rc;
}
}
