// The computation language: a lexer and a recursive-descent parser into a flat syntax tree,
// a type checker, an evaluator, and the review's checks (docs/computations.md).
#include "hub/compute/program.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "hub/core/error.hpp"

namespace hub::compute {

std::string_view type_name(Type t) {
  switch (t) {
    case Type::null:
      return "null";
    case Type::boolean:
      return "boolean";
    case Type::number:
      return "number";
    case Type::string:
      return "string";
  }
  return "null";
}

namespace {

bool ident_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

struct Token {
  enum class Kind { ident, number, string, punct, end };
  Kind kind = Kind::end;
  std::string text;  // the identifier, the punctuation, or the string's decoded value
  double number = 0;
  int column = 0;
};

// A column as a person counts it: characters (UTF-8 code points), from 1.
int column_of(std::string_view line, std::size_t at) {
  int n = 1;
  for (std::size_t i = 0; i < at && i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++n;
  }
  return n;
}

Type type_of_item(exchange::ItemType t) {
  switch (t) {
    case exchange::ItemType::integer:
    case exchange::ItemType::number:
      return Type::number;
    case exchange::ItemType::boolean:
      return Type::boolean;
    default:
      return Type::string;  // string, date, datetime (as ISO text)
  }
}

// A problem at a place: collected by the parser, thrown together.
struct Problem {
  int line = 0, column = 0;
  std::string message;
};

struct Failed {};  // unwinds the parse of one line after a problem is recorded

}  // namespace

// Parses a program line by line into Program's nodes.
class Parser {
 public:
  Parser(Program& p, const Limits& limits) : p_(p), limits_(limits) {}

  std::vector<Problem> problems;

  void line(std::string_view text, int number, const std::map<std::string, std::size_t>& declared,
            std::map<std::string, int>& defined) {
    line_ = text;
    number_ = number;
    at_ = 0;
    depth_ = 0;
    try {
      next();
      if (tok_.kind != Token::Kind::ident) fail(tok_.column, "expected `output_name = expression`");
      const Token name = tok_;
      next();
      if (!is_punct("=")) fail(tok_.column, "expected `=` after the output's name");
      const auto d = declared.find(name.text);
      if (d == declared.end()) {
        fail(name.column, "'" + name.text + "' is not a declared output");
      }
      if (defined.contains(name.text)) {
        fail(name.column, "output '" + name.text + "' is given twice");
      }
      next();
      const int root = expression();
      if (tok_.kind != Token::Kind::end) fail(tok_.column, "unexpected '" + tok_.text + "'");
      Program::Output out;
      out.name = name.text;
      out.root = root;
      out.line = number;
      defined[name.text] = static_cast<int>(p_.outputs_.size());
      p_.outputs_.push_back(std::move(out));
    } catch (const Failed&) {
    }
  }

 private:
  [[noreturn]] void fail(int column, std::string message) {
    problems.push_back({number_, column, std::move(message)});
    throw Failed{};
  }

  bool is_punct(std::string_view p) const {
    return tok_.kind == Token::Kind::punct && tok_.text == p;
  }
  void expect(std::string_view p, std::string_view what) {
    if (!is_punct(p)) fail(tok_.column, "expected " + std::string(what));
    next();
  }

