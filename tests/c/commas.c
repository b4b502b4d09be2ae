/* comma-separated `for` clauses: two variables declared and stepped together, two assigned. */

int reverse_sum(const int *a, int n) {
    int s = 0;
    for (int i = 0, j = n - 1; i < j; i++, j--) {
        s += a[i] - a[j];
    }
    return s;
}

int palindrome(const char *s, int n) {
    int i, j;
    for (i = 0, j = n - 1; i < j; i++, j--) {
        if (s[i] != s[j])
            return 0;
    }
    return 1;
}
