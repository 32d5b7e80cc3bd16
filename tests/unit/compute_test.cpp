// The computation language (docs/computations.md): parsing, type checking, evaluation, the
// limits, and the review's checks of what an output reveals.
#include <gtest/gtest.h>

#include "hub/compute/program.hpp"
#include "hub/core/error.hpp"

namespace hub::compute {
namespace {

using exchange::ItemType;

exchange::Item item(std::string name, ItemType type) {
  exchange::Item i;
  i.name = std::move(name);
  i.type = type;
  return i;
}

// The 信易贷 inputs: the tax bureau's credit rating, the power supply bureau's consumption, social
// insurance payments, property.
std::vector<InputDecl> loan_inputs() {
  return {{"tax", {item("rating", ItemType::string), item("paid_tax", ItemType::number)}},
          {"power", {item("kwh_12m", ItemType::number), item("months_paid", ItemType::integer)}},
          {"social", {item("insured", ItemType::integer), item("arrears", ItemType::boolean)}},
          {"property", {item("area", ItemType::number), item("registered", ItemType::date)}}};
}

constexpr std::string_view kLoanProgram =
    R"(# 信易贷 (credit-based loans): a score and a limit, never an input
score = band(power.kwh_12m, [10000, 100000, 1000000], [0, 10, 20, 30]) + if(tax.rating == "A", 40, if(tax.rating == "B", 25, 0)) + band(coalesce(social.insured, 0), [5, 20, 50], [0, 5, 10, 15]) - if(coalesce(social.arrears, false), 30, 0)
eligible = score >= 50 and not coalesce(social.arrears, false)
limit_wan = if(eligible, band(score, [60, 80], [50, 100, 200]), 0)
has_property = coalesce(property.area, 0) > 0
)";

std::vector<OutputDecl> loan_outputs() {
  return {{"score", "integer"},
          {"eligible", "boolean"},
          {"limit_wan", "number"},
          {"has_property", "boolean"}};
}

std::vector<FieldError> errors_of(std::string_view text, std::vector<OutputDecl> outputs = {},
                                  const Limits& limits = {}) {
  if (outputs.empty()) outputs = {{"x", "number"}};
  try {
    (void)Program::compile(text, loan_inputs(), outputs, limits);
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 422u);
    return e.errors();
  }
  return {};
}