  void next() {
    while (at_ < line_.size() && (line_[at_] == ' ' || line_[at_] == '\t' || line_[at_] == '\r')) {
      ++at_;
    }
    tok_ = Token{};
    tok_.column = column_of(line_, at_);
    if (at_ >= line_.size() || line_[at_] == '#') {
      tok_.kind = Token::Kind::end;
      tok_.text = "end of line";
      return;
    }
    const char c = line_[at_];
    if (ident_start(c)) {
      const std::size_t start = at_;
      while (at_ < line_.size() && ident_char(line_[at_])) ++at_;
      tok_.kind = Token::Kind::ident;
      tok_.text = std::string(line_.substr(start, at_ - start));
      if (tok_.text.size() > 63) fail(tok_.column, "a name is at most 63 characters");
      return;
    }
    if (is_digit(c) || (c == '.' && at_ + 1 < line_.size() && is_digit(line_[at_ + 1]))) {
      const std::size_t start = at_;
      while (at_ < line_.size() && is_digit(line_[at_])) ++at_;
      if (at_ < line_.size() && line_[at_] == '.') {
        ++at_;
        while (at_ < line_.size() && is_digit(line_[at_])) ++at_;
      }
      if (at_ < line_.size() && (line_[at_] == 'e' || line_[at_] == 'E')) {
        ++at_;
        if (at_ < line_.size() && (line_[at_] == '+' || line_[at_] == '-')) ++at_;
        while (at_ < line_.size() && is_digit(line_[at_])) ++at_;
      }
      const std::string_view text = line_.substr(start, at_ - start);
      tok_.kind = Token::Kind::number;
      tok_.text = std::string(text);
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), tok_.number);
      if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(tok_.number)) {
        fail(tok_.column, "'" + tok_.text + "' is not a number");
      }
      if (at_ < line_.size() && ident_char(line_[at_])) {
        fail(tok_.column, "a number runs into a name");
      }
      return;
    }
    if (c == '"') {
      ++at_;
      std::string value;
      for (;;) {
        if (at_ >= line_.size()) fail(tok_.column, "a string is not closed on its line");
        const char s = line_[at_++];
        if (s == '"') break;
        if (s == '\\') {
          if (at_ >= line_.size()) fail(tok_.column, "a string is not closed on its line");
          const char e = line_[at_++];
          if (e != '"' && e != '\\') fail(tok_.column, "a string knows only \\\" and \\\\");
          value += e;
          continue;
        }
        value += s;
      }
      tok_.kind = Token::Kind::string;
      tok_.text = std::move(value);
      return;
    }
    static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">="};
    for (auto op : kTwo) {
      if (line_.substr(at_, 2) == op) {
        tok_.kind = Token::Kind::punct;
        tok_.text = std::string(op);
        at_ += 2;
        return;
      }
    }
    static constexpr std::string_view kOne = "+-*/<>=()[],.";
    if (kOne.find(c) != std::string_view::npos) {
      tok_.kind = Token::Kind::punct;
      tok_.text = std::string(1, c);
      ++at_;
      return;
    }
    fail(tok_.column, "unexpected character");
  }

  int add(Program::Node n) {
    if (p_.nodes_.size() >= limits_.max_nodes) {
      fail(n.column, "the program has more than " + std::to_string(limits_.max_nodes) + " parts");
    }
    n.line = number_;
    p_.nodes_.push_back(std::move(n));
    return static_cast<int>(p_.nodes_.size() - 1);
  }
  Program::Node& node(int i) { return p_.nodes_[static_cast<std::size_t>(i)]; }
  Type type(int i) { return node(i).type; }

  // Depth of nesting, bounded so that a hostile program cannot exhaust the stack.
  struct Deeper {
    Parser& p;
    explicit Deeper(Parser& parser, int column) : p(parser) {
      if (++p.depth_ > p.limits_.max_depth) {
        p.fail(column, "nested more than " + std::to_string(p.limits_.max_depth) + " deep");
      }
    }
    ~Deeper() { --p.depth_; }
  };

  // Two types that must agree (branches, arguments): null goes with anything.
  Type unify(Type a, Type b, int column, const char* where) {
    if (a == Type::null) return b;
    if (b == Type::null || a == b) return a;
    fail(column, std::string(where) + " mix " + std::string(type_name(a)) + " and " +
                     std::string(type_name(b)));
  }
  void want(int i, Type t, const char* what) {
    const Type have = type(i);
    if (have != t && have != Type::null) {
      fail(node(i).column, std::string(what) + " needs a " + std::string(type_name(t)) +
                               ", not a " + std::string(type_name(have)));
    }
  }

  int expression() {
    Deeper d(*this, tok_.column);
    int left = conjunction();
    while (tok_.kind == Token::Kind::ident && tok_.text == "or") {
      const int column = tok_.column;
      next();
      const int right = conjunction();
      left = binary("or", left, right, column);
    }
    return left;
  }
  int conjunction() {
    int left = negation();
    while (tok_.kind == Token::Kind::ident && tok_.text == "and") {
      const int column = tok_.column;
      next();
      const int right = negation();
      left = binary("and", left, right, column);
    }
    return left;
  }
  int negation() {
    if (tok_.kind == Token::Kind::ident && tok_.text == "not") {
      Deeper d(*this, tok_.column);
      Program::Node n;
      n.kind = Program::Node::Kind::logical_not;
      n.column = tok_.column;
      next();
      n.a = negation();
      want(n.a, Type::boolean, "not");
      n.type = Type::boolean;
      return add(std::move(n));
    }
    return comparison();
  }
  int comparison() {
    const int left = additive();
    static constexpr std::string_view kOps[] = {"==", "!=", "<", "<=", ">", ">="};
    for (auto op : kOps) {
      if (is_punct(op)) {
        const int column = tok_.column;
        next();
        const int right = additive();
        const int out = binary(op, left, right, column);
        for (auto again : kOps) {
          if (is_punct(again)) fail(tok_.column, "comparisons do not chain: use and");
        }
        return out;
      }
    }
    return left;
  }
  int additive() {
    int left = multiplicative();
    while (is_punct("+") || is_punct("-")) {
      const std::string op = tok_.text;
      const int column = tok_.column;
      next();
      const int right = multiplicative();
      left = binary(op, left, right, column);
    }
    return left;
  }
  int multiplicative() {
    int left = unary();
    while (is_punct("*") || is_punct("/")) {
      const std::string op = tok_.text;
      const int column = tok_.column;
      next();
      const int right = unary();
      left = binary(op, left, right, column);
    }
    return left;
  }
  int unary() {
    if (is_punct("-")) {
      Deeper d(*this, tok_.column);
      Program::Node n;
      n.kind = Program::Node::Kind::negate;
      n.column = tok_.column;
      next();
      n.a = unary();
      want(n.a, Type::number, "-");
      n.type = Type::number;
      return add(std::move(n));
    }
    return primary();
  }

  int binary(std::string_view op, int left, int right, int column) {
    Program::Node n;
    n.kind = Program::Node::Kind::binary;
    n.name = std::string(op);
    n.a = left;
    n.b = right;
    n.column = column;
    if (op == "and" || op == "or") {
      want(left, Type::boolean, n.name.c_str());
      want(right, Type::boolean, n.name.c_str());
      n.type = Type::boolean;
    } else if (op == "+" || op == "-" || op == "*" || op == "/") {
      want(left, Type::number, n.name.c_str());
      want(right, Type::number, n.name.c_str());
      n.type = Type::number;
    } else {
      const Type t = unify(type(left), type(right), column, "a comparison cannot");
      if ((op != "==" && op != "!=") && t == Type::boolean) {
        fail(column, "'" + n.name + "' compares numbers or strings");
      }
      n.type = Type::boolean;
    }
    return add(std::move(n));
  }

  // A literal of a band's lists: a number (perhaps negative), a string, true or false.
  Value literal(Type& t) {
    if (is_punct("-")) {
      next();
      if (tok_.kind != Token::Kind::number) fail(tok_.column, "expected a number after '-'");
      const double v = -tok_.number;
      next();
      t = Type::number;
      return v;
    }
    if (tok_.kind == Token::Kind::number) {
      const double v = tok_.number;
      next();
      t = Type::number;
      return v;
    }
    if (tok_.kind == Token::Kind::string) {
      std::string v = tok_.text;
      next();
      t = Type::string;
      return v;
    }
    if (tok_.kind == Token::Kind::ident && (tok_.text == "true" || tok_.text == "false")) {
      const bool v = tok_.text == "true";
      next();
      t = Type::boolean;
      return v;
    }
    fail(tok_.column, "a band's lists hold literals only (numbers, strings, true, false)");
  }

  int primary() {
    const int column = tok_.column;
    if (tok_.kind == Token::Kind::number || tok_.kind == Token::Kind::string) {
      Program::Node n;
      n.column = column;
      if (tok_.kind == Token::Kind::number) {
        n.literal = tok_.number;
        n.type = Type::number;
      } else {
        n.literal = tok_.text;
        n.type = Type::string;
      }
      next();
      return add(std::move(n));
    }
    if (is_punct("(")) {
      next();
      const int inner = expression();
      expect(")", "')'");
      return inner;
    }
    if (tok_.kind != Token::Kind::ident) fail(column, "expected a value");
    const std::string name = tok_.text;
    next();
    if (name == "true" || name == "false" || name == "null") {
      Program::Node n;
      n.column = column;
      if (name == "null") {
        n.type = Type::null;
      } else {
        n.literal = name == "true";
        n.type = Type::boolean;
      }
      return add(std::move(n));
    }
    if (name == "and" || name == "or" || name == "not") fail(column, "'" + name + "' needs values");
    if (is_punct("(")) return call(name, column);
    if (is_punct(".")) {
      next();
      if (tok_.kind != Token::Kind::ident) fail(tok_.column, "expected an item's name after '.'");
      const std::string item = name + "." + tok_.text;
      next();
      const auto it = p_.item_types_.find(item);
      if (it == p_.item_types_.end()) {
        fail(column, "'" + item + "' is not an item of a declared input");
      }
      Program::Node n;
      n.kind = Program::Node::Kind::item;
      n.name = item;
      n.type = type_of_item(it->second);
      n.column = column;
      p_.reads_.insert(item);
      return add(std::move(n));
    }
    // An earlier output.
    for (std::size_t i = 0; i < p_.outputs_.size(); ++i) {
      if (p_.outputs_[i].name == name) {
        Program::Node n;
        n.kind = Program::Node::Kind::output;
        n.a = static_cast<int>(i);
        n.type = p_.nodes_[static_cast<std::size_t>(p_.outputs_[i].root)].type;
        n.column = column;
        return add(std::move(n));
      }
    }
    fail(column, "'" + name + "' is neither an input's item (input.item) nor an earlier output");
  }

  int call(const std::string& name, int column) {
    Deeper d(*this, column);
    next();  // (
    Program::Node n;
    n.column = column;
    if (name == "if") {
      n.kind = Program::Node::Kind::if_;
      n.a = expression();
      want(n.a, Type::boolean, "if's condition");
      expect(",", "',' after if's condition");
      n.b = expression();
      expect(",", "',' and the value when the condition does not hold");
      n.c = expression();
      expect(")", "')' after if's three arguments");
      n.type = unify(type(n.b), type(n.c), column, "if's two values");
      return add(std::move(n));
    }
    if (name == "coalesce") {
      n.kind = Program::Node::Kind::coalesce;
      Type t = Type::null;
      for (;;) {
        n.args.push_back(expression());
        t = unify(t, type(n.args.back()), column, "coalesce's arguments");
        if (is_punct(")")) break;
        expect(",", "',' or ')'");
        if (n.args.size() >= 16) fail(column, "coalesce takes at most 16 arguments");
      }
      next();
      if (n.args.size() < 2) fail(column, "coalesce takes two arguments or more");
      n.type = t;
      return add(std::move(n));
    }
    if (name == "band") {
      n.kind = Program::Node::Kind::band;
      n.a = expression();
      want(n.a, Type::number, "band");
      expect(",", "',' and the band's edges [e1, e2, ...]");
      expect("[", "'[' before the band's edges");
      for (;;) {
        Type t = Type::null;
        const int at = tok_.column;
        const Value v = literal(t);
        if (t != Type::number) fail(at, "a band's edges are numbers");
        const double e = std::get<double>(v);
        if (!n.edges.empty() && e <= n.edges.back()) fail(at, "a band's edges must increase");
        n.edges.push_back(e);
        if (n.edges.size() > limits_.max_band_edges) {
          fail(at, "a band has at most " + std::to_string(limits_.max_band_edges) + " edges");
        }
        if (is_punct("]")) break;
        expect(",", "',' or ']'");
      }
      next();
      expect(",", "',' and the band's values [v0, v1, ...]");
      expect("[", "'[' before the band's values");
      Type t = Type::null;
      for (;;) {
        Type vt = Type::null;
        const int at = tok_.column;
        n.values.push_back(literal(vt));
        t = unify(t, vt, at, "a band's values");
        if (n.values.size() > n.edges.size() + 1) break;
        if (is_punct("]")) break;
        expect(",", "',' or ']'");
      }
      if (n.values.size() != n.edges.size() + 1) {
        fail(column, "a band of " + std::to_string(n.edges.size()) + " edges has " +
                         std::to_string(n.edges.size() + 1) + " values (below the first edge, " +
                         "between each two, from the last)");
      }
      next();
      expect(")", "')' after band's three arguments");
      n.type = t;
      return add(std::move(n));
    }
    fail(column, "'" + name + "' is not a function (if, coalesce, band)");
  }

  Program& p_;
  const Limits& limits_;
  std::string_view line_;
  int number_ = 0;
  std::size_t at_ = 0;
  std::size_t depth_ = 0;
  Token tok_;
};

