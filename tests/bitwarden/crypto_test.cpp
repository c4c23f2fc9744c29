// Published vectors (docs: shared reference §9): access token, HKDF, derive_shareable_key, EncString.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "reconcilers/bitwarden/access_token.h"
#include "reconcilers/bitwarden/crypto.h"
#include "reconcilers/bitwarden/enc_string.h"
#include "tests/bitwarden/test_support.h"

namespace ironward::bw {
namespace {

using bwtest::kToken;

const char* kDerivedB64 = "H9/oIRLtL9nGCQOVDjSMoEbJsjWXSOCb3qeyDt6ckzS3FhyboEDWyTP/CQfbIszNmAVg2ExFganG1FVFGXO/Jg==";

SymmetricKey OrgKey() { return *SymmetricKey::FromBase64(bwtest::kOrgKeyB64); }

TEST(AccessTokenTest, ParsesPublishedToken) {
  auto t = ParseAccessToken(kToken);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->access_token_id, "ec2c1d46-6a4b-4751-a310-af9601317f2d");
  EXPECT_EQ(t->client_secret, "C2IgxjjLF7qSshsbwe8JGcbM075YXw");
  EXPECT_EQ(HexEncode(t->encryption_key), "5fcbdbbc0d1b76e8a12037bfaabcc841");
}

TEST(AccessTokenTest, ParsesUnpaddedKey) {
  auto t = ParseAccessToken("0.ec2c1d46-6a4b-4751-a310-af9601317f2d.C2IgxjjLF7qSshsbwe8JGcbM075YXw:X8vbvA0bduihIDe/qrzIQQ");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(HexEncode(t->encryption_key), "5fcbdbbc0d1b76e8a12037bfaabcc841");
}

TEST(AccessTokenTest, RejectsMalformedTokensWithSdkTextsAndNoTokenMaterial) {
  const std::string p = "Access token is not in a valid format: ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"1.ec2c1d46-6a4b-4751-a310-af9601317f2d.C2IgxjjLF7qSshsbwe8JGcbM075YXw:X8vbvA0bduihIDe/qrzIQQ==",
       "Is the wrong version"},
      {"0.ec2c1d46-6a4b-4751-a310-af9601317f2d.C2IgxjjLF7qSshsbwe8JGcbM075YXw.X8vbvA0bduihIDe/qrzIQQ==",
       "Doesn't contain a decryption key"},
      {"ec2c1d46-6a4b-4751-a310-af9601317f2d.C2IgxjjLF7qSshsbwe8JGcbM075YXw:X8vbvA0bduihIDe/qrzIQQ==",
       "Has the wrong number of parts"},
      {"0.not-a-uuid.C2IgxjjLF7qSshsbwe8JGcbM075YXw:X8vbvA0bduihIDe/qrzIQQ==", "Has an invalid identifier"},
      {"0.ec2c1d46-6a4b-4751-a310-af9601317f2d.C2IgxjjLF7qSshsbwe8JGcbM075YXw:X8v!bvA0", "Error decoding base64: "},
      {"0.ec2c1d46-6a4b-4751-a310-af9601317f2d.C2IgxjjLF7qSshsbwe8JGcbM075YXw:YWJj",
       "Invalid base64 length: expected 16, got 3"},
  };
  for (const auto& [token, text] : cases) {
    auto t = ParseAccessToken(token);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.error().kind, ErrorKind::kTerminal);
    EXPECT_EQ(t.error().message.rfind(p + text, 0), 0U) << t.error().message;
    EXPECT_EQ(t.error().message.find("C2IgxjjLF7qSshsbwe8JGcbM075YXw"), std::string::npos);
    EXPECT_EQ(t.error().message.find("X8vbvA0bdu"), std::string::npos);
  }
}

