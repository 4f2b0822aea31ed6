// ascendc_sim_vector.h -- count-form vector APIs for the ascendc-sim emulation: elementwise binary,
// unary and tensor-scalar ops, Duplicate, Axpy, Cast, Compare/CompareScalar/Select, ReduceSum/
// ReduceMax/ReduceMin. Signatures follow AscendC (scalars are `const T&` with T deduced from the
// tensors, so `Muls(halfT, halfT, 2.0f, n)` does not compile, spec 4.1); dtypes follow the A2/A3
// table of reference/ascendc_api.md 4.2 and are enforced with static_assert. Every operand is
// checked (spec 9.2): from a live buffer, 32 B-aligned start, `count` elements inside its buffer,
// dst/src either identical or disjoint. Half ops compute in float and round once (spec 9.7).
#ifndef ASCENDC_SIM_VECTOR_H
#define ASCENDC_SIM_VECTOR_H

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "ascendc_sim_copy.h"

namespace AscendC {

enum class RoundMode : uint8_t { CAST_NONE = 0, CAST_RINT, CAST_FLOOR, CAST_CEIL, CAST_ROUND, CAST_TRUNC, CAST_ODD };
enum class CMPMODE : uint8_t { LT = 0, GT, EQ, LE, GE, NE };
enum class SELMODE : uint8_t { VSEL_CMPMASK_SPR = 0, VSEL_TENSOR_SCALAR_MODE, VSEL_TENSOR_TENSOR_MODE };
enum class ReduceOrder : uint8_t { ORDER_VALUE_INDEX = 0, ORDER_INDEX_VALUE, ORDER_ONLY_VALUE, ORDER_ONLY_INDEX };

// Repeat-parameter structs of the mask/repeat API form. Only the count form is emulated; these exist
// so that code naming them compiles.
struct UnaryRepeatParams {
  uint32_t blockNumber = 8;
  uint16_t dstBlkStride = 1, srcBlkStride = 1;
  uint8_t dstRepStride = 8, srcRepStride = 8;
  UnaryRepeatParams() {}
  UnaryRepeatParams(const uint16_t dstBlkStrideIn, const uint16_t srcBlkStrideIn, const uint8_t dstRepStrideIn,
                    const uint8_t srcRepStrideIn)
      : dstBlkStride(dstBlkStrideIn), srcBlkStride(srcBlkStrideIn), dstRepStride(dstRepStrideIn),
        srcRepStride(srcRepStrideIn) {}
};
struct BinaryRepeatParams {
  uint32_t blockNumber = 8;
  uint8_t dstBlkStride = 1, src0BlkStride = 1, src1BlkStride = 1;
  uint8_t dstRepStride = 8, src0RepStride = 8, src1RepStride = 8;
  BinaryRepeatParams() {}
  BinaryRepeatParams(const uint8_t dstBlkStrideIn, const uint8_t src0BlkStrideIn, const uint8_t src1BlkStrideIn,
                     const uint8_t dstRepStrideIn, const uint8_t src0RepStrideIn, const uint8_t src1RepStrideIn)
      : dstBlkStride(dstBlkStrideIn), src0BlkStride(src0BlkStrideIn), src1BlkStride(src1BlkStrideIn),
        dstRepStride(dstRepStrideIn), src0RepStride(src0RepStrideIn), src1RepStride(src1RepStrideIn) {}
};

}  // namespace AscendC

