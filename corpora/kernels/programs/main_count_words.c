/* Self-checking program for ../count_words.c: words are runs of anything but ' ', '\t' and '\n'. */
#include <stdio.h>
#include <string.h>

int count_words(const char *s);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

static int is_separator(char ch)
{
    return ch != '\0' && strchr(" \t\n", ch) != NULL;
}

/* Reference: count the positions where a word starts (a non-separator after a separator or at the start). */
static int ref_count_words(const char *s)
{
    int words = 0;
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i++) {
        if (!is_separator(s[i]) && (i == 0 || is_separator(s[i - 1]))) {
            words++;
        }
    }
    return words;
}

int main(void)
{
    static const struct { const char *s; int expected; } cases[] = {
        {"", 0},
        {" ", 0},
        {"one", 1},
        {"x", 1},
        {"  two words  ", 2},
        {"\ttab\tseparated\nand newline\n", 4},
        {"carriage\rreturn\vvtab\fformfeed", 1}, /* only ' ', '\t' and '\n' separate words */
        {"a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4", 31},
        {" \t\n \t\n", 0},
        {"\xff\x80 \x7f", 2}, /* bytes with the high bit set are word characters (char signedness aside) */
        {"punctuation,counts;as-part.of words!", 2},
        {"trailing space ", 2},
    };
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        int got = count_words(cases[c].s);
        printf("count_words case %d: len=%zu words=%d", c, strlen(cases[c].s), got);
        verdict(got == ref_count_words(cases[c].s) && got == cases[c].expected);
    }
    printf("count_words: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
