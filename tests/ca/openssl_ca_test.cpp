// GenerateCa / ParseCa, checked independently through the OpenSSL API (no openssl CLI).
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <map>

#include "tests/ca/ca_test_util.h"

namespace ironward::ca {
namespace {

using spec::CaAlgorithm;
using std::chrono::hours;
using std::chrono::seconds;

const SystemTime kNow = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1};
const seconds kValidity = hours(1000);

CaRequest Request(CaAlgorithm alg) {
  CaRequest req;
  req.algorithm = alg;
  req.subject = CaSubject::For("unit", 3);
  req.validity = kValidity;
  req.now = kNow;
  return req;
}

/// One CA per algorithm for the whole suite (RSA-4096 is slow to generate).
const GeneratedCa& Cached(CaAlgorithm alg) {
  static std::map<CaAlgorithm, GeneratedCa> cache;
  auto it = cache.find(alg);
  if (it == cache.end()) {
    Result<GeneratedCa> ca = GenerateCa(Request(alg));
    if (!ca.ok()) ADD_FAILURE() << ca.error().message;
    it = cache.emplace(alg, ca.ok() ? *ca : GeneratedCa{}).first;
  }
  return it->second;
}

X509Ptr LoadCert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}
PkeyPtr LoadKey(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}
std::time_t ToTimeT(const ASN1_TIME* t) {
  std::tm tm{};
  ASN1_TIME_to_tm(t, &tm);
  return timegm(&tm);
}
bool Critical(X509* cert, int nid) {
  const int idx = X509_get_ext_by_NID(cert, nid, -1);
  return idx >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, idx)) == 1;
}

class OpenSslCaTest : public ::testing::TestWithParam<CaAlgorithm> {};

TEST_P(OpenSslCaTest, GeneratesCaIronProxyAccepts) {
  const GeneratedCa& ca = Cached(GetParam());
  X509Ptr cert = LoadCert(ca.cert_pem);
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_check_ca(cert.get()), 1);
  EXPECT_TRUE(Critical(cert.get(), NID_basic_constraints));
  EXPECT_EQ(X509_get_pathlen(cert.get()), 0);
  EXPECT_TRUE(Critical(cert.get(), NID_key_usage));
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NE(X509_get0_subject_key_id(cert.get()), nullptr);
  EXPECT_EQ(X509_check_issued(cert.get(), cert.get()), X509_V_OK);  // self-signed
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(cert.get())), 1);

  const int want_sig = GetParam() == CaAlgorithm::kRsa4096     ? NID_sha256WithRSAEncryption
                       : GetParam() == CaAlgorithm::kEcdsaP256 ? NID_ecdsa_with_SHA256
                                                               : NID_ED25519;
  EXPECT_EQ(X509_get_signature_nid(cert.get()), want_sig);

  // Positive serial of about 128 bits.
  BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr);
  EXPECT_FALSE(BN_is_negative(serial));
  EXPECT_GE(BN_num_bits(serial), 120);
  EXPECT_LE(BN_num_bits(serial), 128);
  BN_free(serial);

  const std::time_t now = std::chrono::system_clock::to_time_t(kNow);
  EXPECT_EQ(ToTimeT(X509_get0_notBefore(cert.get())), now - 60);
  EXPECT_EQ(ToTimeT(X509_get0_notAfter(cert.get())), now + kValidity.count());

  // Key: exactly one unencrypted PKCS#8 block that matches the certificate.
  EXPECT_EQ(ca.key_pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0U);
  EXPECT_EQ(ca.key_pem.find("-----BEGIN", 1), std::string::npos);
  EXPECT_EQ(ca.key_pem.find("ENCRYPTED"), std::string::npos);
  PkeyPtr key = LoadKey(ca.key_pem);
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
}

