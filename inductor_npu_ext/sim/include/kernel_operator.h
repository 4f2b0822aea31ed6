// kernel_operator.h -- entry header of ascendc-sim, a CPU emulation of the AscendC API subset our
// generated kernels use (reference/ascendc_api.md, checklist in section 9). Kernel source written
// for the CANN `bisheng` compiler compiles unchanged with g++ -std=c++17 against this header once
// its `k<<<blockDim, l2ctrl, stream>>>(args)` launches are rewritten to
// `ASCENDC_SIM_LAUNCH(k, blockDim, l2ctrl, stream)(args)` (inductor_npu_ext.sim.rewrite_launches).
//
// Layout:
//   ascendc_sim_types.h    half, bfloat16_t, rounding helpers
//   ascendc_sim_runtime.h  Error, per-block state, GM registry, hazard tracker, launcher, C API
//   ascendc_sim_memory.h   TPipe, TQue, TBuf, LocalTensor, GlobalTensor, flags, GetBlockIdx
//   ascendc_sim_copy.h     DataCopy, DataCopyPad
//   ascendc_sim_vector.h   vector ops, Cast, Compare/Select, reductions
//
// Kernels run on the calling host thread, block by block; the launch is synchronous (the stream
// argument is ignored). Errors: see ascendc_sim_runtime.h.
#ifndef ASCENDC_SIM_KERNEL_OPERATOR_H
#define ASCENDC_SIM_KERNEL_OPERATOR_H

#include <cstdint>

#define ASCENDC_SIM 1
#ifndef __NPU_ARCH__
#define __NPU_ARCH__ 2201  // Atlas A2/A3 (spec 7.2)
#endif

// ---------------------------------------------------------------- qualifiers (spec 1.1)
#ifndef __global__
#define __global__
#endif
#ifndef __aicore__
#define __aicore__
#endif
#ifndef __gm__
#define __gm__
#endif
#ifndef __vector__
#define __vector__
#endif
#ifndef __ubuf__
#define __ubuf__
#endif
#ifndef GM_ADDR
#define GM_ADDR __gm__ uint8_t*
#endif

#define KERNEL_TASK_TYPE_DEFAULT(type) ((void)(type))
#define KERNEL_TASK_TYPE(key, type) ((void)(key), (void)(type))
#define ASCEND_IS_AIV true
#define ASCEND_IS_AIC false

// ---------------------------------------------------------------- global builtin enums (spec 1.2, 5.1)
enum KernelMetaType : uint8_t {
  KERNEL_TYPE_AIV_ONLY,
  KERNEL_TYPE_AIC_ONLY,
  KERNEL_TYPE_MIX_AIV_1_0,
  KERNEL_TYPE_MIX_AIC_1_0,
  KERNEL_TYPE_MIX_AIC_1_1,
  KERNEL_TYPE_MIX_AIC_1_2,
  KERNEL_TYPE_AICORE,
  KERNEL_TYPE_VECTORCORE,
  KERNEL_TYPE_MIX_AICORE,
  KERNEL_TYPE_MIX_VECTOR_CORE,
};

enum pipe_t : uint8_t { PIPE_S = 0, PIPE_V, PIPE_M, PIPE_MTE1, PIPE_MTE2, PIPE_MTE3, PIPE_ALL, PIPE_FIX };

enum event_t : uint8_t { EVENT_ID0 = 0, EVENT_ID1, EVENT_ID2, EVENT_ID3, EVENT_ID4, EVENT_ID5, EVENT_ID6, EVENT_ID7 };

#include "ascendc_sim_types.h"
#include "ascendc_sim_runtime.h"
#include "ascendc_sim_memory.h"
#include "ascendc_sim_copy.h"
#include "ascendc_sim_vector.h"

#endif  // ASCENDC_SIM_KERNEL_OPERATOR_H
