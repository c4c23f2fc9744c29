#include "reconcilers/ca/openssl_ca.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <climits>
#include <ctime>
#include <vector>

#include "state/encoding.h"

namespace ironward::ca {
namespace {

using BnPtr = std::unique_ptr<BIGNUM, OpensslDeleter<BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, OpensslDeleter<X509_EXTENSION_free>>;
using BasicConstraintsPtr = std::unique_ptr<BASIC_CONSTRAINTS, OpensslDeleter<BASIC_CONSTRAINTS_free>>;
using AsnIntPtr = std::unique_ptr<ASN1_INTEGER, OpensslDeleter<ASN1_INTEGER_free>>;

/// Drains OpenSSL's error queue into one line (library reason strings only, never data).
std::string OpensslError(std::string_view what) {
  std::string out(what);
  unsigned long code = 0;
  bool first = true;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    out += first ? ": " : "; ";
    out += buf;
    first = false;
  }
  return out;
}

Error Fail(std::string_view what) { return Error::Terminal(OpensslError(what)); }

/// One PEM block: label, headers and DER payload. The payload is cleansed on destruction.
struct PemBlock {
  std::string label;
  std::string headers;
  std::vector<unsigned char> der;
  PemBlock() = default;
  PemBlock(const PemBlock&) = delete;
  PemBlock& operator=(const PemBlock&) = delete;
  ~PemBlock() {
    if (!der.empty()) OPENSSL_cleanse(der.data(), der.size());
  }
};

/// Reads only the first PEM block, like Go's pem.Decode in iron-proxy.
Result<std::unique_ptr<PemBlock>> FirstPemBlock(std::string_view text) {
  if (text.size() > static_cast<std::size_t>(INT_MAX)) return Error::Terminal("file too large");
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) return Fail("BIO_new_mem_buf");
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
    ERR_clear_error();
    return Error::Terminal("no PEM block found");
  }
  auto block = std::make_unique<PemBlock>();
  block->label = name;
  block->headers = header;
  block->der.assign(data, data + len);
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_clear_free(data, static_cast<std::size_t>(len));
  return block;
}

/// A PEM label safe to echo: short, uppercase letters, digits and spaces only.
std::string Printable(const std::string& label) {
  if (label.size() > 40) return "unexpected label";
  for (char c : label) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ')) return "unexpected label";
  }
  return label;
}

SystemTime ToSystemTime(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return SystemTime{};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string NameEntry(X509_NAME* name, int nid) {
  const int idx = X509_NAME_get_index_by_NID(name, nid, -1);
  if (idx < 0) return "";
  ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, value);
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

std::string NameString(X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "";
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string AlgorithmOf(const EVP_PKEY* pkey) {
  if (pkey == nullptr) return "unknown";
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
      return "rsa-" + std::to_string(EVP_PKEY_get_bits(pkey));
    case EVP_PKEY_EC: {
      char group[64] = {0};
      std::size_t len = 0;
      if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &len) != 1) return "ec-unknown";
      const std::string g(group, len);
      return g == "prime256v1" || g == "P-256" ? "ecdsa-p256" : "ec-" + g;
    }
    case EVP_PKEY_ED25519:
      return "ed25519";
    default:
      return "unknown";
  }
}

/// Parses "rotation <n>" (n >= 1); nullopt otherwise.
std::optional<std::int64_t> ParseRotation(const std::string& ou) {
  constexpr std::string_view kPrefix = "rotation ";
  if (ou.rfind(kPrefix, 0) != 0 || ou.size() == kPrefix.size() || ou.size() > kPrefix.size() + 18) {
    return std::nullopt;
  }
  std::int64_t n = 0;
  for (std::size_t i = kPrefix.size(); i < ou.size(); ++i) {
    if (ou[i] < '0' || ou[i] > '9') return std::nullopt;
    n = n * 10 + (ou[i] - '0');
  }
  if (n < 1) return std::nullopt;
  return n;
}

