/* The MFD's 8051 firmware (models/mfd/mfd_fw_regs.h, sw/firmware/mfd/mfd_protocol.h): it sleeps in
 * idle mode until the host's message raises external interrupt 0, answers HELLO with its version
 * and runs a job block (RUN): the decoder turns the block's bus address into an SRAM page, WINSEL0
 * shows the block's header, the MFD's DMA engine fetches the input into the block's data area,
 * WINSEL1 pages through the data while the function processes it in place, and the engine writes
 * the result back; the status and checksum go into the block and the reply.
 *
 * Built twice (sw/firmware/mfd/CMakeLists.txt): dmasim-mfd.ihx, and with MFD_FW_STALE_WINDOW the
 * window bug of seed experiment 6: the firmware maps only the data's first page and runs its
 * pointer on past the window's end, into its own XDATA, instead of remapping WINSEL1. */
#include <8051.h>
#include <stdint.h>

#include "models/mfd/mfd_fw_regs.h"
#include "sw/firmware/mfd/mfd_protocol.h"

__sfr __at(MFD_SFR_WINSEL0) WINSEL0;
__sfr __at(MFD_SFR_WINSEL1) WINSEL1;
__sfr __at(MFD_SFR_MBSTAT) MBSTAT;
__sfr __at(MFD_SFR_MBIDX) MBIDX;
__sfr __at(MFD_SFR_MBDATA) MBDATA;
__sfr __at(MFD_SFR_MBSEND) MBSEND;
__sfr __at(MFD_SFR_XADDR0) XADDR0;
__sfr __at(MFD_SFR_XADDR1) XADDR1;
__sfr __at(MFD_SFR_XADDR2) XADDR2;
__sfr __at(MFD_SFR_XADDR3) XADDR3;
__sfr __at(MFD_SFR_XPAGE) XPAGE;
__sfr __at(MFD_SFR_XOFFL) XOFFL;
__sfr __at(MFD_SFR_XOFFH) XOFFH;
__sfr __at(MFD_SFR_DMADL) DMADL;
__sfr __at(MFD_SFR_DMADH) DMADH;
__sfr __at(MFD_SFR_DMACTL) DMACTL;
__sfr __at(MFD_SFR_FWPHASE) FWPHASE;

#define WORDS (MFD_MAILBOX_BYTES / 4)

static uint32_t message[WORDS];
static uint32_t reply[WORDS];
static uint32_t sram_bus_base;

/* The job block as WINSEL0 shows it: its first page, and the block's offset in that page. */
static uint8_t block_page;
static __xdata uint8_t* header;

/* The host's message raised external interrupt 0, which stays asserted until the firmware
 * acknowledges the message: the handler only wakes the core from idle mode and masks itself. */
void host_message(void) __interrupt(IE0_VECTOR) {
    EX0 = 0;
}

static void receive(void) {
    uint8_t i;
    MBIDX = 0;
    for (i = 0; i < WORDS; ++i) {
        uint32_t word = MBDATA;
        word |= (uint32_t)MBDATA << 8;
        word |= (uint32_t)MBDATA << 16;
        word |= (uint32_t)MBDATA << 24;
        message[i] = word;
        reply[i] = 0;
    }
    MBSTAT = MFD_MBSTAT_H2F;
}

static void send(void) {
    uint8_t i;
    while (MBSTAT & MFD_MBSTAT_F2H_BUSY)
        ;
    MBIDX = 0;
    for (i = 0; i < WORDS; ++i) {
        uint32_t word = reply[i];
        MBDATA = (uint8_t)word;
        MBDATA = (uint8_t)(word >> 8);
        MBDATA = (uint8_t)(word >> 16);
        MBDATA = (uint8_t)(word >> 24);
    }
    MBSEND = 1;
}

static uint16_t get16(__xdata uint8_t* p) {
    return p[0] | (uint16_t)p[1] << 8;
}

