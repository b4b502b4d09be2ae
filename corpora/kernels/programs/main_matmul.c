/* Self-checking program for ../matmul.c: row-major int matrix product with wrapping arithmetic. */
#include <stdint.h>
#include <stdio.h>

void matmul(const int *a, const int *b, int *c, int rows, int inner, int cols);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: i-k-j loop order, accumulating whole rows in uint32_t (wraps modulo 2^32). */
static void ref_matmul(const int *a, const int *b, uint32_t *c, int rows, int inner, int cols)
{
    for (int i = 0; i < rows * cols; i++) {
        c[i] = 0;
    }
    for (int i = 0; i < rows; i++) {
        for (int k = 0; k < inner; k++) {
            for (int j = 0; j < cols; j++) {
                c[i * cols + j] += (uint32_t)a[i * inner + k] * (uint32_t)b[k * cols + j];
            }
        }
    }
}

static const int seven[] = {7}, minus3[] = {-3};
static const int a23[] = {1, 2, 3, -4, 5, -6}, b32[] = {7, -8, 9, 10, -11, 12};
static const int identity4[] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
static const int wrap[] = {INT32_MAX, INT32_MIN, 65536, -65536};
static int gen_a[64], gen_b[64];

int main(void)
{
    const struct { const int *a, *b; int rows, inner, cols; } cases[] = {
        {seven, minus3, 1, 1, 1}, {a23, b32, 2, 3, 2}, {b32, a23, 3, 2, 3}, {a23, b32, 3, 1, 4},
        {identity4, gen_b, 4, 4, 4}, {gen_b, identity4, 4, 4, 4}, {wrap, wrap, 2, 2, 2},
        {gen_a, gen_b, 8, 8, 8}, {gen_a, gen_b, 5, 7, 3}, {gen_a, wrap, 1, 1, 4},
    };
    for (int i = 0; i < 64; i++) {
        gen_a[i] = (i * 7919) % 20011 - 10005;
        gen_b[i] = (i % 2 ? -1 : 1) * (i * 48271 % 1000003);
    }
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        int got[64];
        uint32_t want[64];
        int n = cases[c].rows * cases[c].cols;
        matmul(cases[c].a, cases[c].b, got, cases[c].rows, cases[c].inner, cases[c].cols);
        ref_matmul(cases[c].a, cases[c].b, want, cases[c].rows, cases[c].inner, cases[c].cols);
        int same = 1;
        printf("matmul case %d: %dx%dx%d c", c, cases[c].rows, cases[c].inner, cases[c].cols);
        for (int i = 0; i < n; i++) {
            printf(" %d", got[i]);
            same &= (uint32_t)got[i] == want[i];
        }
        verdict(same);
    }
    printf("matmul: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
