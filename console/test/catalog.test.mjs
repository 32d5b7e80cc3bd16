// Who is offered a resource's publish and retire buttons in the catalog (the API decides again:
// another agency's officer gets 403 there).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { mayChangeLife } from '../src/pages/catalog.js';

const resource = { code: '114401009P0Y2GG12L-00001', provider_code: '114401009P0Y2GG12L', status: 'draft' };

test("the provider's officers and hub_admin publish and retire; nobody else", () => {
  assert.ok(mayChangeLife({ roles: ['hub_admin'] }, resource));
  for (const roles of [['agency_cdo'], ['agency_data_officer'], ['agency_operator', 'agency_data_officer']]) {
    assert.ok(mayChangeLife({ roles, agency_code: '114401009P0Y2GG12L' }, resource), roles.join());
    assert.ok(!mayChangeLife({ roles, agency_code: '11440100XYDWCM5T1B' }, resource), `another agency's ${roles.join()}`);
  }
  for (const roles of [['agency_operator'], ['agency_system'], ['coordinator'], []]) {
    assert.ok(!mayChangeLife({ roles, agency_code: '114401009P0Y2GG12L' }, resource), roles.join());
  }
  assert.ok(!mayChangeLife(null, resource));
  assert.ok(!mayChangeLife({ roles: ['agency_cdo'] }, resource), 'no agency');
  // A joint computation goes through its providers' review instead.
  assert.ok(!mayChangeLife({ roles: ['hub_admin'] }, { ...resource, kind: 'computation' }));
  assert.ok(mayChangeLife({ roles: ['hub_admin'] }, { ...resource, kind: 'service' }));
});
