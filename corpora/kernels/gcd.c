/* Greatest common divisor (Euclid) of two unsigned values; gcd(0, 0) = 0. */
// ncc: range(a)=0..4294967295 range(b)=0..4294967295
unsigned gcd(unsigned a, unsigned b)
{
    while (b != 0) {
        unsigned t = a % b;
        a = b;
        b = t;
    }
    return a;
}
