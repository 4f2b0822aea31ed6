// ascendc_sim_copy.h -- DataCopy (count and DataCopyParams forms) and DataCopyPad for the ascendc-sim
// emulation, with the layouts and checks of reference/ascendc_api.md 3.1, 3.2 and 9.2-9.4.
// Included by kernel_operator.h.
#ifndef ASCENDC_SIM_COPY_H
#define ASCENDC_SIM_COPY_H

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ascendc_sim_memory.h"

namespace AscendC {

// Spec 3.1: blockLen and both strides in 32 B units (GM and UB side).
struct DataCopyParams {
  uint16_t blockCount = 1;
  uint16_t blockLen = 0;
  uint16_t srcStride = 0;
  uint16_t dstStride = 0;
  DataCopyParams() {}
  DataCopyParams(const uint16_t count, const uint16_t len, const uint16_t srcStrideIn, const uint16_t dstStrideIn)
      : blockCount(count), blockLen(len), srcStride(srcStrideIn), dstStride(dstStrideIn) {}
};

// Spec 3.2: blockLen in bytes; strides in bytes on the GM side, in 32 B blocks on the UB side.
struct DataCopyExtParams {
  uint16_t blockCount = 1;
  uint32_t blockLen = 0;
  uint32_t srcStride = 0;
  uint32_t dstStride = 0;
  uint32_t rsv = 0;
  DataCopyExtParams() {}
  DataCopyExtParams(const uint16_t count, const uint32_t len, const uint32_t srcStrideIn,
                    const uint32_t dstStrideIn, const uint32_t rsvIn)
      : blockCount(count), blockLen(len), srcStride(srcStrideIn), dstStride(dstStrideIn), rsv(rsvIn) {}
};

template <typename T>
struct DataCopyPadExtParams {
  bool isPad = false;
  uint8_t leftPadding = 0;   // elements
  uint8_t rightPadding = 0;  // elements
  T paddingValue = 0;
  DataCopyPadExtParams() {}
  DataCopyPadExtParams(const bool isPadValue, const uint8_t leftPadValue, const uint8_t rightPadValue, T padValue)
      : isPad(isPadValue), leftPadding(leftPadValue), rightPadding(rightPadValue), paddingValue(padValue) {}
};

// Older DataCopyPad parameter form (uint16 fields, blockLen in bytes, same stride units as Ext).
struct DataCopyPadParams {
  bool isPad = false;
  uint8_t leftPadding = 0;
  uint8_t rightPadding = 0;
  uint64_t paddingValue = 0;
  DataCopyPadParams() {}
  DataCopyPadParams(const bool isPadValue, const uint8_t leftPadValue, const uint8_t rightPadValue,
                    const uint64_t padValue)
      : isPad(isPadValue), leftPadding(leftPadValue), rightPadding(rightPadValue), paddingValue(padValue) {}
};

}  // namespace AscendC

