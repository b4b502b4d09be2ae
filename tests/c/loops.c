/* loop tests of two conditions: joined by && in the loop's own test, joined by || in a test that
   breaks out of the loop; a do/while; a test that steps its variable (`n-- > 0`). */

int count_until_zero(const int *a, int n) {
    int i = 0;
    while (i < n && a[i] != 0)
        i++;
    return i;
}

int first_out_of_range(const int *a, int n, int lo, int hi) {
    int i;
    for (i = 0; i < n; i++) {
        if (a[i] < lo || a[i] > hi)
            break;
    }
    return i;
}

int prefix_below(const int *a, int n, int limit) {
    int s = 0;
    for (int i = 0; i < n && s + a[i] < limit; i++)
        s += a[i];
    return s;
}

int digits(int x) {
    int n = 0;
    do {
        n++;
        x /= 10;
    } while (x != 0);
    return n;
}

int sum_down(int n) {
    int s = 0;
    while (n-- > 0) {
        s += n;
    }
    return s;
}
