// Numbers and times as the current language writes them; times in the city's time zone.
import { cityParts } from './dates.js';
import { locale, t, tv } from './i18n.js';

export function formatNumber(n, digits) {
  if (n === null || n === undefined || n === '') return '—';
  if (typeof n !== 'number') return String(n);
  return n.toLocaleString(locale(), digits === undefined ? {} : { maximumFractionDigits: digits });
}

/** An RFC 3339 time as "YYYY-MM-DD HH:MM" (with seconds if asked) in Asia/Shanghai. */
export function formatTime(iso, { seconds = false } = {}) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const parts = cityParts(d);
  const time = `${parts.hour}:${parts.minute}${seconds ? `:${parts.second}` : ''}`;
  return `${parts.year}-${parts.month}-${parts.day} ${time}`;
}

/**
 * An item's rules (docs/catalog.md, "Item rules") in words, one per rule, in the order the hub
 * checks them; [] when it has none.
 */
export function itemRules(item) {
  const out = [];
  const list = (values) => values.map((v) => (typeof v === 'string' ? v : formatNumber(v))).join('、');
  if (item.check) out.push(t('rule.check', { name: tv('rule.check', item.check) }));
  if (item.code_list) out.push(t('rule.code_list', { name: item.code_list }));
  if (item.max_length !== undefined) out.push(t('rule.max_length', { n: formatNumber(item.max_length) }));
  if (item.pattern) out.push(t('rule.pattern', { pattern: item.pattern }));
  if (Array.isArray(item.enum)) out.push(t('rule.enum', { values: list(item.enum) }));
  if (item.min !== undefined && item.max !== undefined) {
    out.push(t('rule.range', { min: formatNumber(item.min), max: formatNumber(item.max) }));
  } else if (item.min !== undefined) {
    out.push(t('rule.min', { min: formatNumber(item.min) }));
  } else if (item.max !== undefined) {
    out.push(t('rule.max', { max: formatNumber(item.max) }));
  }
  if (item.unique) out.push(t('rule.unique'));
  return out;
}

/** A share 0..1 as a percentage with one decimal ("98.3%"); '—' when absent. */
export function formatShare(v) {
  return typeof v === 'number' ? `${(v * 100).toFixed(1)}%` : '—';
}

/**
 * An operation as a person reads it: a service's own operation by its title (企业基本信息查询's
 * "enterprise"), a dataset's by its name in the console's language.
 */
export function operationLabel(op, resource) {
  const service = (resource?.kind === 'service' ? resource.operations ?? [] : []).find((o) => o.id === op);
  return service?.title ?? tv('operation', op);
}
