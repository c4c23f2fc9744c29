// State of the Bitwarden server double: configuration, issued bearers, secrets, fault mode and
// request counts. All methods lock; handlers in routes.cpp call them from httplib's thread pool.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reconcilers/bitwarden/access_token.h"
#include "reconcilers/bitwarden/crypto.h"
#include "state/result.h"

namespace ironward::bwdouble {

struct DoubleSecret {
  std::string id;
  std::string key;
  std::string value;
  std::string note;
  std::string creation_date;
  std::string revision_date;
};

/// Injected failure. `scope`: "api" (default), "identity" or "all". `endpoint` (a stats name such
/// as "get_by_ids"; empty = any) narrows it to one endpoint. `times` > 0 applies the fault to
/// that many requests, then reverts to "none".
struct Fault {
  std::string mode = "none";  ///< none | 401 | 404 | 429 | 500 | slow | garbage | badmac
  int retry_after = 1;        ///< seconds, for 429
  int delay_ms = 0;           ///< for slow
  std::string scope = "api";
  std::string endpoint;
  int times = 0;
};

class DoubleState {
 public:
  /// Reads the JSON config file (see docs/bitwarden.md); errors name the field.
  static Result<std::unique_ptr<DoubleState>> Load(const std::string& path);

  // Identity.
  bool CheckClient(const std::string& client_id, const std::string& client_secret) const;
  /// A fresh identity response body (new bearer JWT + encrypted_payload).
  nlohmann::json IssueLogin();
  bool BearerValid(const std::string& authorization_header);

  // API views. `corrupt_mac` flips a bit of every value's MAC (fault "badmac").
  /// Without read access (SetProjectAccess) the list is empty, as the real server answers.
  /// Runs a pending DeleteSecret(after_list) once the list is composed.
  nlohmann::json ListProject(const std::string& project_id, bool* found);
  nlohmann::json ListOrganization(const std::string& org_id, bool* found);
  /// `*all_found` is false (the real server answers 404) when `ids` is empty or names a secret
  /// that does not exist (or the same one twice).
  nlohmann::json GetByIds(const std::vector<std::string>& ids, bool corrupt_mac, bool* all_found);
  std::optional<nlohmann::json> GetOne(const std::string& id, bool corrupt_mac);
  nlohmann::json Sync(const std::string& org_id, bool corrupt_mac, bool* found);

  // Admin.
  nlohmann::json SetSecret(const nlohmann::json& body);  ///< {"key","value"[,"note"]} -> {"id","created"}
  Status SetFault(const nlohmann::json& body);
  /// {"key"[,"after_list":true]}: deletes the secret now, or right after the next project list
  /// (which still names it). Error when no secret has that key.
  Result<nlohmann::json> DeleteSecret(const nlohmann::json& body);
  /// {"read": bool}: whether the machine account may read the project's secrets.
  void SetProjectAccess(bool read);
  void SetExpiresIn(int seconds);
  void RevokeTokens();
  /// Returns the fault for a request to `endpoint` (a stats name; consuming one of `times`), or
  /// nullopt when none applies.
  std::optional<Fault> TakeFault(const std::string& endpoint);
  void Count(const std::string& endpoint);
  nlohmann::json Stats() const;
  void ResetStats();

 private:
  nlohmann::json SecretJson(const DoubleSecret& s, bool corrupt_mac) const;
  nlohmann::json ListItemJson(const DoubleSecret& s) const;

  mutable std::mutex mu_;
  bw::AccessToken token_;
  bw::SymmetricKey token_key_;
  bw::SymmetricKey org_key_;
  std::string org_id_;
  std::string project_id_;
  std::string project_name_ = "ironward-test-project";
  int expires_in_ = 3600;
  std::vector<DoubleSecret> secrets_;
  bool project_readable_ = true;
  std::string delete_after_list_;  ///< key to delete right after the next project list
  std::map<std::string, std::int64_t> bearers_;  ///< bearer -> exp (unix seconds)
  Fault fault_;
  std::map<std::string, int> counts_;
};

/// Random lowercase v4 UUID.
std::string NewUuid();
/// Now as RFC 3339 with 7 fractional digits and "Z" (the server's format).
std::string NowRfc3339();

}  // namespace ironward::bwdouble
