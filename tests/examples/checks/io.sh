# tests/examples/checks/io.sh - checkers of the parallel I/O examples (sourced by
# tests/examples/check_example.sh): heat2d_output. The process grid, the file's size and the sum of the
# values written are computed here (bash, awk: the same simulation in the same arithmetic order), never
# by mpixx.
# shellcheck shell=bash disable=SC2154 # out, np: set by check_example.sh

# 48 x 64 Jacobi (boundary 100 along the top, 0 elsewhere, 50 steps) written to heat2d_output.np<N>.dat
# in the current directory, read back by rank 0 and compared with its serial solve; the file is gone after.
check_heat2d_output() {
    local sum got b dims="" lines
    lines=$(printf '%s\n' "$out" | grep -c '')
    [ -n "$out" ] || lines=0
    [ "$lines" -eq 5 ] || fail "expected 5 lines (rank 0 only), got $lines"
    # MPI_Dims_create's balanced 2D grid: the factor pair of np closest together, largest first.
    for ((b = 1; b * b <= np; b++)); do ((np % b == 0)) && dims="$((np / b)) x $b"; done
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
    expect_line 1 "heat2d_output: 48 x 64 grid, $dims processes, 50 Jacobi steps"
    expect_line 2 "heat2d_output: wrote heat2d_output.np$np.dat, $((48 * 64 * 8)) bytes (48 x 64 doubles) with one collective write"
    got=$(printf '%s\n' "$out" | sed -n "s/^heat2d_output: sum of the file's values = \([0-9.]*\)$/\1/p")
    [ -n "$got" ] || fail "line 3: expected 'heat2d_output: sum of the file's values = X'"
    awk -v a="$got" -v b="$sum" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-8) }' ||
        fail "sum of the file's values: got $got, expected $sum (tolerance 1e-8)"
    expect_line 4 "heat2d_output: max |file - serial| = 0"
    expect_line 5 "heat2d_output: OK (the file holds the serial solve)"
    [ ! -e "heat2d_output.np$np.dat" ] || fail "the example left heat2d_output.np$np.dat behind"
}
