// Fixture kernels for tests/sim/test_emulation.py, written as AscendC source for bisheng (with
// <<<>>> launches) and built for the CPU through inductor_npu_ext.sim. Each launcher is an
// extern "C" function taking (blockDim, stream, GM pointers..., scalars) as generated code does.
#include <cstdio>

#include "kernel_operator.h"

using namespace AscendC;

// ------------------------------------------------------------------ tiled Add over an unaligned length
struct AddTiling {
  uint32_t total;    // elements in x, y, z
  uint32_t perCore;  // elements per block (the last block takes what is left)
  uint32_t tileLen;  // elements per tile, a multiple of 8
};

class KernelAdd {
 public:
  __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, GM_ADDR z, const AddTiling& t, TPipe* pipe) {
    const uint64_t start = GetBlockIdx() * static_cast<uint64_t>(t.perCore);
    len_ = start >= t.total ? 0 : (t.total - start < t.perCore ? t.total - start : t.perCore);
    tileLen_ = t.tileLen;
    xGm_.SetGlobalBuffer((__gm__ float*)x + start, len_);
    yGm_.SetGlobalBuffer((__gm__ float*)y + start, len_);
    zGm_.SetGlobalBuffer((__gm__ float*)z + start, len_);
    pipe->InitBuffer(inX_, 2, tileLen_ * sizeof(float));
    pipe->InitBuffer(inY_, 2, tileLen_ * sizeof(float));
    pipe->InitBuffer(outZ_, 2, tileLen_ * sizeof(float));
  }
  __aicore__ inline void Process() {
    const uint32_t tiles = (len_ + tileLen_ - 1) / tileLen_;
    for (uint32_t i = 0; i < tiles; ++i) {
      const uint32_t offset = i * tileLen_;
      const uint32_t n = len_ - offset < tileLen_ ? len_ - offset : tileLen_;
      CopyIn(offset, n);
      Compute(n);
      CopyOut(offset, n);
    }
  }

 private:
  __aicore__ inline void Load(TQue<TPosition::VECIN, 1>& q, const GlobalTensor<float>& gm, uint32_t n) {
    LocalTensor<float> t = q.AllocTensor<float>();
    if (n % 8 == 0) {
      DataCopy(t, gm, n);
    } else {
      DataCopyPad(t, gm, {1, n * static_cast<uint32_t>(sizeof(float)), 0, 0, 0}, {false, 0, 0, 0.0f});
    }
    q.EnQue(t);
  }
  __aicore__ inline void CopyIn(uint32_t offset, uint32_t n) {
    Load(inX_, xGm_[offset], n);
    Load(inY_, yGm_[offset], n);
  }
  __aicore__ inline void Compute(uint32_t n) {
    LocalTensor<float> x = inX_.DeQue<float>();
    LocalTensor<float> y = inY_.DeQue<float>();
    LocalTensor<float> z = outZ_.AllocTensor<float>();
    Add(z, x, y, n);
    outZ_.EnQue(z);
    inX_.FreeTensor(x);
    inY_.FreeTensor(y);
  }
  __aicore__ inline void CopyOut(uint32_t offset, uint32_t n) {
    LocalTensor<float> z = outZ_.DeQue<float>();
    if (n % 8 == 0) {
      DataCopy(zGm_[offset], z, n);
    } else {
      DataCopyPad(zGm_[offset], z, {1, n * static_cast<uint32_t>(sizeof(float)), 0, 0, 0});
    }
    outZ_.FreeTensor(z);
  }

  TQue<TPosition::VECIN, 1> inX_, inY_;
  TQue<TPosition::VECOUT, 1> outZ_;
  GlobalTensor<float> xGm_, yGm_, zGm_;
  uint32_t len_ = 0, tileLen_ = 0;
};

extern "C" __global__ __aicore__ void add_tiled(GM_ADDR x, GM_ADDR y, GM_ADDR z, AddTiling t) {
  KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
  TPipe pipe;
  KernelAdd op;
  op.Init(x, y, z, t, &pipe);
  op.Process();
}

