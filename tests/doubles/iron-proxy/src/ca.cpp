#include "ca.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace irondouble {
namespace {

bool ReadFile(const std::string& path, std::string* out, int* err_no) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *err_no = errno != 0 ? errno : ENOENT;
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// Go's pem.Decode: the first well-formed block, whatever its label.
bool FirstPemBlock(const std::string& pem, std::string* der) {
  std::size_t begin = pem.find("-----BEGIN ");
  if (begin == std::string::npos) return false;
  std::size_t line_end = pem.find('\n', begin);
  if (line_end == std::string::npos) return false;
  std::size_t end = pem.find("-----END ", line_end);
  if (end == std::string::npos) return false;
  std::string b64;
  for (std::size_t i = line_end + 1; i < end; ++i) {
    if (!std::isspace(static_cast<unsigned char>(pem[i]))) b64 += pem[i];
  }
  if (b64.find(':') != std::string::npos) return false;  // encrypted PEM headers
  std::vector<unsigned char> buf(b64.size());
  int n = EVP_DecodeBlock(buf.data(), reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n < 0) return false;
  std::size_t pad = 0;
  if (!b64.empty() && b64.back() == '=') pad = (b64.size() >= 2 && b64[b64.size() - 2] == '=') ? 2 : 1;
  der->assign(reinterpret_cast<char*>(buf.data()), static_cast<std::size_t>(n) - pad);
  return true;
}

bool AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

bool SetRandomSerial(X509* cert) {
  BIGNUM* bn = BN_new();
  bool ok = BN_rand(bn, 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
            BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != nullptr;
  BN_free(bn);
  return ok;
}

void SetValidity(X509* cert, long long hours) {
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  long long secs = hours * 3600;
  X509_time_adj_ex(X509_getm_notAfter(cert), static_cast<int>(secs / 86400),
                   static_cast<long>(secs % 86400), nullptr);
}

const EVP_MD* DigestFor(EVP_PKEY* key) {
  int id = EVP_PKEY_get_base_id(key);
  return (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) ? nullptr : EVP_sha256();
}

std::string ToPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

std::string KeyToPkcs8Pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

PkeyPtr ParsePrivateKeyDer(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  long len = static_cast<long>(der.size());
  if (PKCS8_PRIV_KEY_INFO* info = d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, len)) {
    EVP_PKEY* key = EVP_PKCS82PKEY(info);
    PKCS8_PRIV_KEY_INFO_free(info);
    if (key != nullptr) return PkeyPtr(key);
  }
  for (int type : {EVP_PKEY_RSA, EVP_PKEY_EC}) {
    p = reinterpret_cast<const unsigned char*>(der.data());
    if (EVP_PKEY* key = d2i_PrivateKey(type, nullptr, &p, len)) return PkeyPtr(key);
  }
  ERR_clear_error();
  return nullptr;
}

}  // namespace

std::string GoErrno(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

std::string GoJoin(const std::string& dir, const std::string& file) {
  std::string joined = dir.empty() ? file : dir + "/" + file;
  bool rooted = !joined.empty() && joined[0] == '/';
  std::vector<std::string> parts;
  std::stringstream ss(joined);
  std::string seg;
  while (std::getline(ss, seg, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!parts.empty() && parts.back() != "..") parts.pop_back();
      else if (!rooted) parts.push_back(seg);
      continue;
    }
    parts.push_back(seg);
  }
  std::string out = rooted ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
  return out.empty() ? "." : out;
}

