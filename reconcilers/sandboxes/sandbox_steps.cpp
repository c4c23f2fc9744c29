#include "reconcilers/sandboxes/sandbox_steps.h"

#include "reconcilers/io/bounded_parallel.h"
#include "reconcilers/sandboxes/container_spec.h"

namespace ironward::sandboxes {
namespace {

/// Stops (grace period) and removes a container; a container already gone is fine.
Status StopAndRemove(docker::DockerApi& api, const std::string& id, std::chrono::seconds grace) {
  auto stopped = api.StopContainer(id, grace);
  if (!stopped) return stopped.error();
  auto removed = api.RemoveContainer(id, true);
  if (!removed) return removed.error();
  return Status::Ok();
}

Result<std::string> CreateAndStart(docker::DockerApi& api, const spec::Sandbox& s, const EgressWiring& w) {
  auto created = api.CreateContainer(s.name, BuildCreateSpec(s, w));
  if (!created) return created.error();
  auto started = api.StartContainer(created->id);
  if (!started) {
    return started.error().Wrap("starting sandbox '" + s.name + "' (created as " + created->id.substr(0, 12) + ")");
  }
  if (*started == docker::Outcome::kNotFound) {
    return Error::Transient("sandbox '" + s.name + "' disappeared between create and start");
  }
  return created->id;
}

StepResult RunStep(docker::DockerApi& api, const Step& step, const EgressWiring& w, std::chrono::seconds grace) {
  StepResult r;
  if (!step.blocked.empty()) {  // checked before removing anything: the old container stays
    r.error = Error::Transient(step.blocked);
    return r;
  }
  if (step.spec != nullptr) {
    if (const SecretEnvState st = SecretEnvOf(*step.spec, w); !st.unknown.empty() || !st.no_value.empty()) {
      r.error = Error::Transient("secretEnv value(s) not in this process: " + st.unknown +
                                 (st.unknown.empty() || st.no_value.empty() ? "" : ", ") + st.no_value +
                                 " (the secrets resource has not fetched them)");
      return r;
    }
  }
  if (step.kind != Step::Kind::kCreate) {
    if (Status s = StopAndRemove(api, step.container_id, grace); !s) {
      r.error = s.error();
      return r;
    }
    r.removed = true;
  }
  if (step.spec == nullptr) return r;
  auto id = CreateAndStart(api, *step.spec, w);
  if (!id) {
    r.error = id.error();
    return r;
  }
  r.created_id = *id;
  return r;
}

/// A step that frees a name another step may want: a delete, or the replace of a container
/// renamed away from its sandbox's name.
bool FreesAName(const Step& step) {
  return step.kind == Step::Kind::kDelete ||
         (step.kind == Step::Kind::kReplace && step.container_name != step.sandbox);
}

}  // namespace

std::vector<StepResult> RunSteps(docker::DockerApi& api, const std::vector<Step>& steps, const EgressWiring& w,
                                 const StepsOptions& options) {
  std::vector<StepResult> results(steps.size());
  std::optional<StepProgress> progress;
  if (options.progress && steps.size() >= kProgressMinSteps) {
    progress.emplace("sandboxes", steps.size(), options.progress, options.every_step);
  }
  for (const bool first : {true, false}) {
    std::vector<std::size_t> group;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      if (FreesAName(steps[i]) == first) group.push_back(i);
    }
    ForEachBounded(group.size(), options.parallelism, [&](std::size_t k) {
      const std::size_t i = group[k];
      results[i] = RunStep(api, steps[i], w, options.stop_timeout);
      if (progress) progress->StepDone(results[i].error.has_value());
    });
  }
  return results;
}

}  // namespace ironward::sandboxes
