/* Self-checking program for ../point_centroid.c: truncated centroid, bounding-box area mod 1000003. */
#include <stdint.h>
#include <stdio.h>

struct point {
    int x;
    int y;
};

long point_centroid(const struct point *pts, int n, struct point *c);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: one pass per coordinate in 64 bits; the box is at most (2^32 - 1)^2, which fits in uint64_t. */
static long ref_point_centroid(const struct point *pts, int n, struct point *c)
{
    int64_t sum[2] = {0, 0}, lo[2], hi[2];
    for (int axis = 0; axis < 2; axis++) {
        lo[axis] = hi[axis] = axis ? pts[0].y : pts[0].x;
        for (int i = 0; i < n; i++) {
            int64_t v = axis ? pts[i].y : pts[i].x;
            sum[axis] += v;
            lo[axis] = v < lo[axis] ? v : lo[axis];
            hi[axis] = v > hi[axis] ? v : hi[axis];
        }
    }
    c->x = (int)(sum[0] / n); /* C division truncates toward zero, as in the kernel */
    c->y = (int)(sum[1] / n);
    return (long)((uint64_t)(hi[0] - lo[0]) * (uint64_t)(hi[1] - lo[1]) % 1000003u);
}

static const struct point single[] = {{5, -7}};
static const struct point pair[] = {{0, 0}, {2, 4}};
static const struct point negative[] = {{-3, -3}, {-4, 1}, {0, 0}};
static const struct point extremes[] = {{INT32_MIN, INT32_MAX}, {INT32_MAX, INT32_MIN}};
static const struct point corner[] = {{INT32_MAX, INT32_MAX}, {INT32_MAX, INT32_MAX}, {INT32_MIN, 0}};
static struct point cloud[32];

int main(void)
{
    const struct { const struct point *p; int n; } cases[] = {
        {single, 1}, {pair, 2}, {negative, 3}, {extremes, 2}, {corner, 3}, {cloud, 32}, {cloud, 7},
    };
    for (int i = 0; i < 32; i++) {
        cloud[i].x = (i * 7919) % 4001 - 2000;
        cloud[i].y = -(i * i * 31) % 997;
    }
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        struct point got = {-1, -1}, want = {-1, -1};
        long area = point_centroid(cases[c].p, cases[c].n, &got);
        long want_area = ref_point_centroid(cases[c].p, cases[c].n, &want);
        printf("point_centroid case %d: n=%d centroid=(%d, %d) area=%ld", c, cases[c].n, got.x, got.y, area);
        verdict(got.x == want.x && got.y == want.y && area == want_area);
    }
    printf("point_centroid: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
