#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "hub/app/services.hpp"
#include "hub/catalog/index.hpp"
#include "hub/compute/program.hpp"
#include "hub/core/caller.hpp"
#include "hub/core/page.hpp"
#include "hub/exchange/share.hpp"
#include "hub/ledger/appender.hpp"
#include "hub/sharing/consent.hpp"
#include "hub/sharing/grants.hpp"
#include "hub/store/pg.hpp"

namespace hub::compute {

// Reviewed joint computations (API.md Part 2, "Accountability and usable-but-invisible";
// docs/computations.md): a program over several providers' resources for one subject, approved
// by each input's provider, applied for like a resource (operation `compute`), and run by the
// hub, which answers only the declared outputs.

struct InputSpec {
  std::string name;
  std::string resource_code;
  std::string provider_code;  // filled by the hub from the catalog
  std::vector<std::string> items;
};

struct OutputSpec {
  std::string name;
  std::string type;  // number | integer | string | boolean
  std::string title;
};

// What POST /computations (and PUT, a new version) asks for, its shape checked by the transport.
struct ComputationRequest {
  std::string name;
  std::string description;
  std::string subject;  // enterprise | person
  std::vector<InputSpec> inputs;
  std::vector<OutputSpec> outputs;
  std::string program;
  std::optional<std::string> owner_code;  // hub_admin without an agency names the owner
};

struct Review {
  std::string provider_code;
  std::string decision;  // pending | approved | rejected
  std::optional<std::string> opinion, decided_by, decided_at;
};

struct Computation {
  std::string code;
  int version = 1;
  std::string name, description, subject, owner_code;
  std::string status;  // review | active | rejected
  std::vector<InputSpec> inputs;
  std::vector<OutputSpec> outputs;
  std::string program;
  // Each output's input items (`input.item`), as the checker found them: what a reviewing
  // provider looks at.
  std::map<std::string, std::set<std::string>> dependence;
  std::vector<Review> reviews;  // of the current version
  std::string created_at, updated_at;
  std::optional<std::string> created_by, activated_at;
};

struct RunRequest {
  std::string subject_key;
};

// How often one grant may run (per node: each node counts its own; docs/computations.md).
struct RunLimits {
  unsigned per_subject_per_hour = 30;  // runs about one subject under one grant
  unsigned per_grant_per_minute = 6000;
};

class ComputeService {
 public:
  ComputeService(Services& services, catalog::CatalogIndex& catalog,
                 sharing::GrantDirectory& grants, sharing::ConsentService& consents,
                 ledger::Appender& ledger, RunLimits limits = {});

  // hub_admin, or an agency_cdo of an agency marked can_register_computations. 422 for a program
  // that does not check, or whose outputs the checker finds revealing an input.
  boost::asio::awaitable<Computation> create(const Caller& caller,
                                             const ComputationRequest& request);
  // A new version (the owner's CDO or hub_admin): reviewed again by every input's provider; runs
  // are refused (409) until it is approved. Grants stay.
  boost::asio::awaitable<Computation> revise(const Caller& caller, const std::string& code,
                                             const ComputationRequest& request);
  // Seen by hub-level principals, the owner, the inputs' providers, agencies holding a grant on
  // it, and anyone once active; 404 otherwise.
  boost::asio::awaitable<Computation> get(const Caller& caller, const std::string& code);
  boost::asio::awaitable<ListPage<Computation>> list(const Caller& caller,
                                                     const std::optional<std::string>& status,
                                                     const PageRequest& page);
  // An input's provider (its agency_cdo or agency_data_officer) approves or rejects the current
  // version; a rejection needs an opinion. All approved: active; one rejected: rejected.
  boost::asio::awaitable<Computation> review(const Caller& caller, const std::string& code,
                                             bool approve,
                                             const std::optional<std::string>& opinion);
  // A data request (D): the outputs for one subject, under a grant (operation compute), with the
  // subject's authorisation for an external member; each input read is a ledger entry for its
  // provider (compute_input), the run one for the consumer (compute), durable before the answer
  // goes to the sink's caller. Nothing is cached across consumers.
  boost::asio::awaitable<void> run(const Caller& caller, const std::string& code,
                                   const RunRequest& request, exchange::ShareSink& sink);

 private:
  struct Run;
  struct Loaded;
  boost::asio::awaitable<Computation> load(const Caller& caller, const std::string& code);
  // A row of HUB_COMPUTATION_COLUMNS, with its dependence from the compiled program.
  Computation computation_of(const pg::Result& r, int row);
  boost::asio::awaitable<Program> check(const Caller& caller, ComputationRequest& request);
  boost::asio::awaitable<exchange::ShareAnswer> perform(const Caller& caller,
                                                        const std::string& code,
                                                        const RunRequest& request, Run& run);
  std::shared_ptr<const Loaded> compiled(const std::string& code, int version,
                                         const std::string& inputs, const std::string& outputs,
                                         const std::string& program);
  // Fixed-window counters of runs per grant and subject, and per grant.
  bool admit(const std::string& grant_id, const std::string& subject, int& retry_after);

  Services& services_;
  catalog::CatalogIndex& catalog_;
  sharing::GrantDirectory& grants_;
  sharing::ConsentService& consents_;
  ledger::Appender& ledger_;
  RunLimits limits_;
  std::mutex cache_mutex_;
  std::unordered_map<std::string, std::shared_ptr<const Loaded>> cache_;
  std::mutex rate_mutex_;
  struct Window {
    std::chrono::steady_clock::time_point start;
    unsigned count = 0;
  };
  std::unordered_map<std::string, Window> rates_;
};

}  // namespace hub::compute
