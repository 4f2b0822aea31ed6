// ascendc_sim_memory.h -- AscendC memory objects for the ascendc-sim emulation: enums, TPipe, TQue,
// TBuf, LocalTensor, GlobalTensor, SetFlag/WaitFlag/PipeBarrier, GetBlockIdx/GetBlockNum.
// Section numbers refer to reference/ascendc_api.md. Included by kernel_operator.h.
#ifndef ASCENDC_SIM_MEMORY_H
#define ASCENDC_SIM_MEMORY_H

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ascendc_sim_runtime.h"
#include "ascendc_sim_types.h"

namespace AscendC {

// ---------------------------------------------------------------- enums (spec 2.1, 5.1)
enum class TPosition : uint8_t {
  GM, A1, A2, B1, B2, C1, C2, CO1, CO2, VECIN, VECOUT, VECCALC, LCM = VECCALC, SPM, SHM = SPM,
  TSCM, C2PIPE2GM, C2PIPE2LOCAL, MAX,
};
using QuePosition = TPosition;

enum class HardEvent : uint8_t {
  MTE2_MTE1, MTE1_MTE2, MTE1_M, M_MTE1, MTE2_V, V_MTE2, MTE3_V, V_MTE3, M_V, V_M, V_V,
  MTE3_MTE1, MTE1_MTE3, MTE1_V, MTE2_M, M_MTE2, V_MTE1, M_FIX, FIX_M, MTE3_MTE2, MTE2_MTE3,
  S_V, V_S, S_MTE2, MTE2_S, S_MTE3, MTE3_S, MTE2_FIX, FIX_MTE2, FIX_S, M_S, FIX_MTE3,
  MTE1_FIX, FIX_MTE1, FIX_FIX, MAX,
};

using TEventID = int8_t;

constexpr int32_t ONE_BLK_SIZE = 32;
constexpr int32_t ONE_REPEAT_BYTE_SIZE = 256;

}  // namespace AscendC

