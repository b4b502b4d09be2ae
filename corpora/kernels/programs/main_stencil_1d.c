/* Self-checking program for ../stencil_1d.c: 1/4, 1/2, 1/4 smoothing, end points copied. */
#include <math.h>
#include <stdio.h>

void stencil_1d(const double *in, double *out, int n);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: the same weights written as (left + 2 * mid + right) / 4; copy the ends. */
static void ref_stencil_1d(const double *in, double *out, int n)
{
    for (int i = 0; i < n; i++) {
        out[i] = (i == 0 || i == n - 1) ? in[i] : (in[i - 1] + 2.0 * in[i] + in[i + 1]) / 4.0;
    }
}

/* Multiples of 0.25 with few significant bits: every weighted sum is exact, fused or not. */
static const double one[] = {-2.5};
static const double two[] = {1.0, -1.0};
static const double three[] = {4.0, 0.0, -4.0};
static const double spike[] = {0.0, 0.0, 0.0, 8.0, 0.0, 0.0, 0.0};
static const double mixed[] = {-1.75, 2.5, -0.25, 100.0, -3.0, 0.5};
static double ramp[64];

int main(void)
{
    const struct { const double *in; int n; } cases[] = {
        {one, 0}, {one, 1}, {two, 2}, {three, 3}, {spike, 7}, {mixed, 6}, {ramp, 64}, {ramp, 9},
    };
    for (int i = 0; i < 64; i++) {
        ramp[i] = (double)((i * 37) % 29 - 14) * 0.25;
    }
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        double got[65], want[64];
        int same = 1;
        got[cases[c].n] = 12345.0; /* the element past the end must stay untouched */
        stencil_1d(cases[c].in, got, cases[c].n);
        ref_stencil_1d(cases[c].in, want, cases[c].n);
        printf("stencil_1d case %d: n=%d out", c, cases[c].n);
        for (int i = 0; i < cases[c].n; i++) {
            printf(" %.6f", got[i]);
            same &= fabs(got[i] - want[i]) <= 1e-12 * (1.0 + fabs(want[i]));
        }
        verdict(same && got[cases[c].n] == 12345.0);
    }
    printf("stencil_1d: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
