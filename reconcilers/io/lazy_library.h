// Shared libraries opened on first use (dlopen) instead of at process start.
//
// Why: libcurl, libnftables and libsystemd bring about forty libraries of their own (ldap,
// kerberos, rtmp, gnutls, nettle, p11-kit; jansson, gmp, xtables; gcrypt, lzma, zstd, lz4), and the
// dynamic loader mapped and relocated every one of them for each `ironward --version`, `validate`
// or `status`: most of a 9 ms start. Now a process pays for them only when it makes its first HTTP
// request, its first nftables call or starts the `run` event loop.
//
// Why this way and not a private plug-in (a module of our own under lib/ironward/ linked to the
// library): the system library is opened by its soname from the standard search path, so the
// build tree, the installed package and every test binary find it the same way with no path
// lookup of our own, and nothing new is installed. Each user lists the few functions it calls in a
// table typed with decltype of the library's own header declarations, so a signature mismatch is a
// compile error; the soname is read from the -dev package's library at configure time
// (CMakeLists.txt: IRONWARD_*_SONAME), the ABI the code was compiled against. The package's
// Depends names these libraries by hand (packaging/cpack.cmake): dpkg-shlibdeps cannot see them.
#pragma once

#include <cstring>
#include <mutex>
#include <string>
#include <type_traits>

namespace ironward {

class LazyLibrary {
 public:
  /// `soname` must outlive the object (a string literal). Nothing happens until Open().
  constexpr explicit LazyLibrary(const char* soname) : soname_(soname) {}

  /// dlopen(RTLD_NOW | RTLD_LOCAL), once per object (thread-safe); the library is never closed.
  /// "" when open, else why not, naming the library (e.g. a host without its package).
  const std::string& Open();

  /// Resolves `name` into `fn` (typed by the caller's decltype of the header's declaration).
  /// On a missing symbol, appends its name to `missing` and leaves `fn` null. Call after Open().
  template <class Fn>
  void Bind(const char* name, Fn& fn, std::string& missing) const {
    static_assert(std::is_pointer_v<Fn> && std::is_function_v<std::remove_pointer_t<Fn>>);
    void* address = Symbol(name);
    if (address == nullptr) {
      missing += (missing.empty() ? "" : ", ") + std::string(name);
      fn = nullptr;
      return;
    }
    // dlsym returns data-pointer typed addresses of functions (POSIX guarantees the round trip).
    static_assert(sizeof(fn) == sizeof(address));
    std::memcpy(&fn, &address, sizeof(fn));
  }

  const char* soname() const { return soname_; }

 private:
  void* Symbol(const char* name) const;

  const char* soname_;
  std::once_flag once_;
  void* handle_ = nullptr;
  std::string error_;
};

}  // namespace ironward

/// Binds `symbol` (the header's declaration) into `slot` through `library`, checking at compile
/// time that the slot has exactly the declaration's type: the name looked up and the signature
/// called cannot disagree.
#define IRONWARD_LAZY_BIND(library, symbol, slot, missing)                                       \
  do {                                                                                           \
    static_assert(std::is_same_v<std::remove_reference_t<decltype(slot)>, decltype(&symbol)>,    \
                  #slot " is not typed as " #symbol);                                            \
    (library).Bind(#symbol, slot, missing);                                                      \
  } while (false)
