-- Returned data (数据回流, docs/coordination.md "Returned data"): the return list of the
-- ministries' data the city asked back, one task per item, carried by a responsible agency
-- through not_started → path_identified → connected → sharing, linked to the resources that
-- hold the returned data (those carry a `source` in their catalogue document).
CREATE TABLE return_tasks (
  id                      text PRIMARY KEY,
  task_no                 text NOT NULL UNIQUE CHECK (length(task_no) BETWEEN 1 AND 64),
  title                   text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
  ministry                text NOT NULL CHECK (length(ministry) BETWEEN 1 AND 100),
  responsible_agency_code text NOT NULL REFERENCES agencies (code),
  due_date                date NOT NULL,
  status                  text NOT NULL DEFAULT 'not_started'
    CHECK (status IN ('not_started', 'path_identified', 'connected', 'sharing')),
  resource_codes          text[] NOT NULL DEFAULT '{}',
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  updated_by              text
);
CREATE INDEX return_tasks_agency ON return_tasks (responsible_agency_code, task_no);
CREATE INDEX return_tasks_ministry ON return_tasks (ministry, task_no);