bool mentions(const std::vector<FieldError>& errors, std::string_view text) {
  for (const auto& e : errors) {
    if (e.message.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(ComputeProgram, TheLoanProgramRunsForOneSubject) {
  const auto p = Program::compile(kLoanProgram, loan_inputs(), loan_outputs());
  EXPECT_EQ(p.reads(), (std::set<std::string>{"power.kwh_12m", "property.area", "social.arrears",
                                              "social.insured", "tax.rating"}));
  // A good enterprise: 20 + 40 + 10 - 0 = 70 → eligible, 100 (万元).
  auto out = p.run({{"tax.rating", std::string("A")},
                    {"power.kwh_12m", 250000.0},
                    {"social.insured", 30.0},
                    {"social.arrears", false},
                    {"property.area", 120.5}});
  EXPECT_EQ(out["score"], Value(70.0));
  EXPECT_EQ(out["eligible"], Value(true));
  EXPECT_EQ(out["limit_wan"], Value(100.0));
  EXPECT_EQ(out["has_property"], Value(true));
  EXPECT_EQ(out.size(), 4u) << "the declared outputs and nothing else";
  // Arrears and no consumption on record: the score is unknown (null propagates through
  // arithmetic), and the arrears alone make it ineligible (null and false is false).
  out = p.run({{"tax.rating", std::string("B")}, {"social.arrears", true}});
  EXPECT_EQ(out["score"], Value());
  EXPECT_EQ(out["eligible"], Value(false));
  EXPECT_EQ(out["limit_wan"], Value(0.0));
  EXPECT_EQ(out["has_property"], Value(false));
  // Nothing known: the band of a null is null; eligible is null and true, which is null, and
  // the limit falls to if's other value.
  out = p.run({});
  EXPECT_EQ(out["score"], Value());
  EXPECT_EQ(out["eligible"], Value());
  EXPECT_EQ(out["limit_wan"], Value(0.0));
}

TEST(ComputeProgram, SemanticsOfNullsDivisionBandsAndIntegers) {
  const std::vector<InputDecl> in = {
      {"a",
       {item("n", ItemType::number), item("s", ItemType::string), item("b", ItemType::boolean)}}};
  auto run = [&](std::string_view text, std::string type, std::map<std::string, Value> items) {
    return Program::compile(text, in, {{"x", std::move(type)}}).run(items)["x"];
  };
  EXPECT_EQ(run("x = a.n / 0", "number", {{"a.n", 5.0}}), Value()) << "division by zero is null";
  EXPECT_EQ(run("x = 7 / 2", "integer", {}), Value(3.0)) << "integers round toward zero";
  EXPECT_EQ(run("x = -7 / 2", "integer", {}), Value(-3.0));
  EXPECT_EQ(run("x = 1e308 * 10", "number", {}), Value()) << "not finite: null";
  EXPECT_EQ(run("x = 2 + 3 * 4 - -1", "number", {}), Value(15.0));
  EXPECT_EQ(run("x = (2 + 3) * 4", "number", {}), Value(20.0));
  // Bands: below the first edge, between, at an edge (it belongs above), beyond the last.
  for (auto [v, want] :
       {std::pair{-1.0, 0.0}, {10.0, 1.0}, {19.99, 1.0}, {20.0, 2.0}, {1e9, 2.0}}) {
    EXPECT_EQ(run("x = band(a.n, [10, 20], [0, 1, 2])", "number", {{"a.n", v}}), Value(want)) << v;
  }
  EXPECT_EQ(run("x = band(a.n, [-5.5, 0], [\"低\", \"中\", \"高\"])", "string", {{"a.n", -6.0}}),
            Value(std::string("低")));
  // Three-valued logic.
  EXPECT_EQ(run("x = a.b and false", "boolean", {}), Value(false));
  EXPECT_EQ(run("x = a.b or true", "boolean", {}), Value(true));
  EXPECT_EQ(run("x = a.b or false", "boolean", {}), Value());
  EXPECT_EQ(run("x = not a.b", "boolean", {}), Value());
  EXPECT_EQ(run("x = if(a.b, 1, 2)", "number", {}), Value(2.0)) << "a null condition: else";
  // Strings compare by code point; a value of the wrong type counts as missing.
  EXPECT_EQ(run("x = a.s < \"广州\"", "boolean", {{"a.s", std::string("东莞")}}), Value(true));
  EXPECT_EQ(run("x = a.s == \"A\\\"B\"", "boolean", {{"a.s", std::string("A\"B")}}), Value(true));
  EXPECT_EQ(run("x = coalesce(a.n, 9)", "number", {{"a.n", std::string("12")}}), Value(9.0));
  // Comments and blank lines.
  EXPECT_EQ(run("\n# a comment\n  x = 1 # and another\n\n", "number", {}), Value(1.0));
}

TEST(ComputeProgram, EveryMistakeIsNamedWithItsLineAndColumn) {
  EXPECT_TRUE(mentions(errors_of("x = tax.nothing"), "line 1, column 5: 'tax.nothing' is not"));
  EXPECT_TRUE(mentions(errors_of("x = bank.balance"), "not an item of a declared input"));
  EXPECT_TRUE(mentions(errors_of("x = 1\ny = 2"), "line 2, column 1: 'y' is not a declared"));
  EXPECT_TRUE(mentions(errors_of("x = 1\nx = 2"), "given twice"));
  EXPECT_TRUE(mentions(errors_of("# nothing"), "'x' is declared but never given"));
  EXPECT_TRUE(mentions(errors_of("x = tax.rating + 1"), "+ needs a number, not a string"));
  EXPECT_TRUE(mentions(errors_of("x = tax.rating"), "declared number but gives a string"));
  EXPECT_TRUE(mentions(errors_of("x = if(1, 2, 3)"), "if's condition needs a boolean"));
  EXPECT_TRUE(
      mentions(errors_of("x = if(true, 2, \"3\")"), "if's two values mix number and string"));
  EXPECT_TRUE(mentions(errors_of("x = coalesce(1)"), "two arguments or more"));
  EXPECT_TRUE(mentions(errors_of("x = 1 < 2 < 3", {{"x", "boolean"}}), "do not chain"));
  EXPECT_TRUE(mentions(errors_of("x = band(1, [2, 1], [0, 1, 2])"), "edges must increase"));
  EXPECT_TRUE(mentions(errors_of("x = band(1, [1, 2], [0, 1])"), "a band of 2 edges has 3 values"));
  EXPECT_TRUE(mentions(errors_of("x = band(1, [1], [0, 1, 2])"), "a band of 1 edges has 2 values"));
  EXPECT_TRUE(mentions(errors_of("x = band(1, [tax.paid_tax], [0, 1])"), "literals only"));
  EXPECT_TRUE(mentions(errors_of("x = exec(1)"), "'exec' is not a function"));
  EXPECT_TRUE(mentions(errors_of("x = \"open"), "not closed"));
  EXPECT_TRUE(mentions(errors_of("x = 1 ; y"), "unexpected character"));
  EXPECT_TRUE(mentions(errors_of("x = 12abc"), "runs into a name"));
  EXPECT_TRUE(mentions(errors_of("x = (1 + 2"), "expected ')'"));
  EXPECT_TRUE(mentions(errors_of("x = 1 2"), "unexpected '2'"));
  EXPECT_TRUE(mentions(errors_of("x = later\nlater = 1", {{"x", "number"}, {"later", "number"}}),
                       "nor an earlier output"));
  EXPECT_TRUE(
      mentions(errors_of("x = 1", {{"x", "date"}}), "is number, integer, string or boolean"));
  // Several mistakes: each line's first, all of them.
  const auto many = errors_of("x = nope\ny = 1 +", {{"x", "number"}, {"y", "number"}});
  EXPECT_EQ(many.size(), 2u);
  EXPECT_TRUE(mentions(many, "line 2, column 8: expected a value"));
  // A column counts characters, Chinese ones too.
  EXPECT_TRUE(mentions(errors_of("x = \"广州\" + 1"), "line 1, column 5: + needs a number"));
}

TEST(ComputeProgram, LimitsBoundSizeDepthAndParts) {
  Limits small;
  small.max_bytes = 64;
  EXPECT_TRUE(mentions(errors_of("x = " + std::string(100, '1'), {}, small), "at most 64 bytes"));
  // Deep nesting is refused, not a stack overflow.
  std::string deep = "x = " + std::string(5000, '(') + "1" + std::string(5000, ')');
  EXPECT_TRUE(mentions(errors_of(deep), "nested more than 32 deep"));
  std::string negations = "x = " + std::string(5000, '-') + "1";
  EXPECT_TRUE(mentions(errors_of(negations), "nested more than 32 deep"));
  std::string nots = "x = ";
  for (int i = 0; i < 100; ++i) nots += "not ";
  EXPECT_TRUE(mentions(errors_of(nots + "true", {{"x", "boolean"}}), "nested more than 32 deep"));
  // A long flat sum is many parts.
  std::string sum = "x = 1";
  for (int i = 0; i < 3000; ++i) sum += " + 1";
  EXPECT_TRUE(mentions(errors_of(sum), "more than 4000 parts"));
  Limits few;
  few.max_band_edges = 3;
  EXPECT_TRUE(mentions(errors_of("x = band(1, [1, 2, 3, 4], [0, 1, 2, 3, 4])", {}, few),
                       "at most 3 edges"));
  // Outputs that each use the one before three times: checked and reviewed in time linear in
  // the program, not 3^63 walks of the first output.
  std::vector<OutputDecl> chain = {{"o0", "number"}};
  std::string text = "o0 = tax.paid_tax + property.area\n";
  for (int i = 1; i < 64; ++i) {
    const std::string prev = "o" + std::to_string(i - 1);
    chain.push_back({"o" + std::to_string(i), "number"});
    text += "o" + std::to_string(i) + " = if(" + prev + " > 0, " + prev + ", 1) + " + prev + "\n";
  }
  const auto p = Program::compile(text, loan_inputs(), chain);
  EXPECT_EQ(p.dependence().at("o63"), (std::set<std::string>{"property.area", "tax.paid_tax"}));
  EXPECT_TRUE(p.reveals().empty());
  EXPECT_EQ(p.run({{"tax.paid_tax", 1.0}, {"property.area", 0.0}}).at("o3"), Value(8.0));
  std::vector<OutputDecl> too_many;
  for (int i = 0; i < 65; ++i) too_many.push_back({"o" + std::to_string(i), "number"});
  EXPECT_FALSE(errors_of("o0 = 1", too_many).empty());
}

TEST(ComputeProgram, DependenceNamesTheInputsOfEachOutput) {
  const auto p = Program::compile(kLoanProgram, loan_inputs(), loan_outputs());
  const auto d = p.dependence();
  const std::set<std::string> score = {"power.kwh_12m", "social.arrears", "social.insured",
                                       "tax.rating"};
  EXPECT_EQ(d.at("score"), score);
  EXPECT_EQ(d.at("eligible"), score) << "through the output it uses";
  EXPECT_EQ(d.at("limit_wan"), score);
  EXPECT_EQ(d.at("has_property"), (std::set<std::string>{"property.area"}));
  EXPECT_TRUE(p.reveals().empty()) << "the loan program reveals no input";
}

TEST(ComputeProgram, TheCheckerFindsOutputsThatRevealAnInput) {
  auto findings = [](std::string_view text, std::string type = "number") {
    return Program::compile(text, loan_inputs(), {{"x", std::move(type)}}).reveals();
  };
  EXPECT_EQ(findings("x = tax.paid_tax").size(), 1u);
  EXPECT_NE(findings("x = tax.paid_tax")[0].message.find("gives tax.paid_tax unchanged"),
            std::string::npos);
  EXPECT_EQ(findings("x = tax.rating", "string").size(), 1u);
  EXPECT_EQ(findings("x = coalesce(property.area, 0)").size(), 1u);
  EXPECT_EQ(findings("x = if(social.arrears, 0, power.kwh_12m)").size(), 1u);
  EXPECT_EQ(findings("x = (tax.paid_tax + 100) * 2").size(), 1u) << "invertible arithmetic";
  EXPECT_EQ(findings("x = -property.area / 3").size(), 1u);
  // A band whose range 12 ≤ m < 13 holds one integer (months paid: 12) with its own value.
  EXPECT_EQ(findings("x = band(power.months_paid, [6, 12, 13], [0, 1, 2, 3])").size(), 1u);
  // Not revealing: two inputs combined, a comparison, a band of wide ranges, a shared value.
  EXPECT_TRUE(findings("x = tax.paid_tax + property.area").empty());
  EXPECT_TRUE(findings("x = tax.paid_tax > 100000", "boolean").empty());
  EXPECT_TRUE(findings("x = band(power.months_paid, [6, 12], [0, 1, 2])").empty());
  EXPECT_TRUE(findings("x = band(power.months_paid, [6, 12, 13], [0, 1, 1, 2])").empty());
  EXPECT_TRUE(findings("x = band(power.kwh_12m, [6, 7], [0, 1, 2])").empty()) << "not integers";
}

}  // namespace
}  // namespace hub::compute
