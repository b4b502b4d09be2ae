/* Loops whose test reads memory: a string's length, its characters, the last place of one. */
int length(const char *s) {
    int n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

int count_char(const char *s, int c) {
    int k = 0;
    int i = 0;
    while (s[i]) {
        if (s[i] == c) {
            k++;
        }
        i++;
    }
    return k;
}

int last_index_of(const char *s, int c) {
    int found = -1;
    int i = 0;
    while (s[i] != 0) {
        if (s[i] == c) {
            found = i;
        }
        i++;
    }
    return found;
}
