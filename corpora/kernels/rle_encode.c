/* Run-length encodes bytes as (count, value) pairs with runs capped at 255; returns bytes written. */
// ncc: len(in)=n len(out)=cap out(out) range(n)=0..32 range(cap)=0..64
int rle_encode(const unsigned char *in, int n, unsigned char *out, int cap)
{
    int w = 0;
    int i = 0;
    while (i < n) {
        unsigned char v = in[i];
        int run = 1;
        while (i + run < n && in[i + run] == v && run < 255) {
            run++;
        }
        if (w + 2 > cap) {
            break;
        }
        out[w] = (unsigned char)run;
        out[w + 1] = v;
        w += 2;
        i += run;
    }
    return w;
}
