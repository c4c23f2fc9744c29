#include "controller/run/metrics.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "reconcilers/io/clock.h"

namespace ironward::run {
namespace {

/// Label value escaping of the exposition format: backslash, double quote and newline.
std::string Esc(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Num(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::ostringstream s;
  s.precision(15);
  s << v;
  return s.str();
}

std::optional<double> Timestamp(const nlohmann::json& details, const char* key) {
  if (!details.is_object() || !details.contains(key) || !details[key].is_string()) return std::nullopt;
  SystemTime t;
  if (!ParseRfc3339(details[key].get<std::string>(), &t)) return std::nullopt;
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::optional<double> Number(const nlohmann::json& details, const char* key) {
  if (!details.is_object() || !details.contains(key)) return std::nullopt;
  const auto& v = details[key];
  if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
  if (v.is_number()) return v.get<double>();
  return std::nullopt;
}

const nlohmann::json* DetailsOf(const state::StatusDoc& doc, const char* resource) {
  auto it = doc.resources.find(resource);
  return it == doc.resources.end() ? nullptr : &it->second.details;
}

}  // namespace

std::string EscapeLabel(const std::string& value) { return Esc(value); }

std::string ResultLabel(const ResourceResult& r) {
  if (r.skipped) return "skipped";
  if (r.plan.error || !r.outcome) return r.plan.error ? "error" : "success";
  switch (r.outcome->kind) {
    case Outcome::Kind::kDone:
      return "success";
    case Outcome::Kind::kRequeueAfter:
      return "requeue_after";
    case Outcome::Kind::kRetry:
      return "requeue";
    case Outcome::Kind::kTerminal:
      return "error";
  }
  return "error";
}

std::vector<std::string> DriftedResources(const state::StatusDoc& before, const RunResult& run) {
  // Same desired state as the last recorded run, and the resource was Ready then: whatever it
  // must change now was changed by someone else (or crashed).
  std::vector<std::string> drifted;
  if (before.desired_digest.empty() || before.desired_digest != run.desired_digest) return drifted;
  for (const auto& r : run.resources) {
    if (r.plan.changes.empty()) continue;
    auto it = before.resources.find(r.plan.resource);
    if (it != before.resources.end() && it->second.Ready()) drifted.push_back(r.plan.resource);
  }
  return drifted;
}

void Metrics::ObservePass(const RunResult& run, const std::vector<std::string>& drifted) {
  std::lock_guard lock(mu_);
  ++passes_total_;
  drift_total_ += drifted.size();
  std::map<std::string, std::uint64_t> unhealed;  // only the resources of this pass are kept
  for (const auto& r : run.resources) {
    const std::string& name = r.plan.resource;
    const std::string result = ResultLabel(r);
    // Counted from the pass that found the drift (0 if that pass healed it) until one converges;
    // a resource held by its back-off or skipped behind a dependency is not healed either.
    auto was = unhealed_passes_.find(name);
    const bool tracked = (was != unhealed_passes_.end() && was->second > 0) ||
                         std::find(drifted.begin(), drifted.end(), name) != drifted.end();
    unhealed[name] = tracked && result != "success" ? (was == unhealed_passes_.end() ? 0 : was->second) + 1 : 0;
    ++reconcile_total_[{name, result}];
    if (result == "error" || result == "requeue") ++errors_total_[name];
    else errors_total_.try_emplace(name, 0);
    if (r.skipped) continue;
    Histogram& h = time_[name];
    ++h.count;
    h.sum += r.duration_seconds;
    for (std::size_t i = 0; i < std::size(kTimeBuckets); ++i) {
      if (r.duration_seconds <= kTimeBuckets[i]) ++h.buckets[i];
    }
  }
  unhealed_passes_ = std::move(unhealed);
}

void Metrics::SetFromStatus(const state::StatusDoc& doc) {
  nlohmann::json g = nlohmann::json::object();
  if (const auto* d = DetailsOf(doc, "daemon"); d) {
    if (auto v = Number(*d, "running")) g["proxy_up"] = *v;
    if (auto v = Number(*d, "consecutive_crashes")) g["proxy_crashes"] = *v;
    if (d->contains("crash_causes") && (*d)["crash_causes"].is_object()) {
      for (const auto& [cause, v] : (*d)["crash_causes"].items()) {
        if (v.is_number()) g["proxy_crash_causes"][cause] = v.get<double>();
      }
    }
  }
  if (const auto* d = DetailsOf(doc, "ca"); d) {
    if (auto v = Timestamp(*d, "not_after")) g["ca_not_after"] = *v;
  }
  if (const auto* d = DetailsOf(doc, "secrets"); d) {
    if (auto v = Timestamp(*d, "fetched_at")) g["secret_fetch"] = *v;
    if (auto v = Number(*d, "refresh_interval_seconds")) g["secret_refresh"] = *v;
  }
  if (const auto* d = DetailsOf(doc, "enforcement"); d) {
    if (auto v = Number(*d, "compliant")) g["sandboxes"]["compliant"] = *v;
    if (auto v = Number(*d, "non_compliant")) g["sandboxes"]["non_compliant"] = *v;
  }
  if (const auto* d = DetailsOf(doc, "sandboxes"); d) {
    if (auto v = Number(*d, "managed")) g["sandboxes_managed"] = *v;
    if (auto v = Number(*d, "running")) g["sandboxes_running"] = *v;
  }
  if (!doc.resources.empty()) {
    bool ready = true;
    for (const auto& [name, r] : doc.resources) {
      ready = ready && r.Ready();
      for (const char* type : {"Ready", "Reconciling", "Stalled"}) {
        const state::Condition* c = r.Find(type);
        g["conditions"][name][type] = c != nullptr && c->status == "True" ? 1.0 : 0.0;
      }
    }
    g["ready"] = ready ? 1.0 : 0.0;
  }
  if (doc.extra.contains("harden") && doc.extra["harden"].is_object()) {
    const auto& h = doc.extra["harden"];
    if (h.contains("signals") && h["signals"].is_array()) {
      for (const auto& s : h["signals"]) {
        if (s.is_object() && s.contains("name") && s["name"].is_string() && s.contains("status") &&
            s["status"].is_string()) {
          g["harden"][s["name"].get<std::string>()] = s["status"];
        }
      }
    }
  }
  std::lock_guard lock(mu_);
  gauges_ = std::move(g);
}

void Metrics::SetDesiredRefused(bool refused) {
  std::lock_guard lock(mu_);
  desired_refused_ = refused;
}

std::string Metrics::Render() const {
  std::lock_guard lock(mu_);
  std::ostringstream o;
  auto header = [&o](const char* name, const char* type, const char* help) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  };
  header("ironward_reconcile_total", "counter", "Reconciles per resource and result.");
  for (const auto& [key, n] : reconcile_total_) {
    o << "ironward_reconcile_total{resource=\"" << Esc(key.first) << "\",result=\"" << Esc(key.second) << "\"} " << n
      << "\n";
  }
  header("ironward_reconcile_errors_total", "counter", "Reconciles per resource that ended in an error or a retry.");
  for (const auto& [name, n] : errors_total_) {
    o << "ironward_reconcile_errors_total{resource=\"" << Esc(name) << "\"} " << n << "\n";
  }
  header("ironward_reconcile_time_seconds", "histogram", "Time per resource reconcile (observe, plan, apply).");
  for (const auto& [name, h] : time_) {
    for (std::size_t i = 0; i < std::size(kTimeBuckets); ++i) {
      o << "ironward_reconcile_time_seconds_bucket{resource=\"" << Esc(name) << "\",le=\"" << Num(kTimeBuckets[i])
        << "\"} " << h.buckets[i] << "\n";
    }
    o << "ironward_reconcile_time_seconds_bucket{resource=\"" << Esc(name) << "\",le=\"+Inf\"} " << h.count << "\n";
    o << "ironward_reconcile_time_seconds_sum{resource=\"" << Esc(name) << "\"} " << Num(h.sum) << "\n";
    o << "ironward_reconcile_time_seconds_count{resource=\"" << Esc(name) << "\"} " << h.count << "\n";
  }
  header("ironward_reconcile_passes_total", "counter", "Reconcile passes over all resources.");
  o << "ironward_reconcile_passes_total " << passes_total_ << "\n";
  header("ironward_drift_events_total", "counter",
         "Resources found changed out of band (desired input unchanged since they last converged).");
  o << "ironward_drift_events_total " << drift_total_ << "\n";
  header("ironward_drift_unhealed_passes", "gauge",
         "Passes since the resource was found drifted that ended with it still not converged; 0 once healed.");
  for (const auto& [name, n] : unhealed_passes_) {
    o << "ironward_drift_unhealed_passes{resource=\"" << Esc(name) << "\"} " << n << "\n";
  }
  const nlohmann::json& g = gauges_;
  auto gauge = [&](const char* key, const char* name, const char* help) {
    if (!g.contains(key)) return;
    header(name, "gauge", help);
    o << name << " " << Num(g[key].get<double>()) << "\n";
  };
  gauge("ready", "ironward_ready", "1 when every resource is Ready.");
  if (g.contains("conditions")) {
    header("ironward_resource_condition", "gauge",
           "1 while the resource's condition (Ready, Reconciling, Stalled) is True, else 0.");
    for (const auto& [name, types] : g["conditions"].items()) {
      for (const auto& [type, v] : types.items()) {
        o << "ironward_resource_condition{resource=\"" << Esc(name) << "\",condition=\"" << type << "\"} "
          << Num(v.get<double>()) << "\n";
      }
    }
  }
  gauge("proxy_up", "ironward_proxy_up", "1 when the supervised iron-proxy is running (daemon status).");
  gauge("proxy_crashes", "ironward_proxy_consecutive_crashes",
        "Unplanned iron-proxy exits in a row; from 5 on a crash loop, retried every maxRestartBackoff.");
  if (g.contains("proxy_crash_causes")) {
    header("ironward_proxy_crashes", "gauge",
           "The current crash series by cause: killed_by_signal, exited (seen by `ironward run` as the "
           "proxy's parent), unknown.");
    for (const auto& [cause, v] : g["proxy_crash_causes"].items()) {
      o << "ironward_proxy_crashes{cause=\"" << Esc(cause) << "\"} " << Num(v.get<double>()) << "\n";
    }
  }
  gauge("ca_not_after", "ironward_ca_not_after_timestamp_seconds", "Expiry of the local CA certificate.");
  gauge("secret_fetch", "ironward_secret_last_fetch_timestamp_seconds", "Last successful secret fetch.");
  gauge("secret_refresh", "ironward_secret_refresh_interval_seconds",
        "spec.credentials.bitwarden.refreshInterval: a fetch is due this long after the last one.");
  if (g.contains("sandboxes")) {
    header("ironward_sandboxes", "gauge", "Sandboxes by egress-policy compliance (enforcement status).");
    for (const auto& [state, v] : g["sandboxes"].items()) {
      o << "ironward_sandboxes{state=\"" << Esc(state) << "\"} " << Num(v.get<double>()) << "\n";
    }
  }
  gauge("sandboxes_managed", "ironward_sandboxes_managed", "Sandboxes declared in the desired state.");
  gauge("sandboxes_running", "ironward_sandboxes_running", "Managed sandboxes running.");
  if (desired_refused_) {
    header("ironward_desired_state_refused", "gauge",
           "1 while the desired-state file on disk is invalid and the last good one is kept.");
    o << "ironward_desired_state_refused " << (*desired_refused_ ? 1 : 0) << "\n";
  }
  if (g.contains("harden")) {
    header("ironward_harden_signal", "gauge", "Host hardening survey: 1 for each signal's current status.");
    for (const auto& [name, status] : g["harden"].items()) {
      for (const char* s : {"pass", "fail", "warn", "skip"}) {
        o << "ironward_harden_signal{name=\"" << Esc(name) << "\",status=\"" << s << "\"} "
          << (status.get<std::string>() == s ? 1 : 0) << "\n";
      }
    }
  }
  return o.str();
}

Status WriteTextfile(const std::string& dir, const std::string& text) {
  const std::filesystem::path target = std::filesystem::path(dir) / "ironward.prom";
  std::string tmpl = (std::filesystem::path(dir) / ".ironward.prom.XXXXXX").string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return Error::Transient("writing metrics to " + dir + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmpl.c_str());
      return Error::Transient("writing " + tmpl + ": " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, 0644);
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmpl.c_str(), target.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmpl.c_str());
    return Error::Transient("renaming " + tmpl + " to " + target.string() + ": " + why);
  }
  return Status::Ok();
}

}  // namespace ironward::run