Program Program::compile(std::string_view text, const std::vector<InputDecl>& inputs,
                         const std::vector<OutputDecl>& outputs, const Limits& limits) {
  auto refuse = [](std::vector<FieldError> errors) {
    throw ApiError(ErrorCode::validation_failed, "the computation's program cannot be used",
                   std::move(errors), 422);
  };
  if (text.size() > limits.max_bytes) {
    refuse({{"program", "is at most " + std::to_string(limits.max_bytes) + " bytes"}});
  }
  if (outputs.empty() || outputs.size() > limits.max_outputs) {
    refuse(
        {{"outputs", "a computation has 1 to " + std::to_string(limits.max_outputs) + " outputs"}});
  }
  Program p;
  for (const auto& in : inputs) {
    for (const auto& item : in.items) p.item_types_[in.name + "." + item.name] = item.type;
  }
  std::map<std::string, std::size_t> declared;
  std::vector<FieldError> errors;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const auto& o = outputs[i];
    if (o.type != "number" && o.type != "integer" && o.type != "string" && o.type != "boolean") {
      errors.push_back(
          {"outputs[" + std::to_string(i) + "].type", "is number, integer, string or boolean"});
    }
    if (!declared.emplace(o.name, i).second) {
      errors.push_back({"outputs[" + std::to_string(i) + "].name", "is given twice"});
    }
  }
  if (!errors.empty()) refuse(std::move(errors));

  Parser parser(p, limits);
  std::map<std::string, int> defined;
  int number = 0;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, end - start);
    ++number;
    const auto first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#') {
      parser.line(line, number, declared, defined);
    }
    if (end >= text.size()) break;
    start = end + 1;
  }
  for (const auto& pr : parser.problems) {
    errors.push_back({"program", "line " + std::to_string(pr.line) + ", column " +
                                     std::to_string(pr.column) + ": " + pr.message});
  }
  for (const auto& o : outputs) {
    if (!defined.contains(o.name) && parser.problems.empty()) {
      errors.push_back({"program", "output '" + o.name + "' is declared but never given"});
    }
  }
  // Each output's type as declared (integer: a number, rounded toward zero at the end).
  for (auto& out : p.outputs_) {
    const auto& decl = outputs[declared.at(out.name)];
    out.declared = decl.type;
    const Type have = p.nodes_[static_cast<std::size_t>(out.root)].type;
    const Type want = decl.type == "string"    ? Type::string
                      : decl.type == "boolean" ? Type::boolean
                                               : Type::number;
    if (have != want && have != Type::null) {
      errors.push_back({"program", "line " + std::to_string(out.line) + ": output '" + out.name +
                                       "' is declared " + decl.type + " but gives a " +
                                       std::string(type_name(have))});
    }
  }
  if (!errors.empty()) refuse(std::move(errors));
  p.review();
  return p;
}

