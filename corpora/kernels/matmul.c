/* c = a * b for row-major int matrices (a: rows x inner, b: inner x cols), wrapping arithmetic. */
// ncc: len(a)=rows*inner len(b)=inner*cols len(c)=rows*cols out(c)
// ncc: range(rows)=1..8 range(inner)=1..8 range(cols)=1..8
void matmul(const int *a, const int *b, int *c, int rows, int inner, int cols)
{
    for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
            unsigned acc = 0;
            for (int k = 0; k < inner; k++) {
                acc += (unsigned)a[i * inner + k] * (unsigned)b[k * cols + j];
            }
            c[i * cols + j] = (int)acc;
        }
    }
}
