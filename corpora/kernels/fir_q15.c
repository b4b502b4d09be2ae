/* 8-tap FIR filter in Q15 fixed point with rounding and saturation. */
#include <stdint.h>

static const int16_t fir_q15_taps[8] = {-512, 1024, 4096, 10240, 10240, 4096, 1024, -512};

static int16_t saturate16(int32_t v)
{
    if (v > 32767) {
        return 32767;
    }
    if (v < -32768) {
        return -32768;
    }
    return (int16_t)v;
}

// ncc: len(x)=n len(y)=n out(y) range(n)=0..64
void fir_q15(const int16_t *x, int16_t *y, int n)
{
    for (int i = 0; i < n; i++) {
        int32_t acc = 1 << 14;
        for (int k = 0; k < 8 && k <= i; k++) {
            acc += (int32_t)fir_q15_taps[k] * x[i - k];
        }
        y[i] = saturate16(acc >> 15);
    }
}
