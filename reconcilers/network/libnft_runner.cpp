#include "reconcilers/network/libnft_runner.h"

#include <nftables/libnftables.h>

#include <memory>

#include "reconcilers/io/lazy_library.h"

namespace ironward::netfilter {
namespace {

// libnftables and what it links (mnl, nftnl, xtables, jansson, gmp) are opened on the first call,
// not at process start (reconcilers/io/lazy_library.h): the functions called, typed by
// libnftables.h. IRONWARD_NFTABLES_SONAME comes from CMakeLists.txt.
struct NftApi {
  decltype(&nft_ctx_new) ctx_new = nullptr;
  decltype(&nft_ctx_free) ctx_free = nullptr;
  decltype(&nft_ctx_output_get_flags) output_get_flags = nullptr;
  decltype(&nft_ctx_output_set_flags) output_set_flags = nullptr;
  decltype(&nft_ctx_buffer_output) buffer_output = nullptr;
  decltype(&nft_ctx_buffer_error) buffer_error = nullptr;
  decltype(&nft_ctx_get_output_buffer) get_output_buffer = nullptr;
  decltype(&nft_ctx_get_error_buffer) get_error_buffer = nullptr;
  decltype(&nft_run_cmd_from_buffer) run_cmd_from_buffer = nullptr;
  decltype(&nft_run_cmd_from_filename) run_cmd_from_filename = nullptr;
  std::string error;  ///< "" when every function is bound
};

NftApi LoadNft() {
  static LazyLibrary lib(IRONWARD_NFTABLES_SONAME);
  NftApi a;
  if (a.error = lib.Open(); !a.error.empty()) return a;
  std::string missing;
  IRONWARD_LAZY_BIND(lib, nft_ctx_new, a.ctx_new, missing);
  IRONWARD_LAZY_BIND(lib, nft_ctx_free, a.ctx_free, missing);
  IRONWARD_LAZY_BIND(lib, nft_ctx_output_get_flags, a.output_get_flags, missing);
  IRONWARD_LAZY_BIND(lib, nft_ctx_output_set_flags, a.output_set_flags, missing);
  IRONWARD_LAZY_BIND(lib, nft_ctx_buffer_output, a.buffer_output, missing);
  IRONWARD_LAZY_BIND(lib, nft_ctx_buffer_error, a.buffer_error, missing);
  IRONWARD_LAZY_BIND(lib, nft_ctx_get_output_buffer, a.get_output_buffer, missing);
  IRONWARD_LAZY_BIND(lib, nft_ctx_get_error_buffer, a.get_error_buffer, missing);
  IRONWARD_LAZY_BIND(lib, nft_run_cmd_from_buffer, a.run_cmd_from_buffer, missing);
  IRONWARD_LAZY_BIND(lib, nft_run_cmd_from_filename, a.run_cmd_from_filename, missing);
  if (!missing.empty()) a.error = std::string(lib.soname()) + " lacks " + missing;
  return a;
}

/// Loaded once, on the first call (a function-local static: thread-safe, never at start-up).
const NftApi& Nft() {
  static const NftApi api = LoadNft();
  return api;
}

struct CtxFree {
  void operator()(nft_ctx* ctx) const { Nft().ctx_free(ctx); }
};

std::string Buffer(const char* text) { return text == nullptr ? std::string() : std::string(text); }

}  // namespace

void LibNftRunner::Preload() { (void)Nft(); }

CommandResult LibNftRunner::Run(const std::vector<std::string>& argv, std::chrono::milliseconds) {
  if (argv.empty() || argv[0] != "nft") {
    return CommandResult::NotFound("LibNftRunner runs only nft, not " + (argv.empty() ? "nothing" : argv[0]));
  }
  bool json = false;
  std::string file;
  std::string command;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (command.empty() && argv[i] == "-j") {
      json = true;
    } else if (command.empty() && argv[i] == "-f" && i + 1 < argv.size()) {
      file = argv[++i];
    } else {
      command += (command.empty() ? "" : " ") + argv[i];
    }
  }
  if (file.empty() == command.empty()) {
    return CommandResult::Exited(2, "", "LibNftRunner: expected `nft [-j] COMMAND...` or `nft -f FILE`\n");
  }
  // One context per call: contexts are not shared between threads, and a fresh one carries no
  // state (sets, defines) over from an earlier script.
  const NftApi& nft = Nft();
  if (!nft.error.empty()) return CommandResult::SpawnFailed("libnftables: " + nft.error);
  std::unique_ptr<nft_ctx, CtxFree> ctx(nft.ctx_new(NFT_CTX_DEFAULT));
  if (!ctx) return CommandResult::SpawnFailed("libnftables: cannot create a context");
  if (json) nft.output_set_flags(ctx.get(), nft.output_get_flags(ctx.get()) | NFT_CTX_OUTPUT_JSON);
  if (nft.buffer_output(ctx.get()) != 0 || nft.buffer_error(ctx.get()) != 0) {
    return CommandResult::SpawnFailed("libnftables: cannot buffer output");
  }
  const int rc = file.empty() ? nft.run_cmd_from_buffer(ctx.get(), command.c_str())
                              : nft.run_cmd_from_filename(ctx.get(), file.c_str());
  return CommandResult::Exited(rc == 0 ? 0 : 1, Buffer(nft.get_output_buffer(ctx.get())),
                                       Buffer(nft.get_error_buffer(ctx.get())));
}

}  // namespace ironward::netfilter
