/* Self-checking program for ../crc32.c: CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

uint32_t crc32(const uint8_t *buf, size_t len);

static int checks, failures;

static void verdict(int ok)
{
    checks++;
    failures += !ok;
    printf(" %s\n", ok ? "ok" : "FAIL");
}

/* Reference: the table-driven (byte at a time) form of the same CRC. */
static uint32_t ref_crc32(const uint8_t *buf, size_t len)
{
    uint32_t table[256];
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t r = b;
        for (int k = 0; k < 8; k++) {
            r = (r & 1u) ? (r >> 1) ^ 0xEDB88320u : r >> 1;
        }
        table[b] = r;
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc = table[(crc ^ buf[i]) & 0xFFu] ^ (crc >> 8);
    }
    return crc ^ 0xFFFFFFFFu;
}

int main(void)
{
    static const struct { const char *s; uint32_t expected; } known[] = {
        {"", 0x00000000u},
        {"a", 0xE8B7BE43u},
        {"123456789", 0xCBF43926u},
        {"The quick brown fox jumps over the lazy dog", 0x414FA339u},
    };
    int c = 0;
    for (int k = 0; k < (int)(sizeof known / sizeof known[0]); k++, c++) {
        size_t len = strlen(known[k].s);
        uint32_t got = crc32((const uint8_t *)known[k].s, len);
        printf("crc32 case %d: len=%zu 0x%08X", c, len, (unsigned)got);
        verdict(got == known[k].expected && got == ref_crc32((const uint8_t *)known[k].s, len));
    }
    uint8_t ramp[64], ones[64], zeros[64];
    for (int i = 0; i < 64; i++) {
        ramp[i] = (uint8_t)(i * 29 + 7);
        ones[i] = 0xFF;
        zeros[i] = 0;
    }
    static const size_t lens[] = {1, 3, 17, 63, 64};
    for (int k = 0; k < (int)(sizeof lens / sizeof lens[0]); k++) {
        const uint8_t *bufs[] = {ramp, ones, zeros};
        for (int b = 0; b < 3; b++, c++) {
            uint32_t got = crc32(bufs[b], lens[k]);
            printf("crc32 case %d: len=%zu 0x%08X", c, lens[k], (unsigned)got);
            verdict(got == ref_crc32(bufs[b], lens[k]));
        }
    }
    printf("crc32: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
