/* The 8051 benchmark's workload (bench/bench_mcs51.cpp), built with SDCC: a mix of what firmware
 * does -- a CRC-16 over an XDATA buffer, an insertion sort in internal RAM, 16-bit arithmetic and
 * bit tests -- repeated forever, so that both simulators can run any number of instructions. */
#include <stdint.h>

static __xdata uint8_t buffer[256];
static __idata uint8_t keys[24];

static uint16_t crc16(uint16_t crc, const __xdata uint8_t* data, uint16_t length) {
    while (length--) {
        crc ^= (uint16_t)*data++ << 8;
        for (uint8_t bit = 0; bit < 8; ++bit)
            crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
    }
    return crc;
}

static void sort_keys(void) {
    for (uint8_t i = 1; i < sizeof keys; ++i) {
        uint8_t key = keys[i], j = i;
        while (j > 0 && keys[j - 1] > key) {
            keys[j] = keys[j - 1];
            --j;
        }
        keys[j] = key;
    }
}

void main(void) {
    uint16_t seed = 0xace1;
    for (;;) {
        for (uint16_t i = 0; i < sizeof buffer; ++i) {
            seed = seed * 75 + 74;
            buffer[i] = (uint8_t)(seed >> 8);
        }
        for (uint8_t i = 0; i < sizeof keys; ++i)
            keys[i] = buffer[i * 7];
        sort_keys();
        seed ^= crc16(0xffff, buffer, sizeof buffer);
    }
}
