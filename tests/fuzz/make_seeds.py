#!/usr/bin/env python3
"""Regenerates the committed seed corpora in tests/fuzz/corpus/ from the repo's own examples and
test vectors. Run from anywhere: python3 tests/fuzz/make_seeds.py. The Bitwarden API bodies are
encrypted here under the fixed keys of fuzz_bitwarden_api.cpp (org key bytes 0..63, token key
bytes 100..163), so the fuzzer starts from bodies that decrypt and can reach the deep paths."""
import base64, glob, hashlib, hmac, json, os, re, shutil
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests/fuzz/corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def enc(plain, key, iv=bytes(range(16))):
    p = padding.PKCS7(128).padder()
    padded = p.update(plain.encode()) + p.finalize()
    e = Cipher(algorithms.AES(key[:32]), modes.CBC(iv)).encryptor()
    ct = e.update(padded) + e.finalize()
    mac = hmac.new(key[32:], iv + ct, hashlib.sha256).digest()
    b = lambda x: base64.b64encode(x).decode()
    return "2.%s|%s|%s" % (b(iv), b(ct), b(mac))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


shutil.rmtree(CORPUS, ignore_errors=True)

# Desired state: the examples (valid) and the loader's invalid test files.
for path in sorted(glob.glob(os.path.join(ROOT, "examples/*.yaml"))):
    text = open(path, "rb").read()
    put("fuzz_spec_loader", os.path.basename(path), text)
    put("fuzz_proxy_render", os.path.basename(path), text)
gitops_base = open(os.path.join(ROOT, "examples/gitops/repo/base.yaml"), "rb").read()
put("fuzz_spec_loader", "gitops-base.yaml", gitops_base)
put("fuzz_proxy_render", "gitops-base.yaml", gitops_base)
# Overlays: fuzz_spec_loader merges the parts of an input split at "#@overlay" lines.
for path in sorted(glob.glob(os.path.join(ROOT, "examples/gitops/repo/hosts/*.yaml"))):
    put("fuzz_spec_loader", "gitops-overlay-" + os.path.basename(path),
        gitops_base + b"\n#@overlay\n" + open(path, "rb").read())
for path in sorted(glob.glob(os.path.join(ROOT, "tests/spec/testdata/invalid/*.yaml"))):
    put("fuzz_spec_loader", "invalid-" + os.path.basename(path), open(path, "rb").read())

# Docker: every raw JSON fixture captured in tests/docker/fixtures.h.
fixtures = open(os.path.join(ROOT, "tests/docker/fixtures.h")).read()
for name, body in re.findall(r'inline constexpr const char\* (\w+) = R"json\((.*?)\)json";', fixtures, re.S):
    put("fuzz_docker_json", name, body)
put("fuzz_docker_json", "error-message", '{"message":"No such container: sbx-a1"}')
put("fuzz_docker_json", "wait", '{"StatusCode":137,"Error":null}')

# EncString: the SDK vectors used by tests/bitwarden/crypto_test.cpp, plus legacy shapes.
crypto_test = open(os.path.join(ROOT, "tests/bitwarden/crypto_test.cpp")).read()
for i, m in enumerate(re.findall(r'"(2\.[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+)"', crypto_test)[:8]):
    put("fuzz_enc_string", "sdk-%d" % i, m)
org = bytes(range(64))
put("fuzz_enc_string", "fixed-key", enc("sk-or-v1-value", org))
put("fuzz_enc_string", "type0", "0.AAECAwQFBgcICQoLDA0ODw==|AAECAwQFBgcICQoLDA0ODw==")
put("fuzz_enc_string", "legacy1", "AAECAwQFBgcICQoLDA0ODw==|AAECAwQFBgcICQoLDA0ODw==|" + "A" * 43 + "=")

# Access tokens: the SDK's example token and a malformed one.
put("fuzz_access_token", "sdk", "0.ec2c1d46-6a4b-4751-a310-af9601317f2d.C2IgxjjLF7qSshsbwe8JGcbM075YXw:X8vbvA0bduihIDe/qrzIQQ==")
put("fuzz_access_token", "unpadded", "0.EC2C1D46-6A4B-4751-A310-AF9601317F2D.secret:X8vbvA0bduihIDe/qrzIQQ")
put("fuzz_access_token", "dots", "0.ec2c1d46-6a4b-4751-a310-af9601317f2d.C2Igx.X8vbvA0bduihIDe/qrzIQQ==")

# Bitwarden API bodies under the fuzz target's fixed keys.
token_key = bytes((100 + i) & 0xFF for i in range(64))
sid = "f4e44a7f-1190-432a-9d4a-af96013127cb"
put("fuzz_bitwarden_api", "list", json.dumps({"secrets": [{"id": sid, "organizationId": sid, "key": "x"}],
                                             "projects": []}))
put("fuzz_bitwarden_api", "get-by-ids", json.dumps({"data": [
    {"id": sid, "key": enc("OPENROUTER_API_KEY", org), "value": enc("sk-or-v1-secret-value", org),
     "note": enc("", org), "revisionDate": "2026-11-23T05:05:46.579Z"}]}))
put("fuzz_bitwarden_api", "get-by-ids-bad-mac", json.dumps({"data": [
    {"id": sid, "key": enc("K", org), "value": enc("sk-or-v1-secret-value", token_key), "note": enc("n", org),
     "revisionDate": "2026-11-23T05:05:46.579Z"}]}))
claims = {"exp": 1795410346, "sub": sid, "scope": ["api.secrets"], "organization": sid}
jwt = "e30." + b64url(json.dumps(claims).encode()) + ".c2ln"
put("fuzz_bitwarden_api", "jwt", jwt)
payload = json.dumps({"encryptionKey": base64.b64encode(bytes(range(64, 128))).decode()})
put("fuzz_bitwarden_api", "login", json.dumps({"access_token": jwt, "expires_in": 3600, "token_type": "Bearer",
                                              "scope": "api.secrets", "encrypted_payload": enc(payload, token_key)}))
put("fuzz_bitwarden_api", "server-error", json.dumps({"message": "Slow down! Too many requests. \u00e9" * 8}))
print("seeds written to", CORPUS)
