// ascendc_sim_runtime.h -- the machine behind the ascendc-sim emulation: error type, settings,
// per-block state (UB arena, buffer and queue tables, event flags), GM region registry, the
// pipe-hazard tracker, the launcher that replaces `kernel<<<blockDim, l2ctrl, stream>>>(args)`,
// and the extern "C" control functions. Included by kernel_operator.h; no AscendC names here.
//
// Error reporting: every check throws ascendc_sim::Error (a std::runtime_error) whose message
// starts "ascendc-sim: kernel '<name>' (block i of n): <API>: <problem>". The launcher catches it:
//   * default ("record" mode): the launch stops, the message is kept per host thread and read with
//     ascendc_sim_last_error() (NULL when none); later launches on that thread are skipped until
//     ascendc_sim_clear_error() -- safe for ctypes, where an escaping C++ exception would abort.
//   * "throw" mode (ascendc_sim_set_throw(1), SetThrowOnError(true) or -DASCENDC_SIM_THROW_DEFAULT=1):
//     the launcher rethrows, for C++ hosts and pybind-style bindings that turn std::runtime_error
//     into RuntimeError.
#ifndef ASCENDC_SIM_RUNTIME_H
#define ASCENDC_SIM_RUNTIME_H

#include <atomic>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

// UB bytes a kernel may hand to TPipe. Default 184 KiB: our planner budgets 184 KiB because on
// arch 2201 Select (and AddDeqRelu) use a hidden scratch at UB offset 184 KiB (spec 2.4); set
// 196608 (the full 192 KiB, the CPU-debug limit) with ascendc_sim_set_ub_limit or -D.
#ifndef ASCENDC_SIM_UB_LIMIT_DEFAULT
#define ASCENDC_SIM_UB_LIMIT_DEFAULT 188416u
#endif

// 1: launches rethrow ascendc_sim::Error from the start (same as calling ascendc_sim_set_throw(1)).
#ifndef ASCENDC_SIM_THROW_DEFAULT
#define ASCENDC_SIM_THROW_DEFAULT 0
#endif

namespace ascendc_sim {

// Thrown by every failed check; default visibility so other libraries can catch it by type.
class __attribute__((visibility("default"))) Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ascendc_sim

#pragma GCC visibility push(hidden)
namespace ascendc_sim {

constexpr uint32_t kUbBytes = 196608;          // UB per vector core on A2/A3 (spec 6)
constexpr uint32_t kSelectScratch = 188416;    // Select's hidden scratch at 184 KiB (spec 2.4)
constexpr uint32_t kBlockBytes = 32;           // UB datablock / alignment unit (spec 2.1)
constexpr uint32_t kRepeatBytes = 256;         // one vector repeat (spec 4.1)
constexpr int kMaxBuffers = 64;                // QBUF_MAX_LEN (spec 2.4)
constexpr int kMaxQueueBuffersPerPosition = 8; // queue buffers per TPosition on A2/A3 (spec 2.4)
constexpr int kEventIds = 8;                   // EVENT_ID0..7 (spec 5.1)
constexpr int kMaxPositions = 32;
constexpr int kMaxHardEvents = 64;
constexpr int kMaxBlockDim = 65535;            // spec 1.2

// ---------------------------------------------------------------- settings (whole process)
inline std::atomic<uint32_t> g_ubLimit{ASCENDC_SIM_UB_LIMIT_DEFAULT};
inline std::atomic<bool> g_throwErrors{ASCENDC_SIM_THROW_DEFAULT != 0};
inline std::atomic<bool> g_syncCheck{true};

// ---------------------------------------------------------------- messages
template <class... A>
std::string Cat(const A&... parts) {
  std::ostringstream s;
  (s << ... << parts);
  return s.str();
}

// ---------------------------------------------------------------- per-block state
enum class BufKind : uint8_t { kQueue, kTBuf };
enum class BufState : uint8_t { kFree, kAllocated, kQueued };

struct BufDesc {            // one block carved by TPipe::InitBuffer
  uint32_t start = 0;       // UB byte offset (32 B aligned)
  uint32_t len = 0;         // bytes, rounded up to 32 B
  BufKind kind = BufKind::kTBuf;
  int owner = -1;           // queue index (kQueue) or -1
  int slot = 0;             // block number inside its queue
  BufState state = BufState::kFree;
  uint32_t gen = 0;         // bumped by FreeTensor: stale tensors are detected
};

struct QueueDesc {
  uint8_t position = 0;
  int32_t depth = 1;
  std::vector<int> bufs;    // indices into BlockContext::bufs
  std::deque<int> fifo;     // enqueued buffers, oldest first
};

enum Pipe : int { kMte2 = 0, kVector = 1, kMte3 = 2, kScalar = 3, kNumPipes = 4 };
inline const char* PipeName(int p) {
  static const char* const names[] = {"MTE2", "V", "MTE3", "S"};
  return (p >= 0 && p < kNumPipes) ? names[p] : "?";
}

// Hazard tracker for the manual-sync rules of spec 5.2. Each emulated instruction runs on a pipe
// (MTE2: GM->UB copies, V: vector ops and UB->UB copies, MTE3: UB->GM copies) and gets a sequence
// number. clock[q][p] is the newest p-instruction that pipe q is known to see: it grows through
// SetFlag<P_Q>/WaitFlag<P_Q> pairs (vector clocks, so MTE2->V->MTE3 chains carry over) and
// PipeBarrier<PIPE_ALL>. Per 32 B UB block we keep the last writer and the last reader per pipe;
// touching a block another pipe used, without a clock that covers that use, is a missing sync.
// Queue buffers are synchronised by the TQue framework: AllocTensor and DeQue clear their history.
// Scalar (GetValue/SetValue) accesses are auto-synced by the compiler and not tracked.
struct SyncTracker {
  static constexpr int kBlocks = kUbBytes / kBlockBytes;
  struct Flag {
    bool set = false;
    uint32_t clock[kNumPipes] = {};
  };
  uint32_t seq[kNumPipes] = {};
  uint32_t clock[kNumPipes][kNumPipes] = {};
  Flag flags[kMaxHardEvents][kEventIds];
  uint32_t writeSeq[kBlocks];
  int8_t writePipe[kBlocks];
  const char* writeApi[kBlocks];
  uint32_t readSeq[kBlocks][3];
  const char* readApi[kBlocks][3];

