#include "reconcilers/network/libnft_runner.h"

#include <nftables/libnftables.h>

#include <memory>

namespace ironward::netfilter {
namespace {

struct CtxFree {
  void operator()(nft_ctx* ctx) const { nft_ctx_free(ctx); }
};

std::string Buffer(const char* text) { return text == nullptr ? std::string() : std::string(text); }

}  // namespace

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
  std::unique_ptr<nft_ctx, CtxFree> ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  if (!ctx) return CommandResult::SpawnFailed("libnftables: cannot create a context");
  if (json) nft_ctx_output_set_flags(ctx.get(), nft_ctx_output_get_flags(ctx.get()) | NFT_CTX_OUTPUT_JSON);
  if (nft_ctx_buffer_output(ctx.get()) != 0 || nft_ctx_buffer_error(ctx.get()) != 0) {
    return CommandResult::SpawnFailed("libnftables: cannot buffer output");
  }
  const int rc = file.empty() ? nft_run_cmd_from_buffer(ctx.get(), command.c_str())
                              : nft_run_cmd_from_filename(ctx.get(), file.c_str());
  return CommandResult::Exited(rc == 0 ? 0 : 1, Buffer(nft_ctx_get_output_buffer(ctx.get())),
                                       Buffer(nft_ctx_get_error_buffer(ctx.get())));
}

}  // namespace ironward::netfilter
