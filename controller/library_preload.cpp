#include "controller/library_preload.h"

#include "reconcilers/io/http_client.h"
#include "reconcilers/network/libnft_runner.h"

namespace ironward {

// libnftables first: the network resource reads the table right after listing containers, and a
// download (the binary resource, earlier still) waits for libcurl anyway.
LibraryPreload::LibraryPreload()
    : thread_([] {
        netfilter::LibNftRunner::Preload();
        PreloadCurl();
      }) {}

}  // namespace ironward