#pragma GCC visibility push(hidden)
namespace ascendc_sim {

inline const char* const* HardEventNames() {
  static const char* const names[kMaxHardEvents] = {
      "MTE2_MTE1", "MTE1_MTE2", "MTE1_M", "M_MTE1", "MTE2_V", "V_MTE2", "MTE3_V", "V_MTE3",
      "M_V", "V_M", "V_V", "MTE3_MTE1", "MTE1_MTE3", "MTE1_V", "MTE2_M", "M_MTE2", "V_MTE1",
      "M_FIX", "FIX_M", "MTE3_MTE2", "MTE2_MTE3", "S_V", "V_S", "S_MTE2", "MTE2_S", "S_MTE3",
      "MTE3_S", "MTE2_FIX", "FIX_MTE2", "FIX_S", "M_S", "FIX_MTE3", "MTE1_FIX", "FIX_MTE1",
      "FIX_FIX"};
  return names;
}

// Source and destination pipe of the HardEvents a vector core may use (spec 5.1); -1 otherwise.
constexpr int EventSrcPipe(AscendC::HardEvent e) {
  using H = AscendC::HardEvent;
  return e == H::MTE2_V || e == H::MTE2_S || e == H::MTE2_MTE3 ? kMte2
         : e == H::V_MTE2 || e == H::V_MTE3 || e == H::V_S     ? kVector
         : e == H::MTE3_V || e == H::MTE3_S || e == H::MTE3_MTE2 ? kMte3
         : e == H::S_V || e == H::S_MTE2 || e == H::S_MTE3     ? kScalar
                                                               : -1;
}
constexpr int EventDstPipe(AscendC::HardEvent e) {
  using H = AscendC::HardEvent;
  return e == H::V_MTE2 || e == H::MTE3_MTE2 || e == H::S_MTE2 ? kMte2
         : e == H::MTE2_V || e == H::MTE3_V || e == H::S_V     ? kVector
         : e == H::MTE2_MTE3 || e == H::V_MTE3 || e == H::S_MTE3 ? kMte3
         : e == H::V_S || e == H::MTE2_S || e == H::MTE3_S     ? kScalar
                                                               : -1;
}

inline const char* PositionName(AscendC::TPosition p) {
  switch (p) {
    case AscendC::TPosition::VECIN: return "VECIN";
    case AscendC::TPosition::VECOUT: return "VECOUT";
    case AscendC::TPosition::VECCALC: return "VECCALC";
    default: return "non-UB position";
  }
}

constexpr bool IsUbPosition(AscendC::TPosition p) {
  return p == AscendC::TPosition::VECIN || p == AscendC::TPosition::VECOUT ||
         p == AscendC::TPosition::VECCALC;
}

inline std::string DescribeBuf(const BlockContext& ctx, int buf) {
  const BufDesc& d = ctx.bufs[buf];
  if (d.kind == BufKind::kTBuf) return Cat("TBuf at UB [", d.start, ", ", d.start + d.len, ")");
  return Cat("queue #", d.owner, " (", PositionName(static_cast<AscendC::TPosition>(ctx.queues[d.owner].position)),
             ") buffer ", d.slot, " at UB [", d.start, ", ", d.start + d.len, ")");
}

// Carves one 32 B-rounded block out of UB (spec 2.4, check 9.1).
inline int CarveBuffer(BlockContext& ctx, const char* api, uint32_t len, BufKind kind, int owner, int slot) {
  if (len == 0) Fail(api, "buffer length 0");
  const uint64_t rounded = (static_cast<uint64_t>(len) + kBlockBytes - 1) / kBlockBytes * kBlockBytes;
  if (static_cast<int>(ctx.bufs.size()) >= kMaxBuffers)
    Fail(api, Cat("more than ", kMaxBuffers, " buffers requested from TPipe (spec 2.4 QBUF_MAX_LEN)"));
  if (ctx.ubUsed + rounded > ctx.ubLimit)
    Fail(api, Cat("UB overflow: ", ctx.ubUsed, " bytes already allocated + ", rounded, " (len ", len,
                  " rounded up to 32 B) = ", ctx.ubUsed + rounded, " bytes > limit ", ctx.ubLimit,
                  " bytes (UB is 196608 B; the default limit 188416 B = 184 KiB keeps Select's scratch at "
                  "184..192 KiB free, spec 2.4; see ascendc_sim_set_ub_limit)"));
  BufDesc d;
  d.start = ctx.ubUsed;
  d.len = static_cast<uint32_t>(rounded);
  d.kind = kind;
  d.owner = owner;
  d.slot = slot;
  d.state = kind == BufKind::kTBuf ? BufState::kAllocated : BufState::kFree;
  ctx.bufs.push_back(d);
  ctx.ubUsed += static_cast<uint32_t>(rounded);
  return static_cast<int>(ctx.bufs.size()) - 1;
}

}  // namespace ascendc_sim
#pragma GCC visibility pop

namespace AscendC {

template <typename T> class LocalTensor;
class TPipe;

}  // namespace AscendC

namespace ascendc_sim {

// Handle fields shared by LocalTensor<T> of every T (kept in the tensor, validated on use).
// Default visibility: it is a field of the user-visible LocalTensor.
struct UbHandle {
  int buf = -1;          // index into BlockContext::bufs, -1 = not obtained from a TPipe
  uint32_t gen = 0;      // BufDesc::gen when obtained
  uint32_t epoch = 0;    // BlockContext::epoch when obtained
  uint32_t offset = 0;   // UB byte offset of element 0
  uint32_t size = 0;     // elements (GetSize)
};

}  // namespace ascendc_sim

