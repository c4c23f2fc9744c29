// In-process OpenSSL for the local CA: generate a self-signed CA iron-proxy accepts, and parse
// one back (the same way iron-proxy reads it: first PEM block only, no encryption).
//
// Nothing here touches the filesystem or prints key material; errors never quote PEM bytes.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "state/spec/spec.h"
#include "reconcilers/io/clock.h"
#include "state/result.h"

namespace ironward::ca {

/// unique_ptr deleter calling an OpenSSL free function.
template <auto Fn>
struct OpensslDeleter {
  template <class T>
  void operator()(T* p) const {
    Fn(p);
  }
};
using X509Ptr = std::unique_ptr<X509, OpensslDeleter<X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpensslDeleter<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpensslDeleter<EVP_PKEY_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OpensslDeleter<BIO_free_all>>;

/// Subject of our CA: O=ironward, OU=rotation <n>, CN=ironward egress CA (<metadata.name>).
/// The rotation lives in the certificate itself, so no side file is needed to know it.
struct CaSubject {
  std::string organization = "ironward";
  std::string organizational_unit;  ///< "rotation <n>"
  std::string common_name;

  static CaSubject For(std::string_view gateway_name, std::int64_t rotation);
};

/// Everything GenerateCa needs. The extension strings use openssl's config syntax and default
/// to what iron-proxy requires; tests override them to craft CAs iron-proxy would refuse.
struct CaRequest {
  spec::CaAlgorithm algorithm = spec::CaAlgorithm::kRsa4096;
  CaSubject subject;
  std::chrono::seconds validity{0};
  SystemTime now;
  std::string basic_constraints = "critical,CA:TRUE,pathlen:0";
  std::string key_usage = "critical,keyCertSign,cRLSign";  ///< "" = no keyUsage extension
};

struct GeneratedCa {
  std::string cert_pem;  ///< one PEM CERTIFICATE block
  std::string key_pem;   ///< unencrypted PKCS#8 ("PRIVATE KEY"); sensitive
};

/// Self-signed CA: random positive 128-bit serial, notBefore = now - 1 min, notAfter = now +
/// validity, SHA-256 signature (RSA/ECDSA) or Ed25519, basicConstraints + keyUsage +
/// subjectKeyIdentifier + authorityKeyIdentifier.
Result<GeneratedCa> GenerateCa(const CaRequest& request);

/// What a certificate (and optionally its key) says about itself.
struct CaInfo {
  std::string fingerprint_sha256;  ///< lowercase hex sha256 of the DER certificate
  SystemTime not_before;
  SystemTime not_after;
  std::string algorithm;  ///< "rsa-4096", "ecdsa-p256", "ed25519" or e.g. "rsa-2048", "ec-secp384r1"
  std::string subject;    ///< RFC 2253 ("CN=...,OU=rotation 1,O=ironward")
  std::string common_name;
  /// From OU "rotation <n>"; a CA without that marker (adopted) counts as rotation 1.
  std::int64_t rotation = 1;
  bool rotation_marked = false;
  bool is_ca = false;                  ///< basicConstraints CA:TRUE
  std::optional<std::int64_t> path_len;  ///< nullopt = unconstrained
  bool has_key_usage = false;
  bool has_key_cert_sign = false;
  bool key_matches = false;  ///< only meaningful from ParseCa
};

/// Parses the first PEM block of `cert_pem` as an X.509 certificate.
Result<CaInfo> ParseCertificate(std::string_view cert_pem);
/// Parses the first PEM block of `key_pem` as iron-proxy does (PKCS#8, PKCS#1, SEC1; no
/// encryption, no leading EC PARAMETERS block).
Result<PkeyPtr> ParsePrivateKey(std::string_view key_pem);
/// ParseCertificate + ParsePrivateKey + key match. Errors start with "certificate: " or
/// "private key: " so callers can tell which file is broken.
Result<CaInfo> ParseCa(std::string_view cert_pem, std::string_view key_pem);

/// Why iron-proxy would refuse this pair (key mismatch, not a CA, no keyCertSign), or "".
std::string CaDefect(const CaInfo& info);

}  // namespace ironward::ca
