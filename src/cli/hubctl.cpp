#include "hub/cli/hubctl.hpp"

#include <fstream>
#include <ostream>
#include <set>

#include <spdlog/spdlog.h>

#include "command.hpp"

namespace hub::cli {

namespace {

// The command table: data, like the HTTP route table. hubctl_main dispatches on the first word
// of the command line from here, and the help is made from here, so it lists exactly these.
// Each group is a file of src/cli. Where a command works against a running hub (Reach::hub) it is
// an HTTPS client of the public API (API.md) and holds no rule of the domain: the hub decides.
// Where it works offline it calls the domain's own code: `db` the embedded database
// (pg::EmbeddedPostgres), `ledger verify` the ledger's auditor (ledger::audit_export) on an
// export, a checkpoint and a key, and the demo's month of history the ledger's appender
// (ledger::append_history) on the database, as the API has no way to write the past.
constexpr Command kCommands[] = {
    {"status", "status                          ask a running hub for /healthz and /readyz\n",
     cmd_status, Reach::hub},
    {"agencies",
     "agencies add --code C --name N --level L [--parent P]\n"
     "agencies list [--level L]\n"
     "agencies import FILE.csv        header code,name,level,parent_code (UTF-8); existing\n"
     "                                codes are skipped, so it can be run again\n"
     "agencies change CODE [--name N] [--parent P|none] [--status active|disabled]\n"
     "agencies succeed CODE --by SUCCESSOR   a merger: resources, live grants, pending\n"
     "                                applications and open demands move; CODE is disabled\n",
     cmd_agencies, Reach::hub},
    {"principals",
     "principals add --name N --kind user|system --roles R1,R2 [--agency C]\n"
     "               [--password-stdin] [--cert-sha256 HEX]\n"
     "principals list [--agency C] [--role R]   e.g. --role agency_cdo: the CDO roster\n"
     "principals import FILE.csv [-o PASSWORDS.csv]\n"
     "                                many at once: columns agency_code, name, kind, roles\n"
     "                                (a;b), cert_sha256; people's generated initial\n"
     "                                passwords go to PASSWORDS.csv (0600); re-runnable\n",
     cmd_principals, Reach::hub},
    {"tokens",
     "tokens issue PRINCIPAL_ID [--ttl-days N]   prints the token (shown once)\n"
     "tokens revoke TOKEN_ID\n",
     cmd_tokens, Reach::hub},
    {"resources",
     "resources apply -f FILE [--dry-run]   create or update catalog entries from JSON (one\n"
     "                                object or an array; `code` picks the entry, else the\n"
     "                                provider's entry of that name; `status` is applied too)\n"
     "resources import FILE [--dry-run]   register resources from a filled-in template (.xlsx)\n"
     "                                or its CSV; every error by sheet, row and field\n"
     "resources template [-o FILE]    the registration template (resource-template.xlsx)\n"
     "resources export [--format json|csv] [--provider C] [-o FILE]\n",
     cmd_resources, Reach::hub},
    {"services",  // the import is offline; --resource registers the result through the API
     "services import-openapi FILE [--resource CODE] [-o FILE]\n"
     "                                an interface service's operations from an OpenAPI 3\n"
     "                                document (JSON); with --resource, a new version of that\n"
     "                                service with them\n",
     cmd_services, Reach::mixed},
    {"applications",
     "applications list [--direction incoming|outgoing] [--status S]\n"
     "applications decide ID approve|reject [--opinion TEXT] [--items a,b] [--operations r,q]\n",
     cmd_applications, Reach::hub},
    {"grants",
     "grants list [--resource CODE] [--consumer AGENCY]\n"
     "grants revoke GRANT_ID [--reason TEXT]   the reason is shown to the consumer\n"
     "grants renew GRANT_ID --until DATE --reason TEXT\n"
     "                                at once for unconditional resources, else an\n"
     "                                application the provider decides\n",
     cmd_grants, Reach::hub},
    {"ledger",  // verify offline; export, checkpoint and public-key ask the hub
     "ledger export [-o FILE] [--agency C] [--resource CODE] [--from T] [--to T]\n"
     "                                the ledger's entries as NDJSON, in index order\n"
     "ledger checkpoint [-o FILE]     the latest signed checkpoint\n"
     "ledger public-key [-o FILE]     the ledger's public key (PEM); prints its vkey\n"
     "ledger subject KEY [--format table|xlsx] [-o FILE]\n"
     "                                every entry whose answer named this record key (the\n"
     "                                subject log): a tab-separated table, or a citizen's\n"
     "                                report in Chinese (xlsx) with each entry's checkpoint\n"
     "ledger verify --export FILE --checkpoint FILE --key FILE [--earlier FILE]\n"
     "                                check an export offline: every leaf, every index, the\n"
     "                                signed root, and consistency with an earlier checkpoint\n"
     "                                (KEY: the PEM or the vkey); exit 1 on any problem\n",
     cmd_ledger, Reach::mixed},
    {"secrets",
     "secrets init FILE               a new secrets.file for a hub's nodes (fresh random\n"
     "                                secrets, mode 0600; never overwrites): copy it to every\n"
     "                                node, as the ledger key file\n"
     "secrets add FILE                add the secrets a file of an older version lacks\n",
     cmd_secrets, Reach::offline},
    {"import",
     "import RESOURCE FILE [--atomic] [--format ndjson|csv]\n"
     "                                bulk-load records (NDJSON, or CSV with a header row;\n"
     "                                the format follows the file's extension), with progress\n",
     cmd_import, Reach::hub},
    {"report",
     "report [--from DATE] [--to DATE] [--format json|csv|xlsx] [-o FILE]\n"
     "                                the sharing-status report (default: this month so far);\n"
     "                                XLSX needs -o\n"
     "report issue --from DATE --to DATE --number N --title T [-o FILE]\n"
     "                                freeze the period's report as an issued 通报 (signed)\n"
     "report verify FILE (--signature B64 | --issue ID) [--key FILE]\n"
     "                                check an issued report's JSON against its signature by\n"
     "                                the ledger key (offline with --signature and --key)\n",
     cmd_report, Reach::mixed},
    {"demo",  // the API, but for the month of ledger history, written to the database
     "demo                            load the demo agencies, people, catalog and sharing,\n"
     "                                and a month of ledger history on a new hub\n",
     cmd_demo, Reach::mixed},
    {"demo-upstream",  // the demo providers' APIs, for its interface services to call
     "demo-upstream [--listen HOST:PORT] [--dir DIR]\n"
     "                                serve the demo providers' APIs (population verify,\n"
     "                                enterprise info) over HTTPS until Ctrl-C (default\n"
     "                                127.0.0.1:8444; DIR default <data dir>/demo-upstream\n"
     "                                keeps its CA, and gets ca.pem and base_url)\n",
     cmd_demo_upstream, Reach::offline},
    {"db",
     "db status|start|stop            control the embedded database under the data dir\n"
     "db migrate [--database-url URL] apply the schema's migrations, as hubd does at start\n",
     cmd_db, Reach::offline},
    {"version", "version                         print the version\n", cmd_version, Reach::offline},
};

// Every name once, and every line of a command's help either names the command or continues
// the line before it (begins with a space): the help cannot list a command the table lacks.
consteval bool table_is_consistent() {
  for (std::size_t i = 0; i < std::size(kCommands); ++i) {
    const Command& c = kCommands[i];
    if (c.name.empty() || !c.usage.ends_with('\n')) return false;
    for (std::size_t j = 0; j < i; ++j) {
      if (kCommands[j].name == c.name) return false;
    }
    for (std::string_view rest = c.usage; !rest.empty();) {
      const std::string_view line = rest.substr(0, rest.find('\n'));
      rest.remove_prefix(line.size() + 1);
      if (line.starts_with(' ')) continue;
      if (!line.starts_with(c.name)) return false;
      if (line.size() > c.name.size() && line[c.name.size()] != ' ') return false;
    }
  }
  return true;
}
static_assert(table_is_consistent(), "the command table and its help disagree");

const Command* find_command(std::string_view name) {
  for (const Command& c : kCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// The help: the table's commands, in its order, then the options.
const std::string& usage() {
  static const std::string text = [] {
    std::string t =
        "usage: hubctl [options] COMMAND\n"
        "\n"
        "commands:\n";
    for (const Command& c : kCommands) {
      for (std::string_view rest = c.usage; !rest.empty();) {
        const std::string_view line = rest.substr(0, rest.find('\n') + 1);
        rest.remove_prefix(line.size());
        t += "  ";
        t += line;
      }
    }
    t += "\n"
         "options (or environment):\n"
         "  --url URL            the hub (HUB_URL, default https://localhost:8443)\n"
         "  --token-file FILE    file holding the bearer token (HUB_TOKEN_FILE); or HUB_TOKEN\n"
         "  --ca FILE            CA certificate to verify the hub (HUB_CA; default: the "
         "development\n"
         "                       certificate in the data dir, when there is one)\n"
         "  --insecure           do not verify the hub's certificate\n"
         "  --data-dir DIR       the hub's data dir (HUB_DATA_DIR, default ./data)\n";
    return t;
  }();
  return text;
}

// Flags that take no value.
const std::set<std::string> kSwitches = {"password-stdin", "insecure", "dry-run", "atomic"};

}  // namespace

int hubctl_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  // The library logs through spdlog (the embedded database, for one): plain lines for a person.
  spdlog::set_pattern("hubctl: %v");
  Options o;
  o.url = env_or("HUB_URL", "https://localhost:8443");
  o.ca = env_or("HUB_CA", "");
  o.data_dir = env_or("HUB_DATA_DIR", "data");
  std::string token_file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) {
        err << "hubctl: " << a << " needs a value\n";
        throw std::invalid_argument(a);
      }
      return args[++i];
    };
    if (a == "--url") {
      o.url = value();
    } else if (a == "--ca") {
      o.ca = value();
    } else if (a == "--insecure") {
      o.insecure = true;
    } else if (a == "--data-dir") {
      o.data_dir = value();
    } else if (a == "--token-file") {
      token_file = value();
    } else if (a == "-h" || a == "--help") {
      out << usage();
      return 0;
    } else if (a == "-f" || a == "-o") {
      o.flags[a.substr(1)] = value();
    } else if (a.rfind("--", 0) == 0 && a.size() > 2) {
      const std::string name = a.substr(2);
      if (kSwitches.contains(name)) {
        o.switches.insert(name);
      } else {
        o.flags[name] = value();
      }
    } else {
      o.rest.push_back(a);
    }
  }
  if (token_file.empty()) token_file = env_or("HUB_TOKEN_FILE", "");
  if (!token_file.empty()) {
    std::ifstream in(token_file);
    if (!in) {
      err << "hubctl: cannot read the token file " << token_file << "\n";
      return 2;
    }
    std::getline(in, o.token);
    while (!o.token.empty() && (o.token.back() == '\r' || o.token.back() == ' ')) {
      o.token.pop_back();
    }
  } else {
    o.token = env_or("HUB_TOKEN", "");
  }
  if (o.rest.empty()) {
    err << usage();
    return 2;
  }
  const std::string& command = o.rest.front();
  const Command* found = find_command(command);
  if (!found) {
    err << "hubctl: unknown command '" << command << "'\n" << usage();
    return 2;
  }
  try {
    return found->run(o, out, err);
  } catch (const std::exception& e) {
    err << "hubctl: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace hub::cli
