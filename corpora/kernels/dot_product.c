/* Dot product of two float vectors, accumulated in double. */
// ncc: len(a)=n len(b)=n range(n)=0..64
double dot_product(const float *a, const float *b, int n)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        sum += (double)a[i] * (double)b[i];
    }
    return sum;
}