TEST_P(OpenSslCaTest, ParseReportsWhatTheCertificateSays) {
  const GeneratedCa& ca = Cached(GetParam());
  Result<CaInfo> info = ParseCa(ca.cert_pem, ca.key_pem);
  ASSERT_TRUE(info.ok()) << info.error().message;

  X509Ptr cert = LoadCert(ca.cert_pem);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ASSERT_EQ(X509_digest(cert.get(), EVP_sha256(), md, &len), 1);
  EXPECT_EQ(info->fingerprint_sha256, HexEncode(Bytes(md, md + len)));

  EXPECT_EQ(info->not_before, kNow - seconds(60));
  EXPECT_EQ(info->not_after, kNow + kValidity);
  EXPECT_EQ(info->algorithm, spec::ToString(GetParam()));
  EXPECT_EQ(info->subject, "CN=ironward egress CA (unit),OU=rotation 3,O=ironward");
  EXPECT_EQ(info->common_name, "ironward egress CA (unit)");
  EXPECT_EQ(info->rotation, 3);
  EXPECT_TRUE(info->rotation_marked);
  EXPECT_TRUE(info->is_ca);
  EXPECT_EQ(info->path_len, 0);
  EXPECT_TRUE(info->has_key_cert_sign);
  EXPECT_TRUE(info->key_matches);
  EXPECT_EQ(CaDefect(*info), "");
}

INSTANTIATE_TEST_SUITE_P(Algorithms, OpenSslCaTest,
                         ::testing::Values(CaAlgorithm::kRsa4096, CaAlgorithm::kEcdsaP256, CaAlgorithm::kEd25519),
                         [](const auto& p) {
                           std::string n = spec::ToString(p.param);
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

TEST(OpenSslCaParseTest, SerialsAreRandom) {
  Result<GeneratedCa> a = GenerateCa(Request(CaAlgorithm::kEd25519));
  Result<GeneratedCa> b = GenerateCa(Request(CaAlgorithm::kEd25519));
  ASSERT_TRUE(a.ok() && b.ok());
  X509Ptr ca = LoadCert(a->cert_pem);
  X509Ptr cb = LoadCert(b->cert_pem);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(ca.get()), X509_get0_serialNumber(cb.get())), 0);
  EXPECT_NE(a->key_pem, b->key_pem);
}

TEST(OpenSslCaParseTest, RejectsGarbageWithClearErrors) {
  Result<CaInfo> none = ParseCertificate("hello world");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("no PEM block"), std::string::npos);

  Result<CaInfo> junk = ParseCertificate("-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n");
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.error().message.find("is not an X.509 certificate"), std::string::npos);

  const GeneratedCa& ca = Cached(CaAlgorithm::kEcdsaP256);
  Result<CaInfo> bad_key = ParseCa(ca.cert_pem, "-----BEGIN PRIVATE KEY-----\naGVsbG8=\n-----END PRIVATE KEY-----\n");
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.error().message.rfind("private key: ", 0), 0U);
  Result<CaInfo> bad_cert = ParseCa("nope", ca.key_pem);
  ASSERT_FALSE(bad_cert.ok());
  EXPECT_EQ(bad_cert.error().message.rfind("certificate: ", 0), 0U);
}

TEST(OpenSslCaParseTest, RefusesKeysIronProxyCannotRead) {
  const GeneratedCa& ca = Cached(CaAlgorithm::kEcdsaP256);
  const std::string params = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
  Result<PkeyPtr> with_params = ParsePrivateKey(params + ca.key_pem);
  ASSERT_FALSE(with_params.ok());
  EXPECT_NE(with_params.error().message.find("EC PARAMETERS"), std::string::npos);

  PkeyPtr key = LoadKey(ca.key_pem);
  BioPtr bio(BIO_new(BIO_s_mem()));
  char pass[] = "secret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), pass, 6, nullptr, nullptr), 1);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  Result<PkeyPtr> encrypted = ParsePrivateKey(std::string(data, static_cast<std::size_t>(n)));
  ASSERT_FALSE(encrypted.ok());
  EXPECT_NE(encrypted.error().message.find("encrypted"), std::string::npos);
}

