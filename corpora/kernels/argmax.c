/* Index of the largest element (first one on ties); -1 for an empty array; max written to *best. */
// ncc: len(v)=n len(best)=1 out(best) range(n)=0..64
int argmax(const short *v, int n, short *best)
{
    if (n <= 0) {
        return -1;
    }
    int idx = 0;
    for (int i = 1; i < n; i++) {
        if (v[i] > v[idx]) {
            idx = i;
        }
    }
    *best = v[idx];
    return idx;
}
