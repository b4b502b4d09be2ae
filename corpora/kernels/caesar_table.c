/* Substitution cipher through a constant table for lower-case letters; a global counts letters seen. */
static const char caesar_table_map[26] = "qwertyuiopasdfghjklzxcvbnm";
unsigned caesar_table_letters;

// ncc: string(s) len(out)=cap out(out) range(cap)=1..64
int caesar_table(const char *s, char *out, int cap)
{
    int i = 0;
    for (; s[i] != '\0' && i < cap - 1; i++) {
        char ch = s[i];
        if (ch >= 'a' && ch <= 'z') {
            out[i] = caesar_table_map[ch - 'a'];
            caesar_table_letters++;
        } else {
            out[i] = ch;
        }
    }
    out[i] = '\0';
    return i;
}
