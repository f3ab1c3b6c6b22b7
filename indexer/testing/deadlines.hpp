#pragma once
// The deadlines of the indexer's tests are hang guards, not speed checks:
// under ASan + UBSan or TSan (the asan and tsan presets) a run takes several
// times longer, and on a loaded machine a reference run went past 20 s.

namespace erc20::indexer::testing {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr int kSlowdown = 6;
#else
inline constexpr int kSlowdown = 1;
#endif

}  // namespace erc20::indexer::testing