extern "C" void launch_add_tiled(uint32_t blockDim, void* stream, uint8_t* x, uint8_t* y, uint8_t* z, AddTiling t) {
  add_tiled<<<blockDim, nullptr, stream>>>(x, y, z, t);
}

// ------------------------------------------------------------------ RMSNorm with bf16 in/out
struct RmsTiling {
  uint32_t rows, cols, colsPad, rowsPerCore;
  float eps;
  uint32_t skipWeightSync;  // 1: leave out the MTE2_V flag after loading the weight into a TBuf
};

class KernelRms {
 public:
  __aicore__ inline void Init(GM_ADDR x, GM_ADDR w, GM_ADDR y, const RmsTiling& t, TPipe* pipe) {
    t_ = t;
    row0_ = static_cast<uint32_t>(GetBlockIdx()) * t.rowsPerCore;
    nRows_ = row0_ >= t.rows ? 0 : (t.rows - row0_ < t.rowsPerCore ? t.rows - row0_ : t.rowsPerCore);
    xGm_.SetGlobalBuffer((__gm__ bfloat16_t*)x + row0_ * t.cols, nRows_ * t.cols);
    yGm_.SetGlobalBuffer((__gm__ bfloat16_t*)y + row0_ * t.cols, nRows_ * t.cols);
    wGm_.SetGlobalBuffer((__gm__ bfloat16_t*)w, t.cols);
    pipe->InitBuffer(inQ_, 2, t.colsPad * sizeof(bfloat16_t));
    pipe->InitBuffer(outQ_, 2, t.colsPad * sizeof(bfloat16_t));
    pipe->InitBuffer(wRaw_, t.colsPad * sizeof(bfloat16_t));
    pipe->InitBuffer(wF_, t.colsPad * sizeof(float));
    pipe->InitBuffer(xF_, t.colsPad * sizeof(float));
    pipe->InitBuffer(sq_, t.colsPad * sizeof(float));
    pipe->InitBuffer(red_, 8 * sizeof(float));
    pipe->InitBuffer(one_, 8 * sizeof(float));
    pipe->InitBuffer(tmp_, 64 * sizeof(float));
  }
  __aicore__ inline void Process() {
    LocalTensor<bfloat16_t> wRaw = wRaw_.Get<bfloat16_t>();
    DataCopyPad(wRaw, wGm_, {1, t_.cols * static_cast<uint32_t>(sizeof(bfloat16_t)), 0, 0, 0}, {false, 0, 0, 0});
    if (t_.skipWeightSync == 0) {
      TEventID id = GetTPipePtr()->FetchEventID(HardEvent::MTE2_V);
      SetFlag<HardEvent::MTE2_V>(id);
      WaitFlag<HardEvent::MTE2_V>(id);
    }
    LocalTensor<float> wf = wF_.Get<float>();
    Cast(wf, wRaw, RoundMode::CAST_NONE, t_.cols);
    LocalTensor<float> one = one_.Get<float>();
    Duplicate(one, 1.0f, 8);
    for (uint32_t r = 0; r < nRows_; ++r) Row(r, wf, one);
  }

 private:
  __aicore__ inline void Row(uint32_t r, const LocalTensor<float>& wf, const LocalTensor<float>& one) {
    const uint32_t cols = t_.cols;
    const uint32_t rowBytes = cols * static_cast<uint32_t>(sizeof(bfloat16_t));
    LocalTensor<bfloat16_t> xb = inQ_.AllocTensor<bfloat16_t>();
    DataCopyPad(xb, xGm_[r * cols], {1, rowBytes, 0, 0, 0}, {false, 0, 0, 0});
    inQ_.EnQue(xb);
    xb = inQ_.DeQue<bfloat16_t>();
    LocalTensor<float> xf = xF_.Get<float>();
    LocalTensor<float> sq = sq_.Get<float>();
    LocalTensor<float> red = red_.Get<float>();
    Cast(xf, xb, RoundMode::CAST_NONE, cols);
    inQ_.FreeTensor(xb);
    Mul(sq, xf, xf, cols);
    ReduceSum(red, sq, tmp_.Get<float>(), cols);
    Muls(red, red, 1.0f / static_cast<float>(cols), 1);
    Adds(red, red, t_.eps, 1);
    Sqrt(red, red, 1);
    Div(red, one, red, 1);
    const float scale = red.GetValue(0);
    Muls(xf, xf, scale, cols);
    Mul(xf, xf, wf, cols);
    LocalTensor<bfloat16_t> yb = outQ_.AllocTensor<bfloat16_t>();
    Cast(yb, xf, RoundMode::CAST_RINT, cols);
    outQ_.EnQue(yb);
    yb = outQ_.DeQue<bfloat16_t>();
    DataCopyPad(yGm_[r * cols], yb, {1, rowBytes, 0, 0, 0});
    outQ_.FreeTensor(yb);
  }

