/* Self-checking program for ../string_reverse.c: reverses the first cap - 1 chars of s into out. */
#include <stdio.h>
#include <string.h>

int string_reverse(const char *s, char *out, int cap);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Prints s in quotes, with control and non-ASCII bytes as \xNN, so each check stays on one line. */
static void print_quoted(const char *s)
{
    putchar('"');
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
            putchar(ch);
        } else {
            printf("\\x%02x", ch);
        }
    }
    putchar('"');
}

/* Reference: copy the prefix that fits, then swap its ends inward. */
static int ref_string_reverse(const char *s, char *out, int cap)
{
    int len = 0;
    while (s[len] != '\0' && len < cap - 1) {
        out[len] = s[len];
        len++;
    }
    out[len] = '\0';
    for (int i = 0, j = len - 1; i < j; i++, j--) {
        char t = out[i];
        out[i] = out[j];
        out[j] = t;
    }
    return len;
}

int main(void)
{
    static const char long63[] = "the quick brown fox jumps over the lazy dog, 0123456789 ABC xyz";
    static const char long70[] = "Sphinx of black quartz, judge my vow! Pack my box with five dozen jugs.";
    const struct { const char *s; int cap; } cases[] = {
        {"", 1}, {"", 64}, {"a", 1}, {"a", 2}, {"ab", 64}, {"abc", 64}, {"hello world", 6}, {"racecar", 8},
        {"tab\there\n", 64}, {long63, 64}, {long70, 64}, {long70, 2}, {"\x7f\x01~", 3},
    };
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        char got[72], want[72];
        memset(got, '#', sizeof got);
        memset(want, '#', sizeof want);
        int len = string_reverse(cases[c].s, got, cases[c].cap);
        int want_len = ref_string_reverse(cases[c].s, want, cases[c].cap);
        /* comparing the whole buffer also checks that nothing past the NUL was written */
        int ok = len == want_len && memcmp(got, want, sizeof got) == 0;
        printf("string_reverse case %d: cap=%d len=%d ", c, cases[c].cap, len);
        print_quoted(ok ? got : "?");
        verdict(ok);
    }
    char fixed[8];
    int len = string_reverse("abc xyz", fixed, 8);
    printf("string_reverse case fixed: %d \"%s\"", len, fixed);
    verdict(len == 7 && strcmp(fixed, "zyx cba") == 0);
    printf("string_reverse: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
