// kernel_operator.h -- entry header of ascendc-sim, a CPU emulation of the AscendC API subset our
// generated kernels use (reference/ascendc_api.md, checklist in section 9). Kernel source written
// for the CANN `bisheng` compiler compiles with g++ -std=c++17 against this header once its
// `k<<<blockDim, l2ctrl, stream>>>(args)` launches are rewritten to
// `ASCENDC_SIM_LAUNCH(k, blockDim, l2ctrl, stream)(args)` (inductor_npu_ext.sim.rewrite_launches).
//
// Layout:
//   ascendc_sim_types.h    qualifiers, GM_ADDR, pipe_t/event_t, half, bfloat16_t, rounding helpers
//   ascendc_sim_runtime.h  Error, per-block state, GM registry, hazard tracker, launcher, C API
//   ascendc_sim_memory.h   TPipe, TQue, TBuf, LocalTensor, GlobalTensor, flags, GetBlockIdx
//   ascendc_sim_copy.h     DataCopy, DataCopyPad
//   ascendc_sim_vector.h   vector ops, Cast, Compare/Select, reductions
//
// Execution: the launch is synchronous on the calling host thread (the stream is ignored); blocks
// 0..blockDim-1 run in order, each with a fresh 192 KiB UB filled with 0xFF (NaN for every float
// type) and fresh TPipe/queue/event state.
//
// Checks (spec section), each an ascendc_sim::Error naming kernel, block, API and problem:
//   compile time  scalar type == element type (4.1); dtypes per API (4.2); no bf16 arithmetic
//                 (4.2); Cast pairs (4.3); legal HardEvents and PipeBarrier pipes (5.1)
//   InitBuffer    len rounded up to 32 B, total <= UB limit (default 184 KiB), <= 64 buffers,
//                 <= 8 queue buffers per TPosition (2.4, 9.1)
//   operands      live buffer, 32 B-aligned start (ReduceSum/Max/Min dst: element-aligned),
//                 elements inside the buffer, no partial dst/src overlap (2.1, 4.1, 9.2)
//   DataCopy      count*sizeof(T) % 32 == 0; GM inside the declared GlobalTensor size and inside
//                 a registered GM region when any is registered (3.1, 9.3); DataCopyPad layouts (3.2)
//   queues        Alloc beyond capacity, DeQue on empty, EnQue beyond depth, double free, foreign
//                 tensor, use after FreeTensor or while enqueued, buffers not freed at the end (9.5)
//   runtime modes unsupported Cast RoundMode, non-EQ int32 Compare, Compare count not 256 B (4.3, 4.4)
//   sync          SetFlag twice / WaitFlag without SetFlag / SetFlag never waited (5.1); an
//                 access to UB another pipe touched without a covering flag (5.2, 9.8)
#ifndef ASCENDC_SIM_KERNEL_OPERATOR_H
#define ASCENDC_SIM_KERNEL_OPERATOR_H

#include "ascendc_sim_types.h"
#include "ascendc_sim_runtime.h"
#include "ascendc_sim_memory.h"
#include "ascendc_sim_copy.h"
#include "ascendc_sim_vector.h"

#endif  // ASCENDC_SIM_KERNEL_OPERATOR_H
