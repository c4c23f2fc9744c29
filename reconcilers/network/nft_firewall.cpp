#include "reconcilers/network/nft_firewall.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace ironward::netfilter {
namespace {

std::string Qualified(const std::string& table) { return std::string(kTableFamily) + " " + table; }

/// Rule text may hold quotes and an anonymous set's braces (its inputs are validated by
/// ruleset.cpp); names and comments may hold neither. Nothing may end the statement early.
bool Unsafe(const std::string& s, bool is_rule_text) {
  int depth = 0;
  for (char ch : s) {
    if (ch == '\n' || ch == '\r' || ch == ';' || ch == '#') return true;
    if (!is_rule_text && (ch == '"' || ch == '{' || ch == '}')) return true;
    if (ch == '{') ++depth;
    if (ch == '}' && --depth < 0) return true;
  }
  return depth != 0;
}

bool IsMissingTable(const CommandResult& r) {
  return r.outcome == CommandResult::Outcome::kExited && r.exit_code != 0 &&
         r.err.find("No such file or directory") != std::string::npos;
}

Error NftError(const std::string& what, const CommandResult& r, std::chrono::milliseconds timeout) {
  return Error::Transient("nft " + what + ": " + Describe(r, timeout));
}

/// A 0600 temp file holding the script, removed when this goes out of scope.
class ScriptFile {
 public:
  ScriptFile() = default;
  ScriptFile(const ScriptFile&) = delete;
  ScriptFile& operator=(const ScriptFile&) = delete;
  ~ScriptFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  Status Write(const std::string& text) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ironward-nft.XXXXXX").string();
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) return Error::Transient("cannot create a temp file for the nft script");
    path_ = tmpl;
    std::size_t off = 0;
    while (off < text.size()) {
      const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
      if (n <= 0) {
        ::close(fd);
        return Error::Transient("cannot write the nft script to " + path_);
      }
      off += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return Status::Ok();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

Result<std::string> RenderNftScript(const TableSpec& table, const std::string& table_name) {
  if (table_name.empty() || Unsafe(table_name, false) || table_name.find(' ') != std::string::npos) {
    return Error::Terminal("firewall: invalid table name '" + table_name + "'");
  }
  const std::string qualified = Qualified(table_name);
  // "table X {}" first makes the delete valid when the table does not exist yet; nft -f runs the
  // whole file as one transaction, so nobody ever sees the table empty.
  std::string out = "table " + qualified + " {}\n";
  out += "delete table " + qualified + "\n";
  out += "table " + qualified + " {\n";
  for (const auto& chain : table.chains) {
    if (Unsafe(chain.name, false) || Unsafe(chain.hook, false) || Unsafe(chain.policy, false) ||
        chain.name.find(' ') != std::string::npos) {
      return Error::Terminal("firewall: invalid chain '" + chain.name + "'");
    }
    out += "  chain " + chain.name + " {\n";
    out += "    type " + chain.type + " hook " + chain.hook + " priority " + std::to_string(chain.priority) + "; policy " +
           chain.policy + ";\n";
    for (const auto& rule : chain.rules) {
      if (Unsafe(rule.text, true) || Unsafe(rule.comment, false)) {
        return Error::Terminal("firewall: refusing a rule with unsafe characters: " + rule.comment);
      }
      out += "    " + rule.text + (rule.comment.empty() ? "" : " comment \"" + rule.comment + "\"") + "\n";
    }
    out += "  }\n";
  }
  out += "}\n";
  return out;
}

Result<TableState> ParseNftTableJson(const std::string& json_text) {
  try {
    const auto doc = nlohmann::json::parse(json_text);
    TableState state;
    for (const auto& item : doc.at("nftables")) {
      if (item.contains("chain")) {
        const auto& c = item.at("chain");
        ObservedChain chain;
        chain.name = c.value("name", "");
        chain.type = c.value("type", "");
        chain.hook = c.value("hook", "");
        chain.priority = c.value("prio", 0);
        chain.policy = c.value("policy", "");
        state.chains.push_back(std::move(chain));
      } else if (item.contains("rule")) {
        const auto& r = item.at("rule");
        state.rules.push_back(ObservedRule{r.value("chain", ""), r.value("comment", "")});
      }
    }
    return state;
  } catch (const std::exception& e) {
    return Error::Transient(std::string("nft -j output is not the expected JSON: ") + e.what());
  }
}

Result<std::optional<TableState>> NftFirewall::ReadTable() {
  const std::string qualified = Qualified(table_);
  const auto r = runner_.Run({"nft", "-j", "list", "table", kTableFamily, table_}, timeout_);
  if (IsMissingTable(r)) return std::optional<TableState>();
  if (!r.ok()) return NftError("list table " + qualified, r, timeout_);
  auto parsed = ParseNftTableJson(r.out);
  if (!parsed) return parsed.error();
  return std::optional<TableState>(std::move(*parsed));
}

Status NftFirewall::ReplaceTable(const TableSpec& table) {
  const std::string qualified = Qualified(table_);
  auto script = RenderNftScript(table, table_);
  if (!script) return script.error();
  ScriptFile file;
  if (auto s = file.Write(*script); !s) return s;
  const auto r = runner_.Run({"nft", "-f", file.path()}, timeout_);
  if (!r.ok()) return NftError("-f (replace table " + qualified + ")", r, timeout_);
  return Status::Ok();
}

Status NftFirewall::DeleteTable() {
  const std::string qualified = Qualified(table_);
  const auto r = runner_.Run({"nft", "delete", "table", kTableFamily, table_}, timeout_);
  if (r.ok() || IsMissingTable(r)) return Status::Ok();
  return NftError("delete table " + qualified, r, timeout_);
}

std::size_t TableSpec::RuleCount() const {
  std::size_t n = 0;
  for (const auto& c : chains) n += c.rules.size();
  return n;
}

}  // namespace ironward::netfilter
