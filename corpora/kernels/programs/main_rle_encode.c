/* Self-checking program for ../rle_encode.c: (count, value) pairs into a buffer of cap bytes. */
#include <stdio.h>
#include <string.h>

int rle_encode(const unsigned char *in, int n, unsigned char *out, int cap);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: close a run whenever the value changes (or at 255); stop before a pair that does not fit. */
static int ref_rle_encode(const unsigned char *in, int n, unsigned char *out, int cap)
{
    int w = 0, run = 0;
    for (int i = 0; i <= n; i++) {
        if (run > 0 && (i == n || in[i] != in[i - 1] || run == 255)) {
            if (w + 2 > cap) {
                break;
            }
            out[w++] = (unsigned char)run;
            out[w++] = in[i - 1];
            run = 0;
        }
        run++;
    }
    return w;
}

static const unsigned char one[] = {5};
static const unsigned char runs[] = {1, 1, 1, 2, 2, 3};
static const unsigned char edges[] = {0xFF, 0xFF, 0, 0, 0, 0xFF, 0x80};
static unsigned char zeros[32], alternating[32];

int main(void)
{
    const struct { const unsigned char *in; int n, cap; } cases[] = {
        {one, 0, 8}, {one, 0, 0}, {one, 1, 2}, {one, 1, 1}, {one, 1, 0}, {runs, 6, 64}, {runs, 6, 5}, {runs, 6, 3},
        {edges, 7, 64}, {edges, 7, 9}, {zeros, 32, 2}, {alternating, 32, 64}, {alternating, 32, 63}, {alternating, 31, 64},
    };
    for (int i = 0; i < 32; i++) {
        alternating[i] = (unsigned char)(i % 2 ? 0xFF : 0);
    }
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        unsigned char got[72], want[72];
        memset(got, 0xAA, sizeof got);
        memset(want, 0xAA, sizeof want);
        int w = rle_encode(cases[c].in, cases[c].n, got, cases[c].cap);
        int want_w = ref_rle_encode(cases[c].in, cases[c].n, want, cases[c].cap);
        printf("rle_encode case %d: n=%d cap=%d wrote=%d", c, cases[c].n, cases[c].cap, w);
        for (int i = 0; i < w && i < cases[c].cap; i++) {
            printf(" %u", got[i]);
        }
        /* the whole buffer must match, so nothing was written past the encoded bytes either */
        verdict(w == want_w && memcmp(got, want, sizeof got) == 0);
    }
    printf("rle_encode: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
