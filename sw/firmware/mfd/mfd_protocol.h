/* What the MFD's driver (sw/drivers/mfd/) and its firmware (sw/firmware/mfd/mfd.c) say to each
 * other through the mailboxes (models/mfd/mfd_regs.h, mfd_fw_regs.h), and the job block they share
 * in the MFD's coherent memory. Plain C: SDCC compiles it into the firmware.
 *
 * A message is four little-endian 32-bit words; the low byte of word 0 is the command, and the
 * firmware's reply carries the command | MFD_MSG_REPLY. */
#ifndef DMASIM_SW_FIRMWARE_MFD_MFD_PROTOCOL_H
#define DMASIM_SW_FIRMWARE_MFD_MFD_PROTOCOL_H

#define MFD_MSG_REPLY 0x80u

/* HELLO: word 1 = the bus address at which the host's DMA API places the SRAM (the base the
 * firmware's buffer addresses are relative to). Reply: word 1 = MFD_FIRMWARE_VERSION. */
#define MFD_MSG_HELLO 0x01u
#define MFD_FIRMWARE_VERSION 0x0100u

/* RUN: word 1 = the bus address of a job block (dma_alloc_coherent on the cell's device). The
 * firmware maps the block's pages through its windows, fetches the input, processes it, writes the
 * output and the block's status and checksum. Reply: word 1 = the status, word 2 = the checksum. */
#define MFD_MSG_RUN 0x02u

/* The job block, at a page boundary, in the MFD's coherent memory (offsets in bytes). */
#define MFD_JOB_FUNCTION 0u /* 16 bits: MFD_FN_* */
#define MFD_JOB_LENGTH 2u   /* 16 bits: bytes of data, at most MFD_JOB_MAX_DATA */
#define MFD_JOB_INPUT                                                                             \
    4u                       /* 32 bits: bus address of system memory the engine fetches the data \
                              * from into the block's data area; 0 = the host wrote the data there */
#define MFD_JOB_OUTPUT 8u    /* 32 bits: bus address the engine writes the result to; 0 = none */
#define MFD_JOB_PARAM 12u    /* 8 bits: the function's parameter */
#define MFD_JOB_STATUS 16u   /* 32 bits, written by the firmware: MFD_STATUS_* */
#define MFD_JOB_CHECKSUM 20u /* 16 bits, written by the firmware */
#define MFD_JOB_DESC 32u     /* the firmware's DMA descriptor (MFD_DESC_SIZE bytes) */
#define MFD_JOB_DATA 64u     /* the data, processed in place */
#define MFD_JOB_PAGES 4u
#define MFD_JOB_MAX_DATA (MFD_JOB_PAGES * 4096u - MFD_JOB_DATA)

/* Functions, one per cell. */
#define MFD_FN_GAIN 1u  /* sample processing: y = min(255, (x * param) >> 4); checksum = sum of y (mod 2^16) */
#define MFD_FN_CRC16 2u /* the USB-like function: checksum = CRC-16/USB of the data; data unchanged */

#define MFD_STATUS_NONE 0u /* as allocated (zeroed): the firmware never wrote the block */
#define MFD_STATUS_DONE 1u
#define MFD_STATUS_BAD_FUNCTION 2u
#define MFD_STATUS_BAD_LENGTH 3u
#define MFD_STATUS_DMA_ERROR 4u

/* Firmware phases (MFD_SFR_FWPHASE), as the trace names them. */
#define MFD_PHASE_IDLE 0u
#define MFD_PHASE_FETCH 1u
#define MFD_PHASE_PROCESS 2u
#define MFD_PHASE_WRITEBACK 3u
#define MFD_PHASE_REPLY 4u

#endif
