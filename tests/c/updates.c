/* updates through pointers: ++ on what a pointer points to, compound assignment to an element, a swap;
   a member read from an array of structs whose tag is the program's own. */

struct point {
    int x;
    int y;
};

void bump(int *p) {
    (*p)++;
}

void scale_add(int *a, int n, int k) {
    for (int i = 0; i < n; i++) {
        a[i] *= k;
        a[i] += 1;
    }
}

void swap(int *a, int *b) {
    int t = *a;
    *a = *b;
    *b = t;
}

int sum_x(const struct point *ps, int n) {
    int s = 0;
    for (int i = 0; i < n; i++)
        s += ps[i].x;
    return s;
}
