#include "generate_ca.h"

#include "ca.h"
#include "flags.h"
#include "log.h"

#include <cerrno>
#include <cstdio>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace irondouble {
namespace {

bool MkdirAll(const std::string& dir, std::string* err) {
  std::string cur;
  std::size_t pos = 0;
  while (pos <= dir.size()) {
    std::size_t next = dir.find('/', pos);
    if (next == std::string::npos) next = dir.size();
    cur = dir.substr(0, next);
    if (!cur.empty() && ::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) {
      *err = "creating output directory: mkdir " + cur + ": " + GoErrno(errno);
      return false;
    }
    pos = next + 1;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    *err = "creating output directory: mkdir " + dir + ": not a directory";
    return false;
  }
  return true;
}

bool WriteExclusive(const std::string& path, const std::string& data, mode_t perm, std::string* err) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, perm);
  if (fd < 0) {
    *err = "creating " + path + ": open " + path + ": " + GoErrno(errno);
    return false;
  }
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      *err = "writing " + path + ": write " + path + ": " + GoErrno(errno);
      ::close(fd);
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return true;
}

int Fail(const std::string& msg) {
  PlainStderr("error: " + msg);
  return 1;
}

}  // namespace

int RunGenerateCa(const std::vector<std::string>& args) {
  FlagSet fs("generate-ca");
  fs.String("outdir", ".", "directory to write ca.crt and ca.key");
  fs.String("name", "iron-proxy CA", "common name of the CA");
  fs.Int("expiry-hours", 8760, "number of hours the CA is valid for");
  fs.String("alg", "rsa4096", "key algorithm: rsa4096 or ed25519");
  switch (fs.Parse(args)) {
    case FlagSet::Outcome::kHelp: return 0;
    case FlagSet::Outcome::kError: return 2;
    case FlagSet::Outcome::kOk: break;
  }
  const std::string& alg = fs.GetString("alg");
  if (alg != "rsa4096" && alg != "ed25519") {
    return Fail("unsupported algorithm \"" + alg + "\" (use rsa4096 or ed25519)");
  }
  std::string cert_pem, key_pem, err;
  if (!GenerateCaPem(fs.GetString("name"), fs.GetInt("expiry-hours"), alg, &cert_pem, &key_pem, &err)) {
    return Fail(err);
  }
  const std::string& outdir = fs.GetString("outdir");
  if (!MkdirAll(outdir, &err)) return Fail(err);
  std::string cert_path = GoJoin(outdir, "ca.crt");
  if (!WriteExclusive(cert_path, cert_pem, 0644, &err)) return Fail(err);
  std::string key_path = GoJoin(outdir, "ca.key");
  if (!WriteExclusive(key_path, key_pem, 0600, &err)) return Fail(err);
  std::printf("wrote %s\nwrote %s\n", cert_path.c_str(), key_path.c_str());
  std::fflush(stdout);
  return 0;
}

int RunInit(const std::vector<std::string>& args) {
  FlagSet fs("init");
  fs.String("config-dir", "/etc/iron-proxy", "directory for ca.crt, ca.key and proxy.yaml");
  switch (fs.Parse(args)) {
    case FlagSet::Outcome::kHelp: return 0;
    case FlagSet::Outcome::kError: return 2;
    case FlagSet::Outcome::kOk: break;
  }
  if (::geteuid() != 0) {
    PlainStderr("iron-proxy init requires root. Run: sudo iron-proxy init");
    return 1;
  }
  PlainStderr("error: init is not emulated by the ironward iron-proxy test double");
  return 1;
}

}  // namespace irondouble
