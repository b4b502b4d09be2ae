/* Self-checking program for ../binary_search.c: sorts the table in place, returns the lower bound of key. */
#include <stdint.h>
#include <stdio.h>

int binary_search(long *v, int n, long key);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: the lower bound in the sorted table is the number of elements smaller than key. */
static int ref_binary_search(const long *v, int n, long key)
{
    int smaller = 0;
    for (int i = 0; i < n; i++) {
        smaller += v[i] < key;
    }
    return smaller;
}

/* The table came back ascending and holds the same multiset of values as the input. */
static int sorted_permutation(const long *in, const long *out, int n)
{
    for (int i = 0; i < n; i++) {
        int a = 0, b = 0;
        for (int j = 0; j < n; j++) {
            a += in[j] == in[i];
            b += out[j] == in[i];
        }
        if (a != b || (i > 0 && out[i - 1] > out[i])) {
            return 0;
        }
    }
    return 1;
}

static const long one[] = {7};
static const long small[] = {5, 1, 4, 1, 3};
static const long wide[] = {INT64_MAX, INT64_MIN, 0, -1000, 1000, -1000, 999};
static long big[32];

int main(void)
{
    const struct { const long *v; int n; long key; } cases[] = {
        {one, 0, 5}, {one, 1, 7}, {one, 1, 8}, {one, 1, -1000}, {small, 5, 1}, {small, 5, 2}, {small, 5, 1000},
        {wide, 7, -1000}, {wide, 7, 1000}, {wide, 7, -999}, {big, 32, 0}, {big, 32, 17}, {big, 32, -1000},
    };
    for (int i = 0; i < 32; i++) {
        big[i] = (long)((i * 37) % 23) * 3 - 30;
    }
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        long w[32];
        int n = cases[c].n;
        for (int i = 0; i < n; i++) {
            w[i] = cases[c].v[i];
        }
        int got = binary_search(w, n, cases[c].key);
        printf("binary_search case %d: n=%d key=%ld -> %d, table", c, n, cases[c].key, got);
        for (int i = 0; i < n; i++) {
            printf(" %ld", w[i]);
        }
        verdict(got == ref_binary_search(cases[c].v, n, cases[c].key) && sorted_permutation(cases[c].v, w, n));
    }
    printf("binary_search: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