Result<PkeyPtr> GenerateKey(spec::CaAlgorithm algorithm) {
  const char* type = algorithm == spec::CaAlgorithm::kRsa4096     ? "RSA"
                     : algorithm == spec::CaAlgorithm::kEcdsaP256 ? "EC"
                                                                  : "ED25519";
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) return Fail("key generation init");
  if (algorithm == spec::CaAlgorithm::kRsa4096 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 4096) != 1) {
    return Fail("setting RSA key size");
  }
  if (algorithm == spec::CaAlgorithm::kEcdsaP256 && EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") != 1) {
    return Fail("setting EC group");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) != 1) return Fail("key generation");
  return PkeyPtr(raw);
}

Status SetRandomSerial(X509* cert) {
  Bytes serial = RandomBytes(16);
  serial[0] &= 0x7F;  // positive
  serial[0] |= 0x40;  // and a full 127 bits, never zero
  BnPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  if (!bn) return Fail("serial");
  AsnIntPtr asn(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!asn || X509_set_serialNumber(cert, asn.get()) != 1) return Fail("serial");
  return Status::Ok();
}

Status SetSubject(X509* cert, const CaSubject& subject) {
  X509_NAME* name = X509_get_subject_name(cert);
  const std::pair<const char*, const std::string*> entries[] = {
      {"O", &subject.organization}, {"OU", &subject.organizational_unit}, {"CN", &subject.common_name}};
  for (const auto& [field, value] : entries) {
    if (value->empty()) continue;
    if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value->data()),
                                   static_cast<int>(value->size()), -1, 0) != 1) {
      return Fail(std::string("subject ") + field);
    }
  }
  if (X509_set_issuer_name(cert, name) != 1) return Fail("issuer");
  return Status::Ok();
}

Status AddExtension(X509* cert, int nid, const std::string& value) {
  if (value.empty()) return Status::Ok();
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return Fail(std::string("extension ") + OBJ_nid2sn(nid));
  return Status::Ok();
}

}  // namespace

CaSubject CaSubject::For(std::string_view gateway_name, std::int64_t rotation) {
  CaSubject s;
  s.organizational_unit = "rotation " + std::to_string(rotation);
  s.common_name = "ironward egress CA (" + std::string(gateway_name) + ")";
  return s;
}

Result<GeneratedCa> GenerateCa(const CaRequest& request) {
  if (request.validity <= std::chrono::seconds(0)) return Error::Invalid("CA validity must be positive");
  Result<PkeyPtr> key = GenerateKey(request.algorithm);
  if (!key.ok()) return key.error();
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) return Fail("X509_new");
  if (Status s = SetRandomSerial(cert.get()); !s.ok()) return s.error();
  const std::time_t now = std::chrono::system_clock::to_time_t(request.now);
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), now - 60) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), now + request.validity.count()) == nullptr) {
    return Fail("validity");
  }
  if (Status s = SetSubject(cert.get(), request.subject); !s.ok()) return s.error();
  if (X509_set_pubkey(cert.get(), key->get()) != 1) return Fail("public key");
  for (const auto& [nid, value] : {std::pair<int, std::string>{NID_basic_constraints, request.basic_constraints},
                                   {NID_key_usage, request.key_usage},
                                   {NID_subject_key_identifier, "hash"},
                                   {NID_authority_key_identifier, "keyid:always"}}) {
    if (Status s = AddExtension(cert.get(), nid, value); !s.ok()) return s.error();
  }
  const EVP_MD* md = request.algorithm == spec::CaAlgorithm::kEd25519 ? nullptr : EVP_sha256();
  if (X509_sign(cert.get(), key->get(), md) <= 0) return Fail("signing");

  GeneratedCa out;
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1) return Fail("encoding certificate");
  char* data = nullptr;
  long n = BIO_get_mem_data(cert_bio.get(), &data);
  out.cert_pem.assign(data, static_cast<std::size_t>(n));
  // Secure-heap BIO so the encoded key is cleansed when freed; PKCS#8, no cipher.
  BioPtr key_bio(BIO_new(BIO_s_secmem()));
  if (!key_bio || PEM_write_bio_PrivateKey(key_bio.get(), key->get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Fail("encoding private key");
  }
  n = BIO_get_mem_data(key_bio.get(), &data);
  out.key_pem.assign(data, static_cast<std::size_t>(n));
  return out;
}

