#include "reconcilers/network/verify_probe.h"

#include <cstdlib>
#include <sstream>

namespace ironward::verify {
namespace {

/// Single-quotes for sh: every ' becomes '\''.
std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Line {
  bool found = false;
  int exit = -1;
  std::string code = "000";
  std::string connect = "000";
};

struct DnsLine {
  bool found = false;
  int exit = -1;
  std::string remote_ip = "none";
  std::string code = "000";
};

std::map<std::string, Line> ParseLines(const std::string& out, std::string* swap, DnsLine* dns) {
  std::map<std::string, Line> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string tag, name;
    ls >> tag >> name;
    if (tag == "IWSWAP") {
      *swap = name;
    } else if (tag == "IWDNS") {
      dns->found = true;
      dns->exit = std::atoi(name.c_str());
      std::string ip, code;
      ls >> ip >> code;
      dns->remote_ip = ip.rfind("ip=", 0) == 0 && ip.size() > 3 ? ip.substr(3) : "none";
      dns->code = code.rfind("code=", 0) == 0 && code.size() > 5 ? code.substr(5) : "000";
    } else if (tag == "IWCHECK") {
      Line l;
      l.found = true;
      ls >> l.exit >> l.code >> l.connect;
      lines[name] = l;
    }
  }
  return lines;
}

bool Refused(const Line& l, bool allow_502) {
  auto is = [&l](const char* c) { return l.connect == c || (l.connect == "000" && l.code == c); };
  return is("403") || (allow_502 && is("502"));
}

std::string Got(const Line& l) {
  if (!l.found) return "no result";
  std::string g;
  if (l.connect != "000") g = "CONNECT " + l.connect;
  if (l.code != "000") g += (g.empty() ? "" : ", ") + std::string("HTTP ") + l.code;
  if (l.exit == 60) g += (g.empty() ? "" : ", ") + std::string("TLS: ironward CA not trusted (curl 60)");
  else if (l.exit != 0) g += (g.empty() ? "" : ", ") + std::string("curl exit ") + std::to_string(l.exit);
  return g.empty() ? "no response" : g;
}

CheckRow Row(std::string check, std::string expected, std::string got, bool pass) {
  return CheckRow{std::move(check), std::move(expected), std::move(got), pass ? "pass" : "FAIL"};
}

}  // namespace

std::string DnsRoutingUrl(const ProbeInputs& in) {
  if (in.dns_proxy_ip.empty()) return "";
  std::string host = HostOfUrl(in.allowed_url);
  host = host.substr(0, host.rfind(':') == std::string::npos || host.back() == ']' ? host.size() : host.rfind(':'));
  // Names the container resolves without DNS (its /etc/hosts) and IP literals say nothing about it.
  const bool literal = !host.empty() && host.find_first_not_of("0123456789.") == std::string::npos;
  if (host.empty() || host == "localhost" || literal || host.front() == '[') return "";
  // The default port of the scheme: only 80 and 443 are steered to the proxy.
  return (in.allowed_url.rfind("http://", 0) == 0 ? "http://" : "https://") + host + "/";
}

std::string HostOfUrl(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  const std::string s = url.substr(0, scheme);
  if (s != "http" && s != "https") return "";
  std::string rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  return rest;
}

std::string BuildProbeScript(const ProbeInputs& in) {
  std::string s =
      "set +e\n"
      "B=/tmp/ironward-verify-body\n"
      // via the proxy (HTTPS_PROXY/HTTP_PROXY in the env); curl's own exit code tells refused from timeout
      "p() { n=$1; shift; r=$(curl -sS -o \"$B\" -w '%{http_code} %{http_connect}' --connect-timeout 5 --max-time 15 "
      "\"$@\" 2>/dev/null); e=$?; echo \"IWCHECK $n $e ${r:-000 000}\"; }\n";
  // Direct: no proxy at all; 7 (refused), 28 (timeout), 6 (no DNS) mean blocked.
  s += "r=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --connect-timeout 3 --max-time 5 " +
       Quote("http://" + in.direct_target + "/") + "); echo \"IWCHECK direct $? ${r:-000} 000\"\n";
  if (!in.allowed_url.empty()) {
    s += "rm -f \"$B\"\n";
    if (!in.token_header.empty()) {
      std::string value = in.token_bearer ? "Bearer $" : "$";  // appended: see GCC bug 105651 (-Wrestrict)
      value += kTokenEnv;
      s += "p allowed -H \"" + in.token_header + ": " + value + "\" " + Quote(in.allowed_url) + "\n";
    } else {
      s += "p allowed " + Quote(in.allowed_url) + "\n";
    }
    // Never print the body: it may carry the real key when the upstream echoes.
    s += "if [ ! -s \"$B\" ]; then echo 'IWSWAP empty'; elif [ -n \"$";
    s += kTokenEnv;
    s += "\" ] && case \"$(cat \"$B\")\" in *\"$";
    s += kTokenEnv;
    s += "\"*) true;; *) false;; esac; then echo 'IWSWAP no'; else echo 'IWSWAP yes'; fi\n";
  }
  if (const std::string url = DnsRoutingUrl(in); !url.empty()) {
    // No proxy at all: the name must resolve to the proxy (its DNS) and the connection land there.
    s += "r=$(curl -sS --noproxy '*' -o /dev/null -w 'ip=%{remote_ip} code=%{http_code}' --connect-timeout 5 "
         "--max-time 15 " + Quote(url) + " 2>/dev/null); echo \"IWDNS $? ${r:-ip= code=000}\"\n";
  }
  s += "p denied " + Quote(in.denied_url) + "\n";
  s += "p loopback https://127.0.0.1/\n";
  s += "p imds https://169.254.169.254/latest/meta-data/\n";
  s += "rm -f \"$B\"\n";
  return s;
}

