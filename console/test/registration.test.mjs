// The pure parts of registration by spreadsheet in the catalog: who may register, which files
// are sent as what, where an error is, and the answer's summary in both languages.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { setLang } from '../src/i18n.js';
import { contentTypeOf, mayRegister, placeOf, summaryOf } from '../src/pages/registration.js';

const storage = { getItem: () => null, setItem: () => {} };

test('officers and administrators register; operators, systems and the coordinator do not', () => {
  for (const roles of [['agency_cdo'], ['agency_data_officer'], ['hub_admin'], ['agency_operator', 'agency_cdo']]) {
    assert.ok(mayRegister({ roles }), roles.join());
  }
  for (const roles of [['agency_operator'], ['agency_system'], ['coordinator'], []]) {
    assert.ok(!mayRegister({ roles }), roles.join());
  }
  assert.ok(!mayRegister(null));
});

test('a workbook is sent as .xlsx, a table as text/csv, anything else not at all', () => {
  assert.equal(contentTypeOf('目录编制.XLSX'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  assert.equal(contentTypeOf('resources.csv'), 'text/csv');
  assert.equal(contentTypeOf('resources.xls'), null);
  assert.equal(contentTypeOf(undefined), null);
});

test('errors are placed by sheet and row as the spreadsheet numbers them', () => {
  setLang('zh', storage);
  assert.equal(placeOf({ sheet: '信息项', row: 4, field: 'items.type' }), '信息项 第 4 行');
  assert.equal(placeOf({ sheet: 'csv', row: 2 }), 'CSV 第 2 行');
  assert.equal(placeOf({ sheet: '', row: 0 }), '整个文件');
  assert.equal(
    summaryOf({ created: 2, updated: 0, unchanged: 1, errors: [] }, true),
    '检查通过：将新增 2 个、更新 0 个资源，1 个不变。',
  );
  assert.equal(
    summaryOf({ created: 1, updated: 1, unchanged: 0, errors: [{}, {}] }, false),
    '发现 2 处错误，未保存任何内容。改正后可新增 1 个、更新 1 个资源。',
  );
  setLang('en', storage);
  assert.equal(placeOf({ sheet: '资源', row: 3 }), '资源 row 3');
  assert.equal(summaryOf({ created: 0, updated: 0, unchanged: 2, errors: [] }, false), 'Imported: 0 created, 0 updated, 2 unchanged.');
  setLang('zh', storage);
});
