/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), bitwise. */
#include <stddef.h>
#include <stdint.h>

// ncc: len(buf)=len range(len)=0..64
uint32_t crc32(const uint8_t *buf, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= buf[i];
        for (int k = 0; k < 8; k++) {
            uint32_t mask = -(crc & 1u);
            crc = (crc >> 1) ^ (0xEDB88320u & mask);
        }
    }
    return ~crc;
}