Result<CaInfo> ParseCertificate(std::string_view cert_pem) {
  Result<std::unique_ptr<PemBlock>> block = FirstPemBlock(cert_pem);
  if (!block.ok()) return block.error();
  const unsigned char* p = (*block)->der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>((*block)->der.size())));
  if (!cert) {
    ERR_clear_error();
    return Error::Terminal("first PEM block (" + Printable((*block)->label) + ") is not an X.509 certificate");
  }
  CaInfo info;
  info.fingerprint_sha256 = Sha256Hex(std::string_view(reinterpret_cast<const char*>((*block)->der.data()),
                                                       static_cast<std::size_t>(p - (*block)->der.data())));
  info.not_before = ToSystemTime(X509_get0_notBefore(cert.get()));
  info.not_after = ToSystemTime(X509_get0_notAfter(cert.get()));
  info.algorithm = AlgorithmOf(X509_get0_pubkey(cert.get()));
  X509_NAME* subject = X509_get_subject_name(cert.get());
  info.subject = NameString(subject);
  info.common_name = NameEntry(subject, NID_commonName);
  if (auto r = ParseRotation(NameEntry(subject, NID_organizationalUnitName)); r.has_value()) {
    info.rotation = *r;
    info.rotation_marked = true;
  }
  int critical = 0;
  BasicConstraintsPtr bc(
      static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(cert.get(), NID_basic_constraints, &critical, nullptr)));
  if (bc) {
    info.is_ca = bc->ca != 0;
    if (bc->pathlen != nullptr) info.path_len = ASN1_INTEGER_get(bc->pathlen);
  }
  const std::uint32_t ku = X509_get_key_usage(cert.get());
  info.has_key_usage = ku != UINT32_MAX;
  info.has_key_cert_sign = info.has_key_usage && (ku & KU_KEY_CERT_SIGN) != 0;
  ERR_clear_error();
  return info;
}

Result<PkeyPtr> ParsePrivateKey(std::string_view key_pem) {
  Result<std::unique_ptr<PemBlock>> block = FirstPemBlock(key_pem);
  if (!block.ok()) return block.error();
  const PemBlock& b = **block;
  if (b.label == "EC PARAMETERS") {
    return Error::Terminal("starts with an EC PARAMETERS block (iron-proxy refuses it)");
  }
  if (b.label == "ENCRYPTED PRIVATE KEY" || b.headers.find("ENCRYPTED") != std::string::npos) {
    return Error::Terminal("is encrypted (iron-proxy needs an unencrypted key)");
  }
  const unsigned char* p = b.der.data();
  PkeyPtr key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(b.der.size())));
  ERR_clear_error();
  // The label is not echoed: nothing read from a key file ends up in a message.
  if (!key) return Error::Terminal("first PEM block is not a PKCS#8, PKCS#1 or SEC1 private key");
  return key;
}

Result<CaInfo> ParseCa(std::string_view cert_pem, std::string_view key_pem) {
  Result<CaInfo> info = ParseCertificate(cert_pem);
  if (!info.ok()) return info.error().Wrap("certificate");
  Result<PkeyPtr> key = ParsePrivateKey(key_pem);
  if (!key.ok()) return key.error().Wrap("private key");
  // Re-decode the certificate's key: cheap, and keeps CaInfo free of OpenSSL handles.
  Result<std::unique_ptr<PemBlock>> block = FirstPemBlock(cert_pem);
  if (!block.ok()) return block.error().Wrap("certificate");
  const unsigned char* p = (*block)->der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>((*block)->der.size())));
  info->key_matches = cert && EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key->get()) == 1;
  ERR_clear_error();
  return info;
}

std::string CaDefect(const CaInfo& info) {
  if (!info.key_matches) return "key does not match the certificate";
  if (!info.is_ca) return "certificate is not a CA (basicConstraints CA:TRUE missing)";
  if (!info.has_key_usage) return "certificate has no keyUsage extension (iron-proxy requires keyCertSign)";
  if (!info.has_key_cert_sign) return "certificate keyUsage lacks keyCertSign (iron-proxy refuses it)";
  return "";
}

}  // namespace ironward::ca
