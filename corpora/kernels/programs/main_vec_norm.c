/* Self-checking program for ../vec_norm.c: Euclidean norm, scaled by the largest magnitude. */
#include <math.h>
#include <stdio.h>

double vec_norm(const double *v, int n);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: the unscaled textbook formula (fine away from overflow and underflow). */
static double ref_vec_norm(const double *v, int n)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        sum += v[i] * v[i];
    }
    return sqrt(sum);
}

/* v[i] / max|v| and its square are exact for all inputs below (powers of two times small integers),
   so only the final sqrt rounds, identically on every IEEE target, fused multiply-add or not. */
static const double zeros[] = {0.0, -0.0};
static const double one[] = {-3.0};
static const double three_four[] = {3.0, 4.0};
static const double mixed[] = {-4.0, 8.0, 1.0};
static const double ones[] = {1.0, 1.0, 1.0};
static const double huge[] = {0x3p1000, -0x4p1000};   /* squares overflow: needs the scaling */
static const double tiny[] = {0x3p-1040, 0x4p-1040};  /* subnormal: squares underflow to zero */
static double ramp[64];

int main(void)
{
    const struct { const double *v; int n; double expected; } cases[] = { /* expected < 0: use the ref */
        {one, 0, 0.0}, {zeros, 2, 0.0}, {one, 1, 3.0}, {three_four, 2, 5.0}, {mixed, 3, 9.0},
        {ones, 3, -1.0}, {huge, 2, 0x5p1000}, {tiny, 2, 0x5p-1040}, {ramp, 64, -1.0}, {ramp, 21, -1.0},
    };
    for (int i = 0; i < 64; i++) {
        ramp[i] = (double)(i % 9 - 4) * 0.25;
    }
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        double got = vec_norm(cases[c].v, cases[c].n);
        double want = cases[c].expected >= 0.0 ? cases[c].expected : ref_vec_norm(cases[c].v, cases[c].n);
        printf("vec_norm case %d: n=%d %.6e (%a)", c, cases[c].n, got, got);
        verdict(cases[c].expected >= 0.0 ? got == want : fabs(got - want) <= 1e-12 * want);
    }
    printf("vec_norm: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
