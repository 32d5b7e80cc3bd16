// Which pages each role sees. The hub checks every request itself; this only keeps the console
// from offering what a role may not use. A principal with several roles sees the union.

/** Every page, in navigation order. */
export const PAGES = [
  'todo',
  'overview',
  'dashboard',
  'report',
  'issues',
  'catalog',
  'records',
  'computations',
  'inbox',
  'applications',
  'grants',
  'objections',
  'demands',
  'escalations',
  'returns',
  'indicators',
  'alerts',
  'agencies',
  'people',
  'ledger',
  'account',
];

// Joint computations (联合计算) are listed to everyone signed in: the hub decides what each may
// do with one (review it, run it).
// 我的申请 (applications) is an agency's own: the hub's staff apply for nothing.
// 人员与系统 (people): the hub's administrators manage everyone, a CDO its own agency's.
// 待办 (todo) comes first, so a person lands on what waits for them; systems have none.
// 我的账户 (account): everyone's own.
// 主题看板 (dashboard): the city's economy by theme, for those who read the overview.
// 指标报送 (indicators): the reporting bureaus' officers and the coordination group.
// 数据维护 (records): the operators who load their agency's data (and hub_admin, to help).
const PAGES_BY_ROLE = {
  hub_admin: PAGES.filter((p) => p !== 'applications'),
  coordinator: ['todo', 'overview', 'dashboard', 'report', 'issues', 'catalog', 'computations', 'grants', 'objections', 'demands', 'escalations', 'returns', 'indicators', 'alerts', 'ledger', 'account'],
  // A CDO reads its own agency's alerts (the hub filters them); acknowledging is the staff's.
  agency_cdo: ['todo', 'overview', 'dashboard', 'report', 'issues', 'catalog', 'computations', 'inbox', 'applications', 'grants', 'objections', 'demands', 'escalations', 'returns', 'indicators', 'alerts', 'people', 'ledger', 'account'],
  agency_data_officer: ['todo', 'catalog', 'computations', 'inbox', 'applications', 'grants', 'objections', 'demands', 'escalations', 'returns', 'indicators', 'ledger', 'account'],
  // An operator keeps the agency's records: it raises objections on what it reads and resolves
  // those on its own agency's records.
  agency_operator: ['todo', 'catalog', 'records', 'computations', 'objections', 'ledger', 'account'],
};
const DEFAULT_PAGES = ['catalog', 'computations', 'ledger', 'account']; // agency_system and any other role

/** The pages a principal with these roles may open, in navigation order. */
export function pagesFor(roles = []) {
  const allowed = new Set(roles.length ? [] : DEFAULT_PAGES);
  for (const role of roles) for (const page of PAGES_BY_ROLE[role] ?? DEFAULT_PAGES) allowed.add(page);
  return PAGES.filter((p) => allowed.has(p));
}

export function canSee(roles, page) {
  return pagesFor(roles).includes(page);
}

/** The hub's staff: the coordination group and the hub's administrators (they see every agency's). */
export function isStaff(roles = []) {
  return roles.includes('hub_admin') || roles.includes('coordinator');
}

/** An agency's officers, who apply, decide, post and answer demands for their agency. */
export function isOfficer(roles = []) {
  return roles.includes('agency_cdo') || roles.includes('agency_data_officer');
}
