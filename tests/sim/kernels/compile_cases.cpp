// Fixture for the compile-failure tests: g++ -DCASE=<n> must fail for every n >= 1 with the
// message the test expects, and must succeed for CASE=0 (the same kernel, written correctly).
#include "kernel_operator.h"

using namespace AscendC;

#ifndef CASE
#define CASE 0
#endif

extern "C" __global__ __aicore__ void compile_case_kernel(GM_ADDR gm) {
  TPipe pipe;
  TBuf<TPosition::VECCALC> buf;
  pipe.InitBuffer(buf, 4096);
  LocalTensor<half> h = buf.Get<half>();
  LocalTensor<float> f = buf.GetWithOffset<float>(256, 1024);
  LocalTensor<int32_t> i = buf.GetWithOffset<int32_t>(256, 2048);
  LocalTensor<bfloat16_t> b = buf.GetWithOffset<bfloat16_t>(256, 3072);
  Duplicate(h, half(1.0f), 128);
  Duplicate(b, bfloat16_t(1.0f), 128);
  bfloat16_t x = b.GetValue(0);
  (void)x;
  (void)gm;
#if CASE == 0
  Muls(h, h, half(2.0f), 128);     // scalar of the element type
  float y = float(x) + float(x);   // bf16 arithmetic goes through float
  (void)y;
  Exp(f, f, 64);
  Cast(f, b, RoundMode::CAST_NONE, 128);
  PipeBarrier<PIPE_V>();
  SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
  WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
#elif CASE == 1
  Muls(h, h, 2.0f, 128);           // float scalar on a half tensor
#elif CASE == 2
  bfloat16_t y = x + x;            // arithmetic on bfloat16_t
  (void)y;
#elif CASE == 3
  Exp(i, i, 64);                   // Exp on int32
#elif CASE == 4
  Add(b, b, b, 128);               // vector arithmetic on bfloat16_t
#elif CASE == 5
  Cast(h, b, RoundMode::CAST_NONE, 128);  // no direct bf16 -> half
#elif CASE == 6
  PipeBarrier<PIPE_S>();
#elif CASE == 7
  SetFlag<HardEvent::M_V>(EVENT_ID0);  // cube pipe: not on a vector core
#endif
}

extern "C" void launch_compile_case(uint32_t blockDim, void* stream, uint8_t* gm) {
  compile_case_kernel<<<blockDim, nullptr, stream>>>(gm);
}
