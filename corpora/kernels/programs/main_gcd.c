/* Self-checking program for ../gcd.c: Euclid's gcd of two unsigned values, gcd(0, 0) = 0. */
#include <stdint.h>
#include <stdio.h>

unsigned gcd(unsigned a, unsigned b);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: Stein's binary gcd (shifts and subtraction only). */
static unsigned ref_gcd(unsigned a, unsigned b)
{
    if (a == 0 || b == 0) {
        return a | b;
    }
    int shift = 0;
    while (((a | b) & 1u) == 0) {
        a >>= 1;
        b >>= 1;
        shift++;
    }
    while (b != 0) {
        while ((a & 1u) == 0) {
            a >>= 1;
        }
        while ((b & 1u) == 0) {
            b >>= 1;
        }
        if (a > b) {
            unsigned t = a;
            a = b;
            b = t;
        }
        b -= a;
    }
    return a << shift;
}

int main(void)
{
    static const struct { unsigned a, b, expected; } cases[] = {
        {0, 0, 0}, {0, 5, 5}, {5, 0, 5}, {1, 1, 1}, {12, 18, 6}, {18, 12, 6}, {17, 5, 1},
        {UINT32_MAX, UINT32_MAX, UINT32_MAX}, {UINT32_MAX, 65535, 65535}, {UINT32_MAX, 0, UINT32_MAX},
        {2147483648u, 1048576u, 1048576u}, {2971215073u, 1836311903u, 1}, /* consecutive Fibonacci numbers */
        {1000000007u, 998244353u, 1}, {4294967290u, 4294967295u, 5}, {3u * 7 * 11 * 13 * 8, 7u * 13 * 16, 728},
    };
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        unsigned got = gcd(cases[c].a, cases[c].b);
        printf("gcd case %d: gcd(%u, %u) = %u", c, cases[c].a, cases[c].b, got);
        verdict(got == cases[c].expected && got == ref_gcd(cases[c].a, cases[c].b));
    }
    printf("gcd: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