namespace {

std::optional<double> number_of(const Value& v) {
  if (const double* d = std::get_if<double>(&v)) return *d;
  return std::nullopt;
}

Value finite(double v) { return std::isfinite(v) ? Value(v) : Value(); }

}  // namespace

Value Program::eval(int i, const std::map<std::string, Value>& items,
                    const std::vector<Value>& done) const {
  const Node& n = nodes_[static_cast<std::size_t>(i)];
  switch (n.kind) {
    case Node::Kind::literal:
      return n.literal;
    case Node::Kind::item: {
      const auto it = items.find(n.name);
      if (it == items.end()) return {};
      // An item of another type than declared (a record that drifted) counts as missing.
      const Value& v = it->second;
      const bool fits = (n.type == Type::number && std::holds_alternative<double>(v)) ||
                        (n.type == Type::string && std::holds_alternative<std::string>(v)) ||
                        (n.type == Type::boolean && std::holds_alternative<bool>(v));
      return fits ? v : Value();
    }
    case Node::Kind::output:
      return done[static_cast<std::size_t>(n.a)];
    case Node::Kind::negate: {
      const auto x = number_of(eval(n.a, items, done));
      return x ? finite(-*x) : Value();
    }
    case Node::Kind::logical_not: {
      const Value x = eval(n.a, items, done);
      if (const bool* b = std::get_if<bool>(&x)) return !*b;
      return {};
    }
    case Node::Kind::binary: {
      const Value l = eval(n.a, items, done), r = eval(n.b, items, done);
      const std::string& op = n.name;
      if (op == "and" || op == "or") {
        // Three-valued, as in SQL: false and null is false, true or null is true.
        const bool* a = std::get_if<bool>(&l);
        const bool* b = std::get_if<bool>(&r);
        const bool decisive = op == "or";
        if ((a && *a == decisive) || (b && *b == decisive)) return decisive;
        if (!a || !b) return {};
        return !decisive;
      }
      if (std::holds_alternative<std::monostate>(l) || std::holds_alternative<std::monostate>(r)) {
        return {};
      }
      if (op == "+" || op == "-" || op == "*" || op == "/") {
        const double x = std::get<double>(l), y = std::get<double>(r);
        if (op == "+") return finite(x + y);
        if (op == "-") return finite(x - y);
        if (op == "*") return finite(x * y);
        return y == 0 ? Value() : finite(x / y);
      }
      if (l.index() != r.index()) return {};  // cannot happen after the checker; null to be safe
      if (op == "==") return l == r;
      if (op == "!=") return l != r;
      if (op == "<") return l < r;
      if (op == "<=") return l <= r;
      if (op == ">") return l > r;
      return l >= r;
    }
    case Node::Kind::if_: {
      const Value c = eval(n.a, items, done);
      const bool* b = std::get_if<bool>(&c);
      return eval(b && *b ? n.b : n.c, items, done);
    }
    case Node::Kind::coalesce:
      for (int arg : n.args) {
        Value v = eval(arg, items, done);
        if (!std::holds_alternative<std::monostate>(v)) return v;
      }
      return {};
    case Node::Kind::band: {
      const auto x = number_of(eval(n.a, items, done));
      if (!x) return {};
      const auto above = std::upper_bound(n.edges.begin(), n.edges.end(), *x) - n.edges.begin();
      return n.values[static_cast<std::size_t>(above)];
    }
  }
  return {};
}