#pragma GCC visibility push(hidden)
namespace ascendc_sim {

template <class T> const char* TypeName() {
  if (std::is_same<T, half>::value) return "half";
  if (std::is_same<T, bfloat16_t>::value) return "bfloat16_t";
  if (std::is_same<T, float>::value) return "float";
  if (std::is_same<T, double>::value) return "double";
  if (std::is_same<T, int8_t>::value) return "int8_t";
  if (std::is_same<T, uint8_t>::value) return "uint8_t";
  if (std::is_same<T, int16_t>::value) return "int16_t";
  if (std::is_same<T, uint16_t>::value) return "uint16_t";
  if (std::is_same<T, int32_t>::value) return "int32_t";
  if (std::is_same<T, uint32_t>::value) return "uint32_t";
  if (std::is_same<T, int64_t>::value) return "int64_t";
  if (std::is_same<T, uint64_t>::value) return "uint64_t";
  return "?";
}

template <class T> constexpr bool kFloatType = kOneOf<T, half, float>;                       // Div, Exp, ...
template <class T> constexpr bool kArithType = kOneOf<T, half, float, int16_t, int32_t>;     // Add, Muls, ...
template <class T> constexpr bool kBitType = kOneOf<T, int16_t, uint16_t>;                   // And, Or, Not
template <class T> constexpr bool kDupType = kOneOf<T, int16_t, uint16_t, half, bfloat16_t, int32_t, uint32_t, float>;
template <class T> constexpr bool kBf16 = std::is_same<T, bfloat16_t>::value;

struct UbRange {
  uint32_t lo, hi;
};

template <class T>
UbRange RangeOf(const AscendC::LocalTensor<T>& t, uint64_t count) {
  return UbRange{t.simHandle.offset, static_cast<uint32_t>(t.simHandle.offset + count * sizeof(T))};
}

inline void CheckCount(const char* api, int64_t count) {
  if (count < 1) Fail(api, Cat("count ", count, " < 1 (count-form vector APIs process count >= 1 elements, spec 4.1)"));
}

// Spec 9.2: live handle, aligned start, `count` elements inside the operand's buffer.
template <class T>
T* VecOperand(BlockContext& ctx, const char* api, const char* operand, const AscendC::LocalTensor<T>& t,
              uint64_t count, uint32_t alignment = kBlockBytes) {
  CheckHandle(ctx, api, operand, t.simHandle);
  CheckAligned(api, operand, t.simHandle, alignment);
  CheckUbRange(ctx, api, operand, t.simHandle, count * sizeof(T), "count elements");
  return t.SimPtr();
}

// Spec 4.1: dst and a source may be the same tensor (100% overlap) but must not partially overlap;
// a narrow->wide Cast must not overlap at all (spec 4.3).
inline void CheckOverlap(const char* api, const char* dstName, UbRange d, const char* srcName, UbRange s,
                         bool allowSameStart = true) {
  if (d.lo < s.hi && s.lo < d.hi && !(allowSameStart && d.lo == s.lo))
    Fail(api, Cat(dstName, " UB bytes [", d.lo, ", ", d.hi, ") and ", srcName, " UB bytes [", s.lo, ", ", s.hi,
                  ") overlap partially (only identical operands are allowed, spec 4.1)"));
}

// ---- element arithmetic: half computes in float and rounds once; ints wrap (two's complement)
template <class T> inline auto Up(T v) {
  if constexpr (std::is_same<T, half>::value) return static_cast<float>(v);
  else return v;
}
template <class T> inline T Wrap(uint32_t v) { return static_cast<T>(v); }

template <class T> inline T OpAdd(T a, T b) {
  if constexpr (std::is_integral<T>::value) return Wrap<T>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
  else return T(Up(a) + Up(b));
}
template <class T> inline T OpSub(T a, T b) {
  if constexpr (std::is_integral<T>::value) return Wrap<T>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
  else return T(Up(a) - Up(b));
}
template <class T> inline T OpMul(T a, T b) {
  if constexpr (std::is_integral<T>::value) return Wrap<T>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b));
  else return T(Up(a) * Up(b));
}
template <class T> inline T OpDiv(T a, T b) { return T(Up(a) / Up(b)); }
// Max/Min propagate NaN (so reads of poisoned UB surface instead of being masked).
template <class T> inline T OpMax(T a, T b) {
  if constexpr (!std::is_integral<T>::value) {
    if (std::isnan(Up(a))) return a;
    if (std::isnan(Up(b))) return b;
  }
  return Up(a) >= Up(b) ? a : b;
}
template <class T> inline T OpMin(T a, T b) {
  if constexpr (!std::is_integral<T>::value) {
    if (std::isnan(Up(a))) return a;
    if (std::isnan(Up(b))) return b;
  }
  return Up(a) <= Up(b) ? a : b;
}

// ---- generic count-form drivers
template <class T, class F>
void Binary(const char* api, const AscendC::LocalTensor<T>& dst, const AscendC::LocalTensor<T>& src0,
            const AscendC::LocalTensor<T>& src1, int32_t count, F f) {
  BlockContext& ctx = Ctx(api);
  CheckCount(api, count);
  T* d = VecOperand(ctx, api, "dst", dst, count);
  const T* a = VecOperand(ctx, api, "src0", src0, count);
  const T* b = VecOperand(ctx, api, "src1", src1, count);
  CheckOverlap(api, "dst", RangeOf(dst, count), "src0", RangeOf(src0, count));
  CheckOverlap(api, "dst", RangeOf(dst, count), "src1", RangeOf(src1, count));
  PipeOp op(ctx, kVector, api);
  op.Read(RangeOf(src0, count).lo, RangeOf(src0, count).hi);
  op.Read(RangeOf(src1, count).lo, RangeOf(src1, count).hi);
  op.Write(RangeOf(dst, count).lo, RangeOf(dst, count).hi);
  for (int32_t i = 0; i < count; ++i) d[i] = f(a[i], b[i]);
}

template <class D, class S, class F>
void Unary(const char* api, const AscendC::LocalTensor<D>& dst, const AscendC::LocalTensor<S>& src, int64_t count,
           F f) {
  BlockContext& ctx = Ctx(api);
  CheckCount(api, count);
  D* d = VecOperand(ctx, api, "dst", dst, count);
  const S* s = VecOperand(ctx, api, "src", src, count);
  const UbRange dr = RangeOf(dst, count), sr = RangeOf(src, count);
  CheckOverlap(api, "dst", dr, "src", sr, sizeof(D) <= sizeof(S));
  PipeOp op(ctx, kVector, api);
  op.Read(sr.lo, sr.hi);
  op.Write(dr.lo, dr.hi);
  if (sizeof(D) == sizeof(S)) {
    for (int64_t i = 0; i < count; ++i) d[i] = f(s[i]);
  } else {  // different widths sharing a start: read everything first
    std::vector<S> copy(s, s + count);
    for (int64_t i = 0; i < count; ++i) d[i] = f(copy[i]);
  }
}

}  // namespace ascendc_sim
#pragma GCC visibility pop

