/* Euclidean norm of a double vector (math.h sqrt), scaled by the largest magnitude to avoid overflow. */
#include <math.h>

// ncc: len(v)=n range(n)=0..64
double vec_norm(const double *v, int n)
{
    double scale = 0.0;
    for (int i = 0; i < n; i++) {
        double a = fabs(v[i]);
        if (a > scale) {
            scale = a;
        }
    }
    if (scale == 0.0) {
        return 0.0;
    }
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        double r = v[i] / scale;
        sum += r * r;
    }
    return scale * sqrt(sum);
}
