/* Inclusive prefix sum of 32-bit values into 64-bit totals; returns the grand total. */
#include <stdint.h>

// ncc: len(in)=n len(out)=n out(out) range(n)=0..64
int64_t prefix_sum(const int32_t *in, int64_t *out, int n)
{
    int64_t run = 0;
    for (int i = 0; i < n; i++) {
        run += in[i];
        out[i] = run;
    }
    return run;
}
