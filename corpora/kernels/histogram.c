/* 16-bin histogram of bytes by their high nibble; returns the fullest bin. */
// ncc: len(data)=n len(bins)=16 out(bins) range(n)=0..64
int histogram(const unsigned char *data, int n, unsigned *bins)
{
    for (int i = 0; i < n; i++) {
        bins[data[i] >> 4]++;
    }
    int best = 0;
    for (int b = 1; b < 16; b++) {
        if (bins[b] > bins[best]) {
            best = b;
        }
    }
    return best;
}
