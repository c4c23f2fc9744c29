#include "reconcilers/reconciler.h"

namespace ironward {

std::string_view ActionSymbol(Action a) {
  switch (a) {
    case Action::kCreate: return "+";
    case Action::kUpdate: return "~";
    case Action::kDelete: return "-";
    case Action::kReplace: return "-/+";
    case Action::kNoop: return " ";
  }
  return "?";
}

std::vector<std::string> ActionJson(Action a) {
  switch (a) {
    case Action::kCreate: return {"create"};
    case Action::kUpdate: return {"update"};
    case Action::kDelete: return {"delete"};
    case Action::kReplace: return {"delete", "create"};
    case Action::kNoop: return {"no-op"};
  }
  return {"no-op"};
}

Outcome Outcome::Done(int changed, std::string message) {
  Outcome o;
  o.kind = Kind::kDone;
  o.changed = changed;
  o.reason = changed > 0 ? "Applied" : "InSync";
  o.message = std::move(message);
  return o;
}

Outcome Outcome::Failed(const Error& e, std::string reason) {
  Outcome o;
  o.kind = e.terminal() ? Kind::kTerminal : Kind::kRetry;
  o.reason = std::move(reason);
  o.message = e.message;
  return o;
}

}  // namespace ironward
