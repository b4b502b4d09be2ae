/* Self-checking program for ../insertion_sort.c: sorted copy, returns the number of element moves. */
#include <stdint.h>
#include <stdio.h>

int insertion_sort(const int *in, int *out, int n);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: selection sort for the order; the moves of insertion sort are the inversions of the input. */
static int ref_insertion_sort(const int *in, int *out, int n)
{
    int inversions = 0;
    for (int i = 0; i < n; i++) {
        out[i] = in[i];
        for (int j = i + 1; j < n; j++) {
            inversions += in[i] > in[j];
        }
    }
    for (int i = 0; i < n; i++) {
        int m = i;
        for (int j = i + 1; j < n; j++) {
            m = out[j] < out[m] ? j : m;
        }
        int t = out[i];
        out[i] = out[m];
        out[m] = t;
    }
    return inversions;
}

static const int one[] = {42};
static const int small[] = {3, -1, 2, -1, 0};
static const int extremes[] = {INT32_MAX, 0, INT32_MIN, -1, INT32_MAX, 1, INT32_MIN};
static const int sorted[] = {-5, -4, 0, 0, 7, 9};
static const int reversed[] = {9, 7, 0, 0, -4, -5};
static int big[32];

int main(void)
{
    const struct { const int *v; int n; } cases[] = {
        {one, 0}, {one, 1}, {small, 5}, {small, 2}, {extremes, 7}, {sorted, 6}, {reversed, 6}, {big, 32}, {big, 31},
    };
    for (int i = 0; i < 32; i++) {
        big[i] = (i * 53) % 37 - 18;
    }
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        int got[32], want[32];
        int n = cases[c].n;
        int moves = insertion_sort(cases[c].v, got, n);
        int want_moves = ref_insertion_sort(cases[c].v, want, n);
        int same = 1;
        printf("insertion_sort case %d: n=%d moves=%d, out", c, n, moves);
        for (int i = 0; i < n; i++) {
            printf(" %d", got[i]);
            same &= got[i] == want[i];
        }
        verdict(same && moves == want_moves);
    }
    printf("insertion_sort: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
