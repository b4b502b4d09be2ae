/* One computation, spelled otherwise than the training functions spell it: a variable read twice,
   character literals, a static function (translator/memory/equivalents.py). */
static int square(int x) {
    return x * x;
}

int sum_squares(int n) {
    int s = 0;
    for (int i = 0; i < n; i++) {
        s += square(i);
    }
    return s;
}

char *find_char(char *s, int c) {
    while (*s != '\0') {
        if (*s == c) {
            return s;
        }
        s++;
    }
    return 0;
}
