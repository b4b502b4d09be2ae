/* Self-checking program for ../popcount.c: total set bits over an array of 64-bit words. */
#include <stdint.h>
#include <stdio.h>

unsigned popcount(const unsigned long long *w, int n);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: test each of the 64 bit positions of every word. */
static unsigned ref_popcount(const unsigned long long *w, int n)
{
    unsigned total = 0;
    for (int i = 0; i < n; i++) {
        for (int bit = 0; bit < 64; bit++) {
            total += (unsigned)((w[i] >> bit) & 1u);
        }
    }
    return total;
}

static const unsigned long long zero[] = {0};
static const unsigned long long all_ones[] = {~0ULL};
static const unsigned long long mixed[] = {1ULL << 63, 0x5555555555555555ULL, 0x8000000000000001ULL, 1, 0,
                                           0xF0F0F0F0F0F0F0F0ULL, 0x00000000FFFFFFFFULL};
static unsigned long long full[64], random_words[64];

int main(void)
{
    const struct { const unsigned long long *w; int n; unsigned expected; } cases[] = {
        {zero, 0, 0}, {zero, 1, 0}, {all_ones, 1, 64}, {mixed, 1, 1}, {mixed, 7, 1 + 32 + 2 + 1 + 0 + 32 + 32},
        {full, 64, 4096}, {random_words, 64, 0}, {random_words, 9, 0}, /* expected 0: compare with the ref only */
    };
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 64; i++) {
        full[i] = ~0ULL;
        state = state * 6364136223846793005ULL + 1442695040888963407ULL; /* 64-bit LCG, wraps */
        random_words[i] = state ^ (state >> 29);
    }
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        unsigned got = popcount(cases[c].w, cases[c].n);
        unsigned want = ref_popcount(cases[c].w, cases[c].n);
        printf("popcount case %d: n=%d bits=%u", c, cases[c].n, got);
        verdict(got == want && (cases[c].expected == 0 || got == cases[c].expected));
    }
    printf("popcount: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
