/* Self-checking program for ../clamp.c: clamps into [lo, hi] (bounds may come swapped), counts changes. */
#include <stdint.h>
#include <stdio.h>

int clamp(const int *in, int *out, int n, int lo, int hi);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: order the bounds, then raise to the lower one and cut at the upper one. */
static int ref_clamp(const int *in, int *out, int n, int lo, int hi)
{
    int low = lo < hi ? lo : hi;
    int high = lo < hi ? hi : lo;
    int changed = 0;
    for (int i = 0; i < n; i++) {
        out[i] = in[i];
        if (out[i] < low) {
            out[i] = low;
        }
        if (out[i] > high) {
            out[i] = high;
        }
        changed += out[i] != in[i];
    }
    return changed;
}

static const int one[] = {5};
static const int mixed[] = {-2000, -1000, -999, 0, 999, 1000, 2000};
static const int extremes[] = {INT32_MIN, INT32_MAX, -1, 0, 1};
static int big[64];

int main(void)
{
    const struct { const int *v; int n, lo, hi; } cases[] = {
        {one, 0, 0, 10}, {one, 1, 0, 10}, {one, 1, 6, 10}, {one, 1, -3, 4}, {one, 1, 5, 5},
        {mixed, 7, -1000, 1000}, {mixed, 7, 1000, -1000}, {mixed, 7, 0, 0}, {mixed, 7, -999, 999},
        {extremes, 5, -1000, 1000}, {extremes, 5, 1, -1}, {big, 64, -250, 300}, {big, 64, 1000, 900},
    };
    for (int i = 0; i < 64; i++) {
        big[i] = (i * 1237) % 2049 - 1024;
    }
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        int got[64], want[64];
        int n = cases[c].n;
        int changed = clamp(cases[c].v, got, n, cases[c].lo, cases[c].hi);
        int want_changed = ref_clamp(cases[c].v, want, n, cases[c].lo, cases[c].hi);
        int same = 1;
        printf("clamp case %d: n=%d lo=%d hi=%d changed=%d, out", c, n, cases[c].lo, cases[c].hi, changed);
        for (int i = 0; i < n; i++) {
            printf(" %d", got[i]);
            same &= got[i] == want[i];
        }
        verdict(same && changed == want_changed);
    }
    printf("clamp: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
