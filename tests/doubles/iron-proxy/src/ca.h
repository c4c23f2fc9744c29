// CA generation (generate-ca), CA loading with iron-proxy's rules, and per-SNI leaf minting.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace irondouble {

struct X509Deleter { void operator()(X509* x) const { X509_free(x); } };
struct PkeyDeleter { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// Generates a self-signed CA: CA:TRUE pathlen 0, keyUsage keyCertSign+cRLSign.
// alg is "rsa4096" or "ed25519". Returns false with *err set on failure.
bool GenerateCaPem(const std::string& name, long long expiry_hours, const std::string& alg,
                   std::string* cert_pem, std::string* key_pem, std::string* err);

struct Leaf {
  X509Ptr cert;
  PkeyPtr key;
  std::chrono::steady_clock::time_point expires;
};

// Holds the CA read from tls.ca_cert/tls.ca_key and an LRU of minted leaves keyed by SNI.
class CertCache {
 public:
  // Loads and checks the CA the way certcache.New does; *err gets the Go-shaped message.
  static std::unique_ptr<CertCache> Load(const std::string& cert_path, const std::string& key_path,
                                         int max_size, int leaf_expiry_hours, std::string* err);

  // Returns the leaf for domain, minting (ECDSA P-256, CN+SAN=domain, serverAuth) on a miss.
  std::shared_ptr<Leaf> GetOrCreate(const std::string& domain, std::string* err);

  X509* ca_cert() const { return ca_cert_.get(); }

 private:
  std::shared_ptr<Leaf> Mint(const std::string& domain, std::string* err);

  X509Ptr ca_cert_;
  PkeyPtr ca_key_;
  int max_size_ = 1000;
  int leaf_expiry_hours_ = 72;
  std::mutex mu_;
  std::list<std::string> lru_;  // front = most recent
  std::unordered_map<std::string, std::pair<std::shared_ptr<Leaf>, std::list<std::string>::iterator>> map_;
};

// Go-style error text for errno ("no such file or directory", "file exists", ...).
std::string GoErrno(int err);

// Go's filepath.Join(dir, file) including Clean.
std::string GoJoin(const std::string& dir, const std::string& file);

}  // namespace irondouble
