/* vmm.h — the KVM core in one include: ioctl layer, VM, vCPU, run loop,
 * cancellation, calibration. */
#ifndef SNAPBENCH_VMM_VMM_H
#define SNAPBENCH_VMM_VMM_H

#include "calibrate.h"
#include "cancel.h"
#include "kvm.h"
#include "run.h"
#include "vcpu.h"
#include "vm.h"

#endif