  RmsTiling t_{};
  uint32_t row0_ = 0, nRows_ = 0;
  TQue<TPosition::VECIN, 1> inQ_;
  TQue<TPosition::VECOUT, 1> outQ_;
  TBuf<TPosition::VECCALC> wRaw_, wF_, xF_, sq_, red_, one_, tmp_;
  GlobalTensor<bfloat16_t> xGm_, yGm_, wGm_;
};

extern "C" __global__ __aicore__ void rmsnorm_bf16(GM_ADDR x, GM_ADDR w, GM_ADDR y, RmsTiling t) {
  KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
  TPipe pipe;
  KernelRms op;
  op.Init(x, w, y, t, &pipe);
  op.Process();
}

extern "C" void launch_rmsnorm_bf16(uint32_t blockDim, void* stream, uint8_t* x, uint8_t* w, uint8_t* y, RmsTiling t) {
  rmsnorm_bf16<<<blockDim, nullptr, stream>>>(x, w, y, t);
}

// ------------------------------------------------------------------ ReduceSum order (one block)
template <typename T>
__aicore__ inline void ReduceBody(GM_ADDR x, GM_ADDR out, uint32_t n) {
  TPipe pipe;
  TQue<TPosition::VECIN, 1> inQ;
  TBuf<TPosition::VECCALC> red, tmp;
  GlobalTensor<T> xGm, outGm;
  xGm.SetGlobalBuffer((__gm__ T*)x, n);
  outGm.SetGlobalBuffer((__gm__ T*)out, 1);
  pipe.InitBuffer(inQ, 1, n * sizeof(T));
  pipe.InitBuffer(red, 32);
  pipe.InitBuffer(tmp, 256);
  LocalTensor<T> xt = inQ.AllocTensor<T>();
  DataCopyPad(xt, xGm, {1, n * static_cast<uint32_t>(sizeof(T)), 0, 0, 0}, {false, 0, 0, T(0)});
  inQ.EnQue(xt);
  xt = inQ.DeQue<T>();
  LocalTensor<T> r = red.Get<T>();
  ReduceSum(r, xt, tmp.Get<T>(), n);
  inQ.FreeTensor(xt);
  SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
  WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
  DataCopyPad(outGm, r, {1, static_cast<uint32_t>(sizeof(T)), 0, 0, 0});
}

extern "C" __global__ __aicore__ void reduce_sum_f32(GM_ADDR x, GM_ADDR out, uint32_t n) { ReduceBody<float>(x, out, n); }
extern "C" __global__ __aicore__ void reduce_sum_f16(GM_ADDR x, GM_ADDR out, uint32_t n) { ReduceBody<half>(x, out, n); }

extern "C" void launch_reduce_sum_f32(uint32_t blockDim, void* stream, uint8_t* x, uint8_t* out, uint32_t n) {
  reduce_sum_f32<<<blockDim, nullptr, stream>>>(x, out, n);
}
extern "C" void launch_reduce_sum_f16(uint32_t blockDim, void* stream, uint8_t* x, uint8_t* out, uint32_t n) {
  reduce_sum_f16<<<blockDim, nullptr, stream>>>(x, out, n);
}

