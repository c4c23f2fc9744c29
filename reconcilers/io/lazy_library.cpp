#include "reconcilers/io/lazy_library.h"

#include <dlfcn.h>

namespace ironward {

const std::string& LazyLibrary::Open() {
  std::call_once(once_, [this] {
    handle_ = ::dlopen(soname_, RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) {
      const char* why = ::dlerror();
      error_ = std::string("cannot load ") + soname_ + ": " + (why != nullptr ? why : "unknown dlopen error");
    }
  });
  return error_;
}

void* LazyLibrary::Symbol(const char* name) const {
  return handle_ == nullptr ? nullptr : ::dlsym(handle_, name);
}

}  // namespace ironward
