// FakeFirewall: an in-memory Firewall for unit tests. Holds the last table loaded, lets a test
// tamper with it (drop a rule, drop the table, add a stray rule) and counts calls.
#pragma once

#include <optional>
#include <string>

#include "reconcilers/network/firewall.h"

namespace ironward::netfilter {

class FakeFirewall final : public Firewall {
 public:
  Result<std::optional<TableState>> ReadTable() override {
    ++reads;
    if (fail_next) return Fail();
    if (!table) return std::optional<TableState>();
    TableState s;
    for (const auto& c : table->chains) {
      s.chains.push_back(ObservedChain{c.name, c.type, c.hook, c.priority, c.policy});
      for (const auto& r : c.rules) s.rules.push_back(ObservedRule{c.name, r.comment});
    }
    return std::optional<TableState>(s);
  }
  Status ReplaceTable(const TableSpec& t) override {
    ++replaces;
    if (fail_next) return Fail();
    table = t;
    return Status::Ok();
  }
  Status DeleteTable() override {
    ++deletes;
    if (fail_next) return Fail();
    table.reset();
    return Status::Ok();
  }

  // --- tampering
  void RemoveRule(const std::string& chain, std::size_t index) {
    for (auto& c : table->chains) {
      if (c.name == chain) c.rules.erase(c.rules.begin() + static_cast<std::ptrdiff_t>(index));
    }
  }
  void AddRule(const std::string& chain, RuleSpec rule) {
    for (auto& c : table->chains) {
      if (c.name == chain) c.rules.push_back(std::move(rule));
    }
  }

  std::optional<TableSpec> table;
  int reads = 0;
  int replaces = 0;
  int deletes = 0;
  bool fail_next = false;

 private:
  Error Fail() {
    fail_next = false;
    return Error::Transient("nft: exit 1: simulated failure");
  }
};

}  // namespace ironward::netfilter
