// The CA reconciler's pure half: what was observed, and what should happen about it.
// No I/O here; everything takes the observation and the clock's "now".
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "state/spec/spec.h"
#include "reconcilers/ca/ca_rotation.h"
#include "reconcilers/ca/openssl_ca.h"
#include "reconcilers/reconciler.h"
#include "state/state_dir.h"

namespace ironward::ca {

inline constexpr const char* kCertFile = "ca.crt";
inline constexpr const char* kKeyFile = "ca.key";
/// A new pair is staged here before it is swapped in (crash safety, see ca_reconciler.h).
inline constexpr const char* kNewCertFile = "ca.new.crt";
inline constexpr const char* kNewKeyFile = "ca.new.key";
inline constexpr const char* kArchiveDir = "ca-archive";
inline constexpr mode_t kCertMode = 0644;
inline constexpr mode_t kKeyMode = 0600;

/// A cert/key pair as found on disk (live or staged).
struct CaPair {
  std::optional<std::string> cert_pem;
  std::optional<std::string> key_pem;  ///< sensitive: in memory only, never in a plan
  std::optional<CaInfo> info;          ///< set when the certificate parses
  std::string defect;                  ///< why iron-proxy could not use it; "" = usable

  bool Present() const { return cert_pem.has_value() || key_pem.has_value(); }
  bool Usable() const { return info.has_value() && defect.empty(); }
};

/// Parses a pair; `cert_name`/`key_name` name the files in defect messages.
CaPair MakePair(std::optional<std::string> cert_pem, std::optional<std::string> key_pem,
                std::string_view cert_name, std::string_view key_name);

struct ObservedCa {
  std::string cert_path;
  std::string key_path;
  std::string bundle_path;     ///< ca-trust.pem (what sandboxes mount)
  CaPair live;                 ///< ca.crt + ca.key
  state::FileStat cert_stat;
  state::FileStat key_stat;
  /// ca.new.crt + ca.new.key (normally absent). After an interrupted swap that already renamed
  /// ca.new.key over ca.key, this is ca.new.crt + ca.key and staged_key_is_live is set.
  CaPair staged;
  bool staged_key_is_live = false;
  /// Staged rotation (ca_rotation.h). ca-next.* (normally absent); after an interrupted switch
  /// that already renamed ca-next.key over ca.key: ca-next.crt + ca.key, next_key_is_live set.
  CaPair next;
  bool next_key_is_live = false;
  CaPair prev;                 ///< ca-prev.* (the key may already be gone during a drop)
  std::optional<std::string> bundle;  ///< ca-trust.pem
  state::FileStat bundle_stat;
  /// Modes of the rotation files that exist (name -> permission bits).
  std::vector<std::pair<std::string, mode_t>> rotation_modes;
  LastRun last_run;            ///< the gate, from status.json
  std::string fingerprint;     ///< digest of everything observed (stale-plan check)
};

/// What the files say the rotation phase is (an interrupted switch counts as staged).
Phase PhaseOf(const ObservedCa& o);

/// Rejects specs that would make a fresh CA immediately due (renewBefore >= validity).
Status ValidateSpec(const spec::CaSpec& spec);
/// notAfter - renewBefore, or notBefore + 2/3 of the lifetime.
SystemTime RenewalTime(const CaInfo& info, const spec::CaSpec& spec);
/// {fingerprint_sha256, not_before, not_after, renewal_time, algorithm, rotation} for status.json.
nlohmann::json StatusDetails(const CaInfo& info, const spec::CaSpec& spec);
/// StatusDetails plus the rotation: rotation_phase, trust_bundle_digest (of ca-trust.pem as it
/// is), next_/previous_fingerprint_sha256 when staged/switched.
nlohmann::json RotationDetails(const ObservedCa& o, const spec::CaSpec& spec);
/// Public summary for plan before/after: fingerprint, not_after, algorithm, rotation.
nlohmann::json Summary(const CaInfo& info);

struct Decision {
  enum class Kind {
    kKeep,          ///< the live pair stays (possibly with the fixes below)
    kCreate,        ///< nothing there: mint
    kReplace,       ///< mint a new pair, archive the old one
    kCompleteSwap,  ///< a staged pair from an interrupted rotation is swapped in
    kStage,         ///< rotation: mint ca-next.*, bundle = active + next
    kSwitch,        ///< rotation: ca-next.* becomes the active pair, the old one ca-prev.*
    kDrop,          ///< rotation: archive and remove ca-prev.*, bundle = active only
  };
  Kind kind = Kind::kKeep;
  std::string reason;
  bool disruptive = false;
  bool half_swapped = false;   ///< kCompleteSwap: ca.key already is the staged key
  bool remove_staged = false;  ///< kKeep: delete leftover ca.new.*
  bool chmod_cert = false;     ///< kKeep: ca.crt mode != 0644
  bool chmod_key = false;      ///< kKeep: ca.key mode != 0600
  /// kKeep: other files with a wrong mode (rotation files, the bundle): name -> wanted mode.
  std::vector<std::pair<std::string, mode_t>> chmods;
  bool remove_next = false;    ///< kKeep: delete an unusable or unwanted ca-next.*
  /// Write ca-trust.pem (kKeep: it differs from what the phase says; always after other kinds).
  bool write_bundle = false;
  bool switch_resumed = false;     ///< kSwitch: finishing an interrupted switch (no gate)
  bool switch_key_in_place = false;  ///< kSwitch: ca.key already holds the next key
  bool keep_previous = true;       ///< kSwitch: keep the old pair as ca-prev.* (its cert parses)
  std::vector<std::string> warnings;

  bool InSync() const {
    return kind == Kind::kKeep && !remove_staged && !chmod_cert && !chmod_key && chmods.empty() && !remove_next &&
           !write_bundle;
  }
  bool MintsNewCa() const { return kind == Kind::kCreate || kind == Kind::kReplace; }
};

/// The trust bundle the files call for once `d` is applied; nullopt = known after apply.
std::optional<std::string> ProjectedBundle(const Decision& d, const ObservedCa& o);
/// The ca.crt the state directory holds once `d` is applied; nullopt = known after apply.
std::optional<std::string> ProjectedCert(const Decision& d, const ObservedCa& o);
/// The rotation phase once `d` is applied.
Phase ProjectedPhase(const Decision& d, const ObservedCa& o);
/// The bundle the current files call for (no decision applied).
std::string WantedBundle(const ObservedCa& o);

/// The whole policy (pure). `gateway_name` is metadata.name (the CA's CN).
Decision Decide(const spec::CaSpec& spec, std::string_view gateway_name, const ObservedCa& observed,
                SystemTime now);

/// The plan entry for a decision that is not in sync (address "ca.local", type "ironward_ca").
Change ToChange(const Decision& decision, const ObservedCa& observed, const spec::CaSpec& spec);

/// sha256 of the CA's desired inputs (name, algorithm, validity, renewBefore, rotation).
std::string DesiredDigest(const spec::CaSpec& spec, std::string_view gateway_name);

}  // namespace ironward::ca