  void Reset() {
    std::memset(seq, 0, sizeof seq);
    std::memset(clock, 0, sizeof clock);
    for (auto& row : flags)
      for (auto& f : row) f = Flag();
    std::memset(writeSeq, 0, sizeof writeSeq);
    std::memset(writePipe, -1, sizeof writePipe);
    std::memset(readSeq, 0, sizeof readSeq);
    for (int b = 0; b < kBlocks; ++b) {
      writeApi[b] = nullptr;
      readApi[b][0] = readApi[b][1] = readApi[b][2] = nullptr;
    }
  }
  void Forget(uint32_t lo, uint32_t hi) {  // bytes [lo, hi) are synchronised by the framework
    for (uint32_t b = lo / kBlockBytes; b < (hi + kBlockBytes - 1) / kBlockBytes && b < kBlocks; ++b) {
      writePipe[b] = -1;
      writeSeq[b] = 0;
      readSeq[b][0] = readSeq[b][1] = readSeq[b][2] = 0;
    }
  }
};

struct BlockContext {
  std::string kernel;
  int64_t blockIdx = 0;
  int64_t blockNum = 1;
  alignas(64) uint8_t ub[kUbBytes];
  uint32_t ubLimit = ASCENDC_SIM_UB_LIMIT_DEFAULT;
  uint32_t ubUsed = 0;                 // TPipe bump pointer
  std::vector<BufDesc> bufs;
  std::vector<QueueDesc> queues;
  int queueBufsPerPosition[kMaxPositions] = {};
  const void* pipe = nullptr;          // the live TPipe, if any
  uint32_t epoch = 0;                  // bumped when a TPipe starts or Resets: old handles die
  SyncTracker sync;

