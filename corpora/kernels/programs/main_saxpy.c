/* Self-checking program for ../saxpy.c: out[i] = alpha * x[i] + y[i] in float. */
#include <math.h>
#include <stdio.h>

void saxpy(int n, float alpha, const float *x, const float *y, float *out);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: the product and the sum in double (exact for these inputs), rounded to float once. */
static void ref_saxpy(int n, float alpha, const float *x, const float *y, float *out)
{
    for (int i = 0; i < n; i++) {
        double product = (double)alpha * (double)x[i];
        out[i] = (float)(product + (double)y[i]);
    }
}

/* Small multiples of 0.25: alpha * x[i] and the sum are exact in float, so a fused multiply-add
   (AArch64 contraction) gives the same bits as separate operations. */
static const float one_x[] = {0.5f}, one_y[] = {-1.25f};
static const float odd_x[] = {1.0f, -2.0f, 0.25f, 3.75f, -0.5f}, odd_y[] = {0.0f, 1.5f, -0.75f, 2.0f, -0.0f};
static float gen_x[64], gen_y[64];

int main(void)
{
    const struct { int n; float alpha; const float *x, *y; } cases[] = {
        {0, 2.5f, one_x, one_y}, {1, 2.5f, one_x, one_y}, {5, -1.5f, odd_x, odd_y}, {5, 0.0f, odd_x, odd_y},
        {5, 10.0f, odd_x, odd_y}, {5, -10.0f, odd_x, odd_y}, {64, -2.75f, gen_x, gen_y}, {63, 0.125f, gen_x, gen_y},
    };
    for (int i = 0; i < 64; i++) {
        gen_x[i] = (float)(i % 13 - 6) * 0.25f;
        gen_y[i] = (float)(i % 7 - 3) * 0.5f;
    }
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        float got[64], want[64];
        int same = 1;
        saxpy(cases[c].n, cases[c].alpha, cases[c].x, cases[c].y, got);
        ref_saxpy(cases[c].n, cases[c].alpha, cases[c].x, cases[c].y, want);
        printf("saxpy case %d: n=%d alpha=%.6f out", c, cases[c].n, cases[c].alpha);
        for (int i = 0; i < cases[c].n; i++) {
            printf(" %.6f", got[i]);
            same &= fabsf(got[i] - want[i]) <= 1e-6f * (1.0f + fabsf(want[i]));
        }
        verdict(same);
    }
    printf("saxpy: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