std::map<std::string, Value> Program::run(const std::map<std::string, Value>& items) const {
  std::vector<Value> done;
  done.reserve(outputs_.size());
  std::map<std::string, Value> out;
  for (const auto& o : outputs_) {
    Value v = eval(o.root, items, done);
    if (o.declared == "integer") {
      if (const double* d = std::get_if<double>(&v)) {
        v = std::fabs(*d) < 9007199254740992.0 ? Value(std::trunc(*d)) : Value();
      }
    }
    done.push_back(v);
    out.emplace(o.name, std::move(v));
  }
  return out;
}

void Program::depends(int i, std::set<std::string>& out) const {
  const Node& n = nodes_[static_cast<std::size_t>(i)];
  if (n.kind == Node::Kind::item) out.insert(n.name);
  if (n.kind == Node::Kind::output) {
    const auto& used = output_depends_[static_cast<std::size_t>(n.a)];
    out.insert(used.begin(), used.end());
    return;
  }
  for (int c : {n.a, n.b, n.c}) {
    if (c >= 0) depends(c, out);
  }
  for (int c : n.args) depends(c, out);
}

// Arithmetic (+ - * / and unary minus) over literals, items and such outputs only.
bool Program::arithmetic(int i) const {
  const Node& n = nodes_[static_cast<std::size_t>(i)];
  switch (n.kind) {
    case Node::Kind::literal:
    case Node::Kind::item:
      return true;
    case Node::Kind::output:
      return output_arithmetic_[static_cast<std::size_t>(n.a)];
    case Node::Kind::negate:
      return arithmetic(n.a);
    case Node::Kind::binary:
      return (n.name == "+" || n.name == "-" || n.name == "*" || n.name == "/") &&
             arithmetic(n.a) && arithmetic(n.b);
    default:
      return false;
  }
}