static uint32_t get32(__xdata uint8_t* p) {
    return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static void put16(__xdata uint8_t* p, uint16_t value) {
    p[0] = (uint8_t)value;
    p[1] = (uint8_t)(value >> 8);
}

static void put32(__xdata uint8_t* p, uint32_t value) {
    put16(p, (uint16_t)value);
    put16(p + 2, (uint16_t)(value >> 16));
}

/* Maps the job block at `bus` with WINSEL0 through the decoder: what the MFD's local bus reaches
 * for that address (only the bits that index the SRAM count). */
static void map_block(uint32_t bus) {
    XADDR0 = (uint8_t)bus;
    XADDR1 = (uint8_t)(bus >> 8);
    XADDR2 = (uint8_t)(bus >> 16);
    XADDR3 = (uint8_t)(bus >> 24);
    block_page = XPAGE & MFD_WINSEL_PAGE_MASK;
    WINSEL0 = XPAGE;
    header = (__xdata uint8_t*)(MFD_WINDOW0 + (XOFFL | (uint16_t)XOFFH << 8));
}

/* The SRAM offset of the block's byte `offset`: the block's pages are consecutive in the SRAM. */
static uint16_t sram_offset(uint16_t offset) {
    return ((uint16_t)block_page << MFD_SRAM_PAGE_SHIFT) + (uint16_t)(header - (__xdata uint8_t*)MFD_WINDOW0) +
           offset;
}

/* Moves the block's data between the SRAM and system memory at `system` with the MFD's engine:
 * one descriptor in the block, the firmware waits for the chain's end. */
static uint8_t engine(uint32_t system, uint16_t length, uint32_t control) {
    __xdata uint8_t* desc = header + MFD_JOB_DESC;
    uint16_t desc_offset = sram_offset(MFD_JOB_DESC);
    uint8_t done;
    put32(desc + MFD_DESC_SRAM_OFFSET, sram_offset(MFD_JOB_DATA));
    put32(desc + MFD_DESC_SYSTEM, system);
    put32(desc + MFD_DESC_LENGTH, length);
    put32(desc + MFD_DESC_CONTROL, control | MFD_DESC_LAST);
    DMADL = (uint8_t)desc_offset;
    DMADH = (uint8_t)(desc_offset >> 8);
    DMACTL = MFD_DMACTL_START;
    do
        done = DMACTL & (MFD_DMACTL_DONE | MFD_DMACTL_ERROR);
    while (!done);
    DMACTL = MFD_DMACTL_CLEAR;
    return done == MFD_DMACTL_DONE;
}

static uint8_t gain(uint8_t x, uint8_t param) {
    uint16_t y = ((uint16_t)x * param) >> 4;
    return y > 255 ? 255 : (uint8_t)y;
}

static uint16_t crc16_usb(uint16_t crc, uint8_t x) {
    uint8_t bit;
    crc ^= x;
    for (bit = 0; bit < 8; ++bit)
        crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
    return crc;
}

/* Processes the block's data in place, a window page at a time through WINSEL1, and returns the
 * checksum. */
static uint16_t process(uint8_t function, uint16_t length, uint8_t param) {
    uint16_t offset = sram_offset(MFD_JOB_DATA);
    uint16_t checksum = function == MFD_FN_CRC16 ? 0xffff : 0;
    uint8_t page = 0xff;
    __xdata uint8_t* p = 0;
    uint16_t i;
    for (i = 0; i < length; ++i, ++offset, ++p) {
        uint8_t offset_page = offset >> MFD_SRAM_PAGE_SHIFT;
        if (offset_page != page) {
#ifdef MFD_FW_STALE_WINDOW
            if (page == 0xff) {  /* the bug: only the first page is ever mapped */
#endif
                WINSEL1 = MFD_WINSEL_ENABLE | offset_page;
                p = (__xdata uint8_t*)(MFD_WINDOW1 + (offset & (MFD_WINDOW_SIZE - 1)));
#ifdef MFD_FW_STALE_WINDOW
            }
#endif
            page = offset_page;
        }
        if (function == MFD_FN_GAIN) {
            uint8_t y = gain(*p, param);
            *p = y;
            checksum += y;
        } else {
            checksum = crc16_usb(checksum, *p);
        }
    }
    return function == MFD_FN_CRC16 ? checksum ^ 0xffff : checksum;
}

static uint32_t run(uint32_t block) {
    uint8_t function;
    uint16_t length, checksum;
    uint32_t input, output;
    FWPHASE = MFD_PHASE_FETCH;
    map_block(block);
    function = (uint8_t)get16(header + MFD_JOB_FUNCTION);
    length = get16(header + MFD_JOB_LENGTH);
    input = get32(header + MFD_JOB_INPUT);
    output = get32(header + MFD_JOB_OUTPUT);
    if (function != MFD_FN_GAIN && function != MFD_FN_CRC16)
        return MFD_STATUS_BAD_FUNCTION;
    if (length > MFD_JOB_MAX_DATA)
        return MFD_STATUS_BAD_LENGTH;
    if (input && !engine(input, length, 0))
        return MFD_STATUS_DMA_ERROR;
    FWPHASE = MFD_PHASE_PROCESS;
    checksum = process(function, length, header[MFD_JOB_PARAM]);
    put16(header + MFD_JOB_CHECKSUM, checksum);
    reply[2] = checksum;
    FWPHASE = MFD_PHASE_WRITEBACK;
    if (output && !engine(output, length, MFD_DESC_TO_SYSTEM))
        return MFD_STATUS_DMA_ERROR;
    return MFD_STATUS_DONE;
}

static void serve(void) {
    uint8_t command;
    receive();
    command = (uint8_t)message[0];
    reply[0] = command | MFD_MSG_REPLY;
    if (command == MFD_MSG_HELLO) {
        sram_bus_base = message[1];
        reply[1] = MFD_FIRMWARE_VERSION;
        reply[2] = sram_bus_base; /* the host checks the firmware kept what it said */
    } else if (command == MFD_MSG_RUN) {
        reply[1] = run(message[1]);
        put32(header + MFD_JOB_STATUS, reply[1]);
    }
    FWPHASE = MFD_PHASE_REPLY;
    send();
    FWPHASE = MFD_PHASE_IDLE;
}

void main(void) {
    IT0 = 0; /* level-triggered: the line stays up while a message waits */
    EA = 1;
    for (;;) {
        EX0 = 1;
        PCON |= IDL; /* an enabled, pending interrupt 0 wakes the core at once */
        if (MBSTAT & MFD_MBSTAT_H2F)
            serve();
    }
}
