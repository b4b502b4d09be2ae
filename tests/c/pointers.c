/* Walks and updates through pointers: `*p++`, a struct's fields through a pointer that is not const. */
int total(const int *p, int n) {
    int s = 0;
    while (n > 0) {
        s += *p++;
        n--;
    }
    return s;
}

struct point { int x; int y; };

void move(struct point *p, int d) {
    p->x += d;
    p->y -= d;
}
