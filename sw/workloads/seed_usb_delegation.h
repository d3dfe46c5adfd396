// `seed-usb-delegation` (seed experiment 7): a USB bulk storage device has no DMA of its own; its
// host controller (dmasim-uhc, a 32-bit DMA engine by default, behind a bridge whose inbound
// windows are 1 GiB of low RAM and a 64-bit one for the RAM above 4 GiB) moves its data. The
// workload writes blocks from a buffer in ZONE_NORMAL (above 4 GiB on arm-pci-noncoherent.dts),
// reads them back into a second one, and counts the wrong bytes.
//   delegate=true:  the USB device's dma::Device has the controller's as its parent (the USB
//                   core's setup): mappings use the controller's mask and the bridge's dma-ranges.
//                   With a 32-bit controller the buffers bounce through swiotlb; with a 64-bit one
//                   (dmasim,dma-bits = <64>) they reach the device directly. The data is right.
//   delegate=false: the storage driver is rebound after the device was given a dma::Device of its
//                   own with a 64-bit mask, as a driver that set up its own DMA would: nothing
//                   bounces, the controller is handed addresses its engine cannot drive, refuses
//                   them (pci.dma_refused, ep<N>.dma_refused), completes the TDs with a DMA error
//                   (usb.dma_errors), usb-storage resets the device, and the data is lost.
// Stats: workload.usb_delegation.transfers, workload.usb_delegation.failed (writes and reads that
// returned an error), workload.usb_delegation.bounced_maps and .bounced_bytes (the transfers'
// swiotlb maps and bytes, without probing's), plus workload.data_errors. Event:
// workload.usb_delegation (a failed transfer: op, lba, error).
#pragma once

#include "sw/workloads/workload.h"

namespace sw {

Workload seed_usb_delegation_workload();

}  // namespace sw
