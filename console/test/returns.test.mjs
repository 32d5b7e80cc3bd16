// The pure parts of the returned-data page: who may move a task on, who reads the report, and
// the check before a change is sent (sharing needs a linked resource).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../src/i18n.js';
import { changeProblem, maySeeReport, mayUpdate } from '../src/pages/returns.js';
import { canSee } from '../src/roles.js';

const TAX = '11440100XYDWCM5T1B';
const task = { id: 't1', task_no: 'HL-2026-007', responsible_agency_code: TAX, status: 'connected', resource_codes: [] };

test("the hub's staff and the responsible agency's officers move a task on; nobody else", () => {
  for (const roles of [['hub_admin'], ['coordinator']]) assert.ok(mayUpdate({ roles }, task), roles.join());
  for (const roles of [['agency_cdo'], ['agency_data_officer']]) {
    assert.ok(mayUpdate({ roles, agency_code: TAX }, task), roles.join());
    assert.ok(!mayUpdate({ roles, agency_code: '114401009P0Y2GG12L' }, task), `another agency's ${roles.join()}`);
  }
  for (const roles of [['agency_operator'], ['agency_system'], []]) assert.ok(!mayUpdate({ roles, agency_code: TAX }, task), roles.join());
  assert.ok(!mayUpdate(null, task));
});

test('the report is for the staff and CDOs; the page for them and the data officers', () => {
  assert.ok(maySeeReport({ roles: ['coordinator'] }) && maySeeReport({ roles: ['agency_cdo'] }));
  assert.ok(!maySeeReport({ roles: ['agency_data_officer'] }) && !maySeeReport({ roles: ['agency_operator'] }));
  for (const role of ['hub_admin', 'coordinator', 'agency_cdo', 'agency_data_officer']) assert.ok(canSee([role], 'returns'), role);
  for (const role of ['agency_operator', 'agency_system']) assert.ok(!canSee([role], 'returns'), role);
});

test('sharing without a linked resource is stopped before it is sent, in both languages', () => {
  const storage = { getItem: () => null, setItem: () => {} };
  setLang('zh', storage);
  assert.equal(changeProblem('sharing', []), '“已共享”须关联至少一个资源。');
  assert.equal(changeProblem('sharing', ['R1']), null);
  assert.equal(changeProblem('connected', []), null);
  setLang('en', storage);
  assert.equal(changeProblem('sharing', []), 'Sharing needs at least one linked resource.');
  setLang('zh', storage);
});