#pragma GCC visibility push(hidden)
namespace ascendc_sim {

// Spec 9.5: a tensor must come from the live TPipe, not be freed, and not sit in a queue.
inline const BufDesc& CheckHandle(BlockContext& ctx, const char* api, const char* operand, const UbHandle& h) {
  if (h.buf < 0)
    Fail(api, Cat(operand, " is an uninitialised LocalTensor (not from AllocTensor/DeQue/TBuf::Get)"));
  if (h.epoch != ctx.epoch || h.buf >= static_cast<int>(ctx.bufs.size()))
    Fail(api, Cat(operand, " belongs to a TPipe that was reset or destroyed"));
  const BufDesc& d = ctx.bufs[h.buf];
  if (d.gen != h.gen || d.state == BufState::kFree)
    Fail(api, Cat(operand, " was already released with FreeTensor (", DescribeBuf(ctx, h.buf), ")"));
  if (d.state == BufState::kQueued)
    Fail(api, Cat(operand, " is used while enqueued (EnQue without DeQue; ", DescribeBuf(ctx, h.buf), ")"));
  return d;
}

// Spec 9.2: UB range [offset, offset + bytes) must stay inside the tensor's buffer. `live` also
// requires the buffer to be usable now (CheckHandle); views (operator[]) only need the bounds.
inline void CheckUbRange(BlockContext& ctx, const char* api, const char* operand, const UbHandle& h,
                         uint64_t bytes, const char* what, bool live = true) {
  if (h.buf < 0 || h.epoch != ctx.epoch || h.buf >= static_cast<int>(ctx.bufs.size()) || live)
    CheckHandle(ctx, api, operand, h);
  const BufDesc& d = ctx.bufs[h.buf];
  if (static_cast<uint64_t>(h.offset) + bytes > static_cast<uint64_t>(d.start) + d.len)
    Fail(api, Cat(operand, " range out of its buffer: ", what, " = UB bytes [", h.offset, ", ",
                  static_cast<uint64_t>(h.offset) + bytes, ") but the buffer is ", DescribeBuf(ctx, h.buf)));
}

// Spec 2.1 / 9.2: vector and DMA operands start 32 B aligned.
inline void CheckAligned(const char* api, const char* operand, const UbHandle& h, uint32_t alignment) {
  if (h.offset % alignment != 0)
    Fail(api, Cat(operand, " starts at UB byte ", h.offset, ", not ", alignment,
                  " B aligned (spec 2.1: vector/DataCopy operands must start 32 B aligned)"));
}

}  // namespace ascendc_sim
#pragma GCC visibility pop

namespace AscendC {

// ---------------------------------------------------------------- LocalTensor (spec 2.3)
template <typename T>
class LocalTensor {
 public:
  using PrimType = T;

  LocalTensor() = default;

  LocalTensor operator[](uint32_t offset) const {
    ascendc_sim::BlockContext& ctx = ascendc_sim::Ctx("LocalTensor::operator[]");
    ascendc_sim::CheckUbRange(ctx, "LocalTensor::operator[]", "tensor", simHandle,
                              static_cast<uint64_t>(offset) * sizeof(T), "offset", false);
    LocalTensor r = *this;
    r.simHandle.offset += offset * static_cast<uint32_t>(sizeof(T));
    r.simHandle.size = offset <= simHandle.size ? simHandle.size - offset : 0;
    return r;
  }
  T GetValue(uint32_t index) const {
    return *SimElement("LocalTensor::GetValue", index, false);
  }
  void SetValue(uint32_t index, T value) const {
    *SimElement("LocalTensor::SetValue", index, true) = value;
  }
  uint32_t GetSize() const { return simHandle.size; }
  void SetSize(uint32_t size) { simHandle.size = size; }
  uint32_t GetLength() const { return simHandle.size * static_cast<uint32_t>(sizeof(T)); }
  uint64_t GetPhyAddr() const { return simHandle.offset; }
  uint64_t GetPhyAddr(uint32_t offset) const { return simHandle.offset + offset * sizeof(T); }
  TPosition GetPosition() const { return TPosition::VECCALC; }
  template <typename U>
  LocalTensor<U> ReinterpretCast() const {
    LocalTensor<U> r;
    r.simHandle = simHandle;
    r.simHandle.size = static_cast<uint32_t>(static_cast<uint64_t>(simHandle.size) * sizeof(T) / sizeof(U));
    return r;
  }

  // ---- emulation internals
  ascendc_sim::UbHandle simHandle;

  T* SimPtr() const { return reinterpret_cast<T*>(ascendc_sim::t_ctx->ub + simHandle.offset); }

