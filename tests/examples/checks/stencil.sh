# tests/examples/checks/stencil.sh - checkers of the stencil examples (sourced by
# tests/examples/check_example.sh): heat2d, stencil3d and transpose. The process grid MPI_Dims_create
# picks and every number the examples print are computed here (bash, awk: the same simulations in the
# same arithmetic order), never by mpixx.
# shellcheck shell=bash disable=SC2154 # out, np: set by check_example.sh

# Fails unless the output has exactly $1 lines.
stencil_line_count() {
    local got
    got=$(printf '%s\n' "$out" | grep -c '')
    [ -n "$out" ] || got=0
    [ "$got" -eq "$1" ] || fail "expected $1 line(s), got $got"
}

# Fails unless |$1 - $2| <= $3 (awk doubles); $4 names the value.
stencil_close() {
    awk -v a="$1" -v b="$2" -v tol="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= tol) }' ||
        fail "$4: got $1, expected $2 (tolerance $3)"
}

# The balanced grid MPI_Dims_create gives np processes over $1 (2 or 3) dimensions, largest first, as
# "a x b" or "a x b x c": the factorisation with the smallest spread between largest and smallest.
stencil_dims() {
    local nd=$1 best="" spread a b c s
    if [ "$nd" -eq 2 ]; then
        for ((b = 1; b * b <= np; b++)); do
            ((np % b == 0)) && best="$((np / b)) x $b"
        done
    else
        local bs=1000000
        for ((c = 1; c * c * c <= np; c++)); do
            ((np % c == 0)) || continue
            for ((b = c; b * b <= np / c; b++)); do
                (((np / c) % b == 0)) || continue
                a=$((np / c / b))
                s=$((a - c))
                ((s < bs)) && { bs=$s; best="$a x $b x $c"; }
            done
        done
    fi
    printf '%s' "$best"
}

# 48 x 64 Jacobi, boundary 100 along the top and 0 elsewhere, 50 steps; the sum of the grid.
check_heat2d() {
    local sum got
    sum=$(awk 'BEGIN {
        NY = 48; NX = 64; S = 50
        for (i = 0; i <= NY + 1; i++) for (j = 0; j <= NX + 1; j++) { u[i, j] = (i == 0 && j >= 1 && j <= NX) ? 100 : 0; v[i, j] = u[i, j] }
        for (s = 0; s < S; s++) {
            for (i = 1; i <= NY; i++) for (j = 1; j <= NX; j++) v[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1])
            for (i = 1; i <= NY; i++) for (j = 1; j <= NX; j++) u[i, j] = v[i, j]
        }
        t = 0
        for (i = 1; i <= NY; i++) for (j = 1; j <= NX; j++) t += u[i, j]
        printf "%.10f", t }')
    stencil_line_count 4
    expect_line 1 "heat2d: 48 x 64 grid, $(stencil_dims 2) processes, 50 Jacobi steps"
    got=$(printf '%s\n' "$out" | sed -n 's/^heat2d: sum of u = \([0-9.]*\)$/\1/p')
    [ -n "$got" ] || fail "line 2: expected 'heat2d: sum of u = X'"
    stencil_close "$got" "$sum" 1e-8 "sum of u"
    expect_line 3 "heat2d: max |parallel - serial| = 0"
    expect_line 4 "heat2d: OK (parallel result equals the serial solve)"
}

# 12 x 16 x 20 periodic 7-point diffusion (alpha 0.1), 20 steps from ((7x + 3y + 5z) mod 11) / 10;
# the sum (conserved) and the sum of squares.
check_stencil3d() {
    local sums got
    sums=$(awk 'BEGIN {
        NZ = 12; NY = 16; NX = 20; S = 20; A = 0.1
        for (z = 0; z < NZ; z++) for (y = 0; y < NY; y++) for (x = 0; x < NX; x++) u[z, y, x] = ((7 * x + 3 * y + 5 * z) % 11) / 10
        for (s = 0; s < S; s++) {
            for (z = 0; z < NZ; z++) for (y = 0; y < NY; y++) for (x = 0; x < NX; x++) {
                c = u[z, y, x]
                t = u[(z + NZ - 1) % NZ, y, x] + u[(z + 1) % NZ, y, x] + u[z, (y + NY - 1) % NY, x] + u[z, (y + 1) % NY, x] + u[z, y, (x + NX - 1) % NX] + u[z, y, (x + 1) % NX]
                v[z, y, x] = c + A * (t - 6 * c)
            }
            for (z = 0; z < NZ; z++) for (y = 0; y < NY; y++) for (x = 0; x < NX; x++) u[z, y, x] = v[z, y, x]
        }
        a = 0; b = 0
        for (z = 0; z < NZ; z++) for (y = 0; y < NY; y++) for (x = 0; x < NX; x++) { a += u[z, y, x]; b += u[z, y, x] * u[z, y, x] }
        printf "%.10f %.10f", a, b }')
    stencil_line_count 4
    expect_line 1 "stencil3d: 12 x 16 x 20 grid, $(stencil_dims 3) processes, 20 steps"
    got=$(printf '%s\n' "$out" | sed -n 's/^stencil3d: sum of u = \([0-9.]*\), sum of u^2 = \([0-9.]*\)$/\1 \2/p')
    [ -n "$got" ] || fail "line 2: expected 'stencil3d: sum of u = X, sum of u^2 = Y'"
    stencil_close "${got% *}" "${sums% *}" 1e-8 "sum of u"
    stencil_close "${got#* }" "${sums#* }" 1e-8 "sum of u^2"
    expect_line 3 "stencil3d: max |parallel - serial| = 0"
    expect_line 4 "stencil3d: OK (parallel result equals the serial solve)"
}

# A (12 x 9, A[i][j] = 100 i + j) transposed: sum over B of B[j][i] * (12 j + i + 1), exact.
check_transpose() {
    local sum
    sum=$(awk 'BEGIN { N = 12; M = 9; s = 0
        for (j = 0; j < M; j++) for (i = 0; i < N; i++) s += (100 * i + j) * (N * j + i + 1)
        printf "%d", s }')
    stencil_line_count 3
    expect_line 1 "transpose: A is 12 x 9 (rows over $np ranks), B = A^T is 9 x 12 (rows over $np ranks)"
    expect_line 2 "transpose: weighted checksum of B = $sum"
    expect_line 3 "transpose: OK (every rank's rows of B are the columns of A)"
}
