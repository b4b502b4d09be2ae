/* Self-checking program for ../prefix_sum.c: inclusive prefix sums of int32 values in int64. */
#include <stdint.h>
#include <stdio.h>

int64_t prefix_sum(const int32_t *in, int64_t *out, int n);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: each total summed again from the start (quadratic, no running state). */
static int64_t ref_prefix_sum(const int32_t *in, int64_t *out, int n)
{
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        out[i] = 0;
        for (int j = 0; j <= i; j++) {
            out[i] += in[j];
        }
        total = out[i];
    }
    return total;
}

static const int32_t one[] = {-5};
static const int32_t small[] = {1, -2, 3, -4, 5};
static const int32_t extremes[] = {INT32_MAX, INT32_MAX, INT32_MIN, INT32_MIN, INT32_MIN, -1, 0};
static int32_t maxes[64], mins[64], wave[64];

int main(void)
{
    const struct { const int32_t *v; int n; } cases[] = {
        {one, 0}, {one, 1}, {small, 5}, {small, 4}, {extremes, 7}, {maxes, 64}, {mins, 64}, {wave, 64}, {wave, 17},
    };
    for (int i = 0; i < 64; i++) {
        maxes[i] = INT32_MAX;
        mins[i] = INT32_MIN;
        wave[i] = (int32_t)((i % 3 - 1) * ((int64_t)i * 33554393 % 2147483647));
    }
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        int64_t got[64], want[64];
        int n = cases[c].n;
        int64_t total = prefix_sum(cases[c].v, got, n);
        int64_t want_total = ref_prefix_sum(cases[c].v, want, n);
        int same = 1;
        printf("prefix_sum case %d: n=%d total=%lld, out", c, n, (long long)total);
        for (int i = 0; i < n; i++) {
            printf(" %lld", (long long)got[i]);
            same &= got[i] == want[i];
        }
        verdict(same && total == want_total);
    }
    printf("prefix_sum: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
