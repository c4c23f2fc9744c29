/* escape_probe: a tiny static helper bind-mounted read-only into the escape suite's sandbox (the
 * offline test image has no nc, ping or python). Prints one word per attempt:
 *   escape_probe tcp IP PORT        OPEN | CLOSED:<errno name>
 *   escape_probe udp IP PORT NONCE  sends NONCE, then REPLY | NOREPLY | ERR:<errno>
 *   escape_probe dns IP NONCE       a DNS A query for NONCE.escape.test over UDP/53: REPLY | NOREPLY | ERR:<errno>
 *   escape_probe raw                AF_INET/SOCK_RAW and AF_PACKET/SOCK_RAW: OPENED | DENIED:<errno>
 *   escape_probe ping IP            ICMP echo over a ping socket: REPLY | NOREPLY | DENIED:<errno>
 *   escape_probe resolve NAME       getaddrinfo (the container's resolver, IPv4): ADDR:<ip> | FAIL:<gai code>
 *   escape_probe dnsq IP NAME [aaaa] one DNS query (A, or AAAA) over UDP/53 to IP: ANSWER:<ip> (first A) |
 *                                   EMPTY:rcode=<n> (no A answer) | NOREPLY | ERR:<errno>
 *   escape_probe connect NAME PORT  getaddrinfo, then a TCP connect to the first IPv4: OPEN:<ip> | CLOSED:<errno
 *                                   name> | FAIL:<gai code> (a program that ignores proxy variables)
 *   escape_probe http NAME PATH VAR getaddrinfo, connect to port 80, GET PATH with Host: NAME and
 *                                   "Authorization: Bearer $VAR" (the value read from the environment, never
 *                                   printed): <ip> HTTP:<status> | <ip> CLOSED:<errno> | FAIL:<gai code>
 * It carries no secrets; the test decides from the word and from what the host-side sinks saw. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
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

/* Encodes NAME into q at *n as DNS labels; -1 when a label does not fit. */
static int PutName(unsigned char* q, size_t* n, size_t cap, const char* text) {
  char name[256];
  snprintf(name, sizeof name, "%s", text);
  for (char* label = strtok(name, "."); label != NULL; label = strtok(NULL, ".")) {
    size_t len = strlen(label);
    if (len > 63 || *n + len + 6 > cap) return -1;
    q[(*n)++] = (unsigned char)len;
    memcpy(q + *n, label, len);
    *n += len;
  }
  q[(*n)++] = 0;
  return 0;
}

/* Skips a (possibly compressed) name in a DNS message; the offset after it, or 0 when malformed. */
static size_t SkipName(const unsigned char* m, size_t len, size_t off) {
  while (off < len) {
    if ((m[off] & 0xc0) == 0xc0) return off + 2;
    if (m[off] == 0) return off + 1;
    off += (size_t)m[off] + 1;
  }
  return 0;
}

static int DnsQuery(const char* ip, const char* qname, int qtype) {
  struct sockaddr_in a;
  if (Addr(ip, 53, &a) != 0) return puts("BADADDR"), 2;
  unsigned char q[300];
  size_t n = 0;
  const unsigned char hdr[12] = {0x43, 0x21, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  memcpy(q, hdr, sizeof hdr);
  n = sizeof hdr;
  if (PutName(q, &n, sizeof q, qname) != 0) return puts("BADNAME"), 2;
  q[n++] = 0; q[n++] = (unsigned char)qtype;
  q[n++] = 0; q[n++] = 1;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  for (int i = 0; i < 3; ++i) {
    if (sendto(fd, q, n, 0, (struct sockaddr*)&a, sizeof a) < 0) return printf("ERR:%s\n", Errno(errno)), 0;
    if (!WaitReadable(fd, 700)) continue;
    unsigned char m[1500];
    ssize_t got = recv(fd, m, sizeof m, 0);
    if (got < 12) return printf("ERR:%s\n", Errno(errno)), 0;
    size_t len = (size_t)got, off = SkipName(m, len, 12);
    if (off == 0 || off + 4 > len) return puts("ERR:MALFORMED"), 0;
    off += 4;
    int answers = (m[6] << 8) | m[7];
    for (int k = 0; k < answers; ++k) {
      off = SkipName(m, len, off);
      if (off == 0 || off + 10 > len) break;
      int type = (m[off] << 8) | m[off + 1];
      size_t rdlen = (size_t)((m[off + 8] << 8) | m[off + 9]);
      off += 10;
      if (off + rdlen > len) break;
      if (type == 1 && rdlen == 4) return printf("ANSWER:%u.%u.%u.%u\n", m[off], m[off + 1], m[off + 2], m[off + 3]), 0;
      off += rdlen;
    }
    return printf("EMPTY:rcode=%d\n", m[3] & 0x0f), 0;
  }
  puts("NOREPLY");
  return 0;
}

static int Resolve(const char* name, struct sockaddr_in* out) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo(name, NULL, &hints, &res);
  if (rc != 0) return rc;
  memcpy(out, res->ai_addr, sizeof *out);
  freeaddrinfo(res);
  return 0;
}

static int Connect(const char* name, const char* port) {
  struct sockaddr_in a;
  int rc = Resolve(name, &a);
  if (rc != 0) return printf("FAIL:%d\n", rc), 0;
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
  printf("%s ", ip);
  fflush(stdout);
  return Tcp(ip, atoi(port));
}

static int Http(const char* name, const char* path, const char* var) {
  struct sockaddr_in a;
  int rc = Resolve(name, &a);
  if (rc != 0) return printf("FAIL:%d\n", rc), 0;
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
  a.sin_port = htons(80);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0) return printf("%s CLOSED:%s\n", ip, Errno(errno)), 0;
  const char* token = getenv(var);
  char req[1024];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n",
                   path, name, token ? token : "");
  if (n <= 0 || (size_t)n >= sizeof req || write(fd, req, (size_t)n) != n) return printf("%s ERR:%s\n", ip, Errno(errno)), 0;
  char resp[64] = {0};
  ssize_t got = read(fd, resp, sizeof resp - 1);
  int status = 0;
  if (got <= 0 || sscanf(resp, "HTTP/1.%*d %d", &status) != 1) return printf("%s NOANSWER\n", ip), 0;
  printf("%s HTTP:%d\n", ip, status);
  return 0;
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
  if (argc >= 3 && strcmp(argv[1], "resolve") == 0) {
    struct sockaddr_in a;
    int rc = Resolve(argv[2], &a);
    if (rc != 0) return printf("FAIL:%d\n", rc), 0;
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    return printf("ADDR:%s\n", ip), 0;
  }
  if (argc >= 4 && strcmp(argv[1], "dnsq") == 0) {
    return DnsQuery(argv[2], argv[3], argc >= 5 && strcmp(argv[4], "aaaa") == 0 ? 28 : 1);
  }
  if (argc >= 4 && strcmp(argv[1], "connect") == 0) return Connect(argv[2], argv[3]);
  if (argc >= 5 && strcmp(argv[1], "http") == 0) return Http(argv[2], argv[3], argv[4]);
  fputs("usage: escape_probe tcp|udp|dns|raw|ping|resolve|dnsq|connect|http ...\n", stderr);
  return 2;
}