 private:
  T* SimElement(const char* api, uint32_t index, bool write) const {
    ascendc_sim::BlockContext& ctx = ascendc_sim::Ctx(api);
    ascendc_sim::CheckUbRange(ctx, api, "tensor", simHandle, (static_cast<uint64_t>(index) + 1) * sizeof(T),
                              "element index");
    if (write) {  // a scalar write is synchronised by the compiler (spec 5.2)
      const uint32_t lo = simHandle.offset + index * static_cast<uint32_t>(sizeof(T));
      ctx.sync.Forget(lo, lo + static_cast<uint32_t>(sizeof(T)));
    }
    return SimPtr() + index;
  }
};

// ---------------------------------------------------------------- GlobalTensor (spec 2.2)
template <typename T>
class GlobalTensor {
 public:
  using PrimType = T;

  GlobalTensor() = default;

  void SetGlobalBuffer(__gm__ T* buffer, uint64_t bufferSize) {
    simAddr = buffer;
    simSize = bufferSize;
    simLo = buffer;
    simHi = bufferSize != 0 ? buffer + bufferSize : nullptr;  // size 0 = not declared
  }
  void SetGlobalBuffer(__gm__ T* buffer) { SetGlobalBuffer(buffer, 0); }

  GlobalTensor operator[](uint64_t offset) const {
    GlobalTensor r = *this;
    r.simAddr = simAddr + offset;
    r.simSize = offset <= simSize ? simSize - offset : 0;
    return r;
  }
  T GetValue(uint64_t offset) const {
    return *SimCheck("GlobalTensor::GetValue", "tensor", offset * sizeof(T), sizeof(T));
  }
  void SetValue(uint64_t offset, T value) {
    *SimCheck("GlobalTensor::SetValue", "tensor", offset * sizeof(T), sizeof(T)) = value;
  }
  T& operator()(uint64_t offset) const {
    return *SimCheck("GlobalTensor::operator()", "tensor", offset * sizeof(T), sizeof(T));
  }
  __gm__ T* GetPhyAddr() const { return simAddr; }
  __gm__ T* GetPhyAddr(uint64_t offset) const { return simAddr + offset; }
  uint64_t GetSize() const { return simSize; }

  // ---- emulation internals
  T* simAddr = nullptr;
  uint64_t simSize = 0;
  T* simLo = nullptr;  // declared range [simLo, simHi) of the SetGlobalBuffer this view came from
  T* simHi = nullptr;

  // Spec 9.3: the GM bytes [byteOffset, byteOffset + bytes) from this view's start must stay in
  // the declared GlobalTensor size (when one was given) and in a registered GM region.
  T* SimCheck(const char* api, const char* operand, uint64_t byteOffset, uint64_t bytes) const {
    ascendc_sim::Ctx(api);
    if (simAddr == nullptr) ascendc_sim::Fail(api, ascendc_sim::Cat(operand, ": GlobalTensor used before SetGlobalBuffer"));
    const uintptr_t lo = reinterpret_cast<uintptr_t>(simAddr) + byteOffset;
    const uintptr_t hi = lo + bytes;
    if (simHi != nullptr && bytes != 0 &&
        (lo < reinterpret_cast<uintptr_t>(simLo) || hi > reinterpret_cast<uintptr_t>(simHi))) {
      const uintptr_t base = reinterpret_cast<uintptr_t>(simLo);
      ascendc_sim::Fail(api, ascendc_sim::Cat(
          "GM out of range: ", operand, " touches elements [", (static_cast<int64_t>(lo - base)) / static_cast<int64_t>(sizeof(T)),
          ", ", (static_cast<int64_t>(hi - base) + static_cast<int64_t>(sizeof(T)) - 1) / static_cast<int64_t>(sizeof(T)),
          ") of a GlobalTensor declared with ", (simHi - simLo), " elements (SetGlobalBuffer size)"));
    }
    ascendc_sim::CheckGmRegistered(api, operand, lo, hi);
    return reinterpret_cast<T*>(lo);
  }
};

// ---------------------------------------------------------------- TQue / TBuf (spec 2.5, 2.6)
template <TPosition pos, int32_t depth, auto mask = 0>
class TQue {
 public:
  static constexpr TPosition simPosition = pos;
  static constexpr int32_t simDepth = depth;

  TQue() = default;

