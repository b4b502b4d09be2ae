/* Self-checking program for ../dot_product.c: float vectors, double accumulator. */
#include <math.h>
#include <stdio.h>

double dot_product(const float *a, const float *b, int n);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: products of floats are exact in double, summed from the front. */
static double ref_dot_product(const float *a, const float *b, int n)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        double p = a[i];
        p *= b[i];
        sum = sum + p;
    }
    return sum;
}

/* Inputs are small multiples of 0.25 (or powers of two), so every partial sum is exact. */
static const float one_a[] = {2.5f}, one_b[] = {-4.0f};
static const float odd_a[] = {0.25f, -1.5f, 3.0f, -0.75f, 8.0f};
static const float odd_b[] = {4.0f, 2.0f, -0.5f, -1.25f, 0.125f};
static const float big_a[] = {16777216.0f, -16777216.0f, 0.5f}, big_b[] = {65536.0f, 65536.0f, 0.5f};
static const float neg_a[] = {-0.0f, -2.0f, -3.0f}, neg_b[] = {5.0f, -2.0f, 1.0f};
static float gen_a[64], gen_b[64];

int main(void)
{
    const struct { const float *a, *b; int n; } cases[] = {
        {one_a, one_b, 0}, {one_a, one_b, 1}, {odd_a, odd_b, 5}, {odd_a, odd_b, 4},
        {big_a, big_b, 3}, {neg_a, neg_b, 3}, {gen_a, gen_b, 64}, {gen_a, gen_b, 33},
    };
    for (int i = 0; i < 64; i++) {
        gen_a[i] = (float)(i % 9 - 4) * 0.25f;
        gen_b[i] = (float)(i % 5 - 2) * 0.5f;
    }
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        double got = dot_product(cases[c].a, cases[c].b, cases[c].n);
        double want = ref_dot_product(cases[c].a, cases[c].b, cases[c].n);
        printf("dot_product case %d: n=%d %.6f (%a)", c, cases[c].n, got, got);
        verdict(fabs(got - want) <= 1e-9 * (1.0 + fabs(want)));
    }
    printf("dot_product: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
