-- Differentially private aggregates (API.md Part 2, docs/privacy.md): what each grant spent of
-- its resource's daily privacy budget (aggregate_policy.epsilon_per_day), per city day. A query
-- spends before it is answered, in one statement that refuses to go over the budget.
CREATE TABLE privacy_budgets (
  grant_id text NOT NULL,
  day      date NOT NULL,
  spent    numeric NOT NULL,
  PRIMARY KEY (grant_id, day)
);