bool Program::reveals_alone(int i, std::string& why) const {
  const Node& n = nodes_[static_cast<std::size_t>(i)];
  switch (n.kind) {
    case Node::Kind::item:
      why = "gives " + n.name + " unchanged";
      return true;
    case Node::Kind::output:
      why = output_reveals_[static_cast<std::size_t>(n.a)];
      return !why.empty();
    case Node::Kind::if_:
      return reveals_alone(n.b, why) || reveals_alone(n.c, why);
    case Node::Kind::coalesce:
      for (int a : n.args) {
        if (reveals_alone(a, why)) return true;
      }
      return false;
    case Node::Kind::negate:
    case Node::Kind::binary: {
      // Arithmetic of one input item with constants: the consumer undoes it.
      std::set<std::string> used;
      depends(i, used);
      if (used.size() == 1 && arithmetic(i)) {
        why = "is arithmetic of " + *used.begin() + " alone, which the consumer can undo";
        return true;
      }
      return false;
    }
    case Node::Kind::band: {
      // A band over an integer item whose range between two edges holds one integer, with a
      // value no other range gives: that value tells the integer.
      const Node& x = nodes_[static_cast<std::size_t>(n.a)];
      if (x.kind != Node::Kind::item) return false;
      const auto type = item_types_.find(x.name);
      if (type == item_types_.end() || type->second != exchange::ItemType::integer) return false;
      for (std::size_t e = 0; e + 1 < n.edges.size(); ++e) {
        const double low = std::ceil(n.edges[e]), high = std::ceil(n.edges[e + 1]);
        const Value& v = n.values[e + 1];
        if (high - low == 1 && std::count(n.values.begin(), n.values.end(), v) == 1) {
          why = "has a band of " + x.name + " from " + std::to_string(static_cast<long long>(low)) +
                " below " + std::to_string(static_cast<long long>(high)) +
                " that holds a single value";
          return true;
        }
      }
      return false;
    }
    default:
      return false;
  }
}

void Program::review() {
  for (const auto& o : outputs_) {
    std::set<std::string> used;
    depends(o.root, used);
    const bool pure = arithmetic(o.root);
    std::string why;
    reveals_alone(o.root, why);
    output_depends_.push_back(std::move(used));
    output_arithmetic_.push_back(pure);
    output_reveals_.push_back(std::move(why));
  }
}

std::map<std::string, std::set<std::string>> Program::dependence() const {
  std::map<std::string, std::set<std::string>> out;
  for (std::size_t i = 0; i < outputs_.size(); ++i) out[outputs_[i].name] = output_depends_[i];
  return out;
}

std::vector<Finding> Program::reveals() const {
  std::vector<Finding> out;
  for (std::size_t i = 0; i < outputs_.size(); ++i) {
    if (!output_reveals_[i].empty()) {
      out.push_back({outputs_[i].name, "output '" + outputs_[i].name + "' " + output_reveals_[i]});
    }
  }
  return out;
}

}  // namespace hub::compute
