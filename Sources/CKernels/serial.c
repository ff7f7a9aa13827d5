// A per-thread flag: while set, the GEMM front door runs the built-in kernel on
// the calling thread only. Set by work that already runs on every core (the two
// directions of a bidirectional layer), so its GEMMs do not spawn more threads.
#include "CKernels.h"

static _Thread_local int serial_flag = 0;

void ck_set_serial(int on) { serial_flag = on; }
int ck_serial(void) { return serial_flag; }
