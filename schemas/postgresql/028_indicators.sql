-- Indicator reporting (指标报送, docs/indicators.md): the economic indicators each bureau reports
-- on a schedule, and every version of every period's value (each one a ledger entry, operation
-- report_value, whose index is kept with it once it is written).
CREATE TABLE indicators (
  code             text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  unit             text NOT NULL CHECK (length(unit) BETWEEN 1 AND 50),
  frequency        text NOT NULL CHECK (frequency IN ('monthly', 'quarterly', 'yearly')),
  reporter_code    text NOT NULL REFERENCES agencies (code),
  -- Due at the end of this working day of the next period (the sharing calendar).
  due_working_day  integer NOT NULL CHECK (due_working_day BETWEEN 1 AND 60),
  theme            text NOT NULL CHECK (length(theme) BETWEEN 1 AND 100),
  start_period     text NOT NULL CHECK (length(start_period) BETWEEN 4 AND 7),
  min_value        numeric,
  max_value        numeric,
  max_change_ratio numeric CHECK (max_change_ratio > 0),
  dimensions       text[] NOT NULL DEFAULT '{}',
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  created_by       text NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (min_value IS NULL OR max_value IS NULL OR min_value <= max_value)
);
CREATE INDEX indicators_reporter ON indicators (reporter_code, code);
CREATE INDEX indicators_theme ON indicators (theme, code);

-- Periods are written as the indicator's frequency writes them (2026-11, 2026-Q3, 2026), so
-- within an indicator their text sorts as time does.
CREATE TABLE indicator_values (
  indicator_code text NOT NULL REFERENCES indicators (code),
  period         text NOT NULL CHECK (length(period) BETWEEN 4 AND 7),
  version        integer NOT NULL CHECK (version >= 1),
  value          numeric NOT NULL,
  dimensions     jsonb,
  note           text CHECK (length(note) <= 2000),
  reported_by    text NOT NULL,
  reported_at    timestamptz NOT NULL DEFAULT now(),
  ledger_index   bigint,
  PRIMARY KEY (indicator_code, period, version)
);
