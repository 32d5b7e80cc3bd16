#pragma once
// The program of a reviewed joint computation (API.md Part 2, "Accountability and
// usable-but-invisible"; docs/computations.md): one `output = expression` per line over the items
// of its inputs for one subject, parsed into a syntax tree, checked against the inputs' item types
// and the declared outputs, and evaluated by the hub. No loops, no I/O: its cost is bounded by its
// size, which is bounded.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hub/exchange/schema.hpp"

namespace hub::compute {

// A value: null, a boolean, a number or a string. Integers, numbers and dates of the inputs are
// numbers and strings (a date as its ISO text).
using Value = std::variant<std::monostate, bool, double, std::string>;

// What an expression yields, as the checker knows it before any run.
enum class Type { null, boolean, number, string };
std::string_view type_name(Type t);

// An input of the computation: a name the program uses (`tax` in `tax.rating`) and the items it
// reads, with their catalog types.
struct InputDecl {
  std::string name;
  std::vector<exchange::Item> items;
};

// A declared output: its name and type ("number", "integer", "string" or "boolean").
struct OutputDecl {
  std::string name;
  std::string type;
};

// Limits on what a program may be (each refusal names the one it passed).
struct Limits {
  std::size_t max_bytes = 16 * 1024;
  std::size_t max_outputs = 64;
  std::size_t max_nodes = 4000;
  std::size_t max_depth = 32;
  std::size_t max_band_edges = 64;
};

// Why a program reveals an input (the review's safety checker), for one output.
struct Finding {
  std::string output;
  std::string message;
};

class Program {
 public:
  // Parses and checks `text`: every line `name = expression`, each name a declared output given
  // once, every declared output given, every `input.item` declared, types consistent, the
  // limits kept. Throws ApiError 422 validation_failed with one error per problem (field
  // "program", message "line L, column C: ...").
  static Program compile(std::string_view text, const std::vector<InputDecl>& inputs,
                         const std::vector<OutputDecl>& outputs, const Limits& limits = {});

  // The outputs for one subject, given the values of the input items it reads (`input.item` →
  // value; a missing one is null). Integer outputs are rounded toward zero; a division by zero
  // or a result that is not finite is null.
  std::map<std::string, Value> run(const std::map<std::string, Value>& items) const;

  // The input items (`input.item`) each output depends on, outputs used by it included.
  std::map<std::string, std::set<std::string>> dependence() const;

  // Outputs that would hand a consumer an input value exactly, as far as the checker can tell:
  // an input item unchanged (alone or as a branch of if or coalesce), arithmetic of one input
  // item with constants only (invertible), or a band whose range holds a single integer.
  std::vector<Finding> reveals() const;

  // The input items the program reads, `input.item`, sorted.
  const std::set<std::string>& reads() const { return reads_; }

 private:
  struct Node {
    enum class Kind {
      literal,
      item,    // an input item: `name` is "input.item"
      output,  // an earlier output: `a` is its index
      negate,
      logical_not,
      binary,    // op in `name`: + - * / == != < <= > >= and or
      if_,       // children a, b, c
      coalesce,  // children in `args`
      band,      // a: x; edges and values in `edges`, `values`
    };
    Kind kind = Kind::literal;
    Type type = Type::null;
    Value literal;
    std::string name;
    int a = -1, b = -1, c = -1;
    std::vector<int> args;
    std::vector<double> edges;
    std::vector<Value> values;
    int line = 0, column = 0;
  };
  struct Output {
    std::string name;
    std::string declared;
    int root = -1;
    int line = 0;
  };

  Value eval(int node, const std::map<std::string, Value>& items,
             const std::vector<Value>& done) const;
  // Each walks one output's tree; an earlier output it uses is looked up in that output's
  // results, computed first (outputs use only earlier ones), so no tree is walked twice.
  void depends(int node, std::set<std::string>& out) const;
  bool arithmetic(int node) const;
  bool reveals_alone(int node, std::string& why) const;
  void review();

  std::vector<Node> nodes_;
  std::vector<Output> outputs_;
  std::vector<std::set<std::string>> output_depends_;
  std::vector<bool> output_arithmetic_;
  std::vector<std::string> output_reveals_;  // why it reveals an input; empty when it does not
  std::set<std::string> reads_;
  std::map<std::string, exchange::ItemType> item_types_;

  friend class Parser;
};

}  // namespace hub::compute
