/* Counts words (runs of non-space characters) in a NUL-terminated string, strlen-style scanning. */
// ncc: string(s)
int count_words(const char *s)
{
    int words = 0;
    int in_word = 0;
    for (const char *p = s; *p != '\0'; p++) {
        int space = *p == ' ' || *p == '\t' || *p == '\n';
        if (!space && !in_word) {
            words++;
        }
        in_word = !space;
    }
    return words;
}