// ------------------------------------------------------------------ Cast spot checks
template <typename D, typename S>
__aicore__ inline void CastBody(GM_ADDR x, GM_ADDR y, uint32_t n, int32_t mode) {
  TPipe pipe;
  TQue<TPosition::VECIN, 1> inQ;
  TQue<TPosition::VECOUT, 1> outQ;
  GlobalTensor<S> xGm;
  GlobalTensor<D> yGm;
  xGm.SetGlobalBuffer((__gm__ S*)x + GetBlockIdx() * n, n);
  yGm.SetGlobalBuffer((__gm__ D*)y + GetBlockIdx() * n, n);
  pipe.InitBuffer(inQ, 1, n * sizeof(S));
  pipe.InitBuffer(outQ, 1, n * sizeof(D));
  LocalTensor<S> s = inQ.AllocTensor<S>();
  DataCopyPad(s, xGm, {1, n * static_cast<uint32_t>(sizeof(S)), 0, 0, 0}, {false, 0, 0, S(0)});
  inQ.EnQue(s);
  s = inQ.DeQue<S>();
  LocalTensor<D> d = outQ.AllocTensor<D>();
  Cast(d, s, static_cast<RoundMode>(mode), n);
  inQ.FreeTensor(s);
  outQ.EnQue(d);
  d = outQ.DeQue<D>();
  DataCopyPad(yGm, d, {1, n * static_cast<uint32_t>(sizeof(D)), 0, 0, 0});
  outQ.FreeTensor(d);
}

// kind: 0 f32->f16, 1 f32->bf16, 2 f16->f32, 3 bf16->f32, 4 f32->i32, 5 f32->f32 (integral)
extern "C" __global__ __aicore__ void cast_kernel(GM_ADDR x, GM_ADDR y, uint32_t n, int32_t kind, int32_t mode) {
  switch (kind) {
    case 0: CastBody<half, float>(x, y, n, mode); break;
    case 1: CastBody<bfloat16_t, float>(x, y, n, mode); break;
    case 2: CastBody<float, half>(x, y, n, mode); break;
    case 3: CastBody<float, bfloat16_t>(x, y, n, mode); break;
    case 4: CastBody<int32_t, float>(x, y, n, mode); break;
    default: CastBody<float, float>(x, y, n, mode); break;
  }
}

extern "C" void launch_cast(uint32_t blockDim, void* stream, uint8_t* x, uint8_t* y, uint32_t n, int32_t kind,
                            int32_t mode) {
  cast_kernel<<<blockDim, nullptr, stream>>>(x, y, n, kind, mode);
}

// ------------------------------------------------------------------ DataCopyPad layouts
struct PadArgs {
  uint32_t blockCount, blockLen, srcStride, dstStride;  // DataCopyExtParams of the GM->UB copy
  uint32_t isPad, leftPadding, rightPadding;
  float paddingValue;
  uint32_t dumpElems;  // UB floats dumped to `dump` (a multiple of 8)
  uint32_t roundTrip;  // 1: also copy the blocks back UB->GM into `out` with the mirrored strides
};

// Fills UB with -7, runs DataCopyPad GM->UB, dumps the UB buffer, optionally copies back UB->GM.
extern "C" __global__ __aicore__ void pad_layout(GM_ADDR src, GM_ADDR dump, GM_ADDR out, PadArgs a) {
  TPipe pipe;
  TQue<TPosition::VECIN, 1> q;
  GlobalTensor<float> srcGm, dumpGm, outGm;
  srcGm.SetGlobalBuffer((__gm__ float*)src);
  dumpGm.SetGlobalBuffer((__gm__ float*)dump, a.dumpElems);
  outGm.SetGlobalBuffer((__gm__ float*)out);
  pipe.InitBuffer(q, 1, a.dumpElems * sizeof(float));
  LocalTensor<float> t = q.AllocTensor<float>();
  Duplicate(t, -7.0f, a.dumpElems);
  SetFlag<HardEvent::V_MTE2>(EVENT_ID0);
  WaitFlag<HardEvent::V_MTE2>(EVENT_ID0);
  DataCopyPad(t, srcGm, {static_cast<uint16_t>(a.blockCount), a.blockLen, a.srcStride, a.dstStride, 0},
              {a.isPad != 0, static_cast<uint8_t>(a.leftPadding), static_cast<uint8_t>(a.rightPadding), a.paddingValue});
  q.EnQue(t);
  t = q.DeQue<float>();
  DataCopy(dumpGm, t, a.dumpElems);
  if (a.roundTrip != 0) {
    DataCopyPad(outGm, t, {static_cast<uint16_t>(a.blockCount), a.blockLen, a.dstStride, a.srcStride, 0});
  }
  q.FreeTensor(t);
}

