// FakeHostFirewall: an in-memory ufw or firewalld. Holds the accepts added, answers Observe like
// the real tool would (active, blocking, admitted when the accept is there or a "foreign" rule
// admits it), counts calls and can fail the next change.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "reconcilers/host_firewall/host_firewall.h"

namespace ironward::hostfw {

class FakeHostFirewall final : public HostFirewall {
 public:
  explicit FakeHostFirewall(Tool tool) : tool_(tool) {}
  Tool Kind() const override { return tool_; }
  Result<ToolState> Observe(const Opening& opening) override {
    ++observes;
    if (fail_observe) return Error::Transient("cannot read " + std::string(ToolName(tool_)));
    ToolState st;
    st.installed = installed;
    if (!installed) return st;
    st.active = active;
    st.blocks = active && blocks;
    st.where = active && tool_ == Tool::kFirewalld ? zone : "";
    st.admitted = foreign_admits || Has(opening, st.where);
    st.detail = active ? "active, default deny (incoming)" : "inactive";
    return st;
  }
  std::optional<ToolState> Glance() const override { return glance; }
  Status Allow(const Opening& opening, const std::string& where) override {
    ++allows;
    if (fail_next) return Error::Transient("injected failure");
    if (!Has(opening, where)) accepts.push_back({opening, where});
    return Status::Ok();
  }
  Status Revoke(const Opening& opening, const std::string& where) override {
    ++revokes;
    if (fail_next) return Error::Transient("injected failure");
    accepts.erase(std::remove_if(accepts.begin(), accepts.end(),
                                 [&](const auto& a) { return a.opening == opening && a.where == where; }),
                  accepts.end());
    return Status::Ok();
  }
  bool Has(const Opening& opening, const std::string& where) const {
    return std::any_of(accepts.begin(), accepts.end(),
                       [&](const auto& a) { return a.opening == opening && a.where == where; });
  }

  struct Accept {
    Opening opening;
    std::string where;
  };
  std::vector<Accept> accepts;
  bool installed = true;
  bool active = true;
  bool blocks = true;
  bool foreign_admits = false;  ///< an operator's rule (or an ACCEPT zone) admits the traffic
  bool fail_observe = false;
  bool fail_next = false;
  std::string zone = "public";
  std::optional<ToolState> glance;  ///< what Glance answers (its files' word, right or wrong)
  int observes = 0;
  int allows = 0;
  int revokes = 0;

 private:
  Tool tool_;
};

}  // namespace ironward::hostfw