  template <typename T>
  LocalTensor<T> AllocTensor() {
    const char* api = "TQue::AllocTensor";
    ascendc_sim::BlockContext& ctx = SimQueue(api);
    for (int b : ctx.queues[simId].bufs) {
      ascendc_sim::BufDesc& d = ctx.bufs[b];
      if (d.state != ascendc_sim::BufState::kFree) continue;
      d.state = ascendc_sim::BufState::kAllocated;
      ctx.sync.Forget(d.start, d.start + d.len);  // Alloc waits for the previous users
      return SimTensor<T>(ctx, b);
    }
    ascendc_sim::Fail(api, ascendc_sim::Cat("queue #", simId, " (", ascendc_sim::PositionName(pos), "): all ",
                                            ctx.queues[simId].bufs.size(),
                                            " buffers are in use (AllocTensor beyond the InitBuffer count; missing FreeTensor?)"));
  }
  template <typename T>
  void AllocTensor(LocalTensor<T>& tensor) { tensor = AllocTensor<T>(); }

  template <typename T>
  bool EnQue(const LocalTensor<T>& tensor) {
    const char* api = "TQue::EnQue";
    ascendc_sim::BlockContext& ctx = SimQueue(api);
    const ascendc_sim::BufDesc& d = ascendc_sim::CheckHandle(ctx, api, "tensor", tensor.simHandle);
    SimCheckOwner(ctx, api, tensor.simHandle, d);
    ascendc_sim::QueueDesc& q = ctx.queues[simId];
    if (depth > 0 && static_cast<int32_t>(q.fifo.size()) >= depth)
      ascendc_sim::Fail(api, ascendc_sim::Cat("queue #", simId, " is full: depth ", depth,
                                              " allows that many EnQue without DeQue (spec 2.5)"));
    ctx.bufs[tensor.simHandle.buf].state = ascendc_sim::BufState::kQueued;
    q.fifo.push_back(tensor.simHandle.buf);
    return true;
  }

  template <typename T>
  LocalTensor<T> DeQue() {
    const char* api = "TQue::DeQue";
    ascendc_sim::BlockContext& ctx = SimQueue(api);
    ascendc_sim::QueueDesc& q = ctx.queues[simId];
    if (q.fifo.empty())
      ascendc_sim::Fail(api, ascendc_sim::Cat("DeQue on empty queue #", simId, " (",
                                              ascendc_sim::PositionName(pos), "): no tensor was EnQue'd"));
    const int b = q.fifo.front();
    q.fifo.pop_front();
    ascendc_sim::BufDesc& d = ctx.bufs[b];
    d.state = ascendc_sim::BufState::kAllocated;
    ctx.sync.Forget(d.start, d.start + d.len);  // EnQue/DeQue carry the producer->consumer flag
    return SimTensor<T>(ctx, b);
  }

  template <typename T>
  void FreeTensor(LocalTensor<T>& tensor) {
    const char* api = "TQue::FreeTensor";
    ascendc_sim::BlockContext& ctx = SimQueue(api);
    const ascendc_sim::UbHandle& h = tensor.simHandle;
    if (h.buf < 0) ascendc_sim::Fail(api, "tensor is an uninitialised LocalTensor");
    if (h.epoch != ctx.epoch) ascendc_sim::Fail(api, "tensor belongs to a TPipe that was reset or destroyed");
    ascendc_sim::BufDesc& d = ctx.bufs[h.buf];
    SimCheckOwner(ctx, api, h, d);
    if (d.gen != h.gen || d.state == ascendc_sim::BufState::kFree)
      ascendc_sim::Fail(api, ascendc_sim::Cat("double free: the tensor was already released (",
                                              ascendc_sim::DescribeBuf(ctx, h.buf), ")"));
    if (d.state == ascendc_sim::BufState::kQueued)
      ascendc_sim::Fail(api, ascendc_sim::Cat("FreeTensor of a tensor still in the queue (EnQue without DeQue; ",
                                              ascendc_sim::DescribeBuf(ctx, h.buf), ")"));
    d.state = ascendc_sim::BufState::kFree;
    d.gen += 1;
  }