extern "C" void launch_pad_layout(uint32_t blockDim, void* stream, uint8_t* src, uint8_t* dump, uint8_t* out,
                                  PadArgs a) {
  pad_layout<<<blockDim, nullptr, stream>>>(src, dump, out, a);
}

// ------------------------------------------------------------------ one vector API per launch
// op: 0 Add 1 Sub 2 Mul 3 Div 4 Max 5 Min 6 Adds 7 Muls 8 Maxs 9 Mins 10 Abs 11 Exp 12 Ln 13 Sqrt
//     14 Rsqrt 15 Reciprocal 16 Relu 17 Axpy(out = b + a*s) 18 Compare(LT)+Select(a, b)
//     19 CompareScalar(GT s)+Select(a, s) 20 ReduceMax(index) 21 ReduceMin(index) 22 Duplicate(s)
template <typename T>
__aicore__ inline void VecOpBody(GM_ADDR a, GM_ADDR b, GM_ADDR out, uint32_t n, int32_t op, float scalar) {
  TPipe pipe;
  TQue<TPosition::VECIN, 1> inA, inB;
  TQue<TPosition::VECOUT, 1> outQ;
  TBuf<TPosition::VECCALC> maskBuf, tmpBuf;
  GlobalTensor<T> aGm, bGm, outGm;
  aGm.SetGlobalBuffer((__gm__ T*)a, n);
  bGm.SetGlobalBuffer((__gm__ T*)b, n);
  outGm.SetGlobalBuffer((__gm__ T*)out, n);
  pipe.InitBuffer(inA, 1, n * sizeof(T));
  pipe.InitBuffer(inB, 1, n * sizeof(T));
  pipe.InitBuffer(outQ, 1, n * sizeof(T));
  pipe.InitBuffer(maskBuf, n / 8 < 32 ? 32 : n / 8);
  pipe.InitBuffer(tmpBuf, 256);
  LocalTensor<T> x = inA.AllocTensor<T>();
  LocalTensor<T> y = inB.AllocTensor<T>();
  DataCopy(x, aGm, n);
  DataCopy(y, bGm, n);
  inA.EnQue(x);
  inB.EnQue(y);
  x = inA.DeQue<T>();
  y = inB.DeQue<T>();
  LocalTensor<T> z = outQ.AllocTensor<T>();
  const T s = static_cast<T>(scalar);
  const int32_t count = static_cast<int32_t>(n);
  LocalTensor<uint8_t> mask = maskBuf.Get<uint8_t>();
  switch (op) {
    case 0: Add(z, x, y, count); break;
    case 1: Sub(z, x, y, count); break;
    case 2: Mul(z, x, y, count); break;
    case 3: Div(z, x, y, count); break;
    case 4: Max(z, x, y, count); break;
    case 5: Min(z, x, y, count); break;
    case 6: Adds(z, x, s, count); break;
    case 7: Muls(z, x, s, count); break;
    case 8: Maxs(z, x, s, count); break;
    case 9: Mins(z, x, s, count); break;
    case 10: Abs(z, x, count); break;
    case 11: Exp(z, x, count); break;
    case 12: Ln(z, x, count); break;
    case 13: Sqrt(z, x, count); break;
    case 14: Rsqrt(z, x, count); break;
    case 15: Reciprocal(z, x, count); break;
    case 16: Relu(z, x, count); break;
    case 17: DataCopy(z, y, n); Axpy(z, x, s, count); break;
    case 18: Compare(mask, x, y, CMPMODE::LT, n); Select(z, mask, x, y, SELMODE::VSEL_TENSOR_TENSOR_MODE, n); break;
    case 19: CompareScalar(mask, x, s, CMPMODE::GT, n); Select(z, mask, x, s, SELMODE::VSEL_TENSOR_SCALAR_MODE, n); break;
    case 20: ReduceMax(z, x, tmpBuf.Get<T>(), count, true); break;
    case 21: ReduceMin(z, x, tmpBuf.Get<T>(), count, true); break;
    default: Duplicate(z, s, count); break;
  }
  outQ.EnQue(z);
  inA.FreeTensor(x);
  inB.FreeTensor(y);
  z = outQ.DeQue<T>();
  DataCopy(outGm, z, n);
  outQ.FreeTensor(z);
}