std::vector<CheckRow> EvaluateProbe(const ProbeInputs& in, const std::string& probe_stdout) {
  std::string swap;
  DnsLine dns;
  const auto lines = ParseLines(probe_stdout, &swap, &dns);
  auto get = [&lines](const std::string& n) {
    auto it = lines.find(n);
    return it == lines.end() ? Line{} : it->second;
  };
  std::vector<CheckRow> rows;

  const Line direct = get("direct");
  const bool blocked = direct.found && (direct.exit == 7 || direct.exit == 28 || direct.exit == 6);
  // With DNS routing, 80/443 anywhere land on the proxy: plain HTTP to its https listener fails the
  // exchange (curl 52/56/35, or Go's 400), to its http listener an IP is refused (403).
  const bool steered = in.direct_steered && direct.found && !blocked &&
                       (direct.exit == 52 || direct.exit == 56 || direct.exit == 35 || direct.code == "400" ||
                        direct.code == "403");
  rows.push_back(Row("direct-egress " + in.direct_target, "blocked",
                     !direct.found ? "no result"
                     : blocked     ? "blocked (curl exit " + std::to_string(direct.exit) + ")"
                     : steered     ? "steered to the proxy and refused (curl exit " + std::to_string(direct.exit) +
                                     ", HTTP " + direct.code + ")"
                                   : "connected (curl exit " + std::to_string(direct.exit) + ")",
                     blocked || steered));

  if (in.allowed_url.empty()) {
    rows.push_back(Row("allowlisted", "reached upstream", "no allowlisted host to try (use --allowed-url)", false));
  } else {
    const Line a = get("allowed");
    const bool https = in.allowed_url.rfind("https://", 0) == 0;
    const bool reached = a.found && a.code != "000" &&
                         (https ? a.connect == "200" : (a.code[0] == '2' || a.code[0] == '3'));
    rows.push_back(Row("allowlisted " + HostOfUrl(in.allowed_url), "reached upstream", Got(a), reached));
    if (swap == "no") {
      rows.push_back(Row("token-swap", "token replaced", "proxy token reached the upstream", false));
    } else if (!in.echo_upstream) {
      rows.push_back(CheckRow{"token-swap", "token replaced", "not observable (needs --echo-upstream)", "skipped"});
    } else {
      rows.push_back(Row("token-swap", "token replaced",
                         swap == "yes" ? "token replaced" : "empty response: cannot tell", swap == "yes" && reached));
    }
  }

  if (!in.dns_proxy_ip.empty()) {
    const std::string url = DnsRoutingUrl(in);
    const std::string check = "dns-routing " + HostOfUrl(url.empty() ? in.allowed_url : url);
    const std::string expected = "resolves to the proxy " + in.dns_proxy_ip + ", answered";
    if (url.empty()) {
      rows.push_back(CheckRow{check, expected,
                              in.allowed_url.empty() ? "no allowlisted host to try (use --allowed-url)"
                                                     : "not a DNS name (use --allowed-url https://<allowlisted name>/)",
                              "skipped"});
    } else {
      const bool answered = dns.found && dns.remote_ip == in.dns_proxy_ip && dns.code != "000";
      std::string got = !dns.found              ? "no result"
                        : dns.exit == 6         ? "name did not resolve (curl exit 6)"
                        : dns.remote_ip == "none" ? "no connection (curl exit " + std::to_string(dns.exit) + ")"
                                                  : "resolved to " + dns.remote_ip + ", HTTP " + dns.code;
      rows.push_back(Row(check, expected, got, answered));
    }
  }

  const Line d = get("denied");
  rows.push_back(Row("not-allowlisted " + HostOfUrl(in.denied_url), "403 from proxy", Got(d), Refused(d, false)));
  const Line l = get("loopback");
  rows.push_back(Row("loopback 127.0.0.1", "refused (403/502)", Got(l), Refused(l, true)));
  const Line m = get("imds");
  rows.push_back(Row("imds 169.254.169.254", "refused (403/502)", Got(m), Refused(m, true)));
  return rows;
}

bool AllPassed(const std::vector<CheckRow>& rows) {
  for (const auto& r : rows) {
    if (r.result == "FAIL") return false;
  }
  return !rows.empty();
}

std::string DefaultAllowedUrl(const spec::Spec& spec) {
  // Hosts sure to be in the proxy's allowlist first: an optional provider's hosts are left out
  // while its key is missing, so they come last. In each group a plain host beats a wildcard.
  std::vector<std::string> required;
  std::vector<std::string> optional;
  for (const auto& p : spec.providers) {
    auto& into = p.optional ? optional : required;
    into.insert(into.end(), p.hosts.begin(), p.hosts.end());
  }
  for (const std::vector<std::string>* group :
       std::initializer_list<const std::vector<std::string>*>{&required, &spec.allowlist, &optional}) {
    for (const auto& h : *group) {
      if (h.find('*') == std::string::npos) return "https://" + h + "/";
    }
    for (const auto& h : *group) {
      if (h.rfind("*.", 0) == 0) return "https://" + h.substr(2) + "/";
    }
  }
  return "";
}

}  // namespace ironward::verify
