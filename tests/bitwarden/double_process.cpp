#include "tests/bitwarden/double_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace ironward::bwtest {

DoubleProcess::DoubleProcess(const nlohmann::json& config) {
  char path[] = "/tmp/bw-double-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) {
    error_ = "mkstemp failed";
    return;
  }
  close(fd);
  config_path_ = path;
  std::ofstream(config_path_) << config.dump();

  int pipefd[2];
  if (pipe(pipefd) != 0) {
    error_ = "pipe failed";
    return;
  }
  pid_ = fork();
  if (pid_ == 0) {
    dup2(pipefd[1], STDOUT_FILENO);
    close(pipefd[0]);
    close(pipefd[1]);
    execl(BW_DOUBLE_PATH, BW_DOUBLE_PATH, "--config", config_path_.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipefd[1]);
  std::string line;
  pollfd pfd{pipefd[0], POLLIN, 0};
  while (line.find('\n') == std::string::npos && poll(&pfd, 1, 10000) > 0) {
    char buf[256];
    const ssize_t n = read(pipefd[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  close(pipefd[0]);
  const std::string prefix = "listening on 127.0.0.1:";
  if (line.rfind(prefix, 0) != 0) {
    error_ = "double did not start: '" + line + "'";
    return;
  }
  port_ = std::atoi(line.c_str() + prefix.size());
}

DoubleProcess::~DoubleProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (!config_path_.empty()) std::remove(config_path_.c_str());
}

long DoubleProcess::Admin(const std::string& path, const nlohmann::json& body) {
  HttpRequest req;
  req.method = "POST";
  req.url = base_url() + "/_admin/" + path;
  req.headers = {{"Content-Type", "application/json"}};
  req.body = body.dump();
  auto r = http_.Send(req);
  return r ? r->status : -1;
}

nlohmann::json DoubleProcess::Stats() {
  HttpRequest req;
  req.url = base_url() + "/_admin/stats";
  auto r = http_.Send(req);
  if (!r || r->status != 200) return nlohmann::json::object();
  return nlohmann::json::parse(r->body, nullptr, false);
}

}  // namespace ironward::bwtest
