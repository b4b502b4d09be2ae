/* Total number of set bits in an array of 64-bit words (Kernighan's loop). */
// ncc: len(w)=n range(n)=0..64
unsigned popcount(const unsigned long long *w, int n)
{
    unsigned total = 0;
    for (int i = 0; i < n; i++) {
        unsigned long long x = w[i];
        while (x != 0) {
            x &= x - 1;
            total++;
        }
    }
    return total;
}