TEST(KeyDerivationTest, AccessTokenKeyMatchesPublishedVector) {
  auto key = DeriveAccessTokenKey(*HexDecode("5fcbdbbc0d1b76e8a12037bfaabcc841"));
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->ToBase64(), kDerivedB64);
  EXPECT_EQ(HexEncode(key->enc), "1fdfe82112ed2fd9c60903950e348ca046c9b2359748e09bdea7b20ede9c9334");
  EXPECT_EQ(HexEncode(key->mac), "b7161c9ba040d6c933ff0907db22cccd980560d84c4581a9c6d455451973bf26");
}

TEST(KeyDerivationTest, HkdfExpandMatchesPublishedVector) {
  auto okm = HkdfExpandSha256(*HexDecode("17987829d6109c8547e2b287d0ff4265bd46ad1e27d7afec26b4b43ec4049f46"), "info", 64);
  ASSERT_TRUE(okm.ok());
  EXPECT_EQ(HexEncode(*okm),
            "06722a2657e71e6d1eff6881ff5e5c6c7c91d7d0113c8716469e28352db6083f4157efeab9e3997a73cd903866955c8bd96677392539"
            "fbb212345e4d84d7ef64");
}

TEST(KeyDerivationTest, PrkIsHmacOfTheTokenKey) {
  // HKDF-Expand of the published PRK must equal the full extract+expand result.
  auto okm = HkdfExpandSha256(*HexDecode("4eeb93e498fd30e06e423a74c585bd270abba1453731f02ade610b10adb72e28"),
                              "sm-access-token", 64);
  ASSERT_TRUE(okm.ok());
  EXPECT_EQ(Base64Encode(*okm), kDerivedB64);
}

TEST(KeyDerivationTest, DeriveShareableKeyMatchesPublishedVectors) {
  auto a = DeriveShareableKey(ToBytes("&/$%F1a895g67HlX"), "test_key", std::nullopt);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->ToBase64(), "4PV6+PcmF2w7YHRatvyMcVQtI7zvCyssv/wFWmzjiH6Iv9altjmDkuBD1aagLVaLezbthbSe+ktR+U6qswxNnQ==");
  auto b = DeriveShareableKey(ToBytes("67t9b5g67$%Dh89n"), "test_key", std::string_view("test"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->ToBase64(), "F9jVQmrACGx9VUPjuzfMYDjr726JtL300Y3Yg+VYUnVQtQ1s8oImJ5xtp1KALC9h2nav04++1LDW4iFD+infng==");
}

