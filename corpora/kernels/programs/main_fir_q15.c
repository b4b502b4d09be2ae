/* Self-checking program for ../fir_q15.c: 8-tap Q15 FIR with rounding and saturation. */
#include <stdint.h>
#include <stdio.h>

void fir_q15(const int16_t *x, int16_t *y, int n);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: 64-bit sum, round half up by floor((acc + 2^14) / 2^15) without shifting negatives, clip. */
static void ref_fir_q15(const int16_t *x, int16_t *y, int n)
{
    static const int taps[8] = {-512, 1024, 4096, 10240, 10240, 4096, 1024, -512};
    for (int i = 0; i < n; i++) {
        int64_t acc = 16384;
        for (int k = 0; k < 8; k++) {
            acc += i - k >= 0 ? (int64_t)taps[k] * x[i - k] : 0;
        }
        int64_t q = acc / 32768;
        if (acc % 32768 < 0) {
            q--; /* C division truncates; we want the floor */
        }
        y[i] = (int16_t)(q > 32767 ? 32767 : (q < -32768 ? -32768 : q));
    }
}

static const int16_t impulse[10] = {32767};
static const int16_t neg_impulse[9] = {INT16_MIN};
static const int16_t ramp[7] = {-3, -2, -1, 0, 1, 2, 3};
static int16_t highs[64], lows[64], alternating[13], noise[64];

int main(void)
{
    const struct { const int16_t *x; int n; } cases[] = {
        {impulse, 0}, {impulse, 1}, {impulse, 10}, {neg_impulse, 9}, {ramp, 7},
        {highs, 11}, {lows, 11}, {alternating, 13}, {noise, 64}, {noise, 5},
    };
    for (int i = 0; i < 64; i++) {
        highs[i] = INT16_MAX;
        lows[i] = INT16_MIN;
        noise[i] = (int16_t)((i * 40503) % 65536 - 32768);
    }
    for (int i = 0; i < 13; i++) {
        alternating[i] = i % 2 ? INT16_MIN : INT16_MAX;
    }
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        int16_t got[64], want[64];
        int same = 1;
        fir_q15(cases[c].x, got, cases[c].n);
        ref_fir_q15(cases[c].x, want, cases[c].n);
        printf("fir_q15 case %d: n=%d y", c, cases[c].n);
        for (int i = 0; i < cases[c].n; i++) {
            printf(" %d", got[i]);
            same &= got[i] == want[i];
        }
        verdict(same);
    }
    printf("fir_q15: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