  bool VacantInQue() {
    ascendc_sim::BlockContext& ctx = SimQueue("TQue::VacantInQue");
    return depth <= 0 || static_cast<int32_t>(ctx.queues[simId].fifo.size()) < depth;
  }
  bool HasTensorInQue() { return GetTensorCountInQue() > 0; }
  int32_t GetTensorCountInQue() {
    ascendc_sim::BlockContext& ctx = SimQueue("TQue::GetTensorCountInQue");
    return static_cast<int32_t>(ctx.queues[simId].fifo.size());
  }
  bool HasIdleBuffer() {
    ascendc_sim::BlockContext& ctx = SimQueue("TQue::HasIdleBuffer");
    for (int b : ctx.queues[simId].bufs)
      if (ctx.bufs[b].state == ascendc_sim::BufState::kFree) return true;
    return false;
  }

  // ---- emulation internals
  int simId = -1;
  uint32_t simEpoch = 0;

 private:
  ascendc_sim::BlockContext& SimQueue(const char* api) {
    ascendc_sim::BlockContext& ctx = ascendc_sim::Ctx(api);
    if (simId < 0 || simEpoch != ctx.epoch)
      ascendc_sim::Fail(api, "queue used before TPipe::InitBuffer (or after TPipe::Reset)");
    return ctx;
  }
  void SimCheckOwner(ascendc_sim::BlockContext& ctx, const char* api, const ascendc_sim::UbHandle& h,
                     const ascendc_sim::BufDesc& d) {
    if (d.kind != ascendc_sim::BufKind::kQueue || d.owner != simId)
      ascendc_sim::Fail(api, ascendc_sim::Cat("tensor does not belong to this queue #", simId,
                                              " (it is ", ascendc_sim::DescribeBuf(ctx, h.buf), ")"));
  }
  template <typename T>
  LocalTensor<T> SimTensor(ascendc_sim::BlockContext& ctx, int b) {
    const ascendc_sim::BufDesc& d = ctx.bufs[b];
    LocalTensor<T> t;
    t.simHandle.buf = b;
    t.simHandle.gen = d.gen;
    t.simHandle.epoch = ctx.epoch;
    t.simHandle.offset = d.start;
    t.simHandle.size = d.len / static_cast<uint32_t>(sizeof(T));
    return t;
  }
};

template <TPosition pos = TPosition::VECCALC>
class TBuf {
 public:
  static constexpr TPosition simPosition = pos;

  TBuf() = default;

  template <typename T>
  LocalTensor<T> Get() {
    ascendc_sim::BlockContext& ctx = SimBuf("TBuf::Get");
    return SimTensor<T>(ctx, 0, ctx.bufs[simId].len / static_cast<uint32_t>(sizeof(T)));
  }
  template <typename T>
  LocalTensor<T> Get(uint32_t len) {
    ascendc_sim::BlockContext& ctx = SimBuf("TBuf::Get");
    if (static_cast<uint64_t>(len) * sizeof(T) > ctx.bufs[simId].len)
      ascendc_sim::Fail("TBuf::Get", ascendc_sim::Cat("Get<T>(", len, ") needs ", static_cast<uint64_t>(len) * sizeof(T),
                                                      " bytes but the TBuf has ", ctx.bufs[simId].len));
    return SimTensor<T>(ctx, 0, len);
  }
  template <typename T>
  LocalTensor<T> GetWithOffset(uint32_t size, uint32_t bufOffset) {
    const char* api = "TBuf::GetWithOffset";
    ascendc_sim::BlockContext& ctx = SimBuf(api);
    if (bufOffset % ascendc_sim::kBlockBytes != 0)
      ascendc_sim::Fail(api, ascendc_sim::Cat("bufOffset ", bufOffset, " is not 32 B aligned (spec 2.6)"));
    if (bufOffset + static_cast<uint64_t>(size) * sizeof(T) > ctx.bufs[simId].len)
      ascendc_sim::Fail(api, ascendc_sim::Cat("GetWithOffset(", size, ", ", bufOffset, ") ends at byte ",
                                              bufOffset + static_cast<uint64_t>(size) * sizeof(T),
                                              " but the TBuf has ", ctx.bufs[simId].len));
    return SimTensor<T>(ctx, bufOffset, size);
  }

  // ---- emulation internals
  int simId = -1;  // index into BlockContext::bufs
  uint32_t simEpoch = 0;