#pragma GCC visibility push(hidden)
namespace ascendc_sim {

template <class T, class... Allowed>
constexpr bool kOneOf = (std::is_same<T, Allowed>::value || ...);

template <class T>
constexpr bool kCopyType = kOneOf<T, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t,
                                  half, bfloat16_t, float, double>;

constexpr uint64_t Ceil32(uint64_t bytes) { return (bytes + kBlockBytes - 1) / kBlockBytes * kBlockBytes; }

// Spec 3.1 / 9.3: count*sizeof(T) must be a multiple of 32 B (the NPU silently rounds down).
template <class T>
void CheckCopyCount(const char* api, uint32_t count) {
  const uint64_t bytes = static_cast<uint64_t>(count) * sizeof(T);
  if (bytes % kBlockBytes != 0)
    Fail(api, Cat("count*sizeof(T) = ", count, "*", sizeof(T), " = ", bytes,
                  " bytes is not a multiple of 32 B (the NPU would silently round down to ",
                  bytes / kBlockBytes * kBlockBytes, " bytes; spec 3.1): use DataCopyPad for unaligned lengths"));
}

// Copies `blocks` runs of `runBytes` between two strided layouts; the caller has checked ranges.
inline void CopyRuns(uint8_t* dst, uint64_t dstPitch, const uint8_t* src, uint64_t srcPitch, uint64_t runBytes,
                     uint64_t blocks) {
  for (uint64_t i = 0; i < blocks; ++i) std::memmove(dst + i * dstPitch, src + i * srcPitch, runBytes);
}

// A DataCopy in bytes: `blocks` runs of `run` bytes, `srcGap`/`dstGap` bytes between runs.
struct Runs {
  uint64_t run, blocks, srcGap, dstGap;
  uint64_t SrcSpan() const { return blocks * run + (blocks - 1) * srcGap; }
  uint64_t DstSpan() const { return blocks * run + (blocks - 1) * dstGap; }
};

template <class T>
Runs CountRuns(uint32_t count) {
  return Runs{static_cast<uint64_t>(count) * sizeof(T), 1, 0, 0};
}

// Spec 3.1: DataCopyParams counts blocks of 32 B and 32 B gaps on both sides; blockCount 1..4095.
inline Runs StridedRuns(const char* api, const AscendC::DataCopyParams& p) {
  if (p.blockCount > 4095) Fail(api, Cat("blockCount ", p.blockCount, " > 4095 (spec 3.1)"));
  return Runs{p.blockLen * 32ull, p.blockCount, p.srcStride * 32ull, p.dstStride * 32ull};
}

template <class T>
void CopyGmToUb(const AscendC::LocalTensor<T>& dst, const AscendC::GlobalTensor<T>& src, const Runs& r) {
  static_assert(kCopyType<T>, "ascendc-sim: DataCopy does not support this dtype (spec 3.1)");
  const char* api = "DataCopy(GM->UB)";
  BlockContext& ctx = Ctx(api);
  if (r.run == 0 || r.blocks == 0) return;
  CheckAligned(api, "dst", dst.simHandle, kBlockBytes);
  CheckUbRange(ctx, api, "dst", dst.simHandle, r.DstSpan(), "copy");
  const T* gm = src.SimCheck(api, "src", 0, r.SrcSpan());
  PipeOp op(ctx, kMte2, api);
  op.Write(dst.simHandle.offset, static_cast<uint32_t>(dst.simHandle.offset + r.DstSpan()));
  CopyRuns(reinterpret_cast<uint8_t*>(dst.SimPtr()), r.run + r.dstGap, reinterpret_cast<const uint8_t*>(gm),
           r.run + r.srcGap, r.run, r.blocks);
}

template <class T>
void CopyUbToGm(const AscendC::GlobalTensor<T>& dst, const AscendC::LocalTensor<T>& src, const Runs& r) {
  static_assert(kCopyType<T>, "ascendc-sim: DataCopy does not support this dtype (spec 3.1)");
  const char* api = "DataCopy(UB->GM)";
  BlockContext& ctx = Ctx(api);
  if (r.run == 0 || r.blocks == 0) return;
  CheckAligned(api, "src", src.simHandle, kBlockBytes);
  CheckUbRange(ctx, api, "src", src.simHandle, r.SrcSpan(), "copy");
  T* gm = dst.SimCheck(api, "dst", 0, r.DstSpan());
  PipeOp op(ctx, kMte3, api);
  op.Read(src.simHandle.offset, static_cast<uint32_t>(src.simHandle.offset + r.SrcSpan()));
  CopyRuns(reinterpret_cast<uint8_t*>(gm), r.run + r.dstGap, reinterpret_cast<const uint8_t*>(src.SimPtr()),
           r.run + r.srcGap, r.run, r.blocks);
}

template <class T>
void CopyUbToUb(const AscendC::LocalTensor<T>& dst, const AscendC::LocalTensor<T>& src, const Runs& r) {
  static_assert(kCopyType<T>, "ascendc-sim: DataCopy does not support this dtype (spec 3.1)");
  const char* api = "DataCopy(UB->UB)";
  BlockContext& ctx = Ctx(api);
  if (r.run == 0 || r.blocks == 0) return;
  CheckAligned(api, "dst", dst.simHandle, kBlockBytes);
  CheckAligned(api, "src", src.simHandle, kBlockBytes);
  CheckUbRange(ctx, api, "dst", dst.simHandle, r.DstSpan(), "copy");
  CheckUbRange(ctx, api, "src", src.simHandle, r.SrcSpan(), "copy");
  PipeOp op(ctx, kVector, api);
  op.Read(src.simHandle.offset, static_cast<uint32_t>(src.simHandle.offset + r.SrcSpan()));
  op.Write(dst.simHandle.offset, static_cast<uint32_t>(dst.simHandle.offset + r.DstSpan()));
  CopyRuns(reinterpret_cast<uint8_t*>(dst.SimPtr()), r.run + r.dstGap, reinterpret_cast<const uint8_t*>(src.SimPtr()),
           r.run + r.srcGap, r.run, r.blocks);
}

}  // namespace ascendc_sim
#pragma GCC visibility pop