extern "C" __global__ __aicore__ void vec_op_f32(GM_ADDR a, GM_ADDR b, GM_ADDR out, uint32_t n, int32_t op, float s) {
  VecOpBody<float>(a, b, out, n, op, s);
}
extern "C" __global__ __aicore__ void vec_op_f16(GM_ADDR a, GM_ADDR b, GM_ADDR out, uint32_t n, int32_t op, float s) {
  VecOpBody<half>(a, b, out, n, op, s);
}
extern "C" void launch_vec_op_f32(uint32_t blockDim, void* stream, uint8_t* a, uint8_t* b, uint8_t* out, uint32_t n,
                                  int32_t op, float s) {
  vec_op_f32<<<blockDim, nullptr, stream>>>(a, b, out, n, op, s);
}
extern "C" void launch_vec_op_f16(uint32_t blockDim, void* stream, uint8_t* a, uint8_t* b, uint8_t* out, uint32_t n,
                                  int32_t op, float s) {
  vec_op_f16<<<blockDim, nullptr, stream>>>(a, b, out, n, op, s);
}

// Integer APIs: op 0 And 1 Or 2 Not 3 Add 4 Mul 5 Max (int16_t); 6 Add 7 Mul 8 Relu 9 Adds (int32_t)
extern "C" __global__ __aicore__ void int_ops(GM_ADDR a, GM_ADDR b, GM_ADDR out, uint32_t bytes, int32_t op) {
  TPipe pipe;
  TBuf<TPosition::VECCALC> buf;
  pipe.InitBuffer(buf, 3 * bytes);
  GlobalTensor<uint8_t> aGm, bGm, outGm;
  aGm.SetGlobalBuffer((__gm__ uint8_t*)a, bytes);
  bGm.SetGlobalBuffer((__gm__ uint8_t*)b, bytes);
  outGm.SetGlobalBuffer((__gm__ uint8_t*)out, bytes);
  LocalTensor<uint8_t> raw = buf.Get<uint8_t>();
  DataCopy(raw, aGm, bytes);
  DataCopy(raw[bytes], bGm, bytes);
  PipeBarrier<PIPE_ALL>();
  LocalTensor<int16_t> a16 = raw.ReinterpretCast<int16_t>(), b16 = a16[bytes / 2], z16 = a16[bytes];
  LocalTensor<int32_t> a32 = raw.ReinterpretCast<int32_t>(), b32 = a32[bytes / 4], z32 = a32[bytes / 2];
  const int32_t n16 = static_cast<int32_t>(bytes / 2), n32 = static_cast<int32_t>(bytes / 4);
  switch (op) {
    case 0: And(z16, a16, b16, n16); break;
    case 1: Or(z16, a16, b16, n16); break;
    case 2: Not(z16, a16, n16); break;
    case 3: Add(z16, a16, b16, n16); break;
    case 4: Mul(z16, a16, b16, n16); break;
    case 5: Max(z16, a16, b16, n16); break;
    case 6: Add(z32, a32, b32, n32); break;
    case 7: Mul(z32, a32, b32, n32); break;
    case 8: Relu(z32, a32, n32); break;
    default: Adds(z32, a32, static_cast<int32_t>(-7), n32); break;
  }
  PipeBarrier<PIPE_ALL>();
  DataCopy(outGm, raw[2 * bytes], bytes);
}