 private:
  ascendc_sim::BlockContext& SimBuf(const char* api) {
    ascendc_sim::BlockContext& ctx = ascendc_sim::Ctx(api);
    if (simId < 0 || simEpoch != ctx.epoch)
      ascendc_sim::Fail(api, "TBuf used before TPipe::InitBuffer (or after TPipe::Reset)");
    return ctx;
  }
  template <typename T>
  LocalTensor<T> SimTensor(ascendc_sim::BlockContext& ctx, uint32_t byteOffset, uint32_t size) {
    const ascendc_sim::BufDesc& d = ctx.bufs[simId];
    LocalTensor<T> t;
    t.simHandle.buf = simId;
    t.simHandle.gen = d.gen;
    t.simHandle.epoch = ctx.epoch;
    t.simHandle.offset = d.start + byteOffset;
    t.simHandle.size = size;
    return t;
  }
};

// ---------------------------------------------------------------- TPipe (spec 2.4)
class TPipe {
 public:
  TPipe() {
    ascendc_sim::BlockContext& ctx = ascendc_sim::Ctx("TPipe::TPipe");
    if (ctx.pipe != nullptr)
      ascendc_sim::Fail("TPipe::TPipe", "a second TPipe while one is alive (exactly one TPipe per kernel, spec 2.4)");
    ctx.pipe = this;
    ctx.ResetPipeState();
    ctx.epoch += 1;
  }
  ~TPipe() {
    ascendc_sim::BlockContext* ctx = ascendc_sim::t_ctx;
    if (ctx != nullptr && ctx->pipe == this) ctx->pipe = nullptr;
  }
  TPipe(const TPipe&) = delete;
  TPipe& operator=(const TPipe&) = delete;

  // Spec 2.4: `num` blocks of `len` bytes, each rounded up to 32 B; checks 9.1.
  template <class Q>
  bool InitBuffer(Q& que, uint8_t num, uint32_t len) {
    static_assert(ascendc_sim::IsUbPosition(Q::simPosition),
                  "ascendc-sim: only VECIN/VECOUT/VECCALC queues are emulated (vector core)");
    const char* api = "TPipe::InitBuffer";
    ascendc_sim::BlockContext& ctx = SimPipe(api);
    if (que.simId >= 0 && que.simEpoch == ctx.epoch) ascendc_sim::Fail(api, "InitBuffer called twice for one queue");
    if (num == 0) ascendc_sim::Fail(api, "queue buffer count num is 0");
    const int position = static_cast<int>(Q::simPosition);
    if (ctx.queueBufsPerPosition[position] + num > ascendc_sim::kMaxQueueBuffersPerPosition)
      ascendc_sim::Fail(api, ascendc_sim::Cat("more than ", ascendc_sim::kMaxQueueBuffersPerPosition, " queue buffers on ",
                                              ascendc_sim::PositionName(Q::simPosition), " (", ctx.queueBufsPerPosition[position],
                                              " + ", static_cast<int>(num), "; A2/A3 have 8 event ids per position, spec 2.4)"));
    const int id = static_cast<int>(ctx.queues.size());
    ascendc_sim::QueueDesc q;
    q.position = static_cast<uint8_t>(Q::simPosition);
    q.depth = Q::simDepth;
    ctx.queues.push_back(q);
    for (int i = 0; i < num; ++i) {
      const int b = ascendc_sim::CarveBuffer(ctx, api, len, ascendc_sim::BufKind::kQueue, id, i);
      ctx.queues[id].bufs.push_back(b);
    }
    ctx.queueBufsPerPosition[position] += num;
    que.simId = id;
    que.simEpoch = ctx.epoch;
    return true;
  }

  template <TPosition pos>
  bool InitBuffer(TBuf<pos>& buf, uint32_t len) {
    static_assert(ascendc_sim::IsUbPosition(pos), "ascendc-sim: only UB TBuf positions are emulated");
    const char* api = "TPipe::InitBuffer";
    ascendc_sim::BlockContext& ctx = SimPipe(api);
    if (buf.simId >= 0 && buf.simEpoch == ctx.epoch) ascendc_sim::Fail(api, "InitBuffer called twice for one TBuf");
    buf.simId = ascendc_sim::CarveBuffer(ctx, api, len, ascendc_sim::BufKind::kTBuf, -1, 0);
    buf.simEpoch = ctx.epoch;
    return true;
  }

