/* Self-checking program for ../argmax.c: index of the first largest short, -1 when empty. */
#include <stdint.h>
#include <stdio.h>

int argmax(const short *v, int n, short *best);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: find the largest value first, then the first index that holds it. */
static int ref_argmax(const short *v, int n, short *best)
{
    if (n <= 0) {
        return -1;
    }
    short m = v[0];
    for (int i = 1; i < n; i++) {
        if (v[i] > m) {
            m = v[i];
        }
    }
    *best = m;
    int i = 0;
    while (v[i] != m) {
        i++;
    }
    return i;
}

static const short one[] = {-7};
static const short ties[] = {3, 9, 9, 2, 9};
static const short all_min[] = {INT16_MIN, INT16_MIN, INT16_MIN};
static const short extremes[] = {-5, -3, -3, -9, INT16_MAX, 0, INT16_MAX};
static const short rising[] = {INT16_MIN, -1, 0, 1, 100, 99};
static const short negative[] = {-2, -1, -1, -30000};
static short big[64];

int main(void)
{
    const struct { const short *v; int n; } cases[] = {
        {one, 0}, {one, 1}, {ties, 5}, {all_min, 3}, {extremes, 7}, {rising, 6}, {negative, 4}, {big, 64},
    };
    for (int i = 0; i < 64; i++) {
        big[i] = (short)((i * 7919) % 2001 - 1000);
    }
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        short got_best = 12345, want_best = 12345; /* must stay untouched when n == 0 */
        int got = argmax(cases[c].v, cases[c].n, &got_best);
        int want = ref_argmax(cases[c].v, cases[c].n, &want_best);
        printf("argmax case %d: n=%d index=%d best=%d", c, cases[c].n, got, got_best);
        verdict(got == want && got_best == want_best);
    }
    printf("argmax: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
