/* escape_probe: a tiny static helper bind-mounted read-only into the escape suite's sandbox (the
 * offline test image has no nc, ping or python). Prints one word per attempt:
 *   escape_probe tcp IP PORT        OPEN | CLOSED:<errno name>
 *   escape_probe udp IP PORT NONCE  sends NONCE, then REPLY | NOREPLY | ERR:<errno>
 *   escape_probe dns IP NONCE       a DNS A query for NONCE.escape.test over UDP/53: REPLY | NOREPLY | ERR:<errno>
 *   escape_probe raw                AF_INET/SOCK_RAW and AF_PACKET/SOCK_RAW: OPENED | DENIED:<errno>
 *   escape_probe ping IP            ICMP echo over a ping socket: REPLY | NOREPLY | DENIED:<errno>
 * It carries no secrets; the test decides from the word and from what the host-side sinks saw. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_ether.h>

static const char* Errno(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ENETUNREACH: return "ENETUNREACH";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    default: return "OTHER";
  }
}

static int Addr(const char* ip, int port, struct sockaddr_in* a) {
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_port = htons((unsigned short)port);
  return inet_pton(AF_INET, ip, &a->sin_addr) == 1 ? 0 : -1;
}

static int WaitReadable(int fd, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1;
}

static int Tcp(const char* ip, int port) {
  struct sockaddr_in a;
  if (Addr(ip, port, &a) != 0) return puts("BADADDR"), 2;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int rc = connect(fd, (struct sockaddr*)&a, sizeof a);
  if (rc != 0 && errno == EINPROGRESS) {
    struct pollfd p = {fd, POLLOUT, 0};
    if (poll(&p, 1, 2000) != 1) return printf("CLOSED:ETIMEDOUT\n"), 0;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return printf("CLOSED:%s\n", Errno(err)), 0;
    rc = 0;
  }
  if (rc != 0) return printf("CLOSED:%s\n", Errno(errno)), 0;
  puts("OPEN");
  return 0;
}

static int Udp(const char* ip, int port, const void* data, size_t n) {
  struct sockaddr_in a;
  if (Addr(ip, port, &a) != 0) return puts("BADADDR"), 2;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  for (int i = 0; i < 3; ++i) {
    if (sendto(fd, data, n, 0, (struct sockaddr*)&a, sizeof a) < 0) return printf("ERR:%s\n", Errno(errno)), 0;
    if (WaitReadable(fd, 500)) {
      char buf[512];
      if (recv(fd, buf, sizeof buf, 0) > 0) return puts("REPLY"), 0;
      return printf("ERR:%s\n", Errno(errno)), 0;
    }
  }
  puts("NOREPLY");
  return 0;
}

static int Dns(const char* ip, const char* nonce) {
  unsigned char q[300];
  size_t n = 0;
  const unsigned char hdr[12] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  memcpy(q, hdr, sizeof hdr);
  n = sizeof hdr;
  char name[200];
  snprintf(name, sizeof name, "%s.escape.test", nonce);
  for (char* label = strtok(name, "."); label != NULL; label = strtok(NULL, ".")) {
    size_t len = strlen(label);
    if (len > 63 || n + len + 6 > sizeof q) return puts("BADNAME"), 2;
    q[n++] = (unsigned char)len;
    memcpy(q + n, label, len);
    n += len;
  }
  q[n++] = 0;
  q[n++] = 0; q[n++] = 1;  /* A */
  q[n++] = 0; q[n++] = 1;  /* IN */
  return Udp(ip, 53, q, n);
}

static int Raw(void) {
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (fd >= 0) return puts("OPENED:inet-raw"), 0;
  int e1 = errno;
  fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (fd >= 0) return puts("OPENED:packet"), 0;
  printf("DENIED:%s/%s\n", Errno(e1), Errno(errno));
  return 0;
}

static int Ping(const char* ip) {
  struct sockaddr_in a;
  if (Addr(ip, 0, &a) != 0) return puts("BADADDR"), 2;
  int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  if (fd < 0) return printf("DENIED:%s\n", Errno(errno)), 0;
  struct icmphdr h;
  memset(&h, 0, sizeof h);
  h.type = ICMP_ECHO;
  h.un.echo.sequence = htons(1);
  for (int i = 0; i < 2; ++i) {
    if (sendto(fd, &h, sizeof h, 0, (struct sockaddr*)&a, sizeof a) < 0) return printf("ERR:%s\n", Errno(errno)), 0;
    if (WaitReadable(fd, 700)) return puts("REPLY"), 0;
  }
  puts("NOREPLY");
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 4 && strcmp(argv[1], "tcp") == 0) return Tcp(argv[2], atoi(argv[3]));
  if (argc >= 5 && strcmp(argv[1], "udp") == 0) return Udp(argv[2], atoi(argv[3]), argv[4], strlen(argv[4]));
  if (argc >= 4 && strcmp(argv[1], "dns") == 0) return Dns(argv[2], argv[3]);
  if (argc >= 2 && strcmp(argv[1], "raw") == 0) return Raw();
  if (argc >= 3 && strcmp(argv[1], "ping") == 0) return Ping(argv[2]);
  fputs("usage: escape_probe tcp|udp|dns|raw|ping ...\n", stderr);
  return 2;
}
