/* The MFD as its 8051 sees it ("dmasim,mfd", models/mfd/mfd.h): the special-function registers the
 * MFD adds to the core's, the SRAM windows in XDATA, and the DMA engine's descriptors in SRAM.
 * Shared by the model and the firmware (sw/firmware/mfd/, built with SDCC): plain C, no C++.
 *
 * Interrupts: external interrupt 0 is asserted while a host message waits (MBSTAT.H2F), external
 * interrupt 1 while a DMA the firmware started has ended and not been cleared (DMACTL.DONE/ERROR).
 */
#ifndef DMASIM_MODELS_MFD_MFD_FW_REGS_H
#define DMASIM_MODELS_MFD_MFD_FW_REGS_H

/* XDATA: a 4 KiB SRAM page appears at each window while its WINSEL enables it; every other XDATA
 * address (and a window whose WINSEL is disabled) is the 8051's own XDATA RAM. */
#define MFD_WINDOW0 0x8000u
#define MFD_WINDOW1 0x9000u
#define MFD_WINDOW_SIZE 0x1000u
#define MFD_SRAM_PAGE_SHIFT 12

/* WINSEL0/1: bit 7 enables the window, bits 6:0 select the SRAM page it shows. */
#define MFD_SFR_WINSEL0 0x9a
#define MFD_SFR_WINSEL1 0x9b
#define MFD_WINSEL_ENABLE 0x80u
#define MFD_WINSEL_PAGE_MASK 0x7fu

/* Mailboxes: 16 bytes each way. MBIDX selects a byte; reading MBDATA returns that byte of the host's
 * message, writing it sets that byte of the firmware's; either increments MBIDX (modulo 16). */
#define MFD_SFR_MBSTAT 0x9c
#define MFD_MBSTAT_H2F 0x01u      /* a host message waits; write 1 to acknowledge it */
#define MFD_MBSTAT_F2H_BUSY 0x02u /* read-only: the host has not acknowledged the last message */
#define MFD_SFR_MBIDX 0x9d
#define MFD_SFR_MBDATA 0x9e
#define MFD_SFR_MBSEND 0x9f /* any write posts the firmware's message and interrupts the host */
#define MFD_MAILBOX_BYTES 16u

/* Address decoder: the firmware writes a bus address (as the host's DMA API gave it) to XADDR0-3,
 * least significant byte first, and reads the WINSEL value (enable | page) and the offset in the
 * page that reach it. The decoder keeps only the bits that index the SRAM, as the MFD's local bus
 * does: an address outside the SRAM reaches the SRAM page its low bits name. */
#define MFD_SFR_XADDR0 0xa1
#define MFD_SFR_XADDR1 0xa2
#define MFD_SFR_XADDR2 0xa3
#define MFD_SFR_XADDR3 0xa4
#define MFD_SFR_XPAGE 0xa5
#define MFD_SFR_XOFFL 0xa6
#define MFD_SFR_XOFFH 0xa7

/* DMA engine, started by the firmware: DMADL/DMADH hold the SRAM offset of the first descriptor
 * (16 bits: a firmware-started chain begins in the SRAM's first 64 KiB; its descriptors reach all of it);
 * writing START to DMACTL starts the chain. DMACTL reads BUSY, then DONE or ERROR; writing CLEAR
 * clears DONE and ERROR (and external interrupt 1). */
#define MFD_SFR_DMADL 0xa9
#define MFD_SFR_DMADH 0xaa
#define MFD_SFR_DMACTL 0xab
#define MFD_DMACTL_START 0x01u
#define MFD_DMACTL_BUSY 0x01u
#define MFD_DMACTL_DONE 0x02u
#define MFD_DMACTL_ERROR 0x04u
#define MFD_DMACTL_CLEAR 0x80u

/* Firmware phase, for the trace only: each write marks the start of phase <value> on the 8051's
 * track (the values are the firmware's: sw/firmware/mfd/mfd_protocol.h names them). */
#define MFD_SFR_FWPHASE 0xac

/* A DMA descriptor: 16 bytes in SRAM, 4-byte aligned, little-endian words. A chain runs from the
 * first descriptor through consecutive ones until one with LAST. The system side drives 32-bit bus
 * addresses and never snoops the CPU's caches; the SRAM side is the SRAM itself. */
#define MFD_DESC_SIZE 16u
#define MFD_DESC_SRAM_OFFSET 0u /* byte offset in the SRAM */
#define MFD_DESC_SYSTEM 4u      /* bus address in system memory */
#define MFD_DESC_LENGTH 8u      /* bytes, 1 to the SRAM's size */
#define MFD_DESC_CONTROL 12u
#define MFD_DESC_TO_SYSTEM 0x00000001ul /* SRAM to system memory; clear: system memory to SRAM */
#define MFD_DESC_LAST 0x80000000ul

#endif