  void Begin(const std::string& name, int64_t idx, int64_t num) {
    kernel = name;
    blockIdx = idx;
    blockNum = num;
    std::memset(ub, 0xFF, sizeof ub);  // poison: NaN for half/bf16/float, -1 for ints (spec 9)
    ubLimit = g_ubLimit.load();
    ResetPipeState();
    pipe = nullptr;
    epoch += 1;
    sync.Reset();
  }
  void ResetPipeState() {
    ubUsed = 0;
    bufs.clear();
    queues.clear();
    std::memset(queueBufsPerPosition, 0, sizeof queueBufsPerPosition);
  }
};

inline thread_local BlockContext* t_ctx = nullptr;

[[noreturn]] inline void Fail(const char* api, const std::string& what) {
  if (t_ctx != nullptr) {
    throw Error(Cat("ascendc-sim: kernel '", t_ctx->kernel, "' (block ", t_ctx->blockIdx, " of ",
                    t_ctx->blockNum, "): ", api, ": ", what));
  }
  throw Error(Cat("ascendc-sim: ", api, ": ", what));
}

inline BlockContext& Ctx(const char* api) {
  if (t_ctx == nullptr) Fail(api, "AscendC API called outside a kernel launch");
  return *t_ctx;
}

// ---------------------------------------------------------------- GM regions (per host thread)
struct GmRegion {
  uintptr_t lo, hi;
};
inline thread_local std::vector<GmRegion> t_gmRegions;

inline void RegisterGm(const void* ptr, uint64_t bytes) {
  const uintptr_t lo = reinterpret_cast<uintptr_t>(ptr);
  t_gmRegions.push_back({lo, lo + static_cast<uintptr_t>(bytes)});
}
inline void ClearGm() { t_gmRegions.clear(); }

// Spec 9.3: a GM access must lie inside one registered allocation (when any are registered).
inline void CheckGmRegistered(const char* api, const char* operand, uintptr_t lo, uintptr_t hi) {
  if (t_gmRegions.empty() || hi == lo) return;
  for (const GmRegion& r : t_gmRegions)
    if (lo >= r.lo && hi <= r.hi) return;
  Fail(api, Cat("GM out of range: ", operand, " touches bytes [0x", std::hex, lo, ", 0x", hi,
                ") which are not inside any registered GM allocation"));
}

// ---------------------------------------------------------------- pipe hazards (spec 5.2, 9.8)
class PipeOp {  // one emulated instruction on `pipe`: check and record its UB accesses
 public:
  PipeOp(BlockContext& ctx, Pipe pipe, const char* api) : ctx_(ctx), pipe_(pipe), api_(api) {
    SyncTracker& s = ctx_.sync;
    s.seq[pipe_] += 1;
    s.clock[pipe_][pipe_] = s.seq[pipe_];
  }
  void Read(uint32_t lo, uint32_t hi) { Access(lo, hi, false); }
  void Write(uint32_t lo, uint32_t hi) { Access(lo, hi, true); }