  void Reset() {
    ascendc_sim::BlockContext& ctx = SimPipe("TPipe::Reset");
    ctx.ResetPipeState();
    ctx.epoch += 1;
  }
  void Destroy() {}

  // A free event id for `evt` (spec 5.1): the lowest id whose flag is not currently set.
  TEventID FetchEventID(HardEvent evt) {
    const char* api = "TPipe::FetchEventID";
    ascendc_sim::BlockContext& ctx = SimPipe(api);
    for (int id = 0; id < ascendc_sim::kEventIds; ++id)
      if (!ctx.sync.flags[static_cast<int>(evt)][id].set) return static_cast<TEventID>(id);
    ascendc_sim::Fail(api, ascendc_sim::Cat("all 8 event ids of HardEvent::",
                                            ascendc_sim::HardEventNames()[static_cast<int>(evt)], " are set"));
  }
  template <HardEvent evt>
  TEventID FetchEventID() { return FetchEventID(evt); }
  template <HardEvent evt>
  TEventID AllocEventID() { return FetchEventID(evt); }
  template <HardEvent evt>
  void ReleaseEventID(TEventID) {}

 private:
  ascendc_sim::BlockContext& SimPipe(const char* api) {
    ascendc_sim::BlockContext& ctx = ascendc_sim::Ctx(api);
    if (ctx.pipe != this) ascendc_sim::Fail(api, "TPipe is not the live pipe of this block");
    return ctx;
  }
};

inline TPipe* GetTPipePtr() {
  ascendc_sim::BlockContext& ctx = ascendc_sim::Ctx("GetTPipePtr");
  if (ctx.pipe == nullptr) ascendc_sim::Fail("GetTPipePtr", "no TPipe is alive");
  return const_cast<TPipe*>(static_cast<const TPipe*>(ctx.pipe));
}

// ---------------------------------------------------------------- sync (spec 5.1, 9.8)
template <HardEvent event>
inline void SetFlag(TEventID eventID) {
  static_assert(ascendc_sim::EventSrcPipe(event) >= 0,
                "ascendc-sim: this HardEvent is not legal on a vector core (AIV pairs: S/V/MTE2/MTE3, spec 5.1)");
  ascendc_sim::SimSetFlag("SetFlag", ascendc_sim::HardEventNames()[static_cast<int>(event)], static_cast<int>(event),
                          ascendc_sim::EventSrcPipe(event), eventID);
}

template <HardEvent event>
inline void WaitFlag(TEventID eventID) {
  static_assert(ascendc_sim::EventDstPipe(event) >= 0,
                "ascendc-sim: this HardEvent is not legal on a vector core (AIV pairs: S/V/MTE2/MTE3, spec 5.1)");
  ascendc_sim::SimWaitFlag("WaitFlag", ascendc_sim::HardEventNames()[static_cast<int>(event)], static_cast<int>(event),
                           ascendc_sim::EventDstPipe(event), eventID);
}

template <pipe_t pipe>
inline void PipeBarrier() {
  static_assert(pipe == PIPE_V || pipe == PIPE_MTE2 || pipe == PIPE_MTE3 || pipe == PIPE_ALL,
                "ascendc-sim: PipeBarrier is legal on PIPE_V/PIPE_MTE2/PIPE_MTE3/PIPE_ALL only (spec 5.1)");
  if (pipe == PIPE_ALL) ascendc_sim::SimBarrierAll("PipeBarrier<PIPE_ALL>");
  else ascendc_sim::Ctx("PipeBarrier");
}

// ---------------------------------------------------------------- multi-core (spec 1.2)
inline int64_t GetBlockIdx() { return ascendc_sim::Ctx("GetBlockIdx").blockIdx; }
inline int64_t GetBlockNum() { return ascendc_sim::Ctx("GetBlockNum").blockNum; }

}  // namespace AscendC

#endif  // ASCENDC_SIM_MEMORY_H