TEST(EncStringTest, DecryptsEveryPublishedVector) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"2.pMS6/icTQABtulw52pq2lg==|XXbxKxDTh+mWiN1HjH2N1w==|Q6PkuT+KX/axrgN9ubD5Ajk2YNwxQkgs3WJM0S0wtG8=", "TEST"},
      {"2.Gl34n9JYABC7V21qHcBzHg==|c1Ds244pob7i+8+MXe4++w==|Shimz/qKMYZmzSFWdeBzFb9dFz7oF6Uv9oqkws7rEe0=", "TEST"},
      {"2.Cn9ABJy7+WfR4uUHwdYepg==|+nbJyU/6hSknoa5dcEJEUg==|1DTp/ZbwGO3L3RN+VMsCHz8XDr8egn/M5iSitGGysPA=", "TEST"},
      {"2.WYqmVCB2wZc08tkzNOCmTw==|FAsVol/nJnnDk3/mp7z6QQ==|uPJOCC8iAbMzz4t60c35iZm8KzWKMn0ueCVJZlfmTdY=", "btw"},
      {"2.S57kOfi1kIHjToxwR6sEuQ==|lTop/7iWWUveCGWXrHbHwg==|YrtUfrlRRN+ff8Re7txi2dTT9Ul0cwmiFWDgVpdWGlc=", ""},
      {"2.N2aCz0PU6Ga9YfJlvisnwQ==|3M8dF2PFub9FP/SbgdenSQ==|KbaUQSb5IjVwhSbXDbCJbKXGBaCHEKDArrhvQDr9/QM=", "FERRIS"},
      {"2.OldQj0RJKww0WN7RSxI1wQ==|TpxAbmdx6zIVo37YJ5n1aQ==|06Imyx7jqaZ5J5amrBboCVPwvPoDKB8REJdToQwp3dA=", "TUX"},
      {"2.oEDp566lC9VYHn6XmusxfA==|Gj23w5q2NZ4z9PNne1d0ug==|y7K5TgMJFI0T0yFwLXzAMf9OBANNT567hLQ+z7G2rac=",
       "\xF0\x9F\x90\xA7"},
      {"2.owktgGRm4r+ho4WY4U9zvA==|6Up5NQHyZ65SL3vbNI1GhQ==|vdvWvPpoB/J3aWXKBiruqOr1SK/ndkCCTjHf2vphhu4=", ""},
      {"2.4MPPDSh3oQPfK0Sxny925g==|Rj4P0P6M3l/WD99KiwtRiQ==|6wcq4L8ZJ45h549RbiVd1sI26Q6QxaUPmQB2dAXVO1c=",
       "synced-secret"},
      {"2.78LSmLCl2XW8za0HyZUV2Q==|rwLKE0FGfyAZT9CUR9yUVg==|xZIthCfi1fzJOZ/riBQ3FXfuICBUv8jeE3Qrbg1f5D8=",
       "\xE2\x8F\xB1\xEF\xB8\x8F"},
      {"2.M/Sa8H76DNUT1RFT082VFg==|ILTxxg3P4w4aqkY1q18I4w==|mdHLGBghl+apZirhuBfbAWkTENKBJV4GnM03fhbHxy0=", ""},
      {"2.DmcNJqtzi+nPWY9gJR4nMw==|IEkn2x+C0YLmnQ/qm0EfOcMGcRZDkexFkDW9BPw3wRQ=|"
       "TxxTeBKqL0QYLT+89F0KfI81BbBryXnNNAjU9DGKuuY=",
       "Production Environment"},
      {"2.4hWxQC9O5KpHcyCyI/xBsQ==|RLkyV/QbEMpxPnO91E/jPURCvsDIjI1ZIh6eMvGIuEg=|"
       "FXnie8Z9OtaBElnzF0v4Iut0fmy7IAI2IedEKJKuSp0=",
       "Development Environment"},
      {"2.yvALRqGimwssILfP6fAPGw==|J1xFKmNZ9TiXaLPvvJt45Q==|/gT0Vg7ggBz6ek/SikW9MhnYCfUlt2HkAsPXaS3YVSs=", "my new key"},
      {"2.sM76QhcSUWdLm9m11T2n2g==|8QSmcqlaRROxqr1BbejIyA==|owRtF/hYVrI/FggmQc7Jjo6xQSM4XudKAcDuBrfca28=",
       "my new value"},
      {"2.y22rQSkkcb9c1MvceSmNXw==|0wFcpNq1XbfVSvBM8Gw/OA==|Syl8A3TgPbJwElNLHhsb+DHRdGfgQE7qwuX1ha2ilQ8=",
       "optional note"},
  };
  ASSERT_EQ(table.size(), 17U);
  for (const auto& [enc, plain] : table) {
    auto got = DecryptText(enc, OrgKey());
    ASSERT_TRUE(got.ok()) << enc << ": " << got.error().message;
    EXPECT_EQ(*got, plain) << enc;
    // Round trip of the text form.
    EXPECT_EQ(EncString::Parse(enc)->ToString(), enc);
  }
}

