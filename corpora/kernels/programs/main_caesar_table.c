/* Self-checking program for ../caesar_table.c: table substitution of a..z into a bounded buffer. */
#include <stdio.h>
#include <string.h>

int caesar_table(const char *s, char *out, int cap);
extern unsigned caesar_table_letters;

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: copy at most cap - 1 chars, then map the lower-case letters; returns the letters mapped. */
static unsigned ref_caesar_table(const char *s, char *out, int cap)
{
    static const char map[] = "qwertyuiopasdfghjklzxcvbnm";
    size_t len = strlen(s) < (size_t)(cap - 1) ? strlen(s) : (size_t)(cap - 1);
    unsigned letters = 0;
    memcpy(out, s, len);
    out[len] = '\0';
    for (size_t i = 0; i < len; i++) {
        const char *p = strchr("abcdefghijklmnopqrstuvwxyz", out[i]); /* out[i] is never NUL here */
        if (p != NULL) {
            out[i] = map[p - "abcdefghijklmnopqrstuvwxyz"];
            letters++;
        }
    }
    return letters;
}

int main(void)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz";
    static const char long63[] = "the quick brown fox jumps over the lazy dog, 0123456789 ABC xyz";
    static const char long70[] = "Sphinx of black quartz, judge my vow! Pack my box with five dozen jugs.";
    const struct { const char *s; int cap; } cases[] = {
        {"", 1}, {"", 64}, {"a", 64}, {"xyz", 1}, {"abc", 64}, {"hello, world!", 64}, {alphabet, 64},
        {"Hello ZZZ zz", 6}, {"MiXeD cAsE 123 ~{|}`@[", 64}, {long63, 64}, {long70, 64}, {long70, 2},
    };
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        char got[72], want[72];
        memset(got, '#', sizeof got);
        unsigned before = caesar_table_letters;
        int len = caesar_table(cases[c].s, got, cases[c].cap);
        unsigned letters = caesar_table_letters - before;
        unsigned want_letters = ref_caesar_table(cases[c].s, want, cases[c].cap);
        int untouched = 1; /* nothing written past out[cap - 1] */
        for (int i = cases[c].cap; i < (int)sizeof got; i++) {
            untouched &= got[i] == '#';
        }
        int ok = untouched && len >= 0 && len < cases[c].cap && strcmp(got, want) == 0;
        printf("caesar_table case %d: cap=%d len=%d letters=%u \"%s\"", c, cases[c].cap, len, letters,
               ok ? got : "?");
        verdict(ok && (size_t)len == strlen(want) && letters == want_letters);
    }
    char fixed[8];
    int len = caesar_table("abc xyz", fixed, 8); /* hard-coded: a->q b->w c->e x->b y->n z->m */
    printf("caesar_table case fixed: %d \"%s\"", len, fixed);
    verdict(len == 7 && strcmp(fixed, "qwe bnm") == 0);
    printf("caesar_table: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