extern "C" void launch_int_ops(uint32_t blockDim, void* stream, uint8_t* a, uint8_t* b, uint8_t* out, uint32_t bytes,
                               int32_t op) {
  int_ops<<<blockDim, nullptr, stream>>>(a, b, out, bytes, op);
}

// ------------------------------------------------------------------ scalar half/bf16 conversions
extern "C" __global__ __aicore__ void scalar_convert(GM_ADDR src, GM_ADDR h, GM_ADDR b, uint32_t n) {
  GlobalTensor<float> srcGm;
  GlobalTensor<half> hGm;
  GlobalTensor<bfloat16_t> bGm;
  srcGm.SetGlobalBuffer((__gm__ float*)src, n);
  hGm.SetGlobalBuffer((__gm__ half*)h, n);
  bGm.SetGlobalBuffer((__gm__ bfloat16_t*)b, n);
  for (uint32_t i = 0; i < n; ++i) {
    const float v = srcGm.GetValue(i);
    hGm.SetValue(i, half(v));
    bGm.SetValue(i, bfloat16_t(v));
  }
}

extern "C" void launch_scalar_convert(uint32_t blockDim, void* stream, uint8_t* src, uint8_t* h, uint8_t* b,
                                      uint32_t n) {
  scalar_convert<<<blockDim, nullptr, stream>>>(src, h, b, n);
}

// ------------------------------------------------------------------ template kernel launch
template <typename T>
__global__ __aicore__ void scale_kernel(GM_ADDR x, uint32_t n) {
  TPipe pipe;
  TQue<TPosition::VECIN, 1> q;
  GlobalTensor<T> xGm;
  xGm.SetGlobalBuffer((__gm__ T*)x, n);
  pipe.InitBuffer(q, 1, n * sizeof(T));
  LocalTensor<T> t = q.AllocTensor<T>();
  DataCopy(t, xGm, n);
  q.EnQue(t);
  t = q.DeQue<T>();
  Muls(t, t, static_cast<T>(2), n);
  PipeBarrier<PIPE_ALL>();
  DataCopy(xGm, t, n);
  q.FreeTensor(t);
}

extern "C" void launch_scale_f32(uint32_t blockDim, void* stream, uint8_t* x, uint32_t n) {
  scale_kernel<float><<<blockDim, nullptr, stream>>>(x, n);
}

// ------------------------------------------------------------------ UB budget
extern "C" __global__ __aicore__ void ub_budget(uint32_t bytes, uint32_t buffers) {
  TPipe pipe;
  TBuf<TPosition::VECCALC> bufs[80];
  if (buffers == 1) {
    pipe.InitBuffer(bufs[0], bytes);
  } else {
    for (uint32_t i = 0; i < buffers && i < 80; ++i) pipe.InitBuffer(bufs[i], bytes);
  }
}

extern "C" void launch_ub_budget(uint32_t blockDim, void* stream, uint32_t bytes, uint32_t buffers) {
  ub_budget<<<blockDim, nullptr, stream>>>(bytes, buffers);
}