TEST(EncStringTest, ParsesTypeZeroAndSerialisesBufferInSdkOrder) {
  auto e = EncString::Parse("0.pMS6/icTQABtulw52pq2lg==|XXbxKxDTh+mWiN1HjH2N1w==");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->type, 0);
  EXPECT_EQ(HexEncode(e->iv), "a4c4bafe271340006dba5c39da9ab696");
  EXPECT_EQ(HexEncode(e->ct), "5d76f12b10d387e99688dd478c7d8dd7");
  EXPECT_FALSE(Decrypt(*e, OrgKey()).ok());  // no MAC: refused

  auto two = EncString::Parse("2.pMS6/icTQABtulw52pq2lg==|XXbxKxDTh+mWiN1HjH2N1w==|Q6PkuT+KX/axrgN9ubD5Ajk2YNwxQkgs3WJM0S0wtG8=");
  ASSERT_TRUE(two.ok());
  const std::string buf = HexEncode(two->ToBuffer());
  EXPECT_EQ(buf.substr(0, 34), "02a4c4bafe271340006dba5c39da9ab696");
  EXPECT_EQ(buf.substr(34, 64), HexEncode(two->mac));
  EXPECT_EQ(buf.substr(98), HexEncode(two->ct));
}

TEST(EncStringTest, RejectsInvalidTypesWithSdkText) {
  auto e = EncString::Parse("8.ABC");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "EncString error, Invalid symmetric type, got type 8 with 1 parts");
  EXPECT_EQ(EncString::Parse("2.pMS6/icTQABtulw52pq2lg==|XXbxKxDTh+mWiN1HjH2N1w==").error().message,
            "EncString error, Invalid symmetric type, got type 2 with 2 parts");
  EXPECT_FALSE(EncString::Parse("2.%%%|XXbxKxDTh+mWiN1HjH2N1w==|Q6PkuT+KX/axrgN9ubD5Ajk2YNwxQkgs3WJM0S0wtG8=").ok());
}

TEST(EncStringTest, EncryptDecryptRoundTrip) {
  const SymmetricKey key = SymmetricKey::Random();
  for (const std::string& plain : {std::string(), std::string("x"), std::string(15, 'a'), std::string(16, 'b'),
                                  std::string(1000, 'c'), std::string("\xF0\x9F\x90\xA7 penguin")}) {
    const EncString e = Encrypt(plain, key);
    EXPECT_EQ(e.type, 2);
    EXPECT_EQ(e.iv.size(), 16U);
    EXPECT_EQ(e.mac.size(), 32U);
    EXPECT_EQ(e.ct.size(), (plain.size() / 16 + 1) * 16);  // PKCS#7 always pads
    auto back = DecryptText(e.ToString(), key);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, plain);
  }
  EXPECT_NE(Encrypt("same", key).ToString(), Encrypt("same", key).ToString());  // fresh IVs
  auto fixed = EncryptWithIv("TEST", OrgKey(), *HexDecode("a4c4bafe271340006dba5c39da9ab696"));
  EXPECT_EQ(fixed.ToString(),
            "2.pMS6/icTQABtulw52pq2lg==|XXbxKxDTh+mWiN1HjH2N1w==|Q6PkuT+KX/axrgN9ubD5Ajk2YNwxQkgs3WJM0S0wtG8=");
}

TEST(EncStringTest, DetectsTamperingBeforeDecrypting) {
  const SymmetricKey key = SymmetricKey::Random();
  const EncString good = Encrypt("secret-value-xyz", key);
  for (int part = 0; part < 3; ++part) {
    EncString bad = good;
    Bytes& target = part == 0 ? bad.iv : part == 1 ? bad.ct : bad.mac;
    target[target.size() / 2] ^= 0x40U;
    auto r = Decrypt(bad, key);
    ASSERT_FALSE(r.ok()) << "part " << part;
    EXPECT_TRUE(IsMacMismatch(r.error())) << r.error().message;
    EXPECT_EQ(r.error().message, "The cipher's MAC doesn't match the expected value");
  }
  // Another key of the same shape fails the MAC too, and never yields plaintext.
  auto other = Decrypt(good, SymmetricKey::Random());
  ASSERT_FALSE(other.ok());
  EXPECT_TRUE(IsMacMismatch(other.error()));
}

}  // namespace
}  // namespace ironward::bw
