/* Clamps every element into [lo, hi] (bounds swapped if given in the wrong order); returns how many changed. */
// ncc: len(in)=n len(out)=n out(out) range(n)=0..64 range(lo)=-1000..1000 range(hi)=-1000..1000
int clamp(const int *in, int *out, int n, int lo, int hi)
{
    if (lo > hi) {
        int t = lo;
        lo = hi;
        hi = t;
    }
    int changed = 0;
    for (int i = 0; i < n; i++) {
        int v = in[i] < lo ? lo : (in[i] > hi ? hi : in[i]);
        changed += v != in[i];
        out[i] = v;
    }
    return changed;
}