// ------------------------------------------------------------------ copy / operand misuse
extern "C" __global__ __aicore__ void bad_copy(GM_ADDR gm, int32_t mode) {
  TPipe pipe;
  TQue<TPosition::VECIN, 1> q;
  TBuf<TPosition::VECCALC> buf;
  GlobalTensor<half> hGm;
  GlobalTensor<float> fGm;
  pipe.InitBuffer(q, 1, 256);
  pipe.InitBuffer(buf, 1024);
  hGm.SetGlobalBuffer((__gm__ half*)gm, 64);
  fGm.SetGlobalBuffer((__gm__ float*)gm, 32);
  LocalTensor<float> f = buf.Get<float>();
  switch (mode) {
    case 0: {  // DataCopy of 11 halfs: 22 bytes, not a multiple of 32 B
      LocalTensor<half> h = q.AllocTensor<half>();
      DataCopy(h, hGm, 11);
      q.FreeTensor(h);
      break;
    }
    case 1:  // vector operand 12 bytes into its buffer
      Duplicate(f, 0.0f, 64);
      Add(f[3], f[64], f[128], 16);
      break;
    case 2:  // GM read past the declared GlobalTensor size (32 floats)
      DataCopy(f, fGm[24], 16);
      break;
    case 3: {  // GM read past the registered allocation (no declared size)
      GlobalTensor<float> raw;
      raw.SetGlobalBuffer((__gm__ float*)gm);
      DataCopy(f, raw, 64);
      break;
    }
    case 4:  // float -> bf16 with CAST_NONE: no instruction on the NPU
      Cast(f.ReinterpretCast<bfloat16_t>(), f[64], RoundMode::CAST_NONE, 8);
      break;
    case 5:  // count runs past the end of the buffer (256 floats)
      Duplicate(f, 0.0f, 300);
      break;
    case 6: {  // int32 Compare supports EQ only
      LocalTensor<int32_t> i = f.ReinterpretCast<int32_t>();
      Compare(f[192].ReinterpretCast<uint8_t>(), i, i[64], CMPMODE::GT, 64);
      break;
    }
    case 7:  // SetFlag never waited for
      SetFlag<HardEvent::V_MTE3>(EVENT_ID1);
      break;
    case 8:  // WaitFlag without SetFlag
      WaitFlag<HardEvent::MTE2_V>(EVENT_ID2);
      break;
    default:
      break;
  }
}

extern "C" void launch_bad_copy(uint32_t blockDim, void* stream, uint8_t* gm, int32_t mode) {
  bad_copy<<<blockDim, nullptr, stream>>>(gm, mode);
}

// ------------------------------------------------------------------ queue misuse
extern "C" __global__ __aicore__ void bad_queue(int32_t mode) {
  TPipe pipe;
  TQue<TPosition::VECIN, 1> q;
  TQue<TPosition::VECOUT, 1> other;
  pipe.InitBuffer(q, 2, 256);
  pipe.InitBuffer(other, 1, 256);
  switch (mode) {
    case 0:  // DeQue on an empty queue
      q.DeQue<float>();
      break;
    case 1: {  // Alloc beyond the 2 buffers
      LocalTensor<float> a = q.AllocTensor<float>();
      LocalTensor<float> b = q.AllocTensor<float>();
      LocalTensor<float> c = q.AllocTensor<float>();
      q.FreeTensor(a);
      q.FreeTensor(b);
      q.FreeTensor(c);
      break;
    }
    case 2: {  // double free
      LocalTensor<float> a = q.AllocTensor<float>();
      LocalTensor<float> alias = a;
      q.FreeTensor(a);
      q.FreeTensor(alias);
      break;
    }
    case 3: {  // EnQue of a tensor from another queue
      LocalTensor<float> a = other.AllocTensor<float>();
      q.EnQue(a);
      break;
    }
    case 4: {  // use after FreeTensor
      LocalTensor<float> a = q.AllocTensor<float>();
      q.FreeTensor(a);
      Duplicate(a, 1.0f, 64);
      break;
    }
    case 5: {  // never freed
      q.AllocTensor<float>();
      break;
    }
    default:
      break;
  }
}

extern "C" void launch_bad_queue(uint32_t blockDim, void* stream, int32_t mode) {
  bad_queue<<<blockDim, nullptr, stream>>>(mode);
}

// ------------------------------------------------------------------ C++ throw mode
// Runs a failing launch with throw mode on and copies the caught ascendc_sim::Error message.
extern "C" int run_in_throw_mode(char* message, int capacity) {
  ascendc_sim_set_throw(1);
  int caught = 0;
  try {
    launch_bad_queue(1, nullptr, 0);
  } catch (const ascendc_sim::Error& e) {
    std::snprintf(message, capacity, "%s", e.what());
    caught = 1;
  }
  ascendc_sim_set_throw(0);
  return caught;
}
