/* Self-checking program for ../histogram.c: adds bytes to 16 bins by high nibble, returns the fullest bin. */
#include <stdio.h>
#include <string.h>

int histogram(const unsigned char *data, int n, unsigned *bins);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: per bin, count the bytes in [16*b, 16*b + 15]; the first bin holding the maximum wins. */
static int ref_histogram(const unsigned char *data, int n, unsigned *bins)
{
    int best = 0;
    for (int b = 0; b < 16; b++) {
        for (int i = 0; i < n; i++) {
            bins[b] += data[i] >= 16 * b && data[i] <= 16 * b + 15;
        }
        if (bins[b] > bins[best]) {
            best = b;
        }
    }
    return best;
}

static const unsigned char top[] = {0xFF};
static const unsigned char bin1[] = {0x10, 0x1F, 0x20, 0x2F, 0x15};
static const unsigned char tie[] = {0xF0, 0x00, 0xFF, 0x0F};
static const unsigned char low[] = {0x00, 0x01, 0x0F, 0x7F, 0x80, 0x8F, 0x80};
static unsigned char ramp[64];

int main(void)
{
    /* preset: the kernel adds to the bins it is given (it does not clear them) */
    const struct { const unsigned char *d; int n; unsigned preset7; } cases[] = {
        {top, 0, 0}, {top, 1, 0}, {bin1, 5, 0}, {tie, 4, 0}, {low, 7, 0},
        {ramp, 64, 0}, {ramp, 33, 0}, {bin1, 5, 3}, {top, 0, 5},
    };
    for (int i = 0; i < 64; i++) {
        ramp[i] = (unsigned char)(i * 97 + 13);
    }
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        unsigned got[16], want[16];
        memset(got, 0, sizeof got);
        memset(want, 0, sizeof want);
        got[7] = want[7] = cases[c].preset7;
        int best = histogram(cases[c].d, cases[c].n, got);
        int want_best = ref_histogram(cases[c].d, cases[c].n, want);
        printf("histogram case %d: n=%d best=%d bins", c, cases[c].n, best);
        for (int b = 0; b < 16; b++) {
            printf(" %u", got[b]);
        }
        verdict(best == want_best && memcmp(got, want, sizeof got) == 0);
    }
    printf("histogram: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
