// ascendc_sim_types.h -- builtins of the AscendC device dialect (qualifiers, GM_ADDR, pipe_t,
// event_t, KernelMetaType), the half (IEEE binary16) and bfloat16_t value types, and the rounding
// helpers behind them and behind Cast, for the ascendc-sim CPU emulation. Included by
// kernel_operator.h (first).
//
// Numerics (reference/ascendc_api.md 4.2, 4.3, 9.7):
//   * float -> half and float -> bfloat16_t round to nearest even; overflow gives +-inf (the A2/A3
//     default IEEE mode), NaN stays NaN.
//   * half has no arithmetic operators of its own: it converts to float, so `a + b` is computed in
//     float and rounds to half when assigned back, i.e. one correctly rounded half op (float has
//     24 >= 2*11+2 bits, so float-then-half equals a direct half op for + - * / sqrt).
//   * bfloat16_t has NO arithmetic at all: the operators below are deleted, as on A2/A3 where bf16
//     data is only moved, duplicated and Cast (spec 4.2).
#ifndef ASCENDC_SIM_TYPES_H
#define ASCENDC_SIM_TYPES_H

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

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

// ---------------------------------------------------------------- rounding helpers
#pragma GCC visibility push(hidden)
namespace ascendc_sim {

inline uint32_t FloatToBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline float BitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// float -> binary16 bits, round to nearest even.
inline uint16_t FloatToHalfBits(float f) {
  const uint32_t x = FloatToBits(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t ax = x & 0x7FFFFFFFu;
  if (ax >= 0x7F800000u) {  // inf, or NaN (kept quiet)
    return sign | (ax > 0x7F800000u ? static_cast<uint16_t>(0x7E00u | ((ax >> 13) & 0x1FFu))
                                    : static_cast<uint16_t>(0x7C00u));
  }
  if (ax >= 0x477FF000u) return sign | 0x7C00u;  // >= 65520: rounds to inf
  if (ax < 0x38800000u) {                        // below 2^-14: half subnormal or zero
    if (ax <= 0x33000000u) return sign;          // <= 2^-25 (a tie at 2^-25) rounds to 0
    const uint32_t exponent = ax >> 23;
    const uint32_t mantissa = (ax & 0x7FFFFFu) | 0x800000u;
    const uint32_t shift = 126u - exponent;  // value / 2^-24 == mantissa >> shift (shift 14..24)
    uint32_t r = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1u);
    const uint32_t halfway = 1u << (shift - 1u);
    if (rest > halfway || (rest == halfway && (r & 1u))) ++r;
    return sign | static_cast<uint16_t>(r);
  }
  const uint32_t rebased = ax - 0x38000000u;  // exponent bias 127 -> 15
  uint32_t h = rebased >> 13;
  const uint32_t rest = rebased & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // a carry into the exponent is right
  return sign | static_cast<uint16_t>(h);
}

inline float HalfBitsToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1Fu;
  const uint32_t mantissa = h & 0x3FFu;
  if (exponent == 0x1Fu) return BitsToFloat(sign | 0x7F800000u | (mantissa << 13));
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float
    const float v = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -v : v;
  }
  return BitsToFloat(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

// float -> bfloat16 bits, round to nearest even.
inline uint16_t FloatToBf16Bits(float f) {
  uint32_t x = FloatToBits(f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet NaN
  x += 0x7FFFu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}

inline float Bf16BitsToFloat(uint16_t b) { return BitsToFloat(static_cast<uint32_t>(b) << 16); }

// Rounding directions of AscendC::RoundMode (spec 4.3), independent of the enum's numbering.
enum class Rounding { kRint, kFloor, kCeil, kRound, kTrunc, kOdd };

// Rounds an exactly represented value to an integral value in the given direction.
inline long double RoundIntegral(long double s, Rounding mode) {
  switch (mode) {
    case Rounding::kFloor: return std::floor(s);
    case Rounding::kCeil: return std::ceil(s);
    case Rounding::kTrunc: return std::trunc(s);
    case Rounding::kRound: {  // half away from zero
      long double t = std::trunc(s);
      if (std::fabs(s - t) >= 0.5L) t += (s < 0 ? -1.0L : 1.0L);
      return t;
    }
    case Rounding::kOdd: {  // von Neumann: inexact results take the odd neighbour
      long double t = std::trunc(s);
      if (t != s && std::fmod(t, 2.0L) == 0) t += (s < 0 ? -1.0L : 1.0L);
      return t;
    }
    case Rounding::kRint:
    default: {  // half to even
      long double f = std::floor(s);
      const long double d = s - f;
      if (d > 0.5L || (d == 0.5L && std::fmod(f, 2.0L) != 0)) f += 1.0L;
      return f;
    }
  }
}

// Rounds x to a binary floating format with `mantissaBits` stored mantissa bits, smallest normal
// exponent `minExponent` and largest finite value `maxFinite`, in direction `mode`, IEEE overflow
// (directed modes overflow to the largest finite value on their side, the others to infinity).
inline long double RoundToFormat(long double x, int mantissaBits, int minExponent,
                                 long double maxFinite, Rounding mode) {
  if (x == 0 || !std::isfinite(x)) return x;
  int e = 0;
  std::frexp(std::fabs(x), &e);  // |x| = m * 2^e with m in [0.5, 1)
  const int exponent = (e - 1 > minExponent) ? e - 1 : minExponent;
  const long double quantum = std::ldexp(1.0L, exponent - mantissaBits);
  const long double r = RoundIntegral(x / quantum, mode) * quantum;  // x / quantum is exact
  if (std::fabs(r) <= maxFinite) return r == 0 ? std::copysign(0.0L, x) : r;
  const long double inf = std::numeric_limits<long double>::infinity();
  const bool positive = x > 0;
  switch (mode) {
    case Rounding::kTrunc:
    case Rounding::kOdd: return positive ? maxFinite : -maxFinite;
    case Rounding::kFloor: return positive ? maxFinite : -inf;
    case Rounding::kCeil: return positive ? inf : -maxFinite;
    default: return positive ? inf : -inf;
  }
}

inline uint16_t FloatToHalfBits(float f, Rounding mode) {
  if (mode == Rounding::kRint || std::isnan(f)) return FloatToHalfBits(f);
  const long double r = RoundToFormat(f, 10, -14, 65504.0L, mode);
  return FloatToHalfBits(static_cast<float>(r));  // r is exactly representable
}

inline uint16_t FloatToBf16Bits(float f, Rounding mode) {
  if (mode == Rounding::kRint || std::isnan(f)) return FloatToBf16Bits(f);
  const long double maxBf16 = std::ldexp(static_cast<long double>(0xFF), 127 - 7);  // 0x7F7F
  const long double r = RoundToFormat(f, 7, -126, maxBf16, mode);
  return FloatToBf16Bits(static_cast<float>(r));
}

inline float ToFloat(long double x, Rounding mode) {
  return static_cast<float>(RoundToFormat(x, 23, -126, FLT_MAX, mode));
}

}  // namespace ascendc_sim
#pragma GCC visibility pop

// IEEE binary16, the AscendC `half`. Trivially copyable, 2 bytes, converts from any arithmetic
// type (via float, round to nearest even) and implicitly to float.
struct half {
  uint16_t simBits;  // raw binary16 bits

  half() = default;
  template <typename U, typename std::enable_if<std::is_arithmetic<U>::value, int>::type = 0>
  half(U value) : simBits(ascendc_sim::FloatToHalfBits(static_cast<float>(value))) {}
  operator float() const { return ascendc_sim::HalfBitsToFloat(simBits); }
  static half FromBits(uint16_t bits) {
    half h;
    h.simBits = bits;
    return h;
  }
  template <typename U> half& operator+=(const U& o) { return *this = half(float(*this) + float(o)); }
  template <typename U> half& operator-=(const U& o) { return *this = half(float(*this) - float(o)); }
  template <typename U> half& operator*=(const U& o) { return *this = half(float(*this) * float(o)); }
  template <typename U> half& operator/=(const U& o) { return *this = half(float(*this) / float(o)); }
};

// bfloat16, the AscendC `bfloat16_t`: converts from arithmetic types (round to nearest even) and
// to float; no arithmetic (see the deleted operators below).
struct bfloat16_t {
  uint16_t simBits;  // raw bfloat16 bits

  bfloat16_t() = default;
  template <typename U, typename std::enable_if<std::is_arithmetic<U>::value, int>::type = 0>
  bfloat16_t(U value) : simBits(ascendc_sim::FloatToBf16Bits(static_cast<float>(value))) {}
  operator float() const { return ascendc_sim::Bf16BitsToFloat(simBits); }
  static bfloat16_t FromBits(uint16_t bits) {
    bfloat16_t b;
    b.simBits = bits;
    return b;
  }
};

static_assert(sizeof(half) == 2 && std::is_trivially_copyable<half>::value, "half layout");
static_assert(sizeof(bfloat16_t) == 2 && std::is_trivially_copyable<bfloat16_t>::value, "bf16 layout");

namespace ascendc_sim {
template <class A, class B>
using EnableIfBf16Operand = typename std::enable_if<
    std::is_same<A, bfloat16_t>::value || std::is_same<B, bfloat16_t>::value, int>::type;
}  // namespace ascendc_sim

// Spec 4.2: no arithmetic on bfloat16_t on A2/A3 -- Cast to float, compute, Cast back (CAST_RINT).
template <class A, class B, ascendc_sim::EnableIfBf16Operand<A, B> = 0>
void operator+(const A&, const B&) = delete;  // ascendc-sim: no arithmetic on bfloat16_t (spec 4.2)
template <class A, class B, ascendc_sim::EnableIfBf16Operand<A, B> = 0>
void operator-(const A&, const B&) = delete;  // ascendc-sim: no arithmetic on bfloat16_t (spec 4.2)
template <class A, class B, ascendc_sim::EnableIfBf16Operand<A, B> = 0>
void operator*(const A&, const B&) = delete;  // ascendc-sim: no arithmetic on bfloat16_t (spec 4.2)
template <class A, class B, ascendc_sim::EnableIfBf16Operand<A, B> = 0>
void operator/(const A&, const B&) = delete;  // ascendc-sim: no arithmetic on bfloat16_t (spec 4.2)
template <class A, ascendc_sim::EnableIfBf16Operand<A, A> = 0>
void operator-(const A&) = delete;  // ascendc-sim: no arithmetic on bfloat16_t (spec 4.2)
template <class A, ascendc_sim::EnableIfBf16Operand<A, A> = 0>
void operator+(const A&) = delete;  // ascendc-sim: no arithmetic on bfloat16_t (spec 4.2)

#endif  // ASCENDC_SIM_TYPES_H