// static_assert helpers: the message names the API, the dtypes it accepts and the spec section.
#define ASCENDC_SIM_NO_BF16(T, NAME)                                                                   \
  static_assert(!ascendc_sim::kBf16<T>, "ascendc-sim: " NAME ": no vector arithmetic on bfloat16_t on " \
                                        "A2/A3; Cast to float, compute, Cast back (spec 4.2)")
#define ASCENDC_SIM_DTYPES(COND, NAME, LIST) \
  static_assert(COND, "ascendc-sim: " NAME " supports " LIST " only on A2/A3 (spec 4.2)")

namespace AscendC {

// ---------------------------------------------------------------- binary (spec 4.2)
#define ASCENDC_SIM_BINARY(NAME, COND, LIST, OP)                                                      \
  template <typename T, bool isSetMask = true>                                                        \
  inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1, \
                   const int32_t& count) {                                                            \
    ASCENDC_SIM_NO_BF16(T, #NAME);                                                                    \
    ASCENDC_SIM_DTYPES(COND, #NAME, LIST);                                                            \
    ascendc_sim::Binary(#NAME, dst, src0, src1, count, OP);                                           \
  }
ASCENDC_SIM_BINARY(Add, ascendc_sim::kArithType<T>, "half/float/int16_t/int32_t", ascendc_sim::OpAdd<T>)
ASCENDC_SIM_BINARY(Sub, ascendc_sim::kArithType<T>, "half/float/int16_t/int32_t", ascendc_sim::OpSub<T>)
ASCENDC_SIM_BINARY(Mul, ascendc_sim::kArithType<T>, "half/float/int16_t/int32_t", ascendc_sim::OpMul<T>)
ASCENDC_SIM_BINARY(Div, ascendc_sim::kFloatType<T>, "half/float", ascendc_sim::OpDiv<T>)
ASCENDC_SIM_BINARY(Max, ascendc_sim::kArithType<T>, "half/float/int16_t/int32_t", ascendc_sim::OpMax<T>)
ASCENDC_SIM_BINARY(Min, ascendc_sim::kArithType<T>, "half/float/int16_t/int32_t", ascendc_sim::OpMin<T>)
ASCENDC_SIM_BINARY(And, ascendc_sim::kBitType<T>, "int16_t/uint16_t", [](T a, T b) { return static_cast<T>(a & b); })
ASCENDC_SIM_BINARY(Or, ascendc_sim::kBitType<T>, "int16_t/uint16_t", [](T a, T b) { return static_cast<T>(a | b); })
#undef ASCENDC_SIM_BINARY

// ---------------------------------------------------------------- unary (spec 4.2)
#define ASCENDC_SIM_UNARY(NAME, COND, LIST, EXPR)                                                     \
  template <typename T, bool isSetMask = true>                                                        \
  inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, const int32_t& count) {      \
    ASCENDC_SIM_NO_BF16(T, #NAME);                                                                    \
    ASCENDC_SIM_DTYPES(COND, #NAME, LIST);                                                            \
    ascendc_sim::Unary(#NAME, dst, src, count, [](T x) { return EXPR; });                            \
  }
ASCENDC_SIM_UNARY(Abs, ascendc_sim::kFloatType<T>, "half/float", T(std::fabs(ascendc_sim::Up(x))))
ASCENDC_SIM_UNARY(Exp, ascendc_sim::kFloatType<T>, "half/float", T(std::exp(ascendc_sim::Up(x))))
ASCENDC_SIM_UNARY(Ln, ascendc_sim::kFloatType<T>, "half/float", T(std::log(ascendc_sim::Up(x))))
ASCENDC_SIM_UNARY(Sqrt, ascendc_sim::kFloatType<T>, "half/float", T(std::sqrt(ascendc_sim::Up(x))))
// Rsqrt/Reciprocal are exact here; on the NPU they miss 1e-4 (float) / 1e-3 (half) (spec 4.2).
ASCENDC_SIM_UNARY(Rsqrt, ascendc_sim::kFloatType<T>, "half/float", T(1.0f / std::sqrt(ascendc_sim::Up(x))))
ASCENDC_SIM_UNARY(Reciprocal, ascendc_sim::kFloatType<T>, "half/float", T(1.0f / ascendc_sim::Up(x)))
ASCENDC_SIM_UNARY(Relu, (ascendc_sim::kOneOf<T, half, float, int32_t>), "half/float/int32_t",
                  (ascendc_sim::OpMax<T>(x, T(0))))
ASCENDC_SIM_UNARY(Not, ascendc_sim::kBitType<T>, "int16_t/uint16_t", static_cast<T>(~x))
#undef ASCENDC_SIM_UNARY

// ---------------------------------------------------------------- tensor-scalar (spec 4.1, 4.2)
#define ASCENDC_SIM_SCALAR(NAME, OP)                                                                   \
  template <typename T, bool isSetMask = true>                                                         \
  inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, const T& scalarValue,         \
                   const int32_t& count) {                                                             \
    ASCENDC_SIM_NO_BF16(T, #NAME);                                                                     \
    ASCENDC_SIM_DTYPES(ascendc_sim::kArithType<T>, #NAME, "half/float/int16_t/int32_t");               \
    const T s = scalarValue;                                                                           \
    ascendc_sim::Unary(#NAME, dst, src, count, [s](T x) { return OP(x, s); });                         \
  }
ASCENDC_SIM_SCALAR(Adds, ascendc_sim::OpAdd<T>)
ASCENDC_SIM_SCALAR(Muls, ascendc_sim::OpMul<T>)
ASCENDC_SIM_SCALAR(Maxs, ascendc_sim::OpMax<T>)
ASCENDC_SIM_SCALAR(Mins, ascendc_sim::OpMin<T>)
#undef ASCENDC_SIM_SCALAR

// ---------------------------------------------------------------- Duplicate (spec 4.2)
template <typename T, bool isSetMask = true>
inline void Duplicate(const LocalTensor<T>& dst, const T& scalarValue, const int32_t& count) {
  ASCENDC_SIM_DTYPES(ascendc_sim::kDupType<T>, "Duplicate",
                     "int16_t/uint16_t/half/bfloat16_t/int32_t/uint32_t/float");
  const char* api = "Duplicate";
  ascendc_sim::BlockContext& ctx = ascendc_sim::Ctx(api);
  ascendc_sim::CheckCount(api, count);
  T* d = ascendc_sim::VecOperand(ctx, api, "dst", dst, count);
  ascendc_sim::PipeOp op(ctx, ascendc_sim::kVector, api);
  op.Write(ascendc_sim::RangeOf(dst, count).lo, ascendc_sim::RangeOf(dst, count).hi);
  for (int32_t i = 0; i < count; ++i) d[i] = scalarValue;
}

// ---------------------------------------------------------------- Axpy: dst += src * scalar (spec 4.2)
template <typename T, typename U, bool isSetMask = true>
inline void Axpy(const LocalTensor<T>& dst, const LocalTensor<U>& src, const U scalarValue, const int32_t& count) {
  ASCENDC_SIM_NO_BF16(T, "Axpy");
  ASCENDC_SIM_NO_BF16(U, "Axpy");
  ASCENDC_SIM_DTYPES((std::is_same<T, U>::value && ascendc_sim::kFloatType<T>) ||
                         (std::is_same<T, float>::value && std::is_same<U, half>::value),
                     "Axpy", "half<-half, float<-float and float<-half");
  const char* api = "Axpy";
  ascendc_sim::BlockContext& ctx = ascendc_sim::Ctx(api);
  ascendc_sim::CheckCount(api, count);
  T* d = ascendc_sim::VecOperand(ctx, api, "dst", dst, count);
  const U* s = ascendc_sim::VecOperand(ctx, api, "src", src, count);
  ascendc_sim::CheckOverlap(api, "dst", ascendc_sim::RangeOf(dst, count), "src", ascendc_sim::RangeOf(src, count),
                            sizeof(T) == sizeof(U));
  ascendc_sim::PipeOp op(ctx, ascendc_sim::kVector, api);
  op.Read(ascendc_sim::RangeOf(src, count).lo, ascendc_sim::RangeOf(src, count).hi);
  op.Read(ascendc_sim::RangeOf(dst, count).lo, ascendc_sim::RangeOf(dst, count).hi);
  op.Write(ascendc_sim::RangeOf(dst, count).lo, ascendc_sim::RangeOf(dst, count).hi);
  const float a = static_cast<float>(scalarValue);
  for (int32_t i = 0; i < count; ++i) d[i] = T(static_cast<float>(d[i]) + static_cast<float>(s[i]) * a);
}

}  // namespace AscendC

// ---------------------------------------------------------------- Cast (spec 4.3)
#pragma GCC visibility push(hidden)
namespace ascendc_sim {

enum : uint32_t {
  kModeNone = 1u << 0, kModeRint = 1u << 1, kModeFloor = 1u << 2, kModeCeil = 1u << 3, kModeRound = 1u << 4,
  kModeTrunc = 1u << 5, kModeOdd = 1u << 6,
  kModeDirected = kModeRint | kModeFloor | kModeCeil | kModeRound | kModeTrunc,
};

// Supported (dst, src) pairs on A2/A3 and the RoundModes each accepts (spec 4.3); 0 = no such pair.
template <class D, class S> struct CastRule { static constexpr uint32_t modes = 0; };
#define ASCENDC_SIM_CAST(D, S, MODES) \
  template <> struct CastRule<D, S> { static constexpr uint32_t modes = MODES; };
ASCENDC_SIM_CAST(float, half, kModeNone)
ASCENDC_SIM_CAST(half, float, kModeNone | kModeDirected | kModeOdd)
ASCENDC_SIM_CAST(float, bfloat16_t, kModeNone)
ASCENDC_SIM_CAST(bfloat16_t, float, kModeDirected)  // CAST_NONE/CAST_ODD: no instruction on the NPU
ASCENDC_SIM_CAST(int32_t, bfloat16_t, kModeDirected)
ASCENDC_SIM_CAST(float, float, kModeDirected)       // round to an integral value
ASCENDC_SIM_CAST(int32_t, float, kModeDirected)
ASCENDC_SIM_CAST(int16_t, float, kModeDirected)
ASCENDC_SIM_CAST(int64_t, float, kModeDirected)
ASCENDC_SIM_CAST(float, int32_t, kModeNone | kModeDirected)
ASCENDC_SIM_CAST(float, int16_t, kModeNone)
ASCENDC_SIM_CAST(float, int64_t, kModeDirected)
ASCENDC_SIM_CAST(int32_t, half, kModeDirected)
ASCENDC_SIM_CAST(int16_t, half, kModeDirected)
ASCENDC_SIM_CAST(int8_t, half, kModeNone | kModeDirected)
ASCENDC_SIM_CAST(uint8_t, half, kModeNone | kModeDirected)
ASCENDC_SIM_CAST(half, int16_t, kModeNone | kModeDirected)
ASCENDC_SIM_CAST(half, int8_t, kModeNone)
ASCENDC_SIM_CAST(half, uint8_t, kModeNone)
ASCENDC_SIM_CAST(int64_t, int32_t, kModeNone)
ASCENDC_SIM_CAST(int32_t, int64_t, kModeNone)
ASCENDC_SIM_CAST(int16_t, int32_t, kModeNone)  // saturating
#undef ASCENDC_SIM_CAST

inline const char* RoundModeName(AscendC::RoundMode m) {
  static const char* const names[] = {"CAST_NONE", "CAST_RINT", "CAST_FLOOR", "CAST_CEIL",
                                      "CAST_ROUND", "CAST_TRUNC", "CAST_ODD"};
  const int i = static_cast<int>(m);
  return i >= 0 && i < 7 ? names[i] : "?";
}

inline std::string ModeList(uint32_t modes) {
  std::string s;
  for (int i = 0; i < 7; ++i)
    if (modes & (1u << i)) s += std::string(s.empty() ? "" : ", ") + RoundModeName(static_cast<AscendC::RoundMode>(i));
  return s;
}

// CAST_NONE rounds like RINT whenever the conversion is inexact (spec 4.3).
inline Rounding ToRounding(AscendC::RoundMode m) {
  switch (m) {
    case AscendC::RoundMode::CAST_FLOOR: return Rounding::kFloor;
    case AscendC::RoundMode::CAST_CEIL: return Rounding::kCeil;
    case AscendC::RoundMode::CAST_ROUND: return Rounding::kRound;
    case AscendC::RoundMode::CAST_TRUNC: return Rounding::kTrunc;
    case AscendC::RoundMode::CAST_ODD: return Rounding::kOdd;
    default: return Rounding::kRint;
  }
}

template <class D>
D SaturateInt(long double v) {  // NaN -> 0, then clamp to D's range
  if (std::isnan(v)) return 0;
  const long double lo = static_cast<long double>(std::numeric_limits<D>::min());
  const long double hi = static_cast<long double>(std::numeric_limits<D>::max());
  return static_cast<D>(v < lo ? lo : (v > hi ? hi : v));
}

template <class D, class S>
D ConvertValue(S v, Rounding mode) {
  constexpr bool srcFloating = kOneOf<S, half, bfloat16_t, float>;
  if constexpr (std::is_same<D, half>::value) {
    if constexpr (srcFloating) return half::FromBits(FloatToHalfBits(static_cast<float>(v), mode));
    else return half::FromBits(FloatToHalfBits(static_cast<float>(RoundToFormat(v, 10, -14, 65504.0L, mode))));
  } else if constexpr (std::is_same<D, bfloat16_t>::value) {
    return bfloat16_t::FromBits(FloatToBf16Bits(static_cast<float>(v), mode));
  } else if constexpr (std::is_same<D, float>::value) {
    if constexpr (std::is_same<S, float>::value) return static_cast<float>(RoundIntegral(v, mode));
    else if constexpr (srcFloating) return static_cast<float>(v);
    else return ToFloat(static_cast<long double>(v), mode);
  } else {  // integer destination
    if constexpr (srcFloating) return SaturateInt<D>(RoundIntegral(static_cast<float>(v), mode));
    else return SaturateInt<D>(static_cast<long double>(v));
  }
}

}  // namespace ascendc_sim
#pragma GCC visibility pop

namespace AscendC {

template <typename T, typename U>
inline void Cast(const LocalTensor<T>& dst, const LocalTensor<U>& src, const RoundMode& round_mode, const uint32_t count) {
  static_assert(ascendc_sim::CastRule<T, U>::modes != 0,
                "ascendc-sim: Cast between these dtypes is not supported on A2/A3 (spec 4.3; half<->bfloat16_t "
                "goes through float)");
  const char* api = "Cast";
  const uint32_t modeBit = 1u << static_cast<uint32_t>(round_mode);
  if (static_cast<uint32_t>(round_mode) > 6 || (ascendc_sim::CastRule<T, U>::modes & modeBit) == 0) {
    ascendc_sim::Ctx(api);
    ascendc_sim::Fail(api, ascendc_sim::Cat("RoundMode::", ascendc_sim::RoundModeName(round_mode),
                                            " is not supported for ", ascendc_sim::TypeName<U>(), " -> ",
                                            ascendc_sim::TypeName<T>(), " on A2/A3 (supported: ",
                                            ascendc_sim::ModeList(ascendc_sim::CastRule<T, U>::modes),
                                            "); the NPU issues no instruction and leaves dst unchanged (spec 4.3)"));
  }
  const ascendc_sim::Rounding mode = ascendc_sim::ToRounding(round_mode);
  ascendc_sim::Unary(api, dst, src, count, [mode](U x) { return ascendc_sim::ConvertValue<T, U>(x, mode); });
}

// ---------------------------------------------------------------- Compare / Select (spec 4.4)
}  // namespace AscendC

#pragma GCC visibility push(hidden)
namespace ascendc_sim {

template <class T>
bool CompareOne(T a, T b, AscendC::CMPMODE mode) {
  const auto x = Up(a), y = Up(b);
  switch (mode) {
    case AscendC::CMPMODE::LT: return x < y;
    case AscendC::CMPMODE::GT: return x > y;
    case AscendC::CMPMODE::EQ: return x == y;
    case AscendC::CMPMODE::LE: return x <= y;
    case AscendC::CMPMODE::GE: return x >= y;
    case AscendC::CMPMODE::NE: return x != y;
  }
  return false;
}

// Shared body of Compare/CompareScalar: bit j of dst byte k = result for element 8k+j.
template <class U, class T, class Rhs>
void CompareImpl(const char* api, const AscendC::LocalTensor<U>& dst, const AscendC::LocalTensor<T>& src0,
                 const AscendC::LocalTensor<T>* src1, Rhs rhs, AscendC::CMPMODE mode, uint32_t count) {
  BlockContext& ctx = Ctx(api);
  CheckCount(api, count);
  if ((static_cast<uint64_t>(count) * sizeof(T)) % kRepeatBytes != 0)
    Fail(api, Cat("count*sizeof(T) = ", static_cast<uint64_t>(count) * sizeof(T),
                  " bytes is not a multiple of 256 B (the NPU silently skips the tail, spec 4.4)"));
  if (std::is_same<T, int32_t>::value && mode != AscendC::CMPMODE::EQ)
    Fail(api, "int32_t supports CMPMODE::EQ only on A2/A3 (other modes silently compute EQ, spec 4.2/9.6)");
  const uint64_t maskBytes = count / 8;
  uint8_t* d = reinterpret_cast<uint8_t*>(VecOperand(ctx, api, "dst", dst, maskBytes / sizeof(U)));
  const T* a = VecOperand(ctx, api, "src0", src0, count);
  PipeOp op(ctx, kVector, api);
  op.Read(RangeOf(src0, count).lo, RangeOf(src0, count).hi);
  if (src1 != nullptr) op.Read(RangeOf(*src1, count).lo, RangeOf(*src1, count).hi);
  CheckOverlap(api, "dst", UbRange{dst.simHandle.offset, static_cast<uint32_t>(dst.simHandle.offset + maskBytes)},
               "src0", RangeOf(src0, count));
  std::vector<uint8_t> bits(maskBytes, 0);
  for (uint32_t i = 0; i < count; ++i)
    if (CompareOne(a[i], rhs(i), mode)) bits[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
  op.Write(dst.simHandle.offset, static_cast<uint32_t>(dst.simHandle.offset + maskBytes));
  std::memcpy(d, bits.data(), maskBytes);
}

template <class T, class U, class Rhs>
void SelectImpl(const char* api, const AscendC::LocalTensor<T>& dst, const AscendC::LocalTensor<U>& selMask,
                const AscendC::LocalTensor<T>& src0, const AscendC::LocalTensor<T>* src1, Rhs rhs, uint32_t count) {
  BlockContext& ctx = Ctx(api);
  CheckCount(api, count);
  const uint64_t maskBytes = (static_cast<uint64_t>(count) + 7) / 8;
  T* d = VecOperand(ctx, api, "dst", dst, count);
  VecOperand(ctx, api, "selMask", selMask, (maskBytes + sizeof(U) - 1) / sizeof(U));
  const T* a = VecOperand(ctx, api, "src0", src0, count);
  if (src1 != nullptr) {
    VecOperand(ctx, api, "src1", *src1, count);
    CheckOverlap(api, "dst", RangeOf(dst, count), "src1", RangeOf(*src1, count));
  }
  CheckOverlap(api, "dst", RangeOf(dst, count), "src0", RangeOf(src0, count));
  PipeOp op(ctx, kVector, api);
  op.Read(selMask.simHandle.offset, static_cast<uint32_t>(selMask.simHandle.offset + maskBytes));
  op.Read(RangeOf(src0, count).lo, RangeOf(src0, count).hi);
  if (src1 != nullptr) op.Read(RangeOf(*src1, count).lo, RangeOf(*src1, count).hi);
  op.Write(RangeOf(dst, count).lo, RangeOf(dst, count).hi);
  const uint8_t* m = reinterpret_cast<const uint8_t*>(selMask.SimPtr());
  std::vector<uint8_t> maskCopy(m, m + maskBytes);
  for (uint32_t i = 0; i < count; ++i) {
    const bool take0 = (maskCopy[i / 8] >> (i % 8)) & 1u;
    const T v = take0 ? a[i] : rhs(i);
    d[i] = v;
  }
  // On arch 2201 these Select modes use a hidden scratch at UB 184 KiB (spec 2.4): clobber it.
  std::memset(ctx.ub + kSelectScratch, 0xFF, 128);
}

}  // namespace ascendc_sim
#pragma GCC visibility pop

namespace AscendC {

template <typename T, typename U>
inline void Compare(const LocalTensor<U>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1, CMPMODE cmpMode,
                    uint32_t count) {
  ASCENDC_SIM_NO_BF16(T, "Compare");
  ASCENDC_SIM_DTYPES((ascendc_sim::kOneOf<T, half, float, int32_t>), "Compare", "half/float/int32_t");
  static_assert(ascendc_sim::kOneOf<U, uint8_t, int8_t>, "ascendc-sim: Compare writes a uint8_t/int8_t bit mask (spec 4.4)");
  const char* api = "Compare";
  ascendc_sim::BlockContext& ctx = ascendc_sim::Ctx(api);
  ascendc_sim::CheckCount(api, count);
  const T* b = ascendc_sim::VecOperand(ctx, api, "src1", src1, count);
  ascendc_sim::CompareImpl(api, dst, src0, &src1, [b](uint32_t i) { return b[i]; }, cmpMode, count);
}

template <typename T, typename U>
inline void CompareScalar(const LocalTensor<U>& dst, const LocalTensor<T>& src0, const T src1Scalar, CMPMODE cmpMode,
                          uint32_t count) {
  ASCENDC_SIM_NO_BF16(T, "CompareScalar");
  ASCENDC_SIM_DTYPES((ascendc_sim::kOneOf<T, half, float, int32_t>), "CompareScalar", "half/float/int32_t");
  static_assert(ascendc_sim::kOneOf<U, uint8_t, int8_t>,
                "ascendc-sim: CompareScalar writes a uint8_t/int8_t bit mask (spec 4.4)");
  ascendc_sim::CompareImpl("CompareScalar", dst, src0, static_cast<const LocalTensor<T>*>(nullptr),
                           [src1Scalar](uint32_t) { return src1Scalar; }, cmpMode, count);
}

// Bit i of selMask = 1 takes src0[i], 0 takes src1[i] (tensor-tensor mode).
template <typename T, typename U>
inline void Select(const LocalTensor<T>& dst, const LocalTensor<U>& selMask, const LocalTensor<T>& src0,
                   const LocalTensor<T>& src1, SELMODE selMode, uint32_t count) {
  ASCENDC_SIM_NO_BF16(T, "Select");
  ASCENDC_SIM_DTYPES(ascendc_sim::kFloatType<T>, "Select", "half/float");
  static_assert(ascendc_sim::kOneOf<U, uint8_t, uint16_t, uint32_t, uint64_t>,
                "ascendc-sim: Select's mask is uint8_t/uint16_t/uint32_t/uint64_t (spec 4.4)");
  const char* api = "Select";
  ascendc_sim::BlockContext& ctx = ascendc_sim::Ctx(api);
  if (selMode != SELMODE::VSEL_TENSOR_TENSOR_MODE)
    ascendc_sim::Fail(api, selMode == SELMODE::VSEL_CMPMASK_SPR
                               ? "SELMODE::VSEL_CMPMASK_SPR (mask reused per repeat) is not emulated; use "
                                 "VSEL_TENSOR_TENSOR_MODE"
                               : "a tensor src1 needs SELMODE::VSEL_TENSOR_TENSOR_MODE (spec 4.4)");
  ascendc_sim::CheckCount(api, count);
  const T* b = ascendc_sim::VecOperand(ctx, api, "src1", src1, count);
  ascendc_sim::SelectImpl(api, dst, selMask, src0, &src1, [b](uint32_t i) { return b[i]; }, count);
}

// Bit i of selMask = 1 takes src0[i], 0 takes the scalar src1 (tensor-scalar mode).
template <typename T, typename U>
inline void Select(const LocalTensor<T>& dst, const LocalTensor<U>& selMask, const LocalTensor<T>& src0, T src1,
                   SELMODE selMode, uint32_t count) {
  ASCENDC_SIM_NO_BF16(T, "Select");
  ASCENDC_SIM_DTYPES(ascendc_sim::kFloatType<T>, "Select", "half/float");
  static_assert(ascendc_sim::kOneOf<U, uint8_t, uint16_t, uint32_t, uint64_t>,
                "ascendc-sim: Select's mask is uint8_t/uint16_t/uint32_t/uint64_t (spec 4.4)");
  const char* api = "Select";
  ascendc_sim::Ctx(api);
  if (selMode != SELMODE::VSEL_TENSOR_SCALAR_MODE)
    ascendc_sim::Fail(api, "a scalar src1 needs SELMODE::VSEL_TENSOR_SCALAR_MODE (spec 4.4)");
  ascendc_sim::SelectImpl(api, dst, selMask, src0, static_cast<const LocalTensor<T>*>(nullptr),
                          [src1](uint32_t) { return src1; }, count);
}

// ---------------------------------------------------------------- reductions (spec 4.5)
}  // namespace AscendC

#pragma GCC visibility push(hidden)
namespace ascendc_sim {

// Checks shared by ReduceSum/Max/Min: dst element-aligned (spec 4.5), src and tmp 32 B aligned.
// sharedTmpBuffer is neither read nor written: the 2201 count form does not use it.
template <class T>
const T* ReduceOperands(BlockContext& ctx, const char* api, const AscendC::LocalTensor<T>& dst,
                        const AscendC::LocalTensor<T>& src, const AscendC::LocalTensor<T>& tmp, int32_t count,
                        uint32_t dstElems) {
  CheckCount(api, count);
  VecOperand(ctx, api, "dst", dst, dstElems, sizeof(T));
  const T* s = VecOperand(ctx, api, "src", src, count);
  CheckHandle(ctx, api, "sharedTmpBuffer", tmp.simHandle);
  CheckAligned(api, "sharedTmpBuffer", tmp.simHandle, kBlockBytes);
  return s;
}

// Count-form ReduceSum on arch 2201 (doc "方式二"): adjacent-pair binary tree inside each 256 B
// repeat (lanes past `count` are 0), then the repeat sums accumulated in order. Each add rounds to T.
template <class T>
T ReduceSumOrdered(const T* src, int32_t count) {
  constexpr int32_t kLanes = static_cast<int32_t>(kRepeatBytes / sizeof(T));
  T lanes[kLanes];
  T acc = T(0);
  for (int32_t start = 0; start < count; start += kLanes) {
    const int32_t n = count - start < kLanes ? count - start : kLanes;
    for (int32_t i = 0; i < kLanes; ++i) lanes[i] = i < n ? src[start + i] : T(0);
    for (int32_t width = kLanes; width > 1; width /= 2)
      for (int32_t i = 0; i < width / 2; ++i) lanes[i] = OpAdd(lanes[2 * i], lanes[2 * i + 1]);
    acc = start == 0 ? lanes[0] : OpAdd(acc, lanes[0]);
  }
  return acc;
}

template <class T, bool kMax>
void ReduceExtreme(const char* api, const AscendC::LocalTensor<T>& dst, const AscendC::LocalTensor<T>& src,
                   const AscendC::LocalTensor<T>& tmp, int32_t count, bool calIndex) {
  BlockContext& ctx = Ctx(api);
  const T* s = ReduceOperands(ctx, api, dst, src, tmp, count, calIndex ? 2 : 1);
  PipeOp op(ctx, kVector, api);
  op.Read(RangeOf(src, count).lo, RangeOf(src, count).hi);
  op.Write(RangeOf(dst, calIndex ? 2 : 1).lo, RangeOf(dst, calIndex ? 2 : 1).hi);
  T best = s[0];
  uint32_t index = 0;
  for (int32_t i = 1; i < count; ++i) {  // first extreme wins; NaN propagates
    const T next = kMax ? OpMax(best, s[i]) : OpMin(best, s[i]);
    if (std::memcmp(&next, &best, sizeof(T)) != 0) {
      best = next;
      index = static_cast<uint32_t>(i);
    }
  }
  T* d = dst.SimPtr();
  d[0] = best;
  if (calIndex) {  // dst[1] holds the index bit pattern (uint16 for half, uint32 for float)
    if (sizeof(T) == 2) {
      const uint16_t idx16 = static_cast<uint16_t>(index);
      std::memcpy(&d[1], &idx16, 2);
    } else {
      std::memcpy(&d[1], &index, 4);
    }
  }
}

}  // namespace ascendc_sim
#pragma GCC visibility pop

namespace AscendC {

// dst[0] = sum of src[0, count); other dst elements and sharedTmpBuffer untouched.
template <typename T, bool isSetMask = true>
inline void ReduceSum(const LocalTensor<T>& dst, const LocalTensor<T>& src, const LocalTensor<T>& sharedTmpBuffer,
                      const int32_t count) {
  ASCENDC_SIM_NO_BF16(T, "ReduceSum");
  ASCENDC_SIM_DTYPES(ascendc_sim::kFloatType<T>, "ReduceSum", "half/float");
  const char* api = "ReduceSum";
  ascendc_sim::BlockContext& ctx = ascendc_sim::Ctx(api);
  const T* s = ascendc_sim::ReduceOperands(ctx, api, dst, src, sharedTmpBuffer, count, 1);
  ascendc_sim::PipeOp op(ctx, ascendc_sim::kVector, api);
  op.Read(ascendc_sim::RangeOf(src, count).lo, ascendc_sim::RangeOf(src, count).hi);
  op.Write(ascendc_sim::RangeOf(dst, 1).lo, ascendc_sim::RangeOf(dst, 1).hi);
  dst.SimPtr()[0] = ascendc_sim::ReduceSumOrdered(s, count);
}

template <typename T>
inline void ReduceMax(const LocalTensor<T>& dst, const LocalTensor<T>& src, const LocalTensor<T>& sharedTmpBuffer,
                      const int32_t count, bool calIndex = 0) {
  ASCENDC_SIM_NO_BF16(T, "ReduceMax");
  ASCENDC_SIM_DTYPES(ascendc_sim::kFloatType<T>, "ReduceMax", "half/float");
  ascendc_sim::ReduceExtreme<T, true>("ReduceMax", dst, src, sharedTmpBuffer, count, calIndex);
}

template <typename T>
inline void ReduceMin(const LocalTensor<T>& dst, const LocalTensor<T>& src, const LocalTensor<T>& sharedTmpBuffer,
                      const int32_t count, bool calIndex = 0) {
  ASCENDC_SIM_NO_BF16(T, "ReduceMin");
  ASCENDC_SIM_DTYPES(ascendc_sim::kFloatType<T>, "ReduceMin", "half/float");
  ascendc_sim::ReduceExtreme<T, false>("ReduceMin", dst, src, sharedTmpBuffer, count, calIndex);
}

}  // namespace AscendC

#endif  // ASCENDC_SIM_VECTOR_H
