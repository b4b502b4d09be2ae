/* y_out[i] = alpha * x[i] + y[i] (BLAS saxpy with a separate output). */
// ncc: len(x)=n len(y)=n len(out)=n out(out) range(n)=0..64 range(alpha)=-10.0..10.0
void saxpy(int n, float alpha, const float *x, const float *y, float *out)
{
    for (int i = 0; i < n; i++) {
        out[i] = alpha * x[i] + y[i];
    }
}
