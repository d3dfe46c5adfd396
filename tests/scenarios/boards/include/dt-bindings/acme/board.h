/* A dt-bindings style header, kept in its own include folder as a kernel's include/ is: the tree
 * finds it only through -I (or the scenario's include_dirs), as a kernel board finds
 * <dt-bindings/...>. */
#ifndef DT_BINDINGS_ACME_BOARD_H
#define DT_BINDINGS_ACME_BOARD_H

#define GIC_SPI 0
#define IRQ_TYPE_LEVEL_HIGH 4
#define ACME_DMA_AGENT_IRQ 16
#define ACME_SZ_1G 0x40000000

#endif
