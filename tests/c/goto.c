/* goto and labels as C code writes them: a cleanup exit, a way out of nested loops, a loop made of
   a backward goto, one label reached from several places, a label that ends a void function. */

int first_negative(const int *a, int n) {
    int i = 0;
    int found = -1;
    while (i < n) {
        if (a[i] < 0)
            goto out;
        i++;
    }
    return found;
out:
    found = i;
    return found;
}

int find_pair(const int *a, int n, int sum) {
    int i, j;
    int at = -1;
    for (i = 0; i < n; i++) {
        for (j = i + 1; j < n; j++) {
            if (a[i] + a[j] == sum) {
                at = i * 100 + j;
                goto done;
            }
        }
    }
done:
    return at;
}

unsigned collatz_steps(unsigned x) {
    unsigned steps = 0;
again:
    if (x <= 1)
        return steps;
    if (x % 2 == 0)
        x = x / 2;
    else
        x = 3 * x + 1;
    steps++;
    if (steps < 1000) goto again;
    return steps;
}

int clamp_sum(const int *a, int n, int lo, int hi) {
    int s = 0;
    int i;
    if (n <= 0) goto fail;
    for (i = 0; i < n; i++) {
        s += a[i];
        if (s > hi) goto fail;
        if (s < lo) goto fail;
    }
    return s;
fail:
    return lo;
}

void zero_until(int *a, int n, int stop) {
    int i = 0;
top:
    if (i >= n) goto end;
    if (a[i] == stop) goto end;
    a[i] = 0;
    i++;
    goto top;
end:
    ;
}
