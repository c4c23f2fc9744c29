#include "controller/apply_run.h"

#include <iostream>

#include "controller/pass.h"
#include "controller/plan_output.h"
#include "controller/run/metrics.h"

namespace ironward {

int RunApply(const spec::DesiredState& desired, const ApplyRunOptions& options) {
  Runtime rt;
  state::StateWriter writer(options.state_dir);
  Engine engine(MakeReconcilers());
  PassOptions pass;
  pass.lock_timeout = options.lock_timeout;
  pass.precheck = options.precheck;
  auto ran = RunOnePass(engine, rt, writer, desired, pass);
  if (const auto* refused = std::get_if<PassRefused>(&ran)) {
    std::cerr << "Error: " << refused->message << "\n";
    return 1;
  }
  const PassResult& result = std::get<PassResult>(ran);
  if (result.save_error) {
    std::cerr << "Error: saving status: " << result.save_error->message << "\n";
    return 1;
  }
  if (!options.textfile_dir.empty()) {
    run::Metrics metrics;
    metrics.ObservePass(result.run, result.drifted);
    metrics.SetFromStatus(result.doc);
    if (auto s = run::WriteTextfile(options.textfile_dir, metrics.Render()); !s) {
      std::cerr << "Error: " << s.error().message << "\n";
      return 1;
    }
  }
  if (options.output == "json") {
    std::cout << RenderRecapJson(desired, result.run).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    std::cout << RenderRecapText(result.run, OutputStyle{StdoutWantsColor()});
  }
  return result.run.failed > 0 ? 1 : 0;
}

}  // namespace ironward