TEST(OpenSslCaParseTest, AcceptsTraditionalKeyFormatsLikeIronProxy) {
  const GeneratedCa& ca = Cached(CaAlgorithm::kEcdsaP256);
  PkeyPtr key = LoadKey(ca.key_pem);
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_PrivateKey_traditional(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  const std::string sec1(data, static_cast<std::size_t>(n));
  ASSERT_NE(sec1.find("EC PRIVATE KEY"), std::string::npos);
  Result<CaInfo> info = ParseCa(ca.cert_pem, sec1);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_TRUE(info->key_matches);
}

TEST(OpenSslCaParseTest, UsesOnlyTheFirstPemBlock) {
  const GeneratedCa& a = Cached(CaAlgorithm::kEcdsaP256);
  const GeneratedCa& b = Cached(CaAlgorithm::kEd25519);
  Result<CaInfo> first = ParseCa(a.cert_pem + b.cert_pem, a.key_pem + b.key_pem);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->algorithm, "ecdsa-p256");
  EXPECT_TRUE(first->key_matches);
  Result<CaInfo> crossed = ParseCa(a.cert_pem, b.key_pem + a.key_pem);
  ASSERT_TRUE(crossed.ok());
  EXPECT_FALSE(crossed->key_matches);
  EXPECT_EQ(CaDefect(*crossed), "key does not match the certificate");
}

TEST(OpenSslCaParseTest, FlagsCasIronProxyWouldRefuse) {
  CaRequest no_sign = Request(CaAlgorithm::kEd25519);
  no_sign.key_usage = "critical,digitalSignature";
  Result<GeneratedCa> a = GenerateCa(no_sign);
  ASSERT_TRUE(a.ok());
  Result<CaInfo> ia = ParseCa(a->cert_pem, a->key_pem);
  ASSERT_TRUE(ia.ok());
  EXPECT_TRUE(ia->has_key_usage);
  EXPECT_FALSE(ia->has_key_cert_sign);
  EXPECT_NE(CaDefect(*ia).find("keyCertSign"), std::string::npos);

  CaRequest no_ku = Request(CaAlgorithm::kEd25519);
  no_ku.key_usage = "";
  Result<GeneratedCa> b = GenerateCa(no_ku);
  ASSERT_TRUE(b.ok());
  Result<CaInfo> ib = ParseCa(b->cert_pem, b->key_pem);
  ASSERT_TRUE(ib.ok());
  EXPECT_FALSE(ib->has_key_usage);
  EXPECT_NE(CaDefect(*ib).find("no keyUsage"), std::string::npos);

  CaRequest leaf = Request(CaAlgorithm::kEd25519);
  leaf.basic_constraints = "critical,CA:FALSE";
  Result<GeneratedCa> c = GenerateCa(leaf);
  ASSERT_TRUE(c.ok());
  Result<CaInfo> ic = ParseCa(c->cert_pem, c->key_pem);
  ASSERT_TRUE(ic.ok());
  EXPECT_FALSE(ic->is_ca);
  EXPECT_NE(CaDefect(*ic).find("not a CA"), std::string::npos);
}

TEST(OpenSslCaParseTest, AdoptsUnmarkedCaAsRotationOne) {
  CaRequest req = Request(CaAlgorithm::kEd25519);
  req.subject = CaSubject{};
  req.subject.organization = "";
  req.subject.common_name = "iron-proxy CA";
  Result<GeneratedCa> ca = GenerateCa(req);
  ASSERT_TRUE(ca.ok());
  Result<CaInfo> info = ParseCertificate(ca->cert_pem);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->subject, "CN=iron-proxy CA");
  EXPECT_EQ(info->rotation, 1);
  EXPECT_FALSE(info->rotation_marked);
}

}  // namespace
}  // namespace ironward::ca
