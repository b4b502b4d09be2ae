/* Sorts a copy of the input ascending; returns the number of element moves. */
// ncc: len(in)=n len(out)=n out(out) range(n)=0..32
int insertion_sort(const int *in, int *out, int n)
{
    int moves = 0;
    for (int i = 0; i < n; i++) {
        out[i] = in[i];
    }
    for (int i = 1; i < n; i++) {
        int key = out[i];
        int j = i - 1;
        while (j >= 0 && out[j] > key) {
            out[j + 1] = out[j];
            j--;
            moves++;
        }
        out[j + 1] = key;
    }
    return moves;
}