bool GenerateCaPem(const std::string& name, long long expiry_hours, const std::string& alg,
                   std::string* cert_pem, std::string* key_pem, std::string* err) {
  PkeyPtr key(alg == "ed25519" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                               : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(4096)));
  if (!key) {
    *err = "generating key: openssl key generation failed";
    return false;
  }
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  SetRandomSerial(cert.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);
  SetValidity(cert.get(), expiry_hours);
  X509_set_pubkey(cert.get(), key.get());
  bool ok = AddExt(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign") &&
            AddExt(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
            AddExt(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  if (!ok || X509_sign(cert.get(), key.get(), DigestFor(key.get())) <= 0) {
    *err = "creating certificate: openssl signing failed";
    return false;
  }
  *cert_pem = ToPem(cert.get());
  *key_pem = KeyToPkcs8Pem(key.get());
  return true;
}

std::unique_ptr<CertCache> CertCache::Load(const std::string& cert_path, const std::string& key_path,
                                           int max_size, int leaf_expiry_hours, std::string* err) {
  std::string pem, der;
  int err_no = 0;
  if (!ReadFile(cert_path, &pem, &err_no)) {
    *err = "reading CA cert: open " + cert_path + ": " + GoErrno(err_no);
    return nullptr;
  }
  if (!FirstPemBlock(pem, &der)) {
    *err = "no PEM block found in CA cert";
    return nullptr;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) {
    *err = "parsing CA cert: x509: malformed certificate";
    return nullptr;
  }
  if (!ReadFile(key_path, &pem, &err_no)) {
    *err = "reading CA key: open " + key_path + ": " + GoErrno(err_no);
    return nullptr;
  }
  if (!FirstPemBlock(pem, &der)) {
    *err = "no PEM block found in CA key";
    return nullptr;
  }
  PkeyPtr key = ParsePrivateKeyDer(der);
  if (!key) {
    *err = "parsing CA key (tried PKCS8, PKCS1, and EC formats): x509: failed to parse EC private key";
    return nullptr;
  }
  uint32_t flags = X509_get_extension_flags(cert.get());
  if ((flags & EXFLAG_CA) == 0) {
    *err = "certificate is not a CA (BasicConstraints.IsCA is false)";
    return nullptr;
  }
  if ((flags & EXFLAG_KUSAGE) == 0 || (X509_get_key_usage(cert.get()) & KU_KEY_CERT_SIGN) == 0) {
    *err = "CA certificate missing KeyUsageCertSign";
    return nullptr;
  }
  auto cache = std::unique_ptr<CertCache>(new CertCache());
  cache->ca_cert_ = std::move(cert);
  cache->ca_key_ = std::move(key);
  cache->max_size_ = max_size > 0 ? max_size : 1000;
  cache->leaf_expiry_hours_ = leaf_expiry_hours;
  return cache;
}

std::shared_ptr<Leaf> CertCache::GetOrCreate(const std::string& domain, std::string* err) {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (auto it = map_.find(domain); it != map_.end()) {
    if (it->second.first->expires > now) {
      lru_.splice(lru_.begin(), lru_, it->second.second);
      return it->second.first;
    }
    lru_.erase(it->second.second);
    map_.erase(it);
  }
  auto leaf = Mint(domain, err);
  if (!leaf) {
    *err = "generating cert for " + domain + ": " + *err;
    return nullptr;
  }
  lru_.push_front(domain);
  map_[domain] = {leaf, lru_.begin()};
  while (static_cast<int>(map_.size()) > max_size_) {
    map_.erase(lru_.back());
    lru_.pop_back();
  }
  return leaf;
}

std::shared_ptr<Leaf> CertCache::Mint(const std::string& domain, std::string* err) {
  auto leaf = std::make_shared<Leaf>();
  leaf->key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!leaf->key) {
    *err = "generating key: openssl failed";
    return nullptr;
  }
  leaf->cert.reset(X509_new());
  X509* cert = leaf->cert.get();
  X509_set_version(cert, 2);
  SetRandomSerial(cert);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(domain.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, X509_get_subject_name(ca_cert_.get()));
  SetValidity(cert, leaf_expiry_hours_);
  X509_set_pubkey(cert, leaf->key.get());
  std::string san = "DNS:" + domain;
  bool ok = AddExt(cert, ca_cert_.get(), NID_key_usage, "critical,digitalSignature") &&
            AddExt(cert, ca_cert_.get(), NID_ext_key_usage, "serverAuth") &&
            AddExt(cert, ca_cert_.get(), NID_subject_alt_name, san.c_str());
  if (X509_get_ext_by_NID(ca_cert_.get(), NID_subject_key_identifier, -1) >= 0) {
    ok = ok && AddExt(cert, ca_cert_.get(), NID_authority_key_identifier, "keyid");
  }
  if (!ok || X509_sign(cert, ca_key_.get(), DigestFor(ca_key_.get())) <= 0) {
    ERR_clear_error();
    *err = "signing certificate: x509: provided PrivateKey doesn't match parent's PublicKey";
    return nullptr;
  }
  if (X509_check_private_key(ca_cert_.get(), ca_key_.get()) != 1) {
    ERR_clear_error();
    *err = "signing certificate: x509: provided PrivateKey doesn't match parent's PublicKey";
    return nullptr;
  }
  leaf->expires = std::chrono::steady_clock::now() + std::chrono::hours(leaf_expiry_hours_);
  return leaf;
}

}  // namespace irondouble
