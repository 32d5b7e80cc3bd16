// libFuzzer: a computation's program as an outside member's integrator or a provider would send
// it (docs/computations.md). Compiling any bytes either refuses them with a 422 or gives a program
// whose run answers exactly the declared outputs, whose dependence names only items it reads, and
// whose evaluation ends (no loops: its cost is bounded by its size).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hub/compute/program.hpp"
#include "hub/core/error.hpp"

namespace {

using hub::exchange::Item;
using hub::exchange::ItemType;

Item item(const char* name, ItemType type) {
  Item i;
  i.name = name;
  i.type = type;
  return i;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<hub::compute::InputDecl> inputs = {
      {"tax", {item("rating", ItemType::string), item("paid", ItemType::number)}},
      {"power", {item("kwh", ItemType::number), item("months", ItemType::integer)}},
      {"social", {item("arrears", ItemType::boolean), item("since", ItemType::date)}}};
  static const std::vector<hub::compute::OutputDecl> outputs = {
      {"x", "number"}, {"y", "boolean"}, {"z", "string"}, {"n", "integer"}};
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto p = hub::compute::Program::compile(text, inputs, outputs);
    const std::map<std::string, hub::compute::Value> values = {
        {"tax.rating", std::string("A")},
        {"tax.paid", 125000.5},
        {"power.kwh", 0.0},
        {"power.months", 12.0},
        {"social.arrears", false},
        {"social.since", std::string("2020-01-01")}};
    // With every item known, and with none (each null).
    for (const auto& out : {p.run(values), p.run({})}) {
      if (out.size() != outputs.size()) std::abort();
      for (const auto& o : outputs) {
        if (!out.contains(o.name)) std::abort();
      }
    }
    for (const auto& [name, used] : p.dependence()) {
      for (const auto& i : used) {
        if (!p.reads().contains(i)) std::abort();
      }
    }
    (void)p.reveals();
  } catch (const hub::ApiError& e) {
    if (e.status() != 422) std::abort();
  }
  return 0;
}
