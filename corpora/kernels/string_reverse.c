/* Writes the reverse of s into out (at most cap - 1 chars, NUL-terminated); returns its length. */
#include <string.h>

// ncc: string(s) len(out)=cap out(out) range(cap)=1..64
int string_reverse(const char *s, char *out, int cap)
{
    size_t len = strlen(s);
    if (len > (size_t)(cap - 1)) {
        len = (size_t)(cap - 1);
    }
    for (size_t i = 0; i < len; i++) {
        out[i] = s[len - 1 - i];
    }
    out[len] = '\0';
    return (int)len;
}
