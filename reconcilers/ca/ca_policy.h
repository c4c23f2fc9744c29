// The CA reconciler's pure half: what was observed, and what should happen about it.
// No I/O here; everything takes the observation and the clock's "now".
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/spec/spec.h"
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
  CaPair live;                 ///< ca.crt + ca.key
  state::FileStat cert_stat;
  state::FileStat key_stat;
  /// ca.new.crt + ca.new.key (normally absent). After an interrupted swap that already renamed
  /// ca.new.key over ca.key, this is ca.new.crt + ca.key and staged_key_is_live is set.
  CaPair staged;
  bool staged_key_is_live = false;
  std::string fingerprint;     ///< digest of everything observed (stale-plan check)
};

/// Rejects specs that would make a fresh CA immediately due (renewBefore >= validity).
Status ValidateSpec(const spec::CaSpec& spec);
/// notAfter - renewBefore, or notBefore + 2/3 of the lifetime.
SystemTime RenewalTime(const CaInfo& info, const spec::CaSpec& spec);
/// {fingerprint_sha256, not_before, not_after, renewal_time, algorithm, rotation} for status.json.
nlohmann::json StatusDetails(const CaInfo& info, const spec::CaSpec& spec);
/// Public summary for plan before/after: fingerprint, not_after, algorithm, rotation.
nlohmann::json Summary(const CaInfo& info);

struct Decision {
  enum class Kind {
    kKeep,          ///< the live pair stays (possibly with the fixes below)
    kCreate,        ///< nothing there: mint
    kReplace,       ///< mint a new pair, archive the old one
    kCompleteSwap,  ///< a staged pair from an interrupted rotation is swapped in
  };
  Kind kind = Kind::kKeep;
  std::string reason;
  bool disruptive = false;
  bool half_swapped = false;   ///< kCompleteSwap: ca.key already is the staged key
  bool remove_staged = false;  ///< kKeep: delete leftover ca.new.*
  bool chmod_cert = false;     ///< kKeep: ca.crt mode != 0644
  bool chmod_key = false;      ///< kKeep: ca.key mode != 0600
  std::vector<std::string> warnings;

  bool InSync() const { return kind == Kind::kKeep && !remove_staged && !chmod_cert && !chmod_key; }
  bool MintsNewCa() const { return kind == Kind::kCreate || kind == Kind::kReplace; }
};

/// The whole policy (pure). `gateway_name` is metadata.name (the CA's CN).
Decision Decide(const spec::CaSpec& spec, std::string_view gateway_name, const ObservedCa& observed,
                SystemTime now);

/// The plan entry for a decision that is not in sync (address "ca.local", type "ironward_ca").
Change ToChange(const Decision& decision, const ObservedCa& observed, const spec::CaSpec& spec);

/// sha256 of the CA's desired inputs (name, algorithm, validity, renewBefore, rotation).
std::string DesiredDigest(const spec::CaSpec& spec, std::string_view gateway_name);

}  // namespace ironward::ca
