/* switch as C code writes it: cases that share an arm, fall-through, a default in the middle or
   missing, a break out of the switch and one out of a loop inside an arm, a switch inside a loop that
   continues it, character and negative case values, an unsigned controlling value. */

int grade(int score) {
    switch (score / 10) {
    case 10:
    case 9:
        return 4;
    case 8:
        return 3;
    case 7:
        return 2;
    default:
        return 0;
    }
}

int count_vowels(const char *s, int n) {
    int vowels = 0;
    for (int i = 0; i < n; i++) {
        switch (s[i]) {
        case 'a':
        case 'e':
        case 'i':
        case 'o':
        case 'u':
            vowels++;
            break;
        default:
            break;
        }
    }
    return vowels;
}

int fall_through(int k) {
    int s = 0;
    switch (k) {
    case 1:
        s += 10;
    default:
        s += 5;
    case -2:
        s += 1;
        break;
    case 3:
        s = 7;
    }
    return s;
}

int first_big(const int *a, int n, int mode) {
    int at = -1;
    switch (mode) {
    case 0:
        for (int i = 0; i < n; i++) {
            if (a[i] > 100) {
                at = i;
                break;
            }
        }
        break;
    case 1:
        at = n;
        break;
    }
    return at;
}

int skip_zeros(const int *a, int n) {
    int s = 0;
    for (int i = 0; i < n; i++) {
        switch (a[i]) {
        case 0:
            continue;
        case 1:
            s += 2;
            break;
        default:
            s += 1;
        }
        s *= 2;
    }
    return s;
}

unsigned bucket(unsigned x) {
    switch (x % 4) {
    case 0:
        return 1;
    case 1:
        return 2;
    case 2:
        return 3;
    }
    return 4;
}
