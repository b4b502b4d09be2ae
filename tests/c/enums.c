/* enumerators read as the int constants C makes them, an enum value held as the unsigned int (no
   negative enumerator) or int (one) gcc gives it, an enumerator's value given or counted on. */

enum color { RED, GREEN = 5, BLUE };
enum sign { NEGATIVE = -1, ZERO, POSITIVE };

int is_warm(enum color c) {
    if (c == RED) {
        return 1;
    }
    return 0;
}

int color_code(enum color c) {
    if (c == GREEN)
        return 1;
    if (c == BLUE)
        return 2;
    return 0;
}

enum sign sign_of(int x) {
    if (x < 0)
        return NEGATIVE;
    if (x == 0)
        return ZERO;
    return POSITIVE;
}

int below_blue(enum color c) {
    if (c < BLUE)
        return 1;
    return 0;
}

int count_sign(const int *a, int n, enum sign want) {
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (a[i] * want > 0)
            k++;
    }
    return k;
}
