// The evaluation scheme's internal-consistency rules (evaluation/schemes/default.toml [[constraints]]),
// mirrored so the form says so before sending; the server checks them again and stays the authority.
// tests/frontend/test_i18n_dictionaries.py keeps this list, the scheme and the messages in step.
export const CONSTRAINTS = [
  { left: 'newTenants', op: '<=', right: 'tenants' },
  { left: 'graduatedTenants', op: '<=', right: 'tenants' },
  { left: 'tenantsWithPatentFilings', op: '<=', right: 'tenants' },
  { left: 'financedTenants', op: '<=', right: 'tenants' },
  { left: 'tenantsInLargeFirmSupplyChains', op: '<=', right: 'tenants' },
  { left: 'highTechTenants', op: '<=', right: 'tenants' },
  { left: 'specialisedTenants', op: '<=', right: 'tenants' },
  { left: 'professionalStaff', op: '<=', right: 'staff' },
  { left: 'incubationAreaUsed', op: '<=', right: 'floorArea' },
  { left: 'nonRentIncome', op: '<=', right: 'totalIncome' },
];

const COMPARE = { '<=': (a, b) => a <= b, '<': (a, b) => a < b, '>=': (a, b) => a >= b, '>': (a, b) => a > b };

// [{field, key}] for every rule both of whose sides are known and which fails.
export function brokenConstraints(values) {
  return CONSTRAINTS.filter((c) => values[c.left] !== null && values[c.left] !== undefined
    && values[c.right] !== null && values[c.right] !== undefined && !COMPARE[c.op](values[c.left], values[c.right]))
    .map((c) => ({ field: c.left, key: `submit.constraint.${c.left}` }));
}
