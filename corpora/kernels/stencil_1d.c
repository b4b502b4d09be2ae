/* Three-point smoothing stencil; the two end points are copied. */
// ncc: len(in)=n len(out)=n out(out) range(n)=0..64
void stencil_1d(const double *in, double *out, int n)
{
    if (n <= 0) {
        return;
    }
    out[0] = in[0];
    out[n - 1] = in[n - 1];
    for (int i = 1; i < n - 1; i++) {
        out[i] = 0.25 * in[i - 1] + 0.5 * in[i] + 0.25 * in[i + 1];
    }
}