 private:
  void Access(uint32_t lo, uint32_t hi, bool write) {
    if (!g_syncCheck.load(std::memory_order_relaxed) || hi <= lo) return;
    SyncTracker& s = ctx_.sync;
    const uint32_t first = lo / kBlockBytes, last = (hi + kBlockBytes - 1) / kBlockBytes;
    for (uint32_t b = first; b < last && b < static_cast<uint32_t>(SyncTracker::kBlocks); ++b) {
      const int wp = s.writePipe[b];
      if (wp >= 0 && wp != pipe_ && s.writeSeq[b] > s.clock[pipe_][wp]) {
        Report(write ? "writes" : "reads", lo, hi, "written", s.writeApi[b], wp);
      }
      if (write) {
        for (int p = 0; p < 3; ++p) {
          if (p != pipe_ && s.readSeq[b][p] > s.clock[pipe_][p]) Report("writes", lo, hi, "read", s.readApi[b][p], p);
        }
      }
    }
    for (uint32_t b = first; b < last && b < static_cast<uint32_t>(SyncTracker::kBlocks); ++b) {
      if (write) {
        s.writePipe[b] = static_cast<int8_t>(pipe_);
        s.writeSeq[b] = s.seq[pipe_];
        s.writeApi[b] = api_;
      } else {
        s.readSeq[b][pipe_] = s.seq[pipe_];
        s.readApi[b][pipe_] = api_;
      }
    }
  }
  [[noreturn]] void Report(const char* verb, uint32_t lo, uint32_t hi, const char* how,
                           const char* otherApi, int otherPipe) {
    Fail(api_, Cat("missing synchronisation: this ", PipeName(pipe_), " instruction ", verb,
                   " UB bytes [", lo, ", ", hi, ") last ", how, " by ", (otherApi ? otherApi : "?"),
                   " on ", PipeName(otherPipe), " with no SetFlag/WaitFlag<HardEvent::",
                   PipeName(otherPipe), "_", PipeName(pipe_),
                   "> (or PipeBarrier<PIPE_ALL>) in between; TBuf tensors need manual flags "
                   "(spec 5.2)"));
  }
  BlockContext& ctx_;
  Pipe pipe_;
  const char* api_;
};

inline void CheckEventId(const char* api, const char* eventName, int id) {
  if (id < 0 || id >= kEventIds)
    Fail(api, Cat("event id ", id, " for HardEvent::", eventName, " is outside 0..7 (spec 5.1)"));
}

// SetFlag<SRC_DST>(id): remembers what SRC has issued so far (spec 5.1: no double set).
inline void SimSetFlag(const char* api, const char* eventName, int event, int src, int id) {
  BlockContext& ctx = Ctx(api);
  CheckEventId(api, eventName, id);
  SyncTracker::Flag& f = ctx.sync.flags[event][id];
  if (f.set)
    Fail(api, Cat("SetFlag<HardEvent::", eventName, ">(", id,
                  ") set twice without a WaitFlag in between (spec 5.1)"));
  f.set = true;
  std::memcpy(f.clock, ctx.sync.clock[src], sizeof f.clock);
}

// WaitFlag<SRC_DST>(id): DST now sees what SRC had issued at the matching SetFlag.
inline void SimWaitFlag(const char* api, const char* eventName, int event, int dst, int id) {
  BlockContext& ctx = Ctx(api);
  CheckEventId(api, eventName, id);
  SyncTracker::Flag& f = ctx.sync.flags[event][id];
  if (!f.set)
    Fail(api, Cat("WaitFlag<HardEvent::", eventName, ">(", id,
                  ") has no matching SetFlag before it; the NPU would hang (spec 5.1)"));
  f.set = false;
  for (int p = 0; p < kNumPipes; ++p)
    if (f.clock[p] > ctx.sync.clock[dst][p]) ctx.sync.clock[dst][p] = f.clock[p];
}

inline void SimBarrierAll(const char* api) {
  BlockContext& ctx = Ctx(api);
  uint32_t all[kNumPipes] = {};
  for (int q = 0; q < kNumPipes; ++q)
    for (int p = 0; p < kNumPipes; ++p)
      if (ctx.sync.clock[q][p] > all[p]) all[p] = ctx.sync.clock[q][p];
  for (int q = 0; q < kNumPipes; ++q) std::memcpy(ctx.sync.clock[q], all, sizeof all);
}

// ---------------------------------------------------------------- launch
inline thread_local std::string t_lastError;
inline thread_local bool t_hasError = false;

// Checks at the end of every block (spec 7.3 CPU-debug checks, spec 5.1 flag pairing).
inline void FinishBlock(BlockContext& ctx, const char* const* eventNames) {
  for (size_t q = 0; q < ctx.queues.size(); ++q) {
    int live = 0;
    for (int b : ctx.queues[q].bufs) live += ctx.bufs[b].state != BufState::kFree;
    if (live != 0)
      Fail("kernel end", Cat("queue #", q, " still holds ", live,
                             " buffer(s) not returned with FreeTensor (Alloc/Free imbalance)"));
  }
  for (int e = 0; e < kMaxHardEvents; ++e)
    for (int id = 0; id < kEventIds; ++id)
      if (ctx.sync.flags[e][id].set)
        Fail("kernel end", Cat("SetFlag<HardEvent::", eventNames[e], ">(", id,
                               ") was never consumed by a WaitFlag (spec 5.1)"));
}

inline std::string StripParens(const char* raw) {
  std::string s(raw);
  while (s.size() >= 2 && s.front() == '(' && s.back() == ')') s = s.substr(1, s.size() - 2);
  return s;
}

const char* const* HardEventNames();  // defined in ascendc_sim_memory.h

// One BlockContext (UB arena + tables, ~0.5 MB) per host thread, reused by every launch.
inline std::unique_ptr<BlockContext>& ContextStorage() {
  static thread_local std::unique_ptr<BlockContext> storage;
  return storage;
}

// Runs body() once per block index 0..blockDim-1, in order, each with a fresh poisoned UB and
// fresh TPipe/queue/flag state. See the file comment for how errors leave this function.
template <class Body>
void RunBlocks(const char* rawName, int64_t blockDim, Body&& body) {
  if (t_hasError && !g_throwErrors.load()) return;  // sticky until ascendc_sim_clear_error()
  const std::string name = StripParens(rawName);
  std::unique_ptr<BlockContext>& storage = ContextStorage();
  try {
    if (t_ctx != nullptr)
      throw Error(Cat("ascendc-sim: kernel '", name, "': launched from inside kernel '",
                      t_ctx->kernel, "'"));
    if (blockDim < 1 || blockDim > kMaxBlockDim)
      throw Error(Cat("ascendc-sim: kernel '", name, "': launch: blockDim ", blockDim,
                      " is outside [1, 65535] (spec 1.2)"));
    if (!storage) storage.reset(new BlockContext());
    BlockContext& ctx = *storage;
    struct Guard {
      ~Guard() { t_ctx = nullptr; }
    } guard;
    for (int64_t b = 0; b < blockDim; ++b) {
      ctx.Begin(name, b, blockDim);
      t_ctx = &ctx;
      try {
        body();
      } catch (const Error&) {
        throw;
      } catch (const std::exception& e) {
        Fail("kernel", Cat("unexpected C++ exception: ", e.what()));
      } catch (...) {
        Fail("kernel", "unexpected non-standard C++ exception");
      }
      FinishBlock(ctx, HardEventNames());
      t_ctx = nullptr;
    }
  } catch (const Error& e) {
    if (g_throwErrors.load()) throw;
    t_lastError = e.what();
    t_hasError = true;
  }
}

template <class F>
struct Launcher {
  const char* name;
  F* kernel;
  int64_t blockDim;
  template <class... A>
  void operator()(A&&... args) const {
    RunBlocks(name, blockDim, [&]() { kernel(args...); });
  }
};

// Target of rewrite_launches: `k<<<blockDim, l2ctrl, stream>>>(args)` becomes
// `ASCENDC_SIM_LAUNCH(k, blockDim, l2ctrl, stream)(args)`; l2ctrl and stream are ignored.
template <class F, class... Config>
Launcher<F> MakeLauncher(const char* name, F& kernel, int64_t blockDim, Config&&...) {
  static_assert(sizeof...(Config) == 2, "ascendc-sim: a launch takes <<<blockDim, l2ctrl, stream>>>");
  return Launcher<F>{name, &kernel, blockDim};
}

// C++ control API (the extern "C" functions below forward here).
inline void SetThrowOnError(bool on) { g_throwErrors.store(on); }
inline void SetSyncCheck(bool on) { g_syncCheck.store(on); }
inline bool SetUbLimit(uint32_t bytes) {
  if (bytes == 0 || bytes > kUbBytes) return false;
  g_ubLimit.store(bytes);
  return true;
}
inline const char* LastError() { return t_hasError ? t_lastError.c_str() : nullptr; }
inline void ClearError() {
  t_hasError = false;
  t_lastError.clear();
}

}  // namespace ascendc_sim
#pragma GCC visibility pop

#define ASCENDC_SIM_LAUNCH(kernel, ...) ::ascendc_sim::MakeLauncher(#kernel, kernel, __VA_ARGS__)

// extern "C" control functions, exported from every library that includes kernel_operator.h
// (weak, so several translation units may include the header). Per host thread unless noted.
#define ASCENDC_SIM_EXPORT extern "C" __attribute__((weak, visibility("default")))
// Message of the first failed launch since the last clear, or NULL.
ASCENDC_SIM_EXPORT const char* ascendc_sim_last_error(void) { return ascendc_sim::LastError(); }
ASCENDC_SIM_EXPORT void ascendc_sim_clear_error(void) { ascendc_sim::ClearError(); }
// Process-wide: 1 = launches rethrow ascendc_sim::Error instead of recording it.
ASCENDC_SIM_EXPORT void ascendc_sim_set_throw(int on) { ascendc_sim::SetThrowOnError(on != 0); }
// Process-wide: UB bytes TPipe may hand out (default 184 KiB; max 196608). Returns 0 on success.
ASCENDC_SIM_EXPORT int ascendc_sim_set_ub_limit(uint32_t bytes) {
  return ascendc_sim::SetUbLimit(bytes) ? 0 : -1;
}
// Process-wide: 0 disables the missing-SetFlag/WaitFlag hazard check (flag pairing stays on).
ASCENDC_SIM_EXPORT void ascendc_sim_set_sync_check(int on) { ascendc_sim::SetSyncCheck(on != 0); }
// GM accesses must fall inside one registered region once any region is registered.
ASCENDC_SIM_EXPORT void ascendc_sim_register_gm(const void* ptr, uint64_t bytes) {
  ascendc_sim::RegisterGm(ptr, bytes);
}
ASCENDC_SIM_EXPORT void ascendc_sim_clear_gm(void) { ascendc_sim::ClearGm(); }

#endif  // ASCENDC_SIM_RUNTIME_H