namespace AscendC {

// ---------------------------------------------------------------- DataCopy (spec 3.1)
template <typename T>
inline void DataCopy(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const uint32_t count) {
  ascendc_sim::CheckCopyCount<T>("DataCopy(GM->UB)", count);
  ascendc_sim::CopyGmToUb(dst, src, ascendc_sim::CountRuns<T>(count));
}
template <typename T>
inline void DataCopy(const GlobalTensor<T>& dst, const LocalTensor<T>& src, const uint32_t count) {
  ascendc_sim::CheckCopyCount<T>("DataCopy(UB->GM)", count);
  ascendc_sim::CopyUbToGm(dst, src, ascendc_sim::CountRuns<T>(count));
}
template <typename T>
inline void DataCopy(const LocalTensor<T>& dst, const LocalTensor<T>& src, const uint32_t count) {
  ascendc_sim::CheckCopyCount<T>("DataCopy(UB->UB)", count);
  ascendc_sim::CopyUbToUb(dst, src, ascendc_sim::CountRuns<T>(count));
}
template <typename T>
inline void DataCopy(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const DataCopyParams& p) {
  ascendc_sim::CopyGmToUb(dst, src, ascendc_sim::StridedRuns("DataCopy(GM->UB)", p));
}
template <typename T>
inline void DataCopy(const GlobalTensor<T>& dst, const LocalTensor<T>& src, const DataCopyParams& p) {
  ascendc_sim::CopyUbToGm(dst, src, ascendc_sim::StridedRuns("DataCopy(UB->GM)", p));
}
template <typename T>
inline void DataCopy(const LocalTensor<T>& dst, const LocalTensor<T>& src, const DataCopyParams& p) {
  ascendc_sim::CopyUbToUb(dst, src, ascendc_sim::StridedRuns("DataCopy(UB->UB)", p));
}

// ---------------------------------------------------------------- DataCopyPad (spec 3.2, 9.4)
// GM->UB. Block i is read from src + i*(blockLen + srcStride) bytes and lands in UB as
// [leftPad | data | rightPad | dummy] padded to 32 B; the next block starts dstStride*32 B later.
// Pad/dummy contents: pads are paddingValue when isPad, else garbage (written as 0xFF poison);
// when the padded block is not 32 B aligned and both pads are 0 the dummy tail repeats the
// block's first element, otherwise it is paddingValue (isPad) or garbage.
template <typename T>
inline void DataCopyPad(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const DataCopyExtParams& p,
                        const DataCopyPadExtParams<T>& pad) {
  static_assert(ascendc_sim::kCopyType<T>, "ascendc-sim: DataCopyPad does not support this dtype (spec 3.2)");
  const char* api = "DataCopyPad(GM->UB)";
  ascendc_sim::BlockContext& ctx = ascendc_sim::Ctx(api);
  constexpr uint64_t kSize = sizeof(T);
  if (p.blockCount == 0 || p.blockLen == 0) return;  // documented no-op
  if (p.blockCount > 4095) ascendc_sim::Fail(api, ascendc_sim::Cat("blockCount ", p.blockCount, " > 4095 (spec 3.2)"));
  if (p.blockLen > 2097151) ascendc_sim::Fail(api, ascendc_sim::Cat("blockLen ", p.blockLen, " > 2097151 bytes (spec 3.2)"));
  if (p.blockLen % kSize != 0)
    ascendc_sim::Fail(api, ascendc_sim::Cat("blockLen ", p.blockLen, " bytes is not a multiple of sizeof(T) = ", kSize));
  if (pad.leftPadding * kSize > 32 || pad.rightPadding * kSize > 32)
    ascendc_sim::Fail(api, ascendc_sim::Cat("leftPadding ", int(pad.leftPadding), " / rightPadding ", int(pad.rightPadding),
                                            " elements exceed 32 B (spec 3.2)"));
  const uint64_t left = pad.leftPadding * kSize, right = pad.rightPadding * kSize;
  const uint64_t used = left + p.blockLen + right;
  const uint64_t slot = ascendc_sim::Ceil32(used);
  const uint64_t dstPitch = slot + static_cast<uint64_t>(p.dstStride) * 32;
  const uint64_t srcPitch = static_cast<uint64_t>(p.blockLen) + p.srcStride;
  const uint64_t dstSpan = (p.blockCount - 1) * dstPitch + slot;
  const uint64_t srcSpan = (p.blockCount - 1) * srcPitch + p.blockLen;
  ascendc_sim::CheckAligned(api, "dst", dst.simHandle, ascendc_sim::kBlockBytes);
  ascendc_sim::CheckUbRange(ctx, api, "dst", dst.simHandle, dstSpan, "padded blocks");
  const uint8_t* gm = reinterpret_cast<const uint8_t*>(src.SimCheck(api, "src", 0, srcSpan));
  ascendc_sim::PipeOp op(ctx, ascendc_sim::kMte2, api);
  op.Write(dst.simHandle.offset, static_cast<uint32_t>(dst.simHandle.offset + dstSpan));
  uint8_t* ub = reinterpret_cast<uint8_t*>(dst.SimPtr());
  const bool aligned = used % 32 == 0;
  const bool noPads = pad.leftPadding == 0 && pad.rightPadding == 0;
  const uint64_t dummyElems = (slot - used) / kSize;
  for (uint64_t i = 0; i < p.blockCount; ++i) {
    uint8_t* blk = ub + i * dstPitch;
    const uint8_t* data = gm + i * srcPitch;
    auto fill = [&](uint8_t* at, uint64_t elems, bool usePad) {
      for (uint64_t e = 0; e < elems; ++e) {
        if (usePad) std::memcpy(at + e * kSize, &pad.paddingValue, kSize);
        else std::memset(at + e * kSize, 0xFF, kSize);  // garbage on the NPU: poison here
      }
    };
    fill(blk, pad.leftPadding, pad.isPad);
    std::memmove(blk + left, data, p.blockLen);
    fill(blk + left + p.blockLen, pad.rightPadding, pad.isPad);
    uint8_t* dummy = blk + used;
    if (aligned) continue;
    if (noPads) {
      for (uint64_t e = 0; e < dummyElems; ++e) std::memcpy(dummy + e * kSize, data, kSize);
    } else {
      fill(dummy, dummyElems, pad.isPad);
    }
  }
}

// UB->GM. Block i is read from a 32 B-aligned UB slot (ceil32(blockLen) + srcStride*32 per block)
// and exactly blockLen bytes land at dst + i*(blockLen + dstStride); UB padding is dropped.
template <typename T>
inline void DataCopyPad(const GlobalTensor<T>& dst, const LocalTensor<T>& src, const DataCopyExtParams& p) {
  static_assert(ascendc_sim::kCopyType<T>, "ascendc-sim: DataCopyPad does not support this dtype (spec 3.2)");
  const char* api = "DataCopyPad(UB->GM)";
  ascendc_sim::BlockContext& ctx = ascendc_sim::Ctx(api);
  constexpr uint64_t kSize = sizeof(T);
  if (p.blockCount == 0 || p.blockLen == 0) return;  // documented no-op
  if (p.blockCount > 4095) ascendc_sim::Fail(api, ascendc_sim::Cat("blockCount ", p.blockCount, " > 4095 (spec 3.2)"));
  if (p.blockLen > 2097151) ascendc_sim::Fail(api, ascendc_sim::Cat("blockLen ", p.blockLen, " > 2097151 bytes (spec 3.2)"));
  if (p.blockLen % kSize != 0)
    ascendc_sim::Fail(api, ascendc_sim::Cat("blockLen ", p.blockLen, " bytes is not a multiple of sizeof(T) = ", kSize));
  const uint64_t srcPitch = ascendc_sim::Ceil32(p.blockLen) + static_cast<uint64_t>(p.srcStride) * 32;
  const uint64_t dstPitch = static_cast<uint64_t>(p.blockLen) + p.dstStride;
  const uint64_t srcSpan = (p.blockCount - 1) * srcPitch + p.blockLen;
  const uint64_t dstSpan = (p.blockCount - 1) * dstPitch + p.blockLen;
  ascendc_sim::CheckAligned(api, "src", src.simHandle, ascendc_sim::kBlockBytes);
  ascendc_sim::CheckUbRange(ctx, api, "src", src.simHandle, srcSpan, "blocks");
  uint8_t* gm = reinterpret_cast<uint8_t*>(dst.SimCheck(api, "dst", 0, dstSpan));
  ascendc_sim::PipeOp op(ctx, ascendc_sim::kMte3, api);
  op.Read(src.simHandle.offset, static_cast<uint32_t>(src.simHandle.offset + srcSpan));
  ascendc_sim::CopyRuns(gm, dstPitch, reinterpret_cast<const uint8_t*>(src.SimPtr()), srcPitch, p.blockLen, p.blockCount);
}

// Older overloads (DataCopyParams with byte blockLen, DataCopyPadParams).
template <typename T>
inline void DataCopyPad(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const DataCopyParams& p,
                        const DataCopyPadParams& pad) {
  T value;
  std::memcpy(&value, &pad.paddingValue, sizeof(T));  // low bytes on a little-endian host
  DataCopyPad(dst, src, DataCopyExtParams(p.blockCount, p.blockLen, p.srcStride, p.dstStride, 0),
              DataCopyPadExtParams<T>(pad.isPad, pad.leftPadding, pad.rightPadding, value));
}

template <typename T>
inline void DataCopyPad(const GlobalTensor<T>& dst, const LocalTensor<T>& src, const DataCopyParams& p) {
  DataCopyPad(dst, src, DataCopyExtParams(p.blockCount, p.blockLen, p.srcStride, p.dstStride, 0));
}

}  // namespace AscendC

#endif  // ASCENDC_SIM_COPY_H
